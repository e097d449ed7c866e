"""Typed records for every Twitch IRC command, built from a parsed :class:`IRCMessage`.

Two stages, as in twitch-irc-rs: ``irc.parse_line`` gives a generic line; :func:`parse_event`
turns it into one of the records below. Every record keeps its parsed line (``.line``), so
nothing Twitch sent is lost; a command we do not know becomes :class:`Unknown`. Building a
record never raises: missing or odd tags give ``None`` / empty values.

Records: PrivMsg, UserNotice, Notice, ClearChat, ClearMsg, RoomState, UserState,
GlobalUserState, Whisper, Join, Part, HostTarget, Reconnect, Ping, Pong, Cap, Names (353),
EndOfNames (366), Numeric (001-004, 372, 375, 376, 421 and any other numeric), Unknown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from .irc import IRCMessage, parse_line

__all__ = [
    "Emote", "Event", "PrivMsg", "UserNotice", "Notice", "ClearChat", "ClearMsg", "RoomState",
    "UserState", "GlobalUserState", "Whisper", "Join", "Part", "HostTarget", "Reconnect", "Ping",
    "Pong", "Cap", "Names", "EndOfNames", "Numeric", "Unknown", "parse_event", "event_from_line",
    "parse_badges", "parse_emotes", "sent_at_from_ts",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# --- tag helpers -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Emote:
    """One emote occurrence; ``start``/``end`` are inclusive code-point indices into the text."""

    id: str
    start: int
    end: int


def parse_badges(value: str | None) -> dict[str, str]:
    """``subscriber/12,predictions/Day 53/53`` -> {name: version}; split on the FIRST ``/``."""
    if not value:
        return {}
    badges: dict[str, str] = {}
    for item in value.split(","):
        if item:
            name, _, version = item.partition("/")
            badges[name] = version
    return badges


def parse_emotes(value: str | None, text: str) -> tuple[Emote, ...]:
    """``25:0-4,12-16/1902:6-10`` -> Emotes in tag order, ranges clamped to ``text``."""
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
            if not (start_s.isdigit() and end_s.isdigit()):
                continue
            start, end = int(start_s), min(int(end_s), limit)
            if start <= end:
                emotes.append(Emote(emote_id, start, end))
    return tuple(emotes)


def sent_at_from_ts(value: str | None) -> datetime | None:
    """``tmi-sent-ts`` (epoch ms, possibly negative) -> aware UTC datetime, or None."""
    if not value:
        return None
    try:
        return _EPOCH + timedelta(milliseconds=int(value))
    except (ValueError, OverflowError):
        return None


def _int(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _flag(value: str | None) -> bool:
    return value == "1"


def _channel(msg: IRCMessage) -> str | None:
    return msg.channel


def _text(msg: IRCMessage, index: int = 1) -> str | None:
    return msg.params[index] if len(msg.params) > index else None


def _login_from_prefix(msg: IRCMessage) -> str | None:
    if msg.nick:
        return msg.nick.lower()
    return None


# --- records -----------------------------------------------------------------------------


@dataclass(slots=True)
class Event:
    """Base of every record: the parsed line it came from."""

    line: IRCMessage

    @property
    def raw(self) -> str:
        return self.line.raw

    @property
    def command(self) -> str:
        return self.line.command

    @property
    def tags(self) -> dict[str, str]:
        return self.line.tags


@dataclass(slots=True)
class _ChatCommon(Event):
    """Fields shared by PRIVMSG and USERNOTICE (who, where, when, how they look)."""

    channel: str | None = None
    room_id: str | None = None
    user_id: str | None = None
    login: str | None = None
    display_name: str | None = None
    text: str | None = None
    message_id: str | None = None
    sent_at: datetime | None = None
    tmi_sent_ts: int | None = None
    color: str | None = None
    badges: dict[str, str] = field(default_factory=dict)
    badge_info: dict[str, str] = field(default_factory=dict)
    emotes: tuple[Emote, ...] = ()
    is_mod: bool = False
    is_subscriber: bool = False


@dataclass(slots=True)
class PrivMsg(_ChatCommon):
    """A chat message. ``text`` has the ``/me`` wrapper removed (``is_action`` is then True)."""

    is_action: bool = False
    bits: int = 0
    first_msg: bool = False
    returning_chatter: bool = False
    reply_parent_msg_id: str | None = None
    reply_parent_user_id: str | None = None
    reply_parent_login: str | None = None
    reply_parent_display_name: str | None = None
    reply_parent_text: str | None = None
    reply_thread_parent_msg_id: str | None = None
    custom_reward_id: str | None = None
    source_room_id: str | None = None
    source_id: str | None = None
    source_badges: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class UserNotice(_ChatCommon):
    """sub, resub, subgift, raid, announcement, ...: ``msg_id`` plus every ``msg-param-*``."""

    msg_id: str | None = None
    system_msg: str | None = None
    params: dict[str, str] = field(default_factory=dict)

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
        return {
            "login": login,
            "display_name": self.params.get("recipient-display-name"),
            "user_id": user_id,
        }


@dataclass(slots=True)
class Notice(Event):
    channel: str | None = None
    msg_id: str | None = None
    text: str | None = None
    target_user_id: str | None = None


@dataclass(slots=True)
class ClearChat(Event):
    """``kind`` is ``ban`` (no duration), ``timeout`` (``duration_s``) or ``clear`` (no target)."""

    channel: str | None = None
    room_id: str | None = None
    kind: str = "clear"
    target_login: str | None = None
    target_user_id: str | None = None
    duration_s: int | None = None
    sent_at: datetime | None = None
    tmi_sent_ts: int | None = None


@dataclass(slots=True)
class ClearMsg(Event):
    """One deleted message: who wrote it, its id and its text (``room_id`` is often empty)."""

    channel: str | None = None
    room_id: str | None = None
    login: str | None = None
    target_message_id: str | None = None
    text: str | None = None
    is_action: bool = False
    sent_at: datetime | None = None
    tmi_sent_ts: int | None = None


ROOM_SETTINGS = ("emote-only", "followers-only", "r9k", "slow", "subs-only")


@dataclass(slots=True)
class RoomState(Event):
    """Full on join, partial on change: ``settings`` holds only the settings present."""

    channel: str | None = None
    room_id: str | None = None
    settings: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class UserState(Event):
    channel: str | None = None
    display_name: str | None = None
    color: str | None = None
    badges: dict[str, str] = field(default_factory=dict)
    badge_info: dict[str, str] = field(default_factory=dict)
    emote_sets: list[str] = field(default_factory=list)
    is_mod: bool = False
    is_subscriber: bool = False
    message_id: str | None = None


@dataclass(slots=True)
class GlobalUserState(Event):
    user_id: str | None = None
    display_name: str | None = None
    color: str | None = None
    badges: dict[str, str] = field(default_factory=dict)
    badge_info: dict[str, str] = field(default_factory=dict)
    emote_sets: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Whisper(Event):
    from_login: str | None = None
    to_login: str | None = None
    from_user_id: str | None = None
    display_name: str | None = None
    text: str | None = None
    message_id: str | None = None
    thread_id: str | None = None
    color: str | None = None
    badges: dict[str, str] = field(default_factory=dict)
    emotes: tuple[Emote, ...] = ()


@dataclass(slots=True)
class Join(Event):
    channel: str | None = None
    login: str | None = None


@dataclass(slots=True)
class Part(Event):
    channel: str | None = None
    login: str | None = None


@dataclass(slots=True)
class HostTarget(Event):
    """Retired by Twitch, still parsed: ``target`` is None when hosting stops (``-``)."""

    channel: str | None = None
    target: str | None = None
    viewers: int | None = None


@dataclass(slots=True)
class Reconnect(Event):
    pass


@dataclass(slots=True)
class Ping(Event):
    argument: str | None = None


@dataclass(slots=True)
class Pong(Event):
    argument: str | None = None


@dataclass(slots=True)
class Cap(Event):
    subcommand: str | None = None
    capabilities: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Names(Event):
    """353: one batch of the names list; ``names`` holds every login on the line."""

    channel: str | None = None
    names: list[str] = field(default_factory=list)


@dataclass(slots=True)
class EndOfNames(Event):
    channel: str | None = None


@dataclass(slots=True)
class Numeric(Event):
    """Any other numeric reply (001-004, 372, 375, 376, 421, ...)."""

    code: str = ""
    target: str | None = None
    text: str | None = None


@dataclass(slots=True)
class Unknown(Event):
    """A command we do not type; kept whole through ``line``."""


# --- builders ----------------------------------------------------------------------------

from .events_build import BUILDERS  # noqa: E402  (builders need the record classes above)


def parse_event(msg: IRCMessage) -> Event:
    """The typed record for a parsed line; never raises."""
    builder: Callable[[IRCMessage], Event] | None = BUILDERS.get(msg.command)
    if builder is None:
        if msg.command.isdigit():
            return Numeric(msg, msg.command, msg.params[0] if msg.params else None,
                           msg.params[-1] if len(msg.params) > 1 else None)
        return Unknown(msg)
    return builder(msg)


def event_from_line(line: str) -> Event:
    """``parse_event(parse_line(line))``; raises ParseError for a malformed line."""
    return parse_event(parse_line(line))
