"""Sans-IO Twitch IRC: parse and format lines, IRCv3 tag (un)escaping, and a protocol object.

Nothing here does I/O or knows about asyncio. The grammar is the IRCv3 message-tags one:

    [@tags SPACE] [:prefix SPACE] COMMAND [SPACE middle]* [SPACE :trailing]

and lines are parsed by position (a chat text that contains "RECONNECT" or "PING" is just text).

``parse_line`` returns an :class:`IRCMessage` for every well-formed line and raises
:class:`ParseError` (carrying the offending line) for anything else; no other exception escapes
for any ``str`` input. :class:`IRCProtocol` turns websocket text frames into lines and holds the
login / CAP / PING-PONG state, in the style of h11: ``receive_data(frame)``, then
``events_received()``, then ``data_to_send()``.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from .slots import slots_builder
from .speedups import speedup

__all__ = [
    "ParseError",
    "IRCMessage",
    "parse_line",
    "format_line",
    "escape_tag_value",
    "unescape_tag_value",
    "split_lines",
    "LineReceived",
    "ProtocolState",
    "IRCProtocol",
    "DEFAULT_CAPS",
    "FATAL_LOGIN_NOTICES",
]

DEFAULT_CAPS = ("twitch.tv/tags", "twitch.tv/commands", "twitch.tv/membership")
FATAL_LOGIN_NOTICES = frozenset(
    {
        "Login authentication failed",
        "Improperly formatted auth",
        "Login unsuccessful",
        "Invalid NICK",
    }
)


class ParseError(ValueError):
    """A line that is not a well-formed IRC message. ``line`` holds the offending text."""

    def __init__(self, reason: str, line: str) -> None:
        super().__init__(f"{reason}: {line[:200]!r}")
        self.reason = reason
        self.line = line


@dataclass(frozen=True, slots=True)
class IRCMessage:
    """One parsed line. ``params`` keeps the trailing parameter last, exactly as sent.

    ``tags`` (a dict of UNESCAPED values) is built from ``tag_text`` on first access and then
    cached: most consumers of a busy channel touch a few tags of a few lines, and splitting every
    tag of every line is the single largest cost of parsing.
    """

    raw: str
    tag_text: str
    prefix: str | None
    nick: str | None
    command: str
    params: list[str]
    _tags: dict[str, str] | None = field(default=None, compare=False, repr=False)

    @property
    def tags(self) -> dict[str, str]:
        tags = self._tags
        if tags is None:
            tags = _parse_tags(self.tag_text) if self.tag_text else {}
            object.__setattr__(self, "_tags", tags)
        return tags

    @property
    def channel(self) -> str | None:
        """The first parameter without ``#`` when it names a channel, else None."""
        if self.params and self.params[0].startswith("#"):
            return self.params[0][1:].lower()
        return None

    @property
    def trailing(self) -> str | None:
        return self.params[-1] if self.params else None


# parse_line builds its messages without the dataclass __init__ (see slots.py).
_message = slots_builder(IRCMessage, ("raw", "tag_text", "prefix", "nick", "command", "params", "_tags"))


# --- tag values --------------------------------------------------------------------------

_UNESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n", "": ""}
_UNESCAPE_RE = re.compile(r"\\(.?)", re.DOTALL)
_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\:", " ": "\\s", "\r": "\\r", "\n": "\\n"})


def _unescape_one(match: re.Match[str]) -> str:
    char = match.group(1)
    return _UNESCAPES.get(char, char)


def unescape_tag_value(value: str) -> str:
    r"""IRCv3 unescaping: ``\:`` ``\s`` ``\\`` ``\r`` ``\n``; other ``\x`` -> ``x``; lone ``\`` dropped."""
    if "\\" not in value:
        return value
    return _UNESCAPE_RE.sub(_unescape_one, value)


def escape_tag_value(value: str) -> str:
    """The inverse of :func:`unescape_tag_value`."""
    return value.translate(_ESCAPES)


