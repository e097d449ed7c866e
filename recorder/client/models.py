"""What handlers receive: Message, Channel, Chatter, PartialChatter, and the hook
records RawLine and ConnectionEvent.

Attribute names mirror the client reference (TwitchIO 2.10) so handlers written for it run
here. Everything is lazy: a :class:`Message` wraps the typed :class:`~.events.PrivMsg` and reads
a field only when asked, and a :class:`Chatter` is built on demand from the last line its user
sent. The per-channel :class:`ChatterCache` is an LRU of at most ``size`` users, so memory stays
flat however many distinct chatters pass.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterator

from .events import Event, PrivMsg, UserState
from .irc import IRCMessage, ParseError
from .slots import slots_builder

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

__all__ = ["RawLine", "ConnectionEvent", "CONNECTION_EVENT_KINDS", "PartialChatter",
           "Chatter", "Channel", "Message", "ChatterCache"]

CONNECTION_EVENT_KINDS = frozenset(
    {"connected", "disconnected", "reconnect_requested", "joined", "parted", "join_failed"})


@dataclass(frozen=True, slots=True)
class RawLine:
    """One line exactly as received (without CRLF), for the raw-line hooks.

    ``message`` / ``event`` are None and ``error`` is set when the line did not parse.
    ``duplicate`` is True for a line whose message id was already delivered by another
    connection during a RECONNECT overlap (it is not dispatched to handlers again).
    """

    line: str
    received_at: datetime
    connection_id: int
    message: IRCMessage | None
    error: ParseError | None
    event: Event | None
    duplicate: bool = False


#: ``new_raw_line(line, received_at, connection_id, message, error, event, duplicate)``: a
#: RawLine built without the dataclass ``__init__``, for the read loop and replay (slots.py).
new_raw_line = slots_builder(RawLine, ("line", "received_at", "connection_id", "message", "error",
                                       "event", "duplicate"))


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """A change of connection or membership state, for the connection hooks."""

    kind: str
    at: datetime
    connection_id: int
    channel: str | None = None
    detail: str | None = None

    @classmethod
    def now(cls, kind: str, connection_id: int, channel: str | None = None,
            detail: str | None = None) -> "ConnectionEvent":
        return cls(kind, datetime.now(timezone.utc), connection_id, channel, detail)


class PartialChatter:
    """A chatter known only by login (JOIN / PART / NAMES)."""

    __slots__ = ("_name", "_channel")

    def __init__(self, name: str, channel: "Channel | None" = None) -> None:
        self._name = name
        self._channel = channel

    @property
    def name(self) -> str:
        return self._name

    @property
    def channel(self) -> "Channel | None":
        return self._channel

    @property
    def mention(self) -> str:
        return f"@{self._name}"

    async def user(self) -> Any:
        """The Helix user of this login."""
        client = self._channel._client if self._channel else None
        users = await client.fetch_users(names=[self._name]) if client else []
        return users[0] if users else None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartialChatter) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name: {self._name}, channel: {self._channel}>"


class Chatter(PartialChatter):
    """A chatter as seen in a PRIVMSG / USERSTATE: badges, colour, roles (read lazily)."""

    __slots__ = ("_event",)

    def __init__(self, event: PrivMsg | UserState, name: str, channel: "Channel | None" = None) -> None:
        super().__init__(name, channel)
        self._event = event

    @property
    def display_name(self) -> str | None:
        return self._event.display_name

    @property
    def id(self) -> str | None:
        return self._event.line.tags.get("user-id")

    @property
    def badges(self) -> dict[str, str]:
        return self._event.badges

    @property
    def color(self) -> str | None:
        return self._event.color or None

    colour = color

    @property
    def mention(self) -> str:
        return f"@{self.display_name or self._name}"

    @property
    def is_broadcaster(self) -> bool:
        return "broadcaster" in self.badges

    @property
    def is_mod(self) -> bool:
        return self._event.is_mod or self.is_broadcaster or self._name == (
            self._channel.name if self._channel else None)

    @property
    def is_vip(self) -> bool:
        return "vip" in self.badges

    @property
    def is_turbo(self) -> bool:
        return self._event.line.tags.get("turbo") == "1" or "turbo" in self.badges

    @property
    def is_subscriber(self) -> bool:
        return bool(self._event.is_subscriber) or "subscriber" in self.badges or "founder" in self.badges


class RecentIds:
    """The last ``size`` message ids seen, for telling a line delivered twice (a RECONNECT
    overlap) from a new one: O(1) per id, oldest forgotten first."""

    __slots__ = ("size", "_ids")

    def __init__(self, size: int) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, msg_id: str) -> bool:
        """True when ``msg_id`` was seen before; else remember it and give False."""
        ids = self._ids
        if msg_id in ids:
            return True
        ids[msg_id] = None
        if len(ids) > self.size:
            ids.popitem(last=False)
        return False

    def clear(self) -> None:
        self._ids.clear()

    def __len__(self) -> int:
        return len(self._ids)


class ChatterCache:
    """Per-channel LRU of the last line of each chatter; at most ``size`` entries."""

    __slots__ = ("size", "_entries")

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, Event | None] = OrderedDict()

    def touch(self, login: str, event: Event | None = None) -> None:
        """Record that ``login`` was seen (with its latest PRIVMSG/USERSTATE, if any)."""
        if self.size <= 0:  # no cache (``chatter_cache_size=0``)
            return
        entries = self._entries
        if login in entries:
            entries.move_to_end(login)
            if event is None:
                return
        entries[login] = event
        if len(entries) > self.size:
            entries.popitem(last=False)

    def discard(self, login: str) -> None:
        self._entries.pop(login, None)

    def get(self, login: str) -> Event | None:
        return self._entries.get(login)

    def __contains__(self, login: object) -> bool:
        return login in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def items(self) -> Iterator[tuple[str, Event | None]]:
        return iter(self._entries.items())

    def clear(self) -> None:
        self._entries.clear()


class Channel:
    """A joined (or known) channel: ``send``, ``reply``, the cached ``chatters``."""

    __slots__ = ("_name", "_client", "cache")

    def __init__(self, name: str, client: "Client", cache_size: int = 1000) -> None:
        self._name = name.lstrip("#").lower()
        self._client = client
        self.cache = ChatterCache(cache_size)

    @property
    def name(self) -> str:
        return self._name

    @property
    def chatters(self) -> set[PartialChatter]:
        """The chatters seen recently (bounded by the cache size)."""
        return {self._chatter(login, event) for login, event in self.cache.items()}

    def get_chatter(self, name: str) -> PartialChatter | None:
        login = name.lstrip("@").lower()
        if login not in self.cache:
            return None
        return self._chatter(login, self.cache.get(login))

    def _chatter(self, login: str, event: Event | None) -> PartialChatter:
        if isinstance(event, (PrivMsg, UserState)):
            return Chatter(event, login, self)
        return PartialChatter(login, self)

    async def send(self, content: str) -> None:
        """Send a chat message (queued under the account's send limit; max 500 characters)."""
        await self._client.send_message(self._name, content)

    async def reply(self, message_id: str, content: str) -> None:
        """Reply to the message with id ``message_id`` (a threaded reply in Twitch chat)."""
        await self._client.send_message(self._name, content, reply_to=message_id)

    async def user(self, force: bool = False) -> Any:
        """The Helix user of the broadcaster."""
        users = await self._client.fetch_users(names=[self._name], force=force)
        return users[0] if users else None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Channel) and other.name == self._name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f"<Channel name: {self._name}>"


