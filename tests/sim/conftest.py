"""Fixtures for the simulator tests: a quiet simulator and a tiny raw IRC websocket client.

The test client parses every received line with OUR parser (``recorder.client.irc.parse_line``),
so a malformed line from the simulator fails the test that received it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from recorder.client.irc import IRCMessage, ParseError, parse_line
from recorder.sim.server import Simulator
from fakes import FakeClock

ALL_CAPS = "twitch.tv/tags twitch.tv/commands twitch.tv/membership"


class IRCTestClient:
    """A raw websocket IRC client that records frames and parsed lines.

    ``strict``: a line our parser refuses fails the test (else it is kept in ``raw`` only)."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse,
                 *, strict: bool = True) -> None:
        self.session, self.ws, self.strict = session, ws, strict
        self.frames: list[str] = []
        self.raw: list[str] = []
        self.messages: list[IRCMessage] = []
        self.errors: list[ParseError] = []
        self.closed = asyncio.Event()
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                self.frames.append(msg.data)
                assert msg.data.endswith("\r\n"), msg.data
                for line in msg.data[:-2].split("\r\n"):
                    self.raw.append(line)
                    try:
                        self.messages.append(parse_line(line))
                    except ParseError as exc:
                        if self.strict:
                            self.errors.append(exc)
                async with self._changed:
                    self._changed.notify_all()
        finally:
            self.closed.set()
            async with self._changed:
                self._changed.notify_all()

    async def send(self, *lines: str) -> None:
        await self.ws.send_str("".join(line + "\r\n" for line in lines))

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(
                lambda: predicate() or self.closed.is_set() or bool(self.errors)), timeout)
        assert not self.errors, f"our parser refused a simulator line: {self.errors[0]}"
        assert predicate(), f"connection closed first; got {self.raw[-5:]}"

    def of(self, command: str) -> list[IRCMessage]:
        return [m for m in self.messages if m.command == command]

    async def expect(self, command: str, count: int = 1, timeout: float = 10.0) -> list[IRCMessage]:
        await self.wait_for(lambda: len(self.of(command)) >= count, timeout)
        return self.of(command)

    async def sync(self, token: str = "sync") -> None:
        """Round-trip a PING: everything the server sent before the PONG has arrived."""
        await self.send(f"PING :{token}")
        await self.wait_for(lambda: any(m.command == "PONG" and m.params[-1] == token
                                        for m in self.messages))

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self.session.close()


async def connect(sim: Simulator, *, nick: str = "justinfan12345", password: str | None = None,
                  caps: str | None = ALL_CAPS, login: bool = True, strict: bool = True) -> IRCTestClient:
    """Open a websocket to ``sim`` and (unless ``login=False``) log in and wait for 376."""
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(sim.irc_url)
    client = IRCTestClient(session, ws, strict=strict)
    if login:
        lines = [f"CAP REQ :{caps}"] if caps else []
        if password is not None:
            lines.append(f"PASS {password}")
        await client.send(*lines, f"NICK {nick}")
        await client.expect("376")
    return client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[Simulator]:
    """A simulator without background traffic, on a fake clock."""
    async with Simulator(traffic=False, seed=1, clock=clock, users=500) as simulator:
        yield simulator


@pytest.fixture
async def clients() -> AsyncIterator[list[IRCTestClient]]:
    """A list to put test clients in; they are all closed at the end."""
    opened: list[IRCTestClient] = []
    yield opened
    for client in opened:
        await client.close()
