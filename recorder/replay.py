"""Replay a recorded archive through the client, as if it were live chat.

The stored ``raw_lines`` go, in id order and in batches (never all in memory), through the same
parser the live client uses and into ``Client.feed_line`` (what ``pool_line`` does): handlers written
against the client API receive the same events, with the ORIGINAL times (``RawLine.received_at``
and ``Message.timestamp``, which is the line's ``tmi-sent-ts``). ``wait_for`` works, because the
replay lets the handlers it started run one step before it dispatches the next line. A message
stored twice (the overlap of a RECONNECT handover) is dispatched once, by its ``id`` tag, as the
live client does.

For bot developers, in pytest::

    from recorder.replay import replay, replay_into

    class Bot(Client):
        async def event_message(self, message):
            ...

    async def test_bot_on_real_chat():
        bot = Bot()
        stats = await replay_into(bot, "chat.db", channels=["somechannel"],
                                  since="2024-05-01T18:00:00Z", until="2024-05-01T19:00:00Z")
        assert stats.messages > 0 and bot.seen == stats.messages

    async def test_with_the_context_manager():
        async with replay("chat.db", Bot) as r:   # a Client, a Client subclass, an object or module
            stats = await r.run()                 # with event_* coroutines
            assert r.client.seen

``speed``: ``"max"`` (as fast as possible, the default), ``"realtime"`` (the recorded gaps) or a
number N (the gaps divided by N). The clock and the sleep are arguments, for tests.
"""
from __future__ import annotations

import asyncio
import inspect
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from types import ModuleType
from typing import Any, Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from recorder.client.client import Client, Dispatcher
from recorder.client.events import parse_event
from recorder.client.irc import ParseError, parse_line
from recorder.client.models import RawLine, RecentIds, new_raw_line
from recorder.store.db import make_engine
from recorder.store.rawlog import read_raw_lines

__all__ = ["Replayer", "ReplayStats", "replay", "replay_into", "as_client", "parse_time",
           "parse_speed", "read_raw_lines"]

Sleep = Callable[[float], Awaitable[Any]]
_DEDUP = frozenset({"PRIVMSG", "USERNOTICE"})
_RECENT_IDS = 100_000


def parse_time(value: str | datetime | None) -> datetime | None:
    """An ISO 8601 time (``2024-05-01T18:00:00Z``, ``2024-05-01``) -> aware UTC; naive is UTC.
    Raises ValueError with a one-line reason."""
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {value!r} (e.g. 2024-05-01T18:00:00Z)") from None
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_speed(value: str | float | int | None) -> float | None:
    """``"max"``/None -> None (no pacing); ``"realtime"`` -> 1.0; ``"N"`` -> N (> 0)."""
    if value is None or value == "max":
        return None
    if value == "realtime":
        return 1.0
    try:
        speed = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"speed must be max, realtime or a positive number, not {value!r}") from None
    if not speed > 0 or speed == float("inf"):
        raise ValueError(f"speed must be max, realtime or a positive number, not {value!r}")
    return speed


def as_client(handler: Any) -> Client:
    """The Client that dispatches to ``handler``: a Client (or Dispatcher) as is, a Client
    subclass instantiated without arguments, an object/module whose ``event_*`` coroutine
    functions are registered on a plain Client, or one such coroutine function."""
    if isinstance(handler, Dispatcher):
        return handler  # type: ignore[return-value]
    if inspect.isclass(handler) and issubclass(handler, Dispatcher):
        return handler()
    if inspect.iscoroutinefunction(handler) and handler.__name__.startswith("event_"):
        found = {handler.__name__: handler}  # one handler function, registered by its name
    else:
        found = {name: getattr(handler, name) for name in dir(handler) if name.startswith("event_")}
    coroutines = {n: f for n, f in found.items() if inspect.iscoroutinefunction(f)}
    if not coroutines:
        kind = "module" if isinstance(handler, ModuleType) else type(handler).__name__
        raise TypeError(f"{kind} {getattr(handler, '__name__', handler)!r} has no event_* "
                        "coroutines and is not a Client")
    client = Client()
    for name, func in coroutines.items():
        client.add_event(func, name)
    return client


@dataclass
class ReplayStats:
    """What one replay did."""

    lines: int = 0  # raw lines read
    events: int = 0  # lines dispatched to the client (parsed, not duplicates)
    messages: int = 0  # PRIVMSG lines dispatched (event_message)
    duplicates: int = 0  # PRIVMSG/USERNOTICE ids seen before: not dispatched again
    malformed: int = 0  # lines that did not parse (dispatched to event_error, as live)
    first_at: datetime | None = None
    last_at: datetime | None = None

    def summary(self) -> str:
        """One line: events, messages, time span."""
        span = ("no lines" if self.first_at is None or self.last_at is None else
                f"{self.first_at.isoformat(timespec='seconds')} .. "
                f"{self.last_at.isoformat(timespec='seconds')} "
                f"({(self.last_at - self.first_at).total_seconds():.1f} s)")
        return (f"replayed {self.events} events ({self.messages} messages, {self.duplicates} "
                f"duplicates skipped, {self.malformed} malformed) from {self.lines} lines; {span}")