class Message:
    """A chat message (PRIVMSG, or one we sent: ``echo=True``), read lazily from its event."""

    __slots__ = ("_event", "_channel", "_content", "echo", "_author")

    def __init__(self, event: PrivMsg | None, channel: Channel, *, content: str | None = None,
                 echo: bool = False, author: PartialChatter | None = None) -> None:
        self._event = event
        self._channel = channel
        self._content = content
        self.echo = echo
        self._author = author

    @property
    def event(self) -> PrivMsg | None:
        """The typed record (None for an echo that Twitch did not send back)."""
        return self._event

    @property
    def content(self) -> str:
        if self._content is None:
            self._content = self._event.text if self._event else ""
        return self._content

    @property
    def channel(self) -> Channel:
        return self._channel

    @property
    def author(self) -> PartialChatter | None:
        if self._author is None and self._event is not None:
            login = self._event.login or ""
            self._author = Chatter(self._event, login, self._channel)
        return self._author

    @property
    def tags(self) -> dict[str, str]:
        return self._event.line.tags if self._event else {}

    @property
    def id(self) -> str | None:
        return self.tags.get("id")

    @property
    def first(self) -> bool:
        return self.tags.get("first-msg") == "1"

    @property
    def raw_data(self) -> str:
        return self._event.raw if self._event else ""

    @property
    def timestamp(self) -> datetime:
        sent = self._event.sent_at if self._event else None
        return sent or datetime.now(timezone.utc)

    async def reply(self, content: str) -> None:
        """Reply to this message in its channel."""
        if self.id is None:
            from .errors import EchoMessageWarning
            raise EchoMessageWarning("an echo message without an id cannot be replied to")
        await self._channel.reply(self.id, content)

    def __repr__(self) -> str:
        return f"<Message channel={self._channel.name} echo={self.echo} content={self.content!r}>"
