"""One client websocket as the simulated IRC server sees it: state, outgoing queue, faults.

Lines are queued and written by a writer task; lines queued together go out in ONE websocket
text frame (each ending with CRLF), as Twitch batches them. Faults act here: ``silent`` drops
everything (half-open), ``line_delay`` sends line by line with a pause (slow server).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass, field

from aiohttp import web

from recorder.sim.wire import strip_tags

__all__ = ["SimConnection", "ClientLine", "parse_client_line", "COMMANDS_CAP_ONLY"]

# Lines Twitch sends only to connections that requested twitch.tv/commands.
COMMANDS_CAP_ONLY = frozenset({"CLEARCHAT", "CLEARMSG", "GLOBALUSERSTATE", "HOSTTARGET", "ROOMSTATE",
                               "USERNOTICE", "USERSTATE", "RECONNECT", "WHISPER"})
_UNESCAPE = re.compile(r"\\(.?)", re.DOTALL)
_UNESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n", "": ""}
_ids = itertools.count(1)


@dataclass
class ClientLine:
    """A line sent by a client, split just enough for the server to act on it."""

    tags: dict[str, str]
    command: str
    params: list[str]


def parse_client_line(line: str) -> ClientLine | None:
    """Split ``[@tags] [:prefix] COMMAND params [:trailing]``; None for an empty line."""
    rest, tags = line.strip("\r\n"), {}
    if rest.startswith("@"):
        raw, _, rest = rest[1:].partition(" ")
        for item in raw.split(";"):
            key, _, value = item.partition("=")
            tags[key] = _UNESCAPE.sub(lambda m: _UNESCAPES.get(m.group(1), m.group(1)), value)
    rest = rest.lstrip(" ")
    if rest.startswith(":"):
        rest = rest.partition(" ")[2].lstrip(" ")
    head, sep, trailing = rest.partition(" :")
    words = head.split()
    if not words:
        return None
    params = words[1:] + ([trailing] if sep else [])
    return ClientLine(tags, words[0].upper(), params)


@dataclass(eq=False)
class SimConnection:
    """A connected client: who it is, what it asked for, where it is joined."""

    ws: web.WebSocketResponse
    request: web.Request
    id: int = field(default_factory=lambda: next(_ids))
    nick: str | None = None
    password: str | None = None
    user_id: str | None = None
    anonymous: bool = True
    caps: set[str] = field(default_factory=set)
    channels: set[str] = field(default_factory=set)
    silent: bool = False
    line_delay: float = 0.0
    closed: bool = False
    lines_sent: int = 0
    lines_received: int = 0
    transcript: list[str] | None = None  # every line written, in order (when enabled)
    pong: asyncio.Event = field(default_factory=asyncio.Event)
    writer_task: asyncio.Task[None] | None = None
    _queue: asyncio.Queue[list[str] | None] = field(default_factory=asyncio.Queue)
    _buffer: str = ""

    @property
    def logged_in(self) -> bool:
        return self.nick is not None

    def wants(self, command: str, *, membership: bool = False) -> bool:
        """Whether this connection's capabilities let Twitch send it a ``command`` line."""
        if membership and "twitch.tv/membership" not in self.caps:
            return False
        return command not in COMMANDS_CAP_ONLY or "twitch.tv/commands" in self.caps

    def shape(self, line: str) -> str:
        """The line as this connection receives it (tags removed without twitch.tv/tags)."""
        return line if "twitch.tv/tags" in self.caps else strip_tags(line)

    def send(self, lines: list[str]) -> bool:
        """Queue ``lines`` to go out together; False (and dropped) when silent or closed."""
        if self.silent or self.closed or not lines:
            return False
        self._queue.put_nowait(list(lines))
        return True

    def feed(self, data: str) -> list[str]:
        """Complete lines in received text (a line may be split across frames)."""
        self._buffer += data
        *lines, self._buffer = self._buffer.split("\n")
        return [line.rstrip("\r") for line in lines if line.strip("\r")]

    async def writer(self) -> None:
        """Send queued batches until ``stop_writer``; one frame per batch unless slowed."""
        while True:
            batch = await self._queue.get()
            if batch is None:
                return
            while not self._queue.empty() and len(batch) < 50:
                more = self._queue.get_nowait()
                if more is None:
                    self._queue.put_nowait(None)
                    break
                batch.extend(more)
            if self.silent:
                continue
            try:
                await self._write(batch)
            except (ConnectionError, RuntimeError):
                return

    async def _write(self, batch: list[str]) -> None:
        if self.line_delay > 0:
            for line in batch:
                await asyncio.sleep(self.line_delay)
                if self.silent or self.ws.closed:
                    return
                await self.ws.send_str(line + "\r\n")
                self.lines_sent += 1
                if self.transcript is not None:
                    self.transcript.append(line)
            return
        if not self.ws.closed:
            await self.ws.send_str("".join(line + "\r\n" for line in batch))
            self.lines_sent += len(batch)
            if self.transcript is not None:
                self.transcript.extend(batch)

    def stop_writer(self) -> None:
        self._queue.put_nowait(None)

    async def close(self, *, code: int = 1000, abnormal: bool = False) -> None:
        """Close with a close frame, or (``abnormal``) drop the TCP connection without one."""
        self.closed = True
        self.stop_writer()
        if self.writer_task is not None and not abnormal:
            try:  # let what is already queued (e.g. a NOTICE or RECONNECT) go out first
                await asyncio.wait_for(asyncio.shield(self.writer_task), 5.0)
            except (asyncio.TimeoutError, ConnectionError, RuntimeError):
                pass
        if abnormal:
            transport = self.request.transport
            if transport is not None:
                transport.abort()
            return
        try:
            await self.ws.close(code=code)
        except (ConnectionError, RuntimeError):
            pass

    def describe(self) -> dict[str, object]:
        """A plain summary (nick, channels, caps) for tests and the CLI."""
        return {"id": self.id, "nick": self.nick, "channels": sorted(self.channels),
                "caps": sorted(self.caps), "silent": self.silent}
