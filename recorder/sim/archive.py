"""A recorded archive served through the simulator's IRC websocket (``simulate --from-db``).

Any client (TwitchIO, tmi.js, a chat overlay) logs in as usual and gets the server's own replies
(welcome numerics, its JOIN, NAMES, USERSTATE, ROOMSTATE). When a connection joins a recorded
channel it then receives that channel's recorded lines, from the beginning, exactly as stored
(tags intact; without tags if it did not ask for ``twitch.tv/tags``, and only the commands its
capabilities allow, as Twitch does), paced by the recorded gaps divided by ``speed`` (or as fast
as the socket takes them when ``speed`` is None). Lines that were replies to the recording
connection itself (its JOIN/PART, NAMES, USERSTATE, the full ROOMSTATE after its JOIN) are not
replayed: the server sends its own.

    async with Simulator(channel_names=names, traffic=False) as sim:
        async with ArchivePlayer("chat.db", speed=10) as player:
            player.attach(sim)
"""
from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime
from typing import Any, Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from recorder.client.irc import ParseError, parse_line
from recorder.replay import Sleep
from recorder.store.rawlog import read_raw_lines
from recorder.sim.connection import SimConnection
from recorder.store import schema
from recorder.store.db import make_engine

__all__ = ["ArchivePlayer", "recorded_channels", "SERVED_COMMANDS"]

#: What a joined connection receives from the archive (other commands were replies to the
#: recording connection, or not channel traffic).
SERVED_COMMANDS = frozenset({"PRIVMSG", "USERNOTICE", "CLEARCHAT", "CLEARMSG", "NOTICE",
                             "HOSTTARGET", "ROOMSTATE", "JOIN", "PART"})
_ANON = re.compile(r"^justinfan\d+$")
_FULL_ROOMSTATE = frozenset({"emote-only", "followers-only", "r9k", "slow", "subs-only"})
_MAX_QUEUED = 8  # batches waiting in a connection's outgoing queue before we wait for it
_FRAME = 200  # lines per frame at full speed


async def recorded_channels(engine: AsyncEngine) -> list[str]:
    """The channels that have lines in the archive, sorted."""
    t = schema.raw_lines
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(t.c.channel).where(t.c.channel.is_not(None)).distinct())
        return sorted(r[0] for r in rows)


def served_line(line: str) -> tuple[str, bool] | None:
    """(command, is_membership) if a recorded line is replayed to clients, else None."""
    try:
        message = parse_line(line)
    except ParseError:
        return None
    command = message.command
    if command not in SERVED_COMMANDS:
        return None
    if command in ("JOIN", "PART"):
        nick = message.nick or ""
        return None if _ANON.match(nick) else (command, True)
    if command == "ROOMSTATE" and _FULL_ROOMSTATE <= message.tags.keys():
        return None  # the state sent after the recorder's own JOIN
    return command, False


class ArchivePlayer:
    """Plays each recorded channel to every connection that joins it (see the module doc)."""

    def __init__(self, db: str | AsyncEngine, *, channels: Sequence[str] | None = None,
                 speed: float | None = None, batch_size: int = 1000, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.db, self.speed, self.batch_size = db, speed, batch_size
        self.sleep, self.clock = sleep, clock
        self.only = {c.strip().lstrip("#").lower() for c in channels or ()}
        self.channels: list[str] = []
        self.lines_sent = 0
        self._engine: AsyncEngine | None = db if isinstance(db, AsyncEngine) else None
        self._own_engine = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> "ArchivePlayer":
        if self._engine is None:
            self._engine, self._own_engine = make_engine(str(self.db)), True
        found = await recorded_channels(self._engine)
        missing = self.only - set(found)
        if missing:
            raise ValueError(f"no recorded lines for channel(s) {', '.join(sorted(missing))} "
                             f"(recorded: {', '.join(found) or 'none'})")
        self.channels = [c for c in found if not self.only or c in self.only]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._own_engine and self._engine is not None:
            await self._engine.dispose()

    def attach(self, sim: Any) -> None:
        """Serve through ``sim`` (a Simulator): its world knows the channels, and every JOIN to
        one of them starts a playback to that connection."""
        for channel in self.channels:
            sim.world.ensure_user(channel)  # joinable: a channel is a user's room
        sim.irc.join_hooks.append(self.on_join)

    def on_join(self, conn: SimConnection, channel: str) -> None:
        if channel in self.channels:
            task = asyncio.create_task(self._play(conn, channel), name=f"archive-{channel}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _play(self, conn: SimConnection, channel: str) -> None:
        assert self._engine is not None
        origin: tuple[datetime, float] | None = None
        frame: list[str] = []
        async for batch in read_raw_lines(self._engine, channels=[channel], batch_size=self.batch_size):
            for _id, received_at, line, _error in batch:
                if conn.closed or channel not in conn.channels:
                    return
                served = served_line(line)
                if served is None or not conn.wants(served[0], membership=served[1]):
                    continue
                if self.speed is not None:
                    origin = origin or (received_at, self.clock())
                    delay = ((received_at - origin[0]).total_seconds() / self.speed
                             - (self.clock() - origin[1]))
                    if delay > 0:
                        await self._send(conn, frame)
                        await self.sleep(delay)
                frame.append(conn.shape(line))
                if len(frame) >= _FRAME:
                    await self._send(conn, frame)
            await self._send(conn, frame)
        await self._send(conn, frame)

    async def _send(self, conn: SimConnection, frame: list[str]) -> None:
        """Queue ``frame`` on the connection (then empty it); wait while its queue is long."""
        if not frame:
            return
        while conn._queue.qsize() >= _MAX_QUEUED and not conn.closed:  # flow control
            await asyncio.sleep(0.001)
        if conn.send(frame):
            self.lines_sent += len(frame)
        frame.clear()
