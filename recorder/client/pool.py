"""Many connections of one account: channel placement, the JOIN limiter, reconnects and rejoins.

The pool is cut into *shards*: a shard owns at most ``channels_per_connection`` channels and one
live :class:`~.connection.Connection` at a time, driven by a supervisor task that never gives up::

    open (backoff + full jitter on failure) -> join EVERY channel of the shard -> ready
        -> wait: connection lost       -> "disconnected", backoff, open again, rejoin all
                 RECONNECT received    -> "reconnect_requested", open a new connection and
                                          join its channels BEFORE closing the old one

All joins (initial, later, rejoins) go through ONE :class:`~.limiter.JoinLimiter`. A join is
confirmed by our own JOIN echo and fails on ``msg_channel_suspended`` or after ``join_timeout``.
While an old and a new connection overlap, PRIVMSG / USERNOTICE lines whose ``id`` was already
seen are marked ``duplicate`` (a bounded recent-id set) so the owner dispatches them once.
A fatal login failure ends the pool: :attr:`fatal` holds the AuthenticationError.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field, replace
from typing import Iterable, Protocol

import aiohttp

from .backoff import ExponentialBackoff
from .connection import Connection
from .errors import AuthenticationError, JoinFailed
from .limiter import JoinLimiter
from .models import ConnectionEvent, RawLine, RecentIds

__all__ = ["ConnectionPool", "PoolOwner", "PoolSettings"]

log = logging.getLogger(__name__)
_ids = itertools.count(1)
_DEDUP = frozenset({"PRIVMSG", "USERNOTICE"})


class PoolOwner(Protocol):
    """What the pool reports to (the Client)."""

    async def pool_line(self, raw: RawLine) -> None: ...
    def pool_event(self, event: ConnectionEvent) -> None: ...
    def pool_ready(self, ready: bool) -> None: ...


@dataclass
class PoolSettings:
    url: str
    nick: str
    token: str | None = None
    channels_per_connection: int = 50
    join_timeout: float = 10.0
    heartbeat: float | None = 30.0
    pong_timeout: float = 10.0
    login_timeout: float = 15.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    reconnect_grace: float = 2.0
    recent_ids: int = 10_000


@dataclass(eq=False)
class Shard:
    id: int
    channels: set[str] = field(default_factory=set)
    conn: Connection | None = None  # the live connection, once its rejoin has started
    wakeup: asyncio.Future[str] | None = None
    task: asyncio.Task[None] | None = None


class ConnectionPool:
    """The account's connections; ``start`` logs in, ``join`` / ``part`` place channels."""

    def __init__(self, settings: PoolSettings, owner: PoolOwner, limiter: JoinLimiter,
                 session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.owner = owner
        self.limiter = limiter
        self.session = session
        self.shards: list[Shard] = []
        self.fatal: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.reconnects = 0
        self._waiters: dict[tuple[int, str], asyncio.Future[None]] = {}
        self._outcomes: dict[str, asyncio.Future[bool]] = {}
        self._unready: set[int] = set()
        self._joining: set[tuple[int, str]] = set()
        self.ready = asyncio.Event()
        self._overlaps = 0
        self._retiring: set[asyncio.Task[None]] = set()  # held: the loop keeps tasks weakly
        self._recent = RecentIds(self.settings.recent_ids)
        self._closing = False
        self._open: set[Connection] = set()

    # --- public ---------------------------------------------------------------------------
    @property
    def connections(self) -> list[Connection]:
        return [s.conn for s in self.shards if s.conn is not None and s.conn.is_open]

    @property
    def joined(self) -> set[str]:
        return {ch for conn in self.connections for ch in conn.channels}

    async def start(self, channels: Iterable[str]) -> None:
        """Open the first connection(s) and join ``channels``; return once every shard is
        logged in and its joins are resolved. Raises AuthenticationError on a fatal login."""
        wanted = [c for c in dict.fromkeys(_norm(c) for c in channels) if c]
        self._place(wanted)
        if not self.shards:
            self._new_shard()
        self._unready = {s.id for s in self.shards}
        ready = asyncio.ensure_future(self.ready.wait())
        try:
            await asyncio.wait({ready, self.fatal}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
        if self.fatal.done():
            self.fatal.result()

    async def join(self, channels: Iterable[str]) -> dict[str, bool]:
        """Place and join ``channels``; the outcome per channel (True joined, False failed)."""
        joined = self.joined
        names = [c for c in dict.fromkeys(_norm(c) for c in channels) if c and c not in joined]
        for shard in self._place(names):
            conn = shard.conn
            if conn is not None and conn.is_open:
                for channel in names:
                    if (channel in shard.channels and channel not in conn.channels
                            and (conn.id, channel) not in self._joining):
                        self._spawn_join(shard, conn, channel)
        futures = {c: self._outcome(c) for c in names}
        results = {c: True for c in channels if _norm(c) in joined}
        results.update({c: await f for c, f in futures.items()})
        return results

    async def part(self, channels: Iterable[str]) -> None:
        """Leave ``channels`` (they are no longer rejoined)."""
        for channel in (_norm(c) for c in channels):
            outcome = self._outcomes.pop(channel, None)
            if outcome is not None and not outcome.done():  # parted before the join resolved
                outcome.set_result(False)
            for shard in self.shards:
                if channel in shard.channels:
                    shard.channels.discard(channel)
                    if shard.conn is not None and shard.conn.is_open:
                        await shard.conn.send("PART", [f"#{channel}"])

    def connection_for(self, channel: str | None) -> Connection | None:
        """The live connection that has ``channel`` (any live one when None / not joined)."""
        live = [s.conn for s in self.shards if s.conn is not None and s.conn.is_open]
        for conn in live:
            if channel in conn.channels:
                return conn
        return live[0] if live else None

    async def close(self) -> None:
        """Stop every supervisor and close every connection (each reports "disconnected")."""
        self._closing = True
        for shard in self.shards:
            if shard.task is not None:
                shard.task.cancel()
        await asyncio.gather(*(s.task for s in self.shards if s.task), return_exceptions=True)
        await asyncio.gather(*(c.close() for c in list(self._open)), return_exceptions=True)

    # --- placement ------------------------------------------------------------------------
    def _place(self, channels: list[str]) -> set[Shard]:
        touched: set[Shard] = set()
        limit = self.settings.channels_per_connection
        for channel in channels:
            owner = next((s for s in self.shards if channel in s.channels), None)
            if owner is None:
                owner = next((s for s in self.shards if len(s.channels) < limit), None)
                owner = owner or self._new_shard()
                owner.channels.add(channel)
            touched.add(owner)
        return touched

    def _new_shard(self) -> Shard:
        shard = Shard(len(self.shards) + 1)
        self.shards.append(shard)
        shard.task = asyncio.create_task(self._supervise(shard), name=f"irc-shard-{shard.id}")
        return shard

    def _outcome(self, channel: str) -> asyncio.Future[bool]:
        future = self._outcomes.get(channel)
        if future is None or future.done():
            future = self._outcomes[channel] = asyncio.get_running_loop().create_future()
        return future

    # --- the supervisor -------------------------------------------------------------------
    async def _supervise(self, shard: Shard) -> None:
        settings = self.settings
        backoff = ExponentialBackoff(settings.backoff_base, settings.backoff_max)
        old: Connection | None = None
        while not self._closing:
            conn = await self._connect(shard, backoff)
            if conn is None:
                return
            if old is not None:
                self._overlaps += 1
            shard.conn = conn
            await self._join_all(shard, conn)
            if old is not None:
                retiring = asyncio.create_task(self._retire(old))
                self._retiring.add(retiring)
                retiring.add_done_callback(self._retiring.discard)
                old = None
            if conn.is_open:
                backoff.reset()
                self._set_ready(shard, True)
            assert shard.wakeup is not None
            why = await shard.wakeup
            self._set_ready(shard, False)
            self.reconnects += 1
            if why == "reconnect" and conn.is_open:
                old, shard.conn = conn, None
            else:
                await asyncio.sleep(backoff.next_delay())

    async def _retire(self, old: Connection) -> None:
        """Let the replaced connection drain (the server closes it after RECONNECT) for at most
        ``reconnect_grace`` seconds, then close it; duplicates are marked until then."""
        try:
            await asyncio.wait_for(asyncio.shield(old.closed), self.settings.reconnect_grace)
        except asyncio.TimeoutError:
            await old.close("replaced after RECONNECT")
        finally:
            self._overlaps -= 1
            if not self._overlaps:
                self._recent.clear()

    async def _connect(self, shard: Shard, backoff: ExponentialBackoff) -> Connection | None:
        """A logged-in connection, retried with backoff forever; None after a fatal failure."""
        s = self.settings
        while not self._closing:
            conn = Connection(next(_ids), s.url, nick=s.nick, token=s.token, session=self.session,
                              on_line=self._on_line, on_closed=self._on_closed, heartbeat=s.heartbeat,
                              pong_timeout=s.pong_timeout, login_timeout=s.login_timeout)
            shard.wakeup = asyncio.get_running_loop().create_future()
            setattr(conn, "shard", shard)
            try:
                await conn.open()
            except AuthenticationError as exc:
                if not self.fatal.done():
                    self.fatal.set_exception(exc)
                return None
            except (OSError, aiohttp.ClientError, ConnectionError, asyncio.TimeoutError) as exc:
                delay = backoff.next_delay()
                log.info("connect failed (%r); retrying in %.2fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            self._open.add(conn)
            self._emit("connected", conn, detail=f"nick={conn.nick}")
            return conn
        return None

    def _set_ready(self, shard: Shard, ready: bool) -> None:
        was_ready = self.ready.is_set()
        (self._unready.discard if ready else self._unready.add)(shard.id)
        now_ready = not self._unready
        if now_ready:
            self.ready.set()
        else:
            self.ready.clear()
        if was_ready != now_ready:
            self.owner.pool_ready(now_ready)

    # --- joins ----------------------------------------------------------------------------
    async def _join_all(self, shard: Shard, conn: Connection) -> None:
        tasks = [self._spawn_join(shard, conn, ch) for ch in sorted(shard.channels)]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn_join(self, shard: Shard, conn: Connection, channel: str) -> asyncio.Task[None]:
        self._outcome(channel)
        self._joining.add((conn.id, channel))
        task = asyncio.create_task(self._join(shard, conn, channel), name=f"join-{channel}")
        task.add_done_callback(lambda _: self._joining.discard((conn.id, channel)))
        return task

    async def _join(self, shard: Shard, conn: Connection, channel: str) -> None:
        await self.limiter.acquire()
        if not conn.is_open or channel not in shard.channels:
            return
        key = (conn.id, channel)
        waiter = self._waiters[key] = asyncio.get_running_loop().create_future()
        try:
            await conn.send("JOIN", [f"#{channel}"])
            await asyncio.wait_for(waiter, self.settings.join_timeout)
        except (JoinFailed, asyncio.TimeoutError) as exc:
            reason = exc.reason if isinstance(exc, JoinFailed) else "timeout"
            if conn.is_open:  # a lost connection is not a failed join: it will be rejoined
                shard.channels.discard(channel)
                self._emit("join_failed", conn, channel, reason)
                self._resolve(channel, False)
            return
        except ConnectionError:
            return
        finally:
            self._waiters.pop(key, None)
        self._emit("joined", conn, channel)
        self._resolve(channel, True)

    def _resolve(self, channel: str, joined: bool) -> None:
        future = self._outcomes.get(channel)
        if future is not None and not future.done():
            future.set_result(joined)

    # --- lines and closures from connections ----------------------------------------------
    async def _on_line(self, conn: Connection, raw: RawLine) -> None:
        message = raw.message
        if message is not None:
            command = message.command
            if command in _DEDUP:
                if self._overlaps and self._seen(message.tags.get("id")):
                    raw = replace(raw, duplicate=True)
            elif command == "JOIN" or command == "PART" or command == "NOTICE":
                self._membership(conn, command, message)
            elif command == "RECONNECT":
                self._emit("reconnect_requested", conn)
                self._wake(conn, "reconnect")
        await self.owner.pool_line(raw)

    def _seen(self, msg_id: str | None) -> bool:
        if not msg_id:
            return False
        return self._recent.seen(msg_id)

    def _membership(self, conn: Connection, command: str, message) -> None:  # type: ignore[no-untyped-def]
        channel = message.channel
        if channel is None:
            return
        if command == "NOTICE":
            if message.tags.get("msg-id") == "msg_channel_suspended":
                self._fail_waiter(conn, channel, JoinFailed(channel, "msg_channel_suspended"))
        elif (message.nick or "").lower() == conn.nick:
            if command == "JOIN":
                conn.channels.add(channel)
                waiter = self._waiters.get((conn.id, channel))
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
            elif channel in conn.channels:
                conn.channels.discard(channel)
                self._emit("parted", conn, channel)

    def _fail_waiter(self, conn: Connection, channel: str, exc: BaseException) -> None:
        waiter = self._waiters.get((conn.id, channel))
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def _on_closed(self, conn: Connection, reason: str) -> None:
        if conn in self._open:  # a connection that never logged in was never "connected"
            self._open.discard(conn)
            self._emit("disconnected", conn, detail=reason)
        for (conn_id, channel), waiter in list(self._waiters.items()):
            if conn_id == conn.id and not waiter.done():
                waiter.set_exception(ConnectionError(reason))
        self._wake(conn, "closed")

    def _wake(self, conn: Connection, why: str) -> None:
        shard: Shard | None = getattr(conn, "shard", None)
        if shard is not None and shard.conn is conn and shard.wakeup and not shard.wakeup.done():
            shard.wakeup.set_result(why)

    def _emit(self, kind: str, conn: Connection, channel: str | None = None,
              detail: str | None = None) -> None:
        self.owner.pool_event(ConnectionEvent.now(kind, conn.id, channel, detail))


def _norm(channel: str) -> str:
    return channel.strip().lstrip("#").lower()