def _parse_tags_py(text: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in text.split(";"):
        key, _, value = item.partition("=")
        if key:
            tags[key] = unescape_tag_value(value) if "\\" in value else value
    return tags


_parse_tags = speedup("parse_tags", _parse_tags_py)


# --- lines -------------------------------------------------------------------------------

_BAD_CHARS = re.compile(r"[\r\n\0]")


def _valid_command(command: str) -> bool:
    return command.isascii() and command.isalnum()


def _without_crlf(line: str) -> str:
    if line[-1:] == "\n":
        return line[:-2] if line[-2:] == "\r\n" else line[:-1]
    return line


def _split_line_py(line: str) -> tuple[str, str, str | None, str | None, str, list[str]] | str:
    """``(line without its CRLF, tag_text, prefix, nick, command, params)``, or (a str) the
    reason ``line`` is not a well-formed line."""
    line = _without_crlf(line)
    if not line:
        return "empty line"
    if "\r" in line or "\n" in line or "\0" in line:
        return "CR, LF or NUL inside a line"
    pos = 0
    tag_text = ""
    if line[0] == "@":
        pos = line.find(" ")
        if pos == -1:
            return "tags without a command"
        tag_text = line[1:pos]
        pos += 1
        while line.startswith(" ", pos):
            pos += 1
    prefix = nick = None
    if line.startswith(":", pos):
        space = line.find(" ", pos)
        if space <= pos + 1:
            return "prefix without a command"
        prefix = line[pos + 1 : space]
        bang = prefix.find("!")
        if bang > 0:
            nick = prefix[:bang]
        pos = space + 1
        while line.startswith(" ", pos):
            pos += 1
    colon = line.find(" :", pos)
    params = (line[pos:] if colon == -1 else line[pos:colon]).split(" ")
    if "" in params:
        params = [p for p in params if p]
        if not params:
            return "no command"
    command = params.pop(0)
    if not (command.isalnum() and command.isascii()):
        return "invalid command"
    if colon != -1:
        params.append(line[colon + 2 :])
    return line, tag_text, prefix, nick, command, params


_split_line = speedup("split_line", _split_line_py)


def parse_line(line: str) -> IRCMessage:
    """Parse one IRC line (a trailing CRLF is tolerated and not kept). Raises ParseError."""
    if not isinstance(line, str):
        raise ParseError("not a str", repr(line))
    parts = _split_line(line)
    if type(parts) is str:
        raise ParseError(parts, _without_crlf(line))
    return _message(*parts, None)


def format_line(
    command: str,
    params: Sequence[str] = (),
    *,
    tags: Mapping[str, str | None] | None = None,
    prefix: str | None = None,
) -> str:
    """Build one outgoing line (without CRLF). The last parameter becomes trailing when needed.

    Raises ValueError for what cannot be expressed: CR/LF/NUL anywhere, an empty or spaced middle
    parameter, a middle parameter starting with ``:``, or a bad command or tag key.
    """
    if not _valid_command(command):
        raise ValueError(f"invalid IRC command {command!r}")
    parts: list[str] = []
    if tags:
        items = []
        for key, value in tags.items():
            if not key or any(c in key for c in " ;=\r\n\0"):
                raise ValueError(f"invalid tag key {key!r}")
            if value is None:
                items.append(key)
            else:
                if "\0" in value:
                    raise ValueError("NUL in a tag value")
                items.append(f"{key}={escape_tag_value(value)}")
        parts.append("@" + ";".join(items))
    if prefix is not None:
        if not prefix or _BAD_CHARS.search(prefix) or " " in prefix:
            raise ValueError(f"invalid prefix {prefix!r}")
        parts.append(":" + prefix)
    parts.append(command)
    params = list(params)
    for index, param in enumerate(params):
        if _BAD_CHARS.search(param):
            raise ValueError("CR, LF or NUL in a parameter")
        last = index == len(params) - 1
        if last and (not param or " " in param or param.startswith(":")):
            parts.append(":" + param)
        elif not param or " " in param or param.startswith(":"):
            raise ValueError(f"middle parameter {param!r} needs to be trailing")
        else:
            parts.append(param)
    return " ".join(parts)


def split_lines(buffer: str) -> tuple[list[str], str]:
    """Split received text into complete lines (CRLF or LF ended) and the unfinished rest."""
    if "\n" not in buffer:
        return [], buffer
    *lines, rest = buffer.split("\n")
    return [line[:-1] if line.endswith("\r") else line for line in lines], rest


# --- the protocol object -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineReceived:
    """One line off the wire, in order: its parsed message, or the parse error."""

    line: str
    message: IRCMessage | None
    error: ParseError | None = None


class ProtocolState(enum.Enum):
    NEW = "new"
    AUTHENTICATING = "authenticating"
    READY = "ready"
    FAILED = "failed"
    CLOSED = "closed"


@dataclass
class IRCProtocol:
    """Login, CAP and PING/PONG state of one IRC connection, without I/O.

    Feed it frames with ``receive_data``; collect parsed lines with ``events_received``; send
    what ``data_to_send`` returns. ``now`` values are whatever clock the caller uses.
    """

    nick: str
    token: str | None = None
    caps: tuple[str, ...] = DEFAULT_CAPS
    state: ProtocolState = ProtocolState.NEW
    acked_caps: set[str] = field(default_factory=set)
    failure: str | None = None
    _buffer: str = ""
    _events: list[LineReceived] = field(default_factory=list)
    _outgoing: list[str] = field(default_factory=list)
    _ping_sent_at: float | None = None
    _ping_token: str | None = None
    last_received_at: float | None = None

    def initiate(self) -> None:
        """Queue the login: CAP REQ, then PASS (when there is a token), then NICK."""
        self.state = ProtocolState.AUTHENTICATING
        if self.caps:
            self.send("CAP", ["REQ", " ".join(self.caps)])
        if self.token:
            token = self.token if self.token.startswith("oauth:") else f"oauth:{self.token}"
            self._outgoing.append(f"PASS {token}")
        self.send("NICK", [self.nick])

    def send(self, command: str, params: Sequence[str] = (), *, tags=None) -> str:
        line = format_line(command, params, tags=tags)
        self._outgoing.append(line)
        return line

    def send_raw(self, line: str) -> None:
        if _BAD_CHARS.search(line):
            raise ValueError("CR, LF or NUL in an outgoing line")
        self._outgoing.append(line)

    def receive_data(self, data: str, now: float | None = None) -> None:
        """Take one websocket text frame (any number of lines, possibly a partial one)."""
        if now is not None:
            self.last_received_at = now
        lines, self._buffer = split_lines(self._buffer + data)
        for line in lines:
            if line:
                self._handle_line(line)

    def _handle_line(self, line: str) -> None:
        try:
            message = parse_line(line)
        except ParseError as exc:
            self._events.append(LineReceived(line, None, exc))
            return
        self._events.append(LineReceived(line, message))
        command = message.command
        if command == "PING":
            argument = message.params[-1] if message.params else "tmi.twitch.tv"
            self._outgoing.append(f"PONG :{argument}")
        elif command == "PONG":
            if self._ping_token is None or self._ping_token in message.params:
                self._ping_sent_at = self._ping_token = None
        elif command == "CAP" and len(message.params) >= 3 and message.params[1] == "ACK":
            self.acked_caps.update(message.params[-1].split())
        elif command in ("001", "376") and self.state is ProtocolState.AUTHENTICATING:
            self.state = ProtocolState.READY
        elif (
            command == "NOTICE"
            and self.state is not ProtocolState.READY
            and message.params[-1:]
            and message.params[-1] in FATAL_LOGIN_NOTICES
        ):
            self.state = ProtocolState.FAILED
            self.failure = message.params[-1]

    def events_received(self) -> list[LineReceived]:
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[str]:
        """Outgoing lines, each ending with CRLF; empties the queue."""
        out, self._outgoing = self._outgoing, []
        return [line + "\r\n" for line in out]

    # keepalive -----------------------------------------------------------------------
    def ping(self, now: float, token: str = "tmi.twitch.tv") -> None:
        """Queue our own PING; a PONG must follow before ``pong_overdue`` says otherwise."""
        self._ping_sent_at = now
        self._ping_token = token
        self.send("PING", [token])

    @property
    def awaiting_pong(self) -> bool:
        return self._ping_sent_at is not None

    def pong_overdue(self, now: float, deadline: float) -> bool:
        return self._ping_sent_at is not None and now - self._ping_sent_at > deadline

    def close(self) -> None:
        self.state = ProtocolState.CLOSED


def lines_to_frame(lines: Iterable[str]) -> str:
    """Join lines into one websocket text frame as Twitch sends them."""
    return "".join(f"{line}\r\n" for line in lines)
