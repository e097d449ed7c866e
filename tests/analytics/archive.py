"""A small archive with known answers, built through the real schema (``upgrade_to_head``).

Channel ``alpha`` (and a little ``beta``), from T0 = 2024-05-01 20:00 UTC:

- messages per minute in alpha: 20:00 -> 4 (alice 3, bob 1), 20:01 -> 3 (alice 1, carol 2),
  20:05 -> 1 (bob, 100 bits; later deleted), 20:13 -> 2 (dave's first, alice). beta: 20:00 -> 2 (erin).
- carol's two messages: one with 50 bits. Top chatters alpha: alice 5, bob 2, carol 2, dave 1.
- emotes alpha: Kappa 3 + 1 (two messages), PogChamp 2 (one message); beta: LUL 1.
- usernotices alpha: sub (alice), resub (bob, 5 months), a single subgift (carol -> dave),
  a gift bomb of 3 by frank (submysterygift + 3 subgifts with community-gift-id), raids of 42 (gina)
  and 7 (hank). Gifted subs in all: 4; bits: 150.
- moderation alpha: delete of bob's 20:05 message at 20:06, timeout carol 600 s at 20:06,
  ban dave at 20:14.
- coverage (session 1, ended 20:30): joined 19:59, disconnected 20:10, rejoined 20:12.
- stream snapshots alpha: live with 100 viewers at 20:00, 50 at 20:05.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from recorder.store import schema
from recorder.store.db import make_engine, upgrade_to_head

T0 = datetime(2024, 5, 1, 20, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class ArchiveBuilder:
    """Collects rows with their raw lines, then inserts them in one transaction."""

    def __init__(self, first_line_id: int = 1) -> None:
        self.next_line = first_line_id
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def add(self, table: str, **row: Any) -> dict[str, Any]:
        self.rows.setdefault(table, []).append(row)
        return row

    def line(self, when: datetime, channel: str | None, command: str) -> int:
        line_id = self.next_line
        self.next_line += 1
        self.add("raw_lines", id=line_id, session_id=1, received_at=when, channel=channel,
                 command=command, line=f"@n={line_id} :tmi.twitch.tv {command} #{channel} :{line_id}")
        return line_id

    def message(self, channel: str, login: str, minute: float, *, mid: str | None = None,
                bits: int | None = None, emotes: dict[str, tuple[str, int]] | None = None) -> str:
        when = at(minute)
        line_id = self.line(when, channel, "PRIVMSG")
        mid = mid or f"m{line_id}"
        self.add("messages", id=mid, raw_line_id=line_id, channel=channel, room_id="1",
                 user_id=f"u-{login}", login=login, display_name=login.title(),
                 text=f"{login} says {line_id}", is_action=False, sent_at=when, received_at=when,
                 bits=bits, emotes=[], tags={"id": mid}, badges={})
        for emote_id, (name, count) in (emotes or {}).items():
            self.add("emote_usages", message_id=mid, emote_id=emote_id, raw_line_id=line_id,
                     channel=channel, emote_name=name, sent_at=when, count=count)
        return mid

    def notice(self, channel: str, login: str, minute: float, msg_id: str, **params: str) -> None:
        when = at(minute)
        line_id = self.line(when, channel, "USERNOTICE")
        self.add("usernotices", id=f"n{line_id}", raw_line_id=line_id, channel=channel,
                 room_id="1", msg_id=msg_id, user_id=f"u-{login}", login=login,
                 display_name=login.title(), system_msg=msg_id, text=None, sent_at=when,
                 received_at=when, params=params, tags={})

    def moderation(self, channel: str, minute: float, kind: str, **fields: Any) -> None:
        when = at(minute)
        line_id = self.line(when, channel, "CLEARMSG" if kind == "delete" else "CLEARCHAT")
        self.add("moderation_events", raw_line_id=line_id, channel=channel, room_id="1",
                 kind=kind, at=when, received_at=when, **fields)

    async def insert(self, url: str) -> None:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                for table in schema.metadata.sorted_tables:
                    rows = self.rows.get(table.name)
                    if rows:  # executemany wants every row to name the same columns
                        keys = {k for row in rows for k in row}
                        await conn.execute(sa.insert(table), [{k: r.get(k) for k in keys} for r in rows])
        finally:
            await engine.dispose()
        self.rows.clear()


def known_archive() -> ArchiveBuilder:
    """The rows described in this module's docstring."""
    b = ArchiveBuilder()
    b.add("sessions", id=1, started_at=at(-2), ended_at=at(30), server_url="ws://sim", nick="justinfan1")
    for minute, kind, channel in [(-1, "connected", None), (-1, "joined", "alpha"), (-1, "joined", "beta"),
                                  (10, "disconnected", None), (12, "connected", None),
                                  (12, "joined", "alpha"), (12, "joined", "beta")]:
        b.add("connection_events", session_id=1, at=at(minute), kind=kind, channel=channel, detail="conn=1")
    b.message("alpha", "alice", 0.1, emotes={"25": ("Kappa", 3)})
    b.message("alpha", "alice", 0.2)
    b.message("alpha", "alice", 0.3)
    b.message("alpha", "bob", 0.4, emotes={"25": ("Kappa", 1)})
    b.message("alpha", "alice", 1.1)
    b.message("alpha", "carol", 1.2, bits=50, emotes={"88": ("PogChamp", 2)})
    b.message("alpha", "carol", 1.3)
    b.message("alpha", "bob", 5.5, mid="deleted-one", bits=100)
    b.message("alpha", "dave", 13.1)
    b.message("alpha", "alice", 13.2)
    b.message("beta", "erin", 0.5, emotes={"425618": ("LUL", 1)})
    b.message("beta", "erin", 0.6)
    b.notice("alpha", "alice", 2.0, "sub", **{"cumulative-months": "1", "sub-plan": "1000"})
    b.notice("alpha", "bob", 2.1, "resub", **{"cumulative-months": "5", "sub-plan": "1000"})
    b.notice("alpha", "carol", 2.2, "subgift", **{"recipient-user-name": "dave", "months": "1"})
    b.notice("alpha", "frank", 3.0, "submysterygift", **{"mass-gift-count": "3", "community-gift-id": "g1"})
    for recipient in ("alice", "bob", "ivy"):
        b.notice("alpha", "frank", 3.01, "subgift", **{"recipient-user-name": recipient,
                                                       "community-gift-id": "g1"})
    b.notice("alpha", "gina", 4.0, "raid", viewerCount="42")
    b.notice("alpha", "hank", 15.0, "raid", viewerCount="7")
    b.moderation("alpha", 6.0, "delete", target_login="bob", target_message_id="deleted-one",
                 target_text="bob says 8")
    b.moderation("alpha", 6.1, "timeout", target_login="carol", target_user_id="u-carol", duration_s=600)
    b.moderation("alpha", 14.0, "ban", target_login="dave", target_user_id="u-dave")
    for minute, viewers in ((0, 100), (5, 50)):
        b.add("stream_snapshots", channel="alpha", user_id="1", stream_id="s1", live=True,
              viewer_count=viewers, started_at=at(-30), fetched_at=at(minute))
    return b


async def build_known_archive(url: str) -> ArchiveBuilder:
    """A fresh database at ``url`` upgraded to head and holding :func:`known_archive`."""
    await upgrade_to_head(url)
    builder = known_archive()
    await builder.insert(url)
    return builder
