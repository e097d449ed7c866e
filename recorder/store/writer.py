"""The single writer: one task owns the database writes, fed by a bounded queue.

``submit`` never blocks and never drops while there is somewhere to keep a record. Records wait
in memory (up to ``max_queue``), past that in the spool file (:mod:`recorder.store.spool`); if
the spool file cannot be written either (a full disk), up to ``max_held`` more are held in memory
after it, and only past that are records counted lost (``stats.dropped``, logged, and shown by
the status view). They are committed in batches of at most
``max_batch_lines`` items or ``max_batch_delay`` seconds, whichever comes first. A raw line and
the projection rows made from it are always in the same transaction.

A burst (the database answering, but slower than lines arrive) fills memory first: then
``reading`` (an :class:`asyncio.Event` the recorder hands to the client as its reading gate) is
cleared, and reading waits, at the next line, until a batch has been taken out of memory, at
most ``max_pause`` seconds (default :data:`PAUSE_MAX`); after that, or while the database is
failing, reading goes on and records spill to the spool as above. A pause costs nothing but a
moment of TCP backpressure; a spill costs encoding each record, a write and an fsync, and reading
and decoding it back.

Failures:
- the database is unreachable (refused, gone, locked): keep the batch, retry with exponential
  backoff (``retry_initial`` doubling up to ``retry_max``), keep queueing, spill to the spool;
- the batch itself is bad (a constraint, a value the driver rejects): split it in halves until
  the bad record is alone, store that raw line without its rows and with the error in
  ``parse_error``, report through ``on_error``; raw lines are never lost for bad rows.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import insert, text, update
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from recorder.store import schema, sqlite_bulk
from recorder.store.bulk import escape_text, insert_groups
from recorder.store.db import sqlite_file
from recorder.store.records import (  # noqa: F401 (RawRecord & co. are imported from here too)
    ConnectionEvent, Item, RawRecord, SessionEnd, decode_item, encode_item, load_doc,
)
from recorder.store.spool import Spool, SpoolError
from recorder.store.sqlite_proc import ChildLost, SQLiteProcess, pack_batch

log = logging.getLogger(__name__)

#: With the SQLite child process: lines worth handing over as soon as the child is free.
HANDOVER_LINES = 500
#: Records held in memory because the spool file could not be written: seconds between tries
#: to move them into it, and how many a try moves.
SPOOL_RETRY = 1.0
UNHOLD_BATCH = 20_000
#: Longest wait of reading for room in memory while the database keeps up (a burst).
PAUSE_MAX = 1.0
_TAIL = "tail"
RAW_COLUMNS = ("id", "session_id", "received_at", "channel", "command", "line", "parse_error")


@dataclass
class WriterStats:
    queue_depth: int = 0  # items in memory
    held: int = 0  # of which held because the spool file could not be written (a full disk)
    spool_pending: int = 0  # items in the spool file, not yet committed
    spooled: int = 0  # items ever sent to the spool
    lines_written: int = 0
    rows_written: int = 0  # projection rows offered to the database (duplicates included)
    events_written: int = 0
    batches: int = 0
    max_batch_items: int = 0
    retries: int = 0
    data_errors: int = 0
    dropped: int = 0
    read_pauses: int = 0  # times reading waited for room in memory (a burst, not an outage)
    last_error: str | None = None


class _Transient(Exception):
    """The database could not be reached; the same work is retried later."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def is_data_error(exc: BaseException, dialect: str) -> bool:
    """True when ``exc`` is about the values sent, not about reaching the database."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return False
        if dialect == "sqlite":
            return not isinstance(exc, OperationalError)
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        return sqlstate[:2] in ("22", "23")
    if isinstance(exc, StatementError):  # a Python value the column type refused
        return True
    sqlstate = getattr(exc, "sqlstate", None)  # asyncpg errors from the COPY path
    if isinstance(sqlstate, str):
        return sqlstate[:2] in ("22", "23")
    return isinstance(exc, (ValueError, TypeError, KeyError))


class Writer:
    """Batches records into the database from one task. See the module docstring.

    ``process``: on a SQLite file, commit in a child process (:mod:`recorder.store.sqlite_proc`)
    so that the database has a core of its own (``recorder run`` does).
    """

    def __init__(self, engine: AsyncEngine, *, max_batch_lines: int = 5000,
                 max_batch_delay: float = 0.25, max_queue: int = 100_000,
                 spool_path: Path | None = None, clock: Callable[[], float] = time.monotonic,
                 retry_initial: float = 0.5, retry_max: float = 10.0,
                 on_error: Callable[[BaseException, str], None] | None = None,
                 process: bool = False, max_held: int | None = None,
                 max_pause: float = PAUSE_MAX) -> None:
        self._engine = engine
        self._proc: SQLiteProcess | None = None
        self._want_process = process and sqlite_file(engine) is not None
        self._dialect = engine.dialect.name
        self._max_lines, self._max_delay, self._max_queue = max_batch_lines, max_batch_delay, max_queue
        self._clock, self._retry_initial, self._retry_max = clock, retry_initial, retry_max
        self._on_error = on_error
        self._spool_path = Path(spool_path) if spool_path is not None else None
        self._spool: Spool | None = None
        self._mem: collections.deque[Item] = collections.deque()
        # items the spool file could not take (a full disk): after what the file holds, in
        # memory, at most ``max_held`` (default ``max_queue``) more; beyond that they are lost
        self._held: collections.deque[Item] = collections.deque()
        self._max_held = max_queue if max_held is None else max_held
        self._spool_down = False
        self._spool_retry_at = 0.0  # when to try the spool file again for held items
        self._lost = 0  # records given up (past max_held): never committed, flush() skips them
        self._oldest = 0.0
        self._submitted = self._done = 0
        self._flushers = 0
        self._closing = self._closed = False
        self._wakeup = asyncio.Event()
        self._progress = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._inflight: list[Item] = []
        self._spent: list[Item] | None = None  # the last batch written, until it is freed
        # process mode: the next batch, taken from memory and packed while the child commits
        # the one before (so that the child never waits for the parent to pack)
        self._ready: list[Item] = []
        self._ready_blob: tuple[bytes, int, int] | None = None
        self._inflight_from_spool = False
        self._inflight_committed = 0
        self._attempt_id: int | None = None
        self._stats = WriterStats()
        #: Set while reading may go on; cleared while memory is full and the database keeps up.
        self.reading = asyncio.Event()
        self.reading.set()
        self._max_pause = max_pause
        self._pause_timer: asyncio.TimerHandle | None = None
        self._failing = False  # the last attempt to reach the database failed

    @property
    def stats(self) -> WriterStats:
        self._stats.queue_depth = len(self._mem) + len(self._ready) + len(self._held)
        self._stats.held = len(self._held)
        self._stats.spool_pending = self._spool.pending if self._spool else 0
        return self._stats

    # --- public API -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the writer task (picking up a spool left by an earlier run first)."""
        if self._spool_path is not None:
            self._spool = Spool(self._spool_path, sync_every=self._max_lines,
                                sync_interval=self._max_delay, clock=self._clock, decode=load_doc)
            self._submitted += self._spool.pending
        if self._want_process and self._proc is None:
            self._proc = SQLiteProcess(sqlite_file(self._engine))  # type: ignore[arg-type]
            try:
                await self._proc.start()
            except Exception as exc:  # no child process here: commit in this one
                log.warning("SQLite writer process unavailable (%s); writing in-process", exc)
                await self._proc.close(final=True)
                self._proc = None
        self._task = asyncio.create_task(self._run(), name="recorder-writer")

    def submit(self, record: RawRecord) -> None:
        """Queue one raw line (and its rows). Never blocks, never drops."""
        self._enqueue(record)

    def connection_event(self, session_id: int | None, kind: str, channel: str | None = None,
                         detail: str | None = None, at: datetime | None = None) -> None:
        """Queue a ``connection_events`` row, written in order with the lines."""
        self._enqueue(ConnectionEvent(session_id, kind, channel, detail, at or _now()))

    async def start_session(self, *, server_url: str, nick: str, version: str) -> int:
        """Insert a ``sessions`` row (retrying while the database is unreachable); its id."""
        stmt = insert(schema.sessions).values(started_at=_now(), server_url=server_url,
                                              nick=nick, version=version)
        delay = self._retry_initial
        while True:
            try:
                async with self._engine.begin() as conn:
                    return (await conn.execute(stmt.returning(schema.sessions.c.id))).scalar_one()
            except Exception as exc:
                if is_data_error(exc, self._dialect):
                    raise
                self._note_error(exc, "start_session")
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)

    async def end_session(self, session_id: int) -> None:
        """Mark the session ended, after everything queued before it is written."""
        self._enqueue(SessionEnd(session_id, _now()))
        await self.flush()

    async def flush(self) -> None:
        """Return once everything submitted so far is committed (but records counted lost)."""
        target = self._submitted - self._lost
        self._flushers += 1
        self._wakeup.set()
        try:
            while self._done < target:
                if self._task is None or self._task.done():
                    raise RuntimeError("the writer is not running") from (
                        self._task.exception() if self._task and not self._task.cancelled() else None)
                self._progress.clear()
                await self._progress.wait()
        finally:
            self._flushers -= 1

    async def close(self, timeout: float | None = None) -> None:
        """Flush and stop. After ``timeout`` seconds (database still down), stop anyway: what
        is not written goes to the spool file when there is one (else it is counted lost)."""
        if self._closed:
            return
        self._closing = True
        self._wakeup.set()
        self._resume_reading()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            except asyncio.TimeoutError:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
                await self._settle_child()
                self._save_unwritten()
        if self._spool is not None:
            self._spool.close()
        if self._proc is not None:
            await self._proc.close(final=True)
        self._closed = True

    # --- queue ------------------------------------------------------------------------------

    def _enqueue(self, item: Item) -> None:
        if self._closing:
            raise RuntimeError("writer is closed")
        self._submitted += 1
        spool = self._spool
        if spool is not None and (spool.pending or self._held or len(self._mem) >= self._max_queue):
            if self._held and self._clock() >= self._spool_retry_at:
                self._unhold()  # the file may take them again (room was made on the disk)
            if self._held:  # once items are held, the next ones queue behind them
                self._hold(item)
            else:
                try:
                    self._stats.spooled += 1
                    spool.append(encode_item(item))
                except SpoolError as exc:  # this item is among the lines handed back
                    self._spool_failed(exc)
        else:
            if not self._mem:
                self._oldest = self._clock()
            self._mem.append(item)
            if (len(self._mem) >= self._max_queue and not self._failing and self._max_pause > 0
                    and self.reading.is_set()):
                self._pause_reading()
        self._wakeup.set()

    def _pause_reading(self) -> None:
        self._stats.read_pauses += 1
        self.reading.clear()
        self._pause_timer = asyncio.get_running_loop().call_later(self._max_pause,
                                                                  self._resume_reading)

    def _resume_reading(self) -> None:
        if self._pause_timer is not None:
            self._pause_timer.cancel()
            self._pause_timer = None
        self.reading.set()

    def _spool_failed(self, exc: SpoolError) -> None:
        """The spool file could not be written: hold the lines it handed back, in memory."""
        assert self._spool is not None
        back = [decode_item(self._spool.decode(line)) for line in exc.lines]
        self._stats.spooled -= len(back)
        self._held.extendleft(reversed(back))  # older than anything held already
        self._spool_retry_at = self._clock() + SPOOL_RETRY
        if not self._spool_down:
            self._spool_down = True
            log.error("the spool file %s cannot be written (%s): up to %d records are held in "
                      "memory until the database is back", self._spool.path, exc, self._max_held)

    def _unhold(self) -> None:
        """Move held items into the spool file, oldest first (they are newer than what it
        holds), at most ``UNHOLD_BATCH`` now; what it refuses goes back to the front."""
        assert self._spool is not None
        held = self._held
        try:
            for _ in range(min(len(held), UNHOLD_BATCH)):
                item = held.popleft()
                self._stats.spooled += 1
                self._spool.append(encode_item(item))  # on failure, among the lines handed back
            self._spool.sync()
        except SpoolError as exc:
            self._spool_failed(exc)
            return
        self._spool_retry_at = self._clock() + SPOOL_RETRY
        self._held_cleared()

    def _held_cleared(self) -> None:
        """Once nothing is held any more (moved to the spool file, or written), say so."""
        if not self._held and self._spool_down:
            self._spool_down = False
            log.warning("records held in memory while the spool file %s could not be written "
                        "are in the file or the database now", self._spool_path)

    def _hold(self, item: Item) -> None:
        if len(self._held) < self._max_held:
            self._held.append(item)
            return
        self._lost += 1
        self._stats.dropped += 1
        if self._lost % 10_000 == 1:
            log.error("database and spool file both unavailable and %d records held: %d records "
                      "lost so far", len(self._held), self._lost)

    def _take(self, queue: collections.deque[Item] | None = None) -> list[Item]:
        """The oldest items of ``queue`` (default: memory), one batch's worth."""
        queue = self._mem if queue is None else queue
        items = [queue.popleft() for _ in range(min(len(queue), self._max_lines))]
        if not self.reading.is_set():
            self._resume_reading()
        return items

    async def _next_batch(self) -> tuple[list[Item], int | None] | None:
        """Items to write next and, when they come from the spool, the offset after them."""
        while True:
            if self._ready:
                items, self._ready = self._ready, []
                return items, None
            if self._mem:
                wait = self._oldest + self._max_delay - self._clock()
                if (len(self._mem) >= self._max_lines or self._flushers or self._closing
                        or wait <= 0
                        or (self._proc is not None and len(self._mem) >= HANDOVER_LINES)):
                    # a child process commits while this one reads on: hand it what there is
                    # as soon as it is free (less work left when the lines stop)
                    return self._take(), None
            elif self._spool is not None and self._spool.pending:
                try:
                    docs, offset = self._spool.read(self._max_lines)
                except SpoolError as exc:
                    self._spool_failed(exc)
                    continue
                if docs:
                    return [decode_item(d) for d in docs], offset
                log.error("the spool file %s has none of the %d records it should hold",
                          self._spool.path, self._spool.pending)  # cannot happen; do not spin
                self._spool.pending = 0
                continue
            elif self._held:  # after the file (they came later), in memory
                items = self._take(self._held)
                self._held_cleared()
                return items, None
            elif self._closing:
                return None
            else:
                wait = None
            self._spent = None  # nothing to hand over now: free the last batch while waiting
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), wait)
            except asyncio.TimeoutError:
                pass

    async def _run(self) -> None:
        while (batch := await self._next_batch()) is not None:
            items, offset = batch
            self._inflight, self._inflight_from_spool, self._inflight_committed = items, offset is not None, 0
            await self._write(items)
            if offset is not None and self._spool is not None:
                self._spool.commit(offset, len(items))
            self._inflight = []
            self._done += len(items)
            self._progress.set()
            if self._proc is not None:
                # freeing a batch of 5,000 records takes ~10 ms: done after the next batch is
                # with the SQLite child (in _commit), not before it while the child waits
                self._spent = items
            del batch, items

    async def _settle_child(self) -> None:
        """Stopping with a batch in the SQLite child: let it finish (commit or fail), and count
        the batch as written if it landed, so the spool does not get it a second time."""
        if self._proc is None:
            return
        await self._proc.close()
        head = self._inflight[self._inflight_committed:]
        if head and not self._inflight_from_spool:
            try:
                if await self._stored_last(head):
                    self._inflight_committed = len(self._inflight)
            except Exception as exc:  # cannot tell: keeping it twice beats losing it
                log.warning("could not check the last batch (%s); it is kept in the spool", exc)

    def _save_unwritten(self) -> None:
        """Stopping while the database is down: keep what is unwritten in the spool file."""
        head = [] if self._inflight_from_spool else self._inflight[self._inflight_committed:]
        unwritten = head + self._ready + list(self._mem)
        held = list(self._held)
        self._mem.clear()
        self._held.clear()
        self._ready, self._ready_blob = [], None
        if self._spool is None:
            self._stats.dropped += len(unwritten) + len(held)
            if unwritten or held:
                log.error("writer stopped with %d unwritten records and no spool file",
                          len(unwritten) + len(held))
            return
        try:
            self._spool.rewrite_front([encode_item(i) for i in unwritten],
                                      [encode_item(i) for i in held])
        except OSError as exc:  # the file keeps what it held since its last fsync; the rest is lost
            lost = len(unwritten) + len(held) + len(getattr(exc, "lines", ()))
            self._stats.dropped += lost
            log.error("writer stopped with the database down and the spool file %s not writable "
                      "(%s): %d records lost", self._spool.path, exc, lost)

    # --- writing ----------------------------------------------------------------------------

    async def _write(self, items: list[Item]) -> None:
        """Commit ``items`` once: retry outages, split bad batches down to the bad record."""
        delay = self._retry_initial
        # an attempt whose COMMIT may have landed: its first raw id (PostgreSQL), or _TAIL (the
        # SQLite child died before answering: are the batch's lines the last ones stored?)
        unsure: int | str | None = None
        while True:
            try:
                if unsure is None or not await self._landed(unsure, items):
                    self._attempt_id = None
                    await self._commit(items)
                self._inflight_committed += len(items)
                self._failing = False
                return
            except Exception as exc:
                if not await self._is_bad_batch(exc):
                    if unsure is None:
                        unsure = self._attempt_id
                        if unsure is None and isinstance(getattr(exc, "orig", None), ChildLost):
                            unsure = _TAIL
                    self._note_error(exc, f"batch of {len(items)}")
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                if len(items) == 1:
                    return await self._write_alone(items[0], exc)
                mid = len(items) // 2
                await self._write(items[:mid])
                return await self._write(items[mid:])

    async def _write_alone(self, item: Item, error: BaseException) -> None:
        """A record whose rows the database refused: its raw line alone, then escaped."""
        self._stats.data_errors += 1
        self._report(error, f"record refused: {str(item)[:300]}")
        if isinstance(item, RawRecord):
            note = f"not projected: {type(error).__name__}: {error}"[:2000]
            note = f"{item.parse_error}; {note}" if item.parse_error else note
            bare = RawRecord(item.received_at, item.line, item.channel, item.command,
                             item.session_id, note)
            escaped = RawRecord(item.received_at, escape_text(item.line), escape_text(item.channel),
                                escape_text(item.command), None, f"line stored escaped; {note}")
            for attempt in (bare, escaped):
                try:
                    await self._commit([attempt])
                    self._inflight_committed += 1
                    return
                except Exception as exc:
                    error = exc
                    if not is_data_error(exc, self._dialect):  # not provably the data: keep it
                        return await self._commit_patiently(attempt)
        self._stats.dropped += 1
        self._report(error, f"record dropped: {str(item)[:300]}")
        self._inflight_committed += 1

    async def _landed(self, unsure: int | str, items: list[Item]) -> bool:
        if unsure == _TAIL:
            return await self._stored_last(items)
        return await self._raw_line_exists(unsure)  # type: ignore[arg-type]

    async def _stored_last(self, items: list[Item]) -> bool:
        """Are the batch's raw lines (session, time, text) the last ones in ``raw_lines``? Then
        the child committed it before dying (a transaction lands whole or not at all)."""
        raws = [i for i in items if isinstance(i, RawRecord)]
        if not raws:
            return False
        async with self._engine.connect() as conn:
            stored = (await conn.exec_driver_sql(
                "SELECT session_id, received_at, line FROM raw_lines ORDER BY id DESC LIMIT ?",
                (len(raws),))).all()
        wanted = [(r.session_id, sqlite_bulk.datetime_text(r.received_at), r.line) for r in raws]
        return [tuple(row) for row in reversed(stored)] == wanted

    async def _raw_line_exists(self, raw_id: int) -> bool:
        """After a lost connection: did the attempt that used ``raw_id`` commit after all?"""
        async with self._engine.connect() as conn:
            found = await conn.execute(text("SELECT 1 FROM raw_lines WHERE id = :i"), {"i": raw_id})
            return found.first() is not None

    async def _commit_patiently(self, item: Item) -> None:
        """Retry one record until it is committed (never dropped for an unclear error)."""
        delay = self._retry_initial
        while True:
            try:
                await self._commit([item])
                self._inflight_committed += 1
                return
            except Exception as exc:
                self._note_error(exc, "single record")
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)

    async def _is_bad_batch(self, exc: BaseException) -> bool:
        """The data is at fault (not the connection): by error class, or because the database
        answers a probe while refusing the batch."""
        if is_data_error(exc, self._dialect):
            return True
        if isinstance(exc, OperationalError) and self._dialect == "sqlite":
            return False  # locked, I/O: wait and retry
        try:
            async with self._engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 10)
        except Exception:
            return False
        return isinstance(exc, DBAPIError) and not exc.connection_invalidated

    async def _commit(self, items: list[Item]) -> None:
        if self._proc is not None:
            packed, self._ready_blob = self._ready_blob, None
            blob, lines, rows = packed[1:] if packed and packed[0] is items else pack_batch(items)
            commit = self._proc.commit(blob)  # the child starts on it now
            self._spent = None
            try:
                self._prepare_next()
            finally:
                await commit
        else:
            lines, rows = await self._commit_here(items)
        s = self._stats
        s.batches += 1
        s.max_batch_items = max(s.max_batch_items, len(items))
        s.lines_written += lines
        s.rows_written += rows
        s.events_written += len(items) - lines

    def _prepare_next(self) -> None:
        """While the child commits: take the next batch from memory and pack it (when there is
        enough to be worth it; the spool's batches are read when their turn comes)."""
        if self._ready or len(self._mem) < HANDOVER_LINES:
            return
        self._ready = self._take()  # (``_oldest`` now errs early)
        try:
            self._ready_blob = (self._ready, *pack_batch(self._ready))
        except Exception:  # bad rows: packed again in their turn, where errors are handled
            self._ready_blob = None

    async def _commit_here(self, items: list[Item]) -> tuple[int, int]:
        """One transaction through the engine; (raw lines, projection rows) written."""
        raws = [i for i in items if isinstance(i, RawRecord)]
        async with self._engine.begin() as conn:
            ids = await self._insert_raw(conn, raws)
            self._attempt_id = ids[0] if ids and self._dialect == "postgresql" else None
            rows = await self._insert_rows(conn, raws, ids)
            events = [i for i in items if isinstance(i, ConnectionEvent)]
            if events:
                await conn.execute(insert(schema.connection_events), [
                    {"session_id": e.session_id, "kind": e.kind, "channel": e.channel,
                     "detail": e.detail, "at": e.at} for e in events])
            for end in (i for i in items if isinstance(i, SessionEnd)):
                await conn.execute(update(schema.sessions).where(
                    schema.sessions.c.id == end.session_id).values(ended_at=end.at))
        return len(raws), rows

    async def _insert_raw(self, conn: AsyncConnection, raws: list[RawRecord]) -> list[int]:
        """Insert raw lines in order; their ids (consecutive on SQLite, increasing always)."""
        if not raws:
            return []
        values = [(r.session_id, r.received_at, r.channel, r.command, r.line, r.parse_error)
                  for r in raws]
        if self._dialect == "postgresql":
            ids = sorted((await conn.execute(
                text("SELECT nextval(pg_get_serial_sequence('raw_lines', 'id')) "
                     "FROM generate_series(1, :n)"), {"n": len(raws)})).scalars())
            driver = (await conn.get_raw_connection()).driver_connection
            await driver.copy_records_to_table(
                "raw_lines", columns=RAW_COLUMNS, records=[(i, *v) for i, v in zip(ids, values)])
            return ids
        if self._dialect == "sqlite":
            return await sqlite_bulk.insert_raw(conn, values)
        await conn.execute(insert(schema.raw_lines),
                           [dict(zip(RAW_COLUMNS[1:], v)) for v in values])
        last = (await conn.execute(text("SELECT last_insert_rowid()"))).scalar_one()
        return list(range(last - len(raws) + 1, last + 1))

    async def _insert_rows(self, conn: AsyncConnection, raws: list[RawRecord],
                           ids: list[int]) -> int:
        groups: dict[str, list[dict]] = {}
        for raw, raw_id in zip(raws, ids):
            for table, values in raw.rows:
                values["raw_line_id"] = raw_id  # set again on a retry, with the new id
                groups.setdefault(table, []).append(values)
        return await insert_groups(conn, groups)

    # --- errors -----------------------------------------------------------------------------

    def _note_error(self, exc: BaseException, what: str) -> None:
        self._failing = True
        self._resume_reading()  # an outage: read on, spill to the spool
        self._stats.retries += 1
        self._report(exc, f"database unavailable ({what}); retrying")

    def _report(self, exc: BaseException, detail: str) -> None:
        self._stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
        log.warning("%s: %s", detail, self._stats.last_error)
        if self._on_error is not None:
            try:
                self._on_error(exc, detail)
            except Exception:
                log.exception("on_error handler failed")


