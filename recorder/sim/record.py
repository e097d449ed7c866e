"""What the simulator sent, as structured facts, and the shared per-room state.

Every event the traffic generator (or a relayed client PRIVMSG) emits becomes one *fact*: a dict
with at least ``kind``, ``channel``, ``command`` and ``line`` (the raw line, tags included, without
CRLF), plus the fields of that kind:

=============  ==============================================================================
kind           extra fields
=============  ==============================================================================
privmsg        id, user_id, login, display_name, text, is_action, emotes [{id,name,start,end}],
               bits, first_msg, reply_parent_msg_id, reply_parent_login, custom_reward_id, sent_at
usernotice     id, msg_id, user_id, login, display_name, text, system_msg, params, sent_at
clearchat      action (ban, timeout, clear), target_user_id, target_login, duration, sent_at
clearmsg       target_msg_id, login, text, sent_at
roomstate      settings (the changed keys only)
notice         msg_id, text
join / part    login
hosttarget     target, viewers
unknown        (only the common fields)
=============  ==============================================================================

``delivered`` counts the connections that were sent the line. Tests of the recorder compare its
database against these facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

__all__ = ["SentRecord", "RoomState", "DEFAULT_ROOM_SETTINGS"]

DEFAULT_ROOM_SETTINGS = {"emote-only": "0", "followers-only": "-1", "r9k": "0", "slow": "0",
                         "subs-only": "0"}


@dataclass
class RoomState:
    """A room's chat settings and the audience logins currently present (for NAMES)."""

    room_id: str
    settings: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ROOM_SETTINGS))
    present: list[str] = field(default_factory=list)


class SentRecord:
    """An append-only list of facts with a few lookups."""

    def __init__(self) -> None:
        self.facts: list[dict[str, Any]] = []
        self._by_id: dict[str, dict[str, Any]] = {}

    def add(self, fact: dict[str, Any]) -> dict[str, Any]:
        """Append ``fact`` (indexed by its message ``id`` when it has one) and return it."""
        self.facts.append(fact)
        if fact.get("id"):
            self._by_id[fact["id"]] = fact
        return fact

    def __len__(self) -> int:
        return len(self.facts)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.facts)

    def for_channel(self, channel: str) -> list[dict[str, Any]]:
        """Facts of one channel (login without ``#``), in sending order."""
        return [f for f in self.facts if f["channel"] == channel]

    def of_kind(self, kind: str, channel: str | None = None) -> list[dict[str, Any]]:
        """Facts of one kind, optionally of one channel."""
        return [f for f in self.facts
                if f["kind"] == kind and (channel is None or f["channel"] == channel)]

    def message(self, msg_id: str) -> dict[str, Any] | None:
        """The PRIVMSG or USERNOTICE fact whose ``id`` tag is ``msg_id``."""
        return self._by_id.get(msg_id)

    @property
    def lines(self) -> list[str]:
        """Every raw line recorded, in order."""
        return [f["line"] for f in self.facts]

    def delivered(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Facts that reached at least one connection."""
        return [f for f in self.facts
                if f.get("delivered", 0) > 0 and (channel is None or f["channel"] == channel)]