class Replayer:
    """Stored lines -> parser -> a Client, in order. See the module docstring.

    ``db`` is a path, a URL or an :class:`AsyncEngine` (not disposed here). Use as an async
    context manager, or call :meth:`run` directly (it opens and closes the engine itself).
    """

    def __init__(self, db: str | AsyncEngine, *, channels: Sequence[str] | None = None,
                 since: str | datetime | None = None, until: str | datetime | None = None,
                 speed: str | float | None = "max", batch_size: int = 5000,
                 sleep: Sleep = asyncio.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.channels = [c.strip().lstrip("#").lower() for c in channels or ()] or None
        self.since, self.until = parse_time(since), parse_time(until)
        self.speed = parse_speed(speed)
        self.batch_size, self.sleep, self.clock = batch_size, sleep, clock
        self._engine: AsyncEngine | None = db if isinstance(db, AsyncEngine) else None
        self._own_engine = False

    async def __aenter__(self) -> "Replayer":
        if self._engine is None:
            self._engine, self._own_engine = make_engine(str(self.db)), True
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._own_engine and self._engine is not None:
            await self._engine.dispose()
            self._engine, self._own_engine = None, False

    async def run(self, handler: Any) -> ReplayStats:
        """Dispatch every selected line to ``handler`` (see :func:`as_client`); wait for the
        handlers it started; the counts."""
        client = as_client(handler)
        if self._engine is None:
            async with self:
                return await self.run(client)
        stats = ReplayStats()
        recent = RecentIds(_RECENT_IDS)
        pace = _Pacer(self.speed, self.sleep, self.clock)
        client.pool_ready(True)  # event_ready, as after a live login
        tasks = client._tasks  # the dispatcher's running handler tasks
        feed = client.feed_line
        async for batch in read_raw_lines(self._engine, channels=self.channels, since=self.since,
                                          until=self.until, batch_size=self.batch_size):
            for _id, received_at, line, _error in batch:
                if pace.speed is not None:
                    await pace.wait(received_at)
                if feed(_raw_line(line, received_at, recent, stats)):
                    await client.drain()  # max_concurrent_handlers running: wait, as live
                if tasks:  # let new handlers run a step (register waiters) as the read loop would
                    await asyncio.sleep(0)
            stats.lines += len(batch)
            if stats.first_at is None:
                stats.first_at = batch[0][1]
            stats.last_at = batch[-1][1]
        while tasks:
            await asyncio.gather(*list(tasks), return_exceptions=True)
        return stats


def _raw_line(line: str, received_at: datetime, recent: RecentIds,
              stats: ReplayStats) -> RawLine:
    """Parse a stored line as the connection would; mark a repeated message id duplicate."""
    try:
        message = parse_line(line)
    except ParseError as exc:
        stats.malformed += 1
        return new_raw_line(line, received_at, 0, None, exc, None, False)
    command = message.command
    if command in _DEDUP:
        msg_id = _message_id(message.tag_text)
        if msg_id and recent.seen(msg_id):
            stats.duplicates += 1
            return new_raw_line(line, received_at, 0, message, None, parse_event(message), True)
        if command == "PRIVMSG":
            stats.messages += 1
    stats.events += 1
    return new_raw_line(line, received_at, 0, message, None, parse_event(message), False)


def _message_id(tags: str) -> str | None:
    """The ``id`` tag read straight from a line's tag text (ids are never escaped): parsing
    every tag of every line just for this would halve the replay rate."""
    if tags.startswith("id="):
        start = 3
    else:
        at = tags.find(";id=")
        if at < 0:
            return None
        start = at + 4
    stop = tags.find(";", start)
    return (tags[start:stop] if stop >= 0 else tags[start:]) or None


class _Pacer:
    """Sleeps so that line k goes out (received_at_k - received_at_0) / speed after the first."""

    def __init__(self, speed: float | None, sleep: Sleep, clock: Callable[[], float]) -> None:
        self.speed, self.sleep, self.clock = speed, sleep, clock
        self._origin: tuple[datetime, float] | None = None

    async def wait(self, at: datetime) -> None:
        if self._origin is None:
            self._origin = (at, self.clock())
            return
        first, start = self._origin
        delay = (at - first).total_seconds() / self.speed - (self.clock() - start)  # type: ignore[operator]
        if delay > 0:
            await self.sleep(delay)


class replay:  # noqa: N801 - used like a function: ``async with replay(db, handler) as r``
    """``async with replay(db, handler, **options) as r: stats = await r.run()``; ``r.client``
    is the Client the handler was wrapped in (options as :class:`Replayer`)."""

    def __init__(self, db: str | AsyncEngine, handler: Any, **options: Any) -> None:
        self.client = as_client(handler)
        self.replayer = Replayer(db, **options)

    async def __aenter__(self) -> "replay":
        await self.replayer.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.replayer.__aexit__(*exc)

    async def run(self) -> ReplayStats:
        return await self.replayer.run(self.client)


async def replay_into(handler: Any, db: str | AsyncEngine, **options: Any) -> ReplayStats:
    """Replay the archive ``db`` into ``handler`` (options as :class:`Replayer`); the counts."""
    async with Replayer(db, **options) as replayer:
        return await replayer.run(handler)
