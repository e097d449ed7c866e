"""One IRC websocket: the asyncio adapter around the sans-IO :class:`~.irc.IRCProtocol`.

A :class:`Connection` logs in (CAP REQ, PASS, NICK), then its read loop hands EVERY line, in
order, as a :class:`~.models.RawLine` to ``on_line(connection, raw)`` (awaited, so the owner
can apply backpressure). The protocol object answers server PINGs; what it queues is flushed
after every frame. A keepalive task sends our own PING every ``heartbeat`` seconds and declares
the connection dead when no PONG comes within ``pong_timeout``.

The connection ends on a close frame, an error frame, EOF (TCP drop), a dead keepalive or
:meth:`close`; ``closed`` (a future) then holds the reason, and ``on_closed(connection,
reason)`` is called once. RECONNECT is just a line here: the pool decides what to do with it.

Bounds (memory stays small whatever the server sends): a websocket message larger than
``MAX_FRAME_BYTES`` is refused by aiohttp (close code 1009: the connection ends and reconnects
like after any drop, and the gap is recorded). A line longer than ``MAX_LINE_CHARS`` (Twitch
lines are under ~10 KB: 8 KB of tags plus 512 bytes) is still handed on whole, so it is stored
raw, but unparsed, with the error ``line too long``; an unterminated line that grows past
``MAX_LINE_CHARS`` across frames is handed on the same way and the buffer starts over.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Awaitable, Callable

import aiohttp

from .errors import AuthenticationError
from .events import parse_event
from .irc import IRCProtocol, LineReceived, ParseError, ProtocolState
from .models import RawLine, new_raw_line

__all__ = ["Connection", "LineCallback", "ClosedCallback"]

log = logging.getLogger(__name__)

LineCallback = Callable[["Connection", RawLine], Awaitable[None]]
ClosedCallback = Callable[["Connection", str], None]
_UTC = timezone.utc
MAX_FRAME_BYTES = 8 * 1024 * 1024
MAX_LINE_CHARS = 64 * 1024


class Connection:
    """One websocket to the IRC endpoint, logged in as ``nick`` (with ``token`` or anonymous)."""

    def __init__(self, connection_id: int, url: str, *, nick: str, token: str | None,
                 session: aiohttp.ClientSession, on_line: LineCallback,
                 on_closed: ClosedCallback | None = None, heartbeat: float | None = 30.0,
                 pong_timeout: float = 10.0, login_timeout: float = 15.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.id = connection_id
        self.url = url
        self.nick = nick
        self.protocol = IRCProtocol(nick=nick, token=token)
        self.heartbeat = heartbeat
        self.pong_timeout = pong_timeout
        self.login_timeout = login_timeout
        self.channels: set[str] = set()  # confirmed joins on this connection
        self.lines = 0
        self._session = session
        self._on_line = on_line
        self._on_closed = on_closed
        self._clock = clock
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._pong = asyncio.Event()
        self._reason: str | None = None
        self._logged_in: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    @property
    def is_open(self) -> bool:
        return not self.closed.done() and self._ws is not None and not self._ws.closed

    # --- opening ------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect and log in. Raises AuthenticationError on a fatal login NOTICE, and
        ConnectionError (or OSError / aiohttp errors) when the connection fails or closes."""
        timeout = aiohttp.ClientWSTimeout(ws_close=self.pong_timeout)
        self._ws = await self._session.ws_connect(self.url, timeout=timeout, autoping=True,
                                                  max_msg_size=MAX_FRAME_BYTES)
        self.protocol.initiate()
        await self._flush()
        self._tasks.append(asyncio.create_task(self._read_loop(), name=f"irc-read-{self.id}"))
        try:
            await asyncio.wait_for(asyncio.shield(self._logged_in), self.login_timeout)
        except BaseException:
            await self.close("login failed")
            raise
        if self.heartbeat:
            self._tasks.append(asyncio.create_task(self._keepalive(), name=f"irc-ping-{self.id}"))

    # --- reading ------------------------------------------------------------------------
    async def _read_loop(self) -> None:
        ws = self._ws
        assert ws is not None
        reason = "closed"
        try:
            while True:
                msg = await ws.receive()
                kind = msg.type
                if kind is aiohttp.WSMsgType.TEXT:
                    await self._feed(msg.data)
                elif kind is aiohttp.WSMsgType.BINARY:
                    await self._feed(msg.data.decode("utf-8", "replace"))
                elif kind is aiohttp.WSMsgType.ERROR:
                    reason = f"error frame: {ws.exception()!r}"
                    break
                elif kind in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING,
                              aiohttp.WSMsgType.CLOSED):
                    code = ws.close_code
                    reason = "eof (code 1006)" if code == 1006 else f"close frame (code {code})"
                    break
        except asyncio.CancelledError:
            reason = "cancelled"
            raise
        except Exception as exc:  # a broken transport: anything else is a bug in a hook
            reason = f"read error: {exc!r}"
            log.exception("connection %s: read loop failed", self.id)
        finally:
            self._finish(self._reason or reason)

    async def _feed(self, data: str) -> None:
        """Hand every line of one frame to the owner, in order; flush PONGs first."""
        protocol = self.protocol
        protocol.receive_data(data, self._clock())
        if protocol._outgoing:
            await self._flush()
        received_at = datetime.now(_UTC)
        on_line, conn_id = self._on_line, self.id
        items = protocol.events_received()
        if len(protocol._buffer) > MAX_LINE_CHARS:  # no end of line in sight: hand it on now
            items.append(LineReceived(protocol._buffer, None))
            protocol._buffer = ""
        for item in items:
            if len(item.line) > MAX_LINE_CHARS:
                item = LineReceived(item.line, None, ParseError(
                    f"line too long ({len(item.line)} > {MAX_LINE_CHARS} characters)", item.line))
            message = item.message
            event = None
            if message is not None:
                event = parse_event(message)
                if message.command == "PONG":
                    self._pong.set()
            self.lines += 1
            await on_line(self, new_raw_line(item.line, received_at, conn_id, message, item.error,
                                                 event, False))
        if not self._logged_in.done():
            self._check_login()

    def _check_login(self) -> None:
        state = self.protocol.state
        if state is ProtocolState.READY:
            self._logged_in.set_result(None)
        elif state is ProtocolState.FAILED:
            self._logged_in.set_exception(AuthenticationError(self.protocol.failure or "login failed"))

    # --- keepalive ----------------------------------------------------------------------
    async def _keepalive(self) -> None:
        """PING every ``heartbeat`` seconds; no PONG within ``pong_timeout`` -> dead."""
        assert self.heartbeat
        while self.is_open:
            await asyncio.sleep(self.heartbeat)
            self._pong.clear()
            self.protocol.ping(self._clock())
            await self._flush()
            try:
                await asyncio.wait_for(self._pong.wait(), self.pong_timeout)
            except asyncio.TimeoutError:
                log.warning("connection %s: no PONG within %.1fs", self.id, self.pong_timeout)
                asyncio.ensure_future(self.close(f"dead (no PONG within {self.pong_timeout}s)"))
                return

    # --- writing ------------------------------------------------------------------------
    async def _flush(self) -> None:
        out = self.protocol.data_to_send()
        ws = self._ws
        if out and ws is not None and not ws.closed:
            try:
                await ws.send_str("".join(out))
            except (ConnectionError, RuntimeError) as exc:
                log.info("connection %s: send failed: %r", self.id, exc)

    async def send(self, command: str, params: list[str], *, tags: dict[str, str] | None = None) -> str:
        """Format and send one line now (rate limiting is the caller's job); the line sent."""
        line = self.protocol.send(command, params, tags=tags)
        await self._flush()
        return line

    # --- closing ------------------------------------------------------------------------
    def _finish(self, reason: str) -> None:
        if self.closed.done():
            return
        self.protocol.close()
        if not self._logged_in.done():
            self._logged_in.set_exception(ConnectionError(f"connection closed during login: {reason}"))
            self._logged_in.exception()  # mark retrieved: open() may already have given up
        self.closed.set_result(reason)
        if self._on_closed is not None:
            self._on_closed(self, reason)

    async def close(self, reason: str = "closed by client") -> None:
        """Close the websocket (a close frame; an abort when the peer does not answer)."""
        if self._reason is None:
            self._reason = reason
        ws = self._ws
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current and task.get_name().startswith("irc-ping"):
                task.cancel()
        if ws is not None and not ws.closed:
            try:
                await ws.close()
            except Exception as exc:  # pragma: no cover - depends on the transport
                log.debug("connection %s: close: %r", self.id, exc)
        for task in self._tasks:
            if task is not current and not task.done():
                task.cancel()
        await asyncio.gather(*(t for t in self._tasks if t is not current), return_exceptions=True)
        self._finish(self._reason)

    def __repr__(self) -> str:
        return f"<Connection id={self.id} nick={self.nick} channels={len(self.channels)}>"
