"""One ``build_<COMMAND>`` function per IRC command: parsed line -> typed record.

Found by name (discord.py's ``parse_<EVENT>`` habit) and collected in :data:`BUILDERS`.
Every builder tolerates missing parameters and tags; none raises.
"""
from __future__ import annotations

from typing import Callable

from .events import (
    ROOM_SETTINGS, Cap, ClearChat, ClearMsg, EndOfNames, Event, GlobalUserState, HostTarget,
    Join, Names, Notice, Part, Ping, Pong, PrivMsg, Reconnect, RoomState, UserNotice,
    UserState, Whisper, _int, parse_badges, parse_emotes, sent_at_from_ts,
)
from .irc import IRCMessage

_ACTION_START = "\x01ACTION "
MSG_PARAM = "msg-param-"
_MSG_PARAM_LEN = len(MSG_PARAM)


def _strip_action(text: str) -> tuple[str, bool]:
    if text.startswith(_ACTION_START):
        body = text[len(_ACTION_START) :]
        return (body[:-1] if body.endswith("\x01") else body), True
    if text == "\x01ACTION\x01":
        return "", True
    return text, False


def _param(msg: IRCMessage, index: int) -> str | None:
    return msg.params[index] if len(msg.params) > index else None


def _login(msg: IRCMessage) -> str | None:
    return msg.nick.lower() if msg.nick else None


def build_PRIVMSG(msg: IRCMessage) -> PrivMsg:
    tags = msg.tags
    text, is_action = _strip_action(_param(msg, 1) or "")
    ts = tags.get("tmi-sent-ts")
    login = _login(msg)
    return PrivMsg(
        msg,
        channel=msg.channel,
        room_id=tags.get("room-id"),
        user_id=tags.get("user-id"),
        login=login,
        display_name=tags.get("display-name", login),
        text=text,
        message_id=tags.get("id"),
        sent_at=sent_at_from_ts(ts),
        tmi_sent_ts=_int(ts),
        color=tags.get("color"),
        badges=parse_badges(tags.get("badges")),
        badge_info=parse_badges(tags.get("badge-info")),
        emotes=parse_emotes(tags.get("emotes"), text),
        is_mod=tags.get("mod") == "1",
        is_subscriber=tags.get("subscriber") == "1",
        is_action=is_action,
        bits=_int(tags.get("bits")) or 0,
        first_msg=tags.get("first-msg") == "1",
        returning_chatter=tags.get("returning-chatter") == "1",
        reply_parent_msg_id=tags.get("reply-parent-msg-id"),
        reply_parent_user_id=tags.get("reply-parent-user-id"),
        reply_parent_login=tags.get("reply-parent-user-login"),
        reply_parent_display_name=tags.get("reply-parent-display-name"),
        reply_parent_text=tags.get("reply-parent-msg-body"),
        reply_thread_parent_msg_id=tags.get("reply-thread-parent-msg-id"),
        custom_reward_id=tags.get("custom-reward-id"),
        source_room_id=tags.get("source-room-id"),
        source_id=tags.get("source-id"),
        source_badges=parse_badges(tags.get("source-badges")),
    )


def build_USERNOTICE(msg: IRCMessage) -> UserNotice:
    tags = msg.tags
    text = _param(msg, 1)
    ts = tags.get("tmi-sent-ts")
    params = {k[_MSG_PARAM_LEN:]: v for k, v in tags.items() if k.startswith(MSG_PARAM)}
    return UserNotice(
        msg,
        channel=msg.channel,
        room_id=tags.get("room-id"),
        user_id=tags.get("user-id"),
        login=tags.get("login"),
        display_name=tags.get("display-name"),
        text=text,
        message_id=tags.get("id"),
        sent_at=sent_at_from_ts(ts),
        tmi_sent_ts=_int(ts),
        color=tags.get("color"),
        badges=parse_badges(tags.get("badges")),
        badge_info=parse_badges(tags.get("badge-info")),
        emotes=parse_emotes(tags.get("emotes"), text or ""),
        is_mod=tags.get("mod") == "1",
        is_subscriber=tags.get("subscriber") == "1",
        msg_id=tags.get("msg-id"),
        system_msg=tags.get("system-msg"),
        params=params,
    )


def build_NOTICE(msg: IRCMessage) -> Notice:
    return Notice(
        msg,
        channel=msg.channel,
        msg_id=msg.tags.get("msg-id"),
        text=msg.params[-1] if len(msg.params) > 1 else None,
        target_user_id=msg.tags.get("target-user-id"),
    )


def build_CLEARCHAT(msg: IRCMessage) -> ClearChat:
    tags = msg.tags
    target = _param(msg, 1)
    duration = _int(tags.get("ban-duration"))
    kind = "clear" if not target else ("timeout" if duration is not None else "ban")
    ts = tags.get("tmi-sent-ts")
    return ClearChat(
        msg,
        channel=msg.channel,
        room_id=tags.get("room-id"),
        kind=kind,
        target_login=target.lower() if target else None,
        target_user_id=tags.get("target-user-id"),
        duration_s=duration,
        sent_at=sent_at_from_ts(ts),
        tmi_sent_ts=_int(ts),
    )


