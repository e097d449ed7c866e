"""The projection: one typed event -> the rows it means, for the tables of the data contract.

Pure (no I/O, no clock): the live recorder and ``recorder rebuild`` both call :func:`project`
on the same parsed line and get the same rows, which is what makes a rebuild row-for-row equal to
the live tables. Rows carry no ``raw_line_id``: the writer fills it in from the raw line it stores
in the same transaction.

A line whose event has no projection (PING, CAP, numerics, unknown commands, ...) yields no rows;
it still lives in ``raw_lines``. A PRIVMSG or USERNOTICE without an ``id`` tag (a connection
without the tags capability) cannot be keyed and is likewise only kept raw.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from recorder.client.events import (
    ClearChat, ClearMsg, Emote, Event, GlobalUserState, Join, Notice, Part, PrivMsg, RoomState,
    UserNotice, UserState, Whisper, _strip_action, parse_badges, parse_emotes, parse_event,
    sent_at_from_ts,
)
from recorder.client.irc import IRCMessage, ParseError, parse_line
from recorder.client.speedups import speedup

Row = tuple[str, dict]

__all__ = ["Row", "project", "project_line", "describe_line"]


def _emotes_json(emotes: tuple[Emote, ...]) -> list[dict]:
    return [{"id": e.id, "start": e.start, "end": e.end} for e in emotes]


def _emote_rows(text: str, emotes: tuple[Emote, ...], message_id: str, channel: str,
                sent_at: datetime | None) -> list[Row]:
    """One ``emote_usages`` row per distinct emote in a message, with its count and name."""
    counts: dict[str, list] = {}
    for emote in emotes:
        entry = counts.get(emote.id)
        if entry is None:
            counts[emote.id] = [text[emote.start : emote.end + 1], 1]
        else:
            entry[1] += 1
    return [
        ("emote_usages", {
            "message_id": message_id, "emote_id": emote_id, "channel": channel,
            "emote_name": name, "sent_at": sent_at, "count": count,
        })
        for emote_id, (name, count) in counts.items()
    ]


def _privmsg_rows_py(tags: dict[str, str], channel: str | None, nick: str | None, param: str,
                     received_at: datetime) -> list[Row]:
    """The rows of a PRIVMSG from its parsed parts (``param``: its text parameter, "" if none).
    The specification of the compiled twin every recorded message goes through."""
    message_id = tags.get("id")
    if not message_id or not channel:
        return []
    text, is_action = _strip_action(param)
    sent_at = sent_at_from_ts(tags.get("tmi-sent-ts"))
    emotes = parse_emotes(tags.get("emotes"), text) if tags.get("emotes") else ()
    login = nick.lower() if nick else None
    bits = tags.get("bits")
    row = {
        "id": message_id, "channel": channel, "room_id": tags.get("room-id"),
        "user_id": tags.get("user-id"), "login": login,
        "display_name": tags.get("display-name", login), "text": text, "is_action": is_action,
        "sent_at": sent_at, "received_at": received_at,
        "bits": int(bits) if bits and bits.isascii() and bits.isdigit() else 0,
        "color": tags.get("color"), "badges": parse_badges(tags.get("badges")),
        "badge_info": parse_badges(tags.get("badge-info")), "emotes": _emotes_json(emotes),
        "is_first_msg": tags.get("first-msg") == "1", "is_mod": tags.get("mod") == "1",
        "is_subscriber": tags.get("subscriber") == "1",
        "reply_parent_msg_id": tags.get("reply-parent-msg-id"),
        "reply_parent_login": tags.get("reply-parent-user-login"),
        "custom_reward_id": tags.get("custom-reward-id"),
        "source_room_id": tags.get("source-room-id"), "tags": dict(tags),
    }
    if not emotes:
        return [("messages", row)]
    return [("messages", row), *_emote_rows(text, emotes, message_id, channel, sent_at)]


#: the compiled twin where built (~4x faster: this was a third of the recorder's own work a line)
_privmsg_rows = speedup("privmsg_rows", _privmsg_rows_py)


def _privmsg(msg: PrivMsg, received_at: datetime) -> list[Row]:
    # The hot path of every recording: tags are read straight from the parsed line's dict
    # (the record's descriptors read the same keys; test_projections checks they agree).
    line = msg.line
    params = line.params
    tags = line.tags
    rows = _privmsg_rows if type(tags) is dict else _privmsg_rows_py  # the twin takes dicts only
    return rows(tags, line.channel, line.nick, params[1] if len(params) > 1 else "", received_at)


def _usernotice(ev: UserNotice, received_at: datetime) -> list[Row]:
    if not ev.message_id or not ev.channel:
        return []
    return [("usernotices", {
        "id": ev.message_id, "channel": ev.channel, "room_id": ev.room_id, "msg_id": ev.msg_id,
        "user_id": ev.user_id, "login": ev.login, "display_name": ev.display_name,
        "system_msg": ev.system_msg, "text": ev.text, "sent_at": ev.sent_at,
        "received_at": received_at, "params": ev.params, "tags": dict(ev.tags),
    })]


def _clearchat(ev: ClearChat, received_at: datetime) -> list[Row]:
    return [("moderation_events", {
        "channel": ev.channel, "room_id": ev.room_id, "kind": ev.kind,
        "target_user_id": ev.target_user_id, "target_login": ev.target_login,
        "duration_s": ev.duration_s, "target_message_id": None, "target_text": None,
        "at": ev.sent_at, "received_at": received_at,
    })] if ev.channel else []


def _clearmsg(ev: ClearMsg, received_at: datetime) -> list[Row]:
    return [("moderation_events", {
        "channel": ev.channel, "room_id": ev.room_id or None, "kind": "delete",
        "target_user_id": None, "target_login": ev.login, "duration_s": None,
        "target_message_id": ev.target_message_id, "target_text": ev.text,
        "at": ev.sent_at, "received_at": received_at,
    })] if ev.channel else []


def _membership(ev: Join | Part, received_at: datetime) -> list[Row]:
    kind = "join" if isinstance(ev, Join) else "part"
    return [("membership_events", {
        "channel": ev.channel, "login": ev.login, "kind": kind, "received_at": received_at,
    })] if ev.channel else []


def _notice(ev: Notice, received_at: datetime) -> list[Row]:
    return [("notices", {
        "channel": ev.channel, "msg_id": ev.msg_id, "text": ev.text,
        "target_user_id": ev.target_user_id, "received_at": received_at,
    })]


def _roomstate(ev: RoomState, received_at: datetime) -> list[Row]:
    if not ev.channel:
        return []
    row: dict = {"channel": ev.channel, "room_id": ev.room_id, "received_at": received_at}
    for name in ("emote-only", "followers-only", "r9k", "slow", "subs-only"):
        row[name.replace("-", "_")] = ev.settings.get(name)
    return [("room_states", row)]


def _userstate(ev: UserState | GlobalUserState, received_at: datetime) -> list[Row]:
    is_global = isinstance(ev, GlobalUserState)
    display = ev.display_name
    return [("user_states", {
        "channel": None if is_global else ev.channel,
        "kind": "globaluserstate" if is_global else "userstate",
        "user_id": ev.user_id if is_global else None,
        "login": display.strip().lower() if display and display.strip().isascii() else None,
        "display_name": display, "badges": ev.badges, "badge_info": ev.badge_info,
        "color": ev.color, "emote_sets": ev.emote_sets,
        "is_mod": None if is_global else ev.is_mod, "received_at": received_at,
    })]


def _whisper(ev: Whisper, received_at: datetime) -> list[Row]:
    return [("whispers", {
        "message_id": ev.message_id, "thread_id": ev.thread_id, "from_user_id": ev.from_user_id,
        "from_login": ev.from_login, "display_name": ev.display_name, "to_login": ev.to_login,
        "text": ev.text, "badges": ev.badges, "color": ev.color,
        "emotes": _emotes_json(ev.emotes), "received_at": received_at,
    })]


_PROJECTORS: dict[type, Callable[[Event, datetime], list[Row]]] = {
    PrivMsg: _privmsg, UserNotice: _usernotice, ClearChat: _clearchat, ClearMsg: _clearmsg,
    Join: _membership, Part: _membership, Notice: _notice, RoomState: _roomstate,
    UserState: _userstate, GlobalUserState: _userstate, Whisper: _whisper,
}


def project(event: Event, received_at: datetime) -> list[Row]:
    """The projection rows of one event (possibly none)."""
    projector = _PROJECTORS.get(type(event))
    return projector(event, received_at) if projector else []


def describe_line(message: IRCMessage | None) -> tuple[str | None, str | None]:
    """(channel, command) for the ``raw_lines`` row of a parsed line (both None if unparsed)."""
    if message is None:
        return None, None
    return message.channel, message.command


def project_line(line: str, received_at: datetime) -> tuple[str | None, str | None, str | None, list[Row]]:
    """A stored line -> (channel, command, parse_error, rows): what rebuild and replay need."""
    try:
        message = parse_line(line)
    except ParseError as exc:
        return None, None, exc.reason, []
    channel, command = describe_line(message)
    return channel, command, None, project(parse_event(message), received_at)
