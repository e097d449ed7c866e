"""Typed records for every Twitch IRC command, built from a parsed :class:`IRCMessage`.

Two stages, as in twitch-irc-rs: ``irc.parse_line`` gives a generic line; :func:`parse_event`
turns it into one of the records below. Every record keeps its parsed line (``.line``), so
nothing Twitch sent is lost; a command we do not know becomes :class:`Unknown`.

Fields are read from the line when first asked for (structured ones such as ``badges``,
``emotes`` and ``sent_at`` are then cached): building a record costs one object, and a consumer
pays only for the fields it reads. ``FIELDS`` lists a record's fields; ``as_dict()`` reads them
all. Reading a field never raises: missing or odd tags give ``None`` / empty values.

Records: PrivMsg, UserNotice, Notice, ClearChat, ClearMsg, RoomState, UserState,
GlobalUserState, Whisper, Join, Part, HostTarget, Reconnect, Ping, Pong, Cap, Names (353),
EndOfNames (366), Numeric (001-004, 372, 375, 376, 421 and any other numeric), Unknown.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any

from .irc import IRCMessage, parse_line
from .speedups import speedup

__all__ = [
    "Emote", "Event", "PrivMsg", "UserNotice", "Notice", "ClearChat", "ClearMsg", "RoomState",
    "UserState", "GlobalUserState", "Whisper", "Join", "Part", "HostTarget", "Reconnect", "Ping",
    "Pong", "Cap", "Names", "EndOfNames", "Numeric", "Unknown", "parse_event", "event_from_line",
    "parse_badges", "parse_emotes", "sent_at_from_ts", "EVENT_TYPES",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MSG_PARAM = "msg-param-"
ROOM_SETTINGS = ("emote-only", "followers-only", "r9k", "slow", "subs-only")


# --- value helpers -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Emote:
    """One emote occurrence; ``start``/``end`` are inclusive code-point indices into the text."""

    id: str
    start: int
    end: int


def _parse_badges_py(value: str | None) -> dict[str, str]:
    """``subscriber/12,predictions/Day 53/53`` -> {name: version}; split on the FIRST ``/``."""
    if not value:
        return {}
    badges: dict[str, str] = {}
    for item in value.split(","):
        if item:
            name, _, version = item.partition("/")
            badges[name] = version
    return badges


parse_badges = speedup("parse_badges", _parse_badges_py)


def parse_emotes(value: str | None, text: str) -> tuple[Emote, ...]:
    """``25:0-4,12-16/1902:6-10`` -> Emotes in tag order, ranges clamped to ``text`` (a range
    is two runs of ASCII digits: anything else is left out)."""
    if not value:
        return ()
    limit = len(text) - 1
    emotes: list[Emote] = []
    for group in value.split("/"):
        emote_id, _, ranges = group.rpartition(":")
        if not emote_id:
            continue
        for span in ranges.split(","):
            start_s, _, end_s = span.partition("-")
            if not (span.isascii() and start_s.isdigit() and end_s.isdigit()):
                continue
            start, end = int(start_s), min(int(end_s), limit)
            if start <= end:
                emotes.append(Emote(emote_id, start, end))
    return tuple(emotes)


def _sent_at_py(value: str | None) -> datetime | None:
    """``tmi-sent-ts`` (epoch ms as ASCII digits, possibly negative) -> aware UTC datetime, or
    None (no value, not such digits, or out of datetime's range)."""
    if not value:
        return None
    digits = value[1:] if value[0] == "-" else value
    if not (digits.isascii() and digits.isdigit()):
        return None
    try:
        return _EPOCH + timedelta(milliseconds=int(value))
    except OverflowError:
        return None


sent_at_from_ts = speedup("sent_at", _sent_at_py)


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _strip_action(text: str) -> tuple[str, bool]:
    if text.startswith("\x01ACTION ") or text == "\x01ACTION\x01":
        body = text[8:]
        return (body[:-1] if body.endswith("\x01") else body), True
    return text, False


# --- field descriptors -------------------------------------------------------------------


class Tag:
    """A field read from one tag, optionally converted (``flag`` -> bool, ``int`` -> int)."""

    __slots__ = ("key", "kind")

    def __init__(self, key: str, kind: str = "str") -> None:
        self.key, self.kind = key, kind

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.line.tags.get(self.key)
        if self.kind == "flag":
            return value == "1"
        if self.kind == "int":
            return _int(value)
        return value


class Param:
    """A field read from one positional parameter (``None`` when absent)."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        params = obj.line.params
        return params[self.index] if len(params) > self.index else None


class _Channel:
    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else obj.line.channel


class _PrefixLogin:
    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        nick = obj.line.nick
        return nick.lower() if nick else None


_FIELD_TYPES = (Tag, Param, _Channel, _PrefixLogin, cached_property, property)


# --- records -----------------------------------------------------------------------------


class Event:
    """Base of every record: the parsed line it came from (``line``), and its ``FIELDS``."""

    FIELDS: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names: list[str] = []
        for base in reversed(cls.__mro__[1:]):  # every base's fields, in definition order
            names += [n for n in getattr(base, "FIELDS", ()) if n not in names]
        for name, value in vars(cls).items():
            if isinstance(value, _FIELD_TYPES) and not name.startswith("_") and name not in names:
                names.append(name)
        cls.FIELDS = tuple(names)

    def __init__(self, line: IRCMessage) -> None:
        self.line = line

    @property
    def raw(self) -> str:
        return self.line.raw

    @property
    def command(self) -> str:
        return self.line.command

    @property
    def tags(self) -> dict[str, str]:
        return self.line.tags

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.line == self.line  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.line.raw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.line.raw!r})"


Event.FIELDS = ()


class _Badged(Event):
    """A command carrying ``badges`` and ``badge-info``."""

    @cached_property
    def badges(self) -> dict[str, str]:
        return parse_badges(self.line.tags.get("badges"))

    @cached_property
    def badge_info(self) -> dict[str, str]:
        return parse_badges(self.line.tags.get("badge-info"))


class _Timed(Event):
    """A command carrying ``tmi-sent-ts``: the raw epoch milliseconds and the UTC time."""

    tmi_sent_ts = Tag("tmi-sent-ts", "int")

    @cached_property
    def sent_at(self) -> datetime | None:
        return sent_at_from_ts(self.line.tags.get("tmi-sent-ts"))


class _ChatCommon(_Timed, _Badged):
    """Fields shared by PRIVMSG and USERNOTICE (who, where, when, how they look)."""

    channel = _Channel()
    room_id = Tag("room-id")
    user_id = Tag("user-id")
    message_id = Tag("id")
    color = Tag("color")
    is_mod = Tag("mod", "flag")
    is_subscriber = Tag("subscriber", "flag")

    @cached_property
    def emotes(self) -> tuple[Emote, ...]:
        return parse_emotes(self.line.tags.get("emotes"), self.text or "")


class PrivMsg(_ChatCommon):
    """A chat message. ``text`` has the ``/me`` wrapper removed (``is_action`` is then True)."""

    login = _PrefixLogin()
    bits_tag = Tag("bits", "int")
    first_msg = Tag("first-msg", "flag")
    returning_chatter = Tag("returning-chatter", "flag")
    reply_parent_msg_id = Tag("reply-parent-msg-id")
    reply_parent_user_id = Tag("reply-parent-user-id")
    reply_parent_login = Tag("reply-parent-user-login")
    reply_parent_display_name = Tag("reply-parent-display-name")
    reply_parent_text = Tag("reply-parent-msg-body")
    reply_thread_parent_msg_id = Tag("reply-thread-parent-msg-id")
    custom_reward_id = Tag("custom-reward-id")
    source_room_id = Tag("source-room-id")
    source_id = Tag("source-id")

    @property
    def display_name(self) -> str | None:
        return self.line.tags.get("display-name", self.login)

    @cached_property
    def _text_action(self) -> tuple[str, bool]:
        params = self.line.params
        return _strip_action(params[1] if len(params) > 1 else "")

    @property
    def text(self) -> str:
        return self._text_action[0]

    @property
    def is_action(self) -> bool:
        return self._text_action[1]

    @property
    def bits(self) -> int:
        return self.bits_tag or 0

    @cached_property
    def source_badges(self) -> dict[str, str]:
        return parse_badges(self.line.tags.get("source-badges"))


class UserNotice(_ChatCommon):
    """sub, resub, subgift, raid, announcement, ...: ``msg_id`` plus every ``msg-param-*``."""

    login = Tag("login")
    display_name = Tag("display-name")
    text = Param(1)
    msg_id = Tag("msg-id")
    system_msg = Tag("system-msg")

    @cached_property
    def params(self) -> dict[str, str]:
        cut = len(MSG_PARAM)
        return {k[cut:]: v for k, v in self.line.tags.items() if k.startswith(MSG_PARAM)}

    def param_int(self, name: str) -> int | None:
        return _int(self.params.get(name))

    @property
    def sub_plan(self) -> str | None:
        return self.params.get("sub-plan")

    @property
    def sub_plan_name(self) -> str | None:
        return self.params.get("sub-plan-name")

    @property
    def months(self) -> int | None:
        return self.param_int("months")

    @property
    def cumulative_months(self) -> int | None:
        return self.param_int("cumulative-months")

    @property
    def streak_months(self) -> int | None:
        return self.param_int("streak-months")

    @property
    def viewer_count(self) -> int | None:
        """Raiders on a ``raid``."""
        return self.param_int("viewerCount")

    @property
    def recipient(self) -> dict[str, str | None] | None:
        """The gift recipient (``recipient-user-name`` live, ``recipient-name`` in old docs)."""
        login = self.params.get("recipient-user-name") or self.params.get("recipient-name")
        user_id = self.params.get("recipient-id")
        if login is None and user_id is None:
            return None
        return {"login": login, "display_name": self.params.get("recipient-display-name"),
                "user_id": user_id}


class Notice(Event):
    channel = _Channel()
    msg_id = Tag("msg-id")
    target_user_id = Tag("target-user-id")

    @property
    def text(self) -> str | None:
        params = self.line.params
        return params[-1] if len(params) > 1 else None


class ClearChat(_Timed):
    """``kind`` is ``ban`` (no duration), ``timeout`` (``duration_s``) or ``clear`` (no target)."""

    channel = _Channel()
    room_id = Tag("room-id")
    target_user_id = Tag("target-user-id")
    duration_s = Tag("ban-duration", "int")

    @property
    def target_login(self) -> str | None:
        params = self.line.params
        return params[1].lower() if len(params) > 1 and params[1] else None

    @property
    def kind(self) -> str:
        if not self.target_login:
            return "clear"
        return "timeout" if self.duration_s is not None else "ban"


class ClearMsg(_Timed):
    """One deleted message: who wrote it, its id and its text (``room_id`` is often empty)."""

    channel = _Channel()
    room_id = Tag("room-id")
    login = Tag("login")
    target_message_id = Tag("target-msg-id")

    @property
    def text(self) -> str | None:
        params = self.line.params
        return _strip_action(params[1])[0] if len(params) > 1 else None

    @property
    def is_action(self) -> bool:
        params = self.line.params
        return len(params) > 1 and _strip_action(params[1])[1]


class RoomState(Event):
    """Full on join, partial on change: ``settings`` holds only the settings present."""

    channel = _Channel()
    room_id = Tag("room-id")

    @cached_property
    def settings(self) -> dict[str, int]:
        tags = self.line.tags
        found = {name: _int(tags.get(name)) for name in ROOM_SETTINGS}
        return {name: value for name, value in found.items() if value is not None}


def _emote_sets(value: str | None) -> list[str]:
    return [s for s in value.split(",") if s] if value else []


class _UserStateCommon(_Badged):
    display_name = Tag("display-name")
    color = Tag("color")

    @cached_property
    def emote_sets(self) -> list[str]:
        return _emote_sets(self.line.tags.get("emote-sets"))


class UserState(_UserStateCommon):
    channel = _Channel()
    is_mod = Tag("mod", "flag")
    is_subscriber = Tag("subscriber", "flag")
    message_id = Tag("id")


class GlobalUserState(_UserStateCommon):
    user_id = Tag("user-id")


class Whisper(Event):
    from_login = _PrefixLogin()
    from_user_id = Tag("user-id")
    display_name = Tag("display-name")
    message_id = Tag("message-id")
    thread_id = Tag("thread-id")
    color = Tag("color")

    @property
    def to_login(self) -> str | None:
        params = self.line.params
        return params[0].lower() if params else None

    @property
    def text(self) -> str:
        params = self.line.params
        return params[1] if len(params) > 1 else ""

    @cached_property
    def badges(self) -> dict[str, str]:
        return parse_badges(self.line.tags.get("badges"))

    @cached_property
    def emotes(self) -> tuple[Emote, ...]:
        return parse_emotes(self.line.tags.get("emotes"), self.text)


class Join(Event):
    channel = _Channel()
    login = _PrefixLogin()


class Part(Event):
    channel = _Channel()
    login = _PrefixLogin()


class HostTarget(Event):
    """Retired by Twitch, still parsed: ``target`` is None when hosting stops (``-``)."""

    channel = _Channel()

    @property
    def target(self) -> str | None:
        params = self.line.params
        target = params[1].partition(" ")[0] if len(params) > 1 else ""
        return None if target in ("", "-") else target.lower()

    @property
    def viewers(self) -> int | None:
        params = self.line.params
        return _int(params[1].partition(" ")[2].strip()) if len(params) > 1 else None


class Reconnect(Event):
    pass


class _Argument(Event):
    @property
    def argument(self) -> str | None:
        params = self.line.params
        return params[-1] if params else None


class Ping(_Argument):
    pass


class Pong(_Argument):
    pass


class Cap(Event):
    subcommand = Param(1)

    @property
    def capabilities(self) -> list[str]:
        params = self.line.params
        return params[2].split() if len(params) > 2 else []


def _hash_channel(params: list[str]) -> str | None:
    return next((p[1:].lower() for p in params if p.startswith("#")), None)


class Names(Event):
    """353: one batch of the names list; ``names`` holds every login on the line."""

    @property
    def channel(self) -> str | None:
        return _hash_channel(self.line.params[:-1])

    @property
    def names(self) -> list[str]:
        params = self.line.params
        return params[-1].split() if len(params) >= 3 else []


class EndOfNames(Event):
    @property
    def channel(self) -> str | None:
        return _hash_channel(self.line.params)


class Numeric(Event):
    """Any other numeric reply (001-004, 372, 375, 376, 421, ...)."""

    @property
    def code(self) -> str:
        return self.line.command

    target = Param(0)

    @property
    def text(self) -> str | None:
        params = self.line.params
        return params[-1] if len(params) > 1 else None


class Unknown(Event):
    """A command we do not type; kept whole through ``line``."""


EVENT_TYPES: dict[str, type[Event]] = {
    "PRIVMSG": PrivMsg, "USERNOTICE": UserNotice, "NOTICE": Notice, "CLEARCHAT": ClearChat,
    "CLEARMSG": ClearMsg, "ROOMSTATE": RoomState, "USERSTATE": UserState,
    "GLOBALUSERSTATE": GlobalUserState, "WHISPER": Whisper, "JOIN": Join, "PART": Part,
    "HOSTTARGET": HostTarget, "RECONNECT": Reconnect, "PING": Ping, "PONG": Pong, "CAP": Cap,
    "353": Names, "366": EndOfNames,
}


_new_event = object.__new__


def parse_event(msg: IRCMessage) -> Event:
    """The typed record for a parsed line; never raises."""
    cls = EVENT_TYPES.get(msg.command)
    if cls is None:
        cls = Numeric if msg.command.isdigit() else Unknown
    event = _new_event(cls)  # what Event.__init__ does, without the call: the hot path
    event.line = msg
    return event


def event_from_line(line: str) -> Event:
    """``parse_event(parse_line(line))``; raises ParseError for a malformed line."""
    return parse_event(parse_line(line))