def build_CLEARMSG(msg: IRCMessage) -> ClearMsg:
    tags = msg.tags
    text, is_action = _strip_action(_param(msg, 1) or "")
    ts = tags.get("tmi-sent-ts")
    return ClearMsg(
        msg,
        channel=msg.channel,
        room_id=tags.get("room-id"),
        login=tags.get("login"),
        target_message_id=tags.get("target-msg-id"),
        text=text if len(msg.params) > 1 else None,
        is_action=is_action,
        sent_at=sent_at_from_ts(ts),
        tmi_sent_ts=_int(ts),
    )


def build_ROOMSTATE(msg: IRCMessage) -> RoomState:
    tags = msg.tags
    settings = {}
    for name in ROOM_SETTINGS:
        value = _int(tags.get(name))
        if value is not None:
            settings[name] = value
    return RoomState(msg, channel=msg.channel, room_id=tags.get("room-id"), settings=settings)


def _emote_sets(value: str | None) -> list[str]:
    return [s for s in value.split(",") if s] if value else []


def build_USERSTATE(msg: IRCMessage) -> UserState:
    tags = msg.tags
    return UserState(
        msg,
        channel=msg.channel,
        display_name=tags.get("display-name"),
        color=tags.get("color"),
        badges=parse_badges(tags.get("badges")),
        badge_info=parse_badges(tags.get("badge-info")),
        emote_sets=_emote_sets(tags.get("emote-sets")),
        is_mod=tags.get("mod") == "1",
        is_subscriber=tags.get("subscriber") == "1",
        message_id=tags.get("id"),
    )


def build_GLOBALUSERSTATE(msg: IRCMessage) -> GlobalUserState:
    tags = msg.tags
    return GlobalUserState(
        msg,
        user_id=tags.get("user-id"),
        display_name=tags.get("display-name"),
        color=tags.get("color"),
        badges=parse_badges(tags.get("badges")),
        badge_info=parse_badges(tags.get("badge-info")),
        emote_sets=_emote_sets(tags.get("emote-sets")),
    )


def build_WHISPER(msg: IRCMessage) -> Whisper:
    tags = msg.tags
    text = _param(msg, 1) or ""
    return Whisper(
        msg,
        from_login=_login(msg),
        to_login=(_param(msg, 0) or "").lower() or None,
        from_user_id=tags.get("user-id"),
        display_name=tags.get("display-name"),
        text=text,
        message_id=tags.get("message-id"),
        thread_id=tags.get("thread-id"),
        color=tags.get("color"),
        badges=parse_badges(tags.get("badges")),
        emotes=parse_emotes(tags.get("emotes"), text),
    )


def build_JOIN(msg: IRCMessage) -> Join:
    return Join(msg, channel=msg.channel, login=_login(msg))


def build_PART(msg: IRCMessage) -> Part:
    return Part(msg, channel=msg.channel, login=_login(msg))


def build_HOSTTARGET(msg: IRCMessage) -> HostTarget:
    target, _, viewers = (_param(msg, 1) or "").partition(" ")
    return HostTarget(
        msg,
        channel=msg.channel,
        target=None if target in ("", "-") else target.lower(),
        viewers=_int(viewers.strip()),
    )


def build_RECONNECT(msg: IRCMessage) -> Reconnect:
    return Reconnect(msg)


def build_PING(msg: IRCMessage) -> Ping:
    return Ping(msg, argument=msg.params[-1] if msg.params else None)


def build_PONG(msg: IRCMessage) -> Pong:
    return Pong(msg, argument=msg.params[-1] if msg.params else None)


def build_CAP(msg: IRCMessage) -> Cap:
    sub = _param(msg, 1)
    caps = msg.params[2].split() if len(msg.params) > 2 else []
    return Cap(msg, subcommand=sub, capabilities=caps)


def build_353(msg: IRCMessage) -> Names:
    # :nick.tmi.twitch.tv 353 nick = #channel :name1 name2 ...
    channel = next((p[1:].lower() for p in msg.params[:-1] if p.startswith("#")), None)
    names = msg.params[-1].split() if len(msg.params) >= 3 else []
    return Names(msg, channel=channel, names=names)


def build_366(msg: IRCMessage) -> EndOfNames:
    channel = next((p[1:].lower() for p in msg.params if p.startswith("#")), None)
    return EndOfNames(msg, channel=channel)


BUILDERS: dict[str, Callable[[IRCMessage], Event]] = {
    name[len("build_") :]: func
    for name, func in list(globals().items())
    if name.startswith("build_") and callable(func)
}
