"""``recorder rebuild``: every projection table rebuilt from ``raw_lines`` with the live projection.

The same :func:`recorder.store.projections.project_line` and the same insert path as the live
writer (on a SQLite file the recorder's SQLite writer process, ``executemany`` in one
transaction a batch with the progress mark; PostgreSQL ``COPY`` + ``INSERT ... ON CONFLICT DO NOTHING`` on
:data:`~recorder.store.schema.CONFLICT_KEYS`, first wins) make the result equal, row for row, to
the tables written live. Surrogate ids match too: the tables are emptied so that ids restart at 1
(SQLite reuses rowids of an emptied table; PostgreSQL: ``TRUNCATE ... RESTART IDENTITY``) and rows
are inserted in raw-line order, batch by batch, as the writer did. (PostgreSQL only: a sequence
value burnt live by a rolled-back batch during an outage is not burnt again, so ids after such an
outage may differ by the gap.) A line stored with a ``parse_error`` got no rows live, and gets none.
The non-unique indexes of the projection tables are dropped while rows are loaded and created
again at the end (a bulk load is several times faster without them).

Resumable, as in eventsourcing: ``projection_state`` row ``rebuild`` holds the last raw line id
whose rows are committed, updated in the SAME transaction as each batch, and row
``rebuild:target`` the last raw line id the run covers (the log's end when it began) while a
rebuild is unfinished. A rerun continues from where the last one stopped; ``from_scratch`` empties
the tables and starts over. A finished rebuild removes ``rebuild:target`` (``rebuild`` stays, as a
record of how far it went), so the next run starts afresh. Lines a live recorder stores meanwhile
(ids above the target) keep the rows the recorder wrote for them.
"""
from __future__ import annotations

import asyncio
import collections
import functools
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from recorder.gctune import tune_gc
from recorder.store.rawlog import read_raw_lines
from recorder.store import schema, sqlite_bulk
from recorder.store.db import make_engine, sqlite_file, upgrade_to_head
from recorder.store.projections import project_line
from recorder.store.bulk import insert_groups
from recorder.store.sqlite_proc import SQLiteProcess, dump_wire

__all__ = ["rebuild", "RebuildStats", "STATE", "TARGET", "auto_workers", "project_batch"]

STATE = "rebuild"
TARGET = "rebuild:target"
#: the progress mark in a batch's transaction (the row exists from the start of the run)
STATE_SQL = "UPDATE projection_state SET last_raw_line_id = ?, updated_at = ? WHERE name = ?"
Progress = Callable[[int, int], None]  # (lines done, lines in total)


@dataclass
class RebuildStats:
    """What one ``rebuild`` call did."""

    lines: int = 0  # raw lines projected by this call
    rows: int = 0  # projection rows offered (duplicates included, as the writer counts)
    batches: int = 0
    resumed_from: int = 0  # raw line id this call continued after (0: from the start)
    target: int = 0  # last raw line id covered
    seconds: float = 0.0
    pending_lines: int = 0  # lines of the batch being inserted (not yet counted above)

    def summary(self) -> str:
        how = f"resumed after raw line {self.resumed_from}" if self.resumed_from else "from scratch"
        rate = self.lines / self.seconds if self.seconds > 0 else 0.0
        return (f"rebuilt {self.rows} rows from {self.lines} raw lines ({how}) in "
                f"{self.seconds:.1f} s, {rate:,.0f} lines/s")


async def rebuild(db: str | AsyncEngine, *, from_scratch: bool = False, batch_size: int = 5000,
                  progress: Progress | None = None, migrate: bool = True,
                  workers: int = 0) -> RebuildStats:
    """Rebuild every projection table of ``db`` (a path, URL or engine) from ``raw_lines``.

    ``progress(done, total)`` is called after each committed batch (an exception it raises
    stops the rebuild there: what is committed stays, and a rerun resumes after it).
    ``workers``: processes that parse and project batches while this one inserts (0: none,
    projected here; :func:`auto_workers` gives the CLI's default). Worker processes are spawned,
    so a script calling this with workers needs the ``if __name__ == "__main__":`` guard.
    """
    if isinstance(db, AsyncEngine):
        return await _rebuild(db, from_scratch, batch_size, progress, workers)
    if migrate:
        await upgrade_to_head(db)
    engine = make_engine(db)
    try:
        return await _rebuild(engine, from_scratch, batch_size, progress, workers)
    finally:
        await engine.dispose()


async def _rebuild(engine: AsyncEngine, from_scratch: bool, batch_size: int,
                   progress: Progress | None, workers: int) -> RebuildStats:
    started = time.perf_counter()
    await _secondary_indexes(engine, drop=True)  # bulk load first, index once at the end
    after, target = await _start(engine, from_scratch)
    stats = RebuildStats(resumed_from=after, target=target)
    done, total = await _counts(engine, after, target)
    if progress is not None:
        progress(done, total)
    workers = workers if total - done > 2 * batch_size else 0  # not worth a process
    # on a SQLite file the batches are committed by the recorder's SQLite writer process:
    # the database on a core of its own, no driver thread waiting for this one's GIL
    path = sqlite_file(engine)
    child = SQLiteProcess(path) if path is not None else None
    if child is not None:
        await child.start()
    try:
        await _project_and_insert(engine, after, target, batch_size, workers, child, stats,
                                  done, total, progress)
    finally:
        if child is not None:
            await child.close(final=True)
    await _secondary_indexes(engine, drop=False)
    async with engine.begin() as conn:
        await _set_state(conn, STATE, target)
        await conn.execute(sa.delete(schema.projection_state)
                           .where(schema.projection_state.c.name == TARGET))
    stats.seconds = time.perf_counter() - started
    return stats


async def _project_and_insert(engine: AsyncEngine, after: int, target: int, batch_size: int,
                              workers: int, child: SQLiteProcess | None, stats: RebuildStats,
                              done: int, total: int, progress: Progress | None) -> None:
    dialect = "sqlite-process" if child is not None else engine.dialect.name
    commit = functools.partial(_commit_batch, engine, child)
    with _Projector(workers, dialect) as projector:
        # three stages at once: reading the next batches, projecting them, inserting the one
        # before (in the SQLite writer process, or the PostgreSQL server: in parallel with the
        # projecting here, or in worker processes where there are CPUs for them).
        projected: collections.deque[asyncio.Future[Projected]] = collections.deque()
        inserting: asyncio.Task[int] | None = None
        reader = read_raw_lines(engine, after_id=after, upto_id=target, batch_size=batch_size)
        try:
            async for batch in reader:
                projected.append(projector.submit(batch))
                while len(projected) > projector.depth or (projected and projected[0].done()):
                    inserting, done = await _next_insert(commit, projected.popleft(), inserting,
                                                         stats, done, total, progress)
            while projected:
                inserting, done = await _next_insert(commit, projected.popleft(), inserting,
                                                     stats, done, total, progress)
            if inserting is not None:
                await _finish_insert(inserting, stats, done, total, progress)
        except BaseException:
            for future in [*projected, *([inserting] if inserting else [])]:
                future.cancel()
            await asyncio.gather(*projected, *([inserting] if inserting else []),
                                 return_exceptions=True)
            raise


def auto_workers() -> int:
    """One worker process when this machine has a CPU to spare beyond this process and the
    database's writer (the SQLite writer process, the PostgreSQL server), else none: on 2 CPUs
    a worker made three busy processes and was slower (SQLite 33.6-34.9k lines/s with one,
    36.0k without; PostgreSQL 14.4-15.9k with, 15.3-18.2k without)."""
    return 1 if (os.cpu_count() or 1) > 2 else 0


async def _next_insert(commit: Callable[["Projected"], Awaitable[int]],
                       future: "asyncio.Future[Projected]",
                       inserting: "asyncio.Task[int] | None", stats: RebuildStats, done: int,
                       total: int, progress: Progress | None) -> tuple["asyncio.Task[int]", int]:
    """Wait for the next projected batch, then for the insert before it; start its insert."""
    batch = await future
    if inserting is not None:
        done = await _finish_insert(inserting, stats, done, total, progress)
    stats.pending_lines = batch.lines
    return asyncio.ensure_future(commit(batch)), done


async def _finish_insert(inserting: "asyncio.Task[int]", stats: RebuildStats, done: int,
                         total: int, progress: Progress | None) -> int:
    stats.rows += await inserting
    stats.lines += stats.pending_lines
    stats.batches += 1
    done += stats.pending_lines
    if progress is not None:
        progress(done, total)
    return done


async def _start(engine: AsyncEngine, from_scratch: bool) -> tuple[int, int]:
    """(the raw line id to continue after, the last id to cover); empties the tables when
    starting over. Crash-safe in any step: the ``rebuild:target`` row goes first (without it a
    rerun starts over), and comes back with the new target once the tables are empty."""
    state = schema.projection_state
    async with engine.begin() as conn:
        rows = dict((await conn.execute(sa.select(state.c.name, state.c.last_raw_line_id)
                                        .where(state.c.name.in_([STATE, TARGET])))).all())
        if TARGET in rows and STATE in rows and not from_scratch:
            return rows[STATE], rows[TARGET]
        target = (await conn.execute(sa.select(sa.func.max(schema.raw_lines.c.id)))).scalar() or 0
        await conn.execute(sa.delete(state).where(state.c.name == TARGET))
    async with engine.connect() as conn:
        await _empty_projections(conn)
    async with engine.begin() as conn:
        await _set_state(conn, STATE, 0)
        await _set_state(conn, TARGET, target)
    return 0, target


async def _secondary_indexes(engine: AsyncEngine, *, drop: bool) -> None:
    """Drop (or create again) the non-unique indexes of the projection tables. Keys and unique
    constraints stay: ON CONFLICT needs them. An interrupted rebuild leaves them dropped until
    a rerun finishes; their definitions are the schema's (the same as the migrations')."""
    def apply(sync_conn: sa.Connection) -> None:
        for name in schema.PROJECTION_TABLES:
            for index in schema.metadata.tables[name].indexes:
                if not index.unique:
                    (index.drop if drop else index.create)(sync_conn, checkfirst=True)
    async with engine.begin() as conn:
        await conn.run_sync(apply)


async def _counts(engine: AsyncEngine, after: int, target: int) -> tuple[int, int]:
    t = schema.raw_lines
    async with engine.connect() as conn:
        done = (await conn.execute(sa.select(sa.func.count()).where(t.c.id <= after))).scalar_one()
        left = (await conn.execute(sa.select(sa.func.count())
                                   .where(t.c.id > after, t.c.id <= target))).scalar_one()
    return done, done + left


async def _empty_projections(conn: AsyncConnection) -> None:
    """Empty every projection table (ids restart at 1) and commit."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text(f"TRUNCATE {', '.join(schema.PROJECTION_TABLES)} RESTART IDENTITY"))
        await conn.commit()
        return
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # projection tables are only children: with the checks off, SQLite truncates
        await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # (outside a transaction)
    try:
        for name in reversed(schema.PROJECTION_TABLES):
            await conn.execute(schema.metadata.tables[name].delete())
        if sqlite:  # tables declared AUTOINCREMENT (none today) restart too
            names = ", ".join(f"'{n}'" for n in schema.PROJECTION_TABLES)
            exists = await conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
            if exists.first() is not None:
                await conn.exec_driver_sql(f"DELETE FROM sqlite_sequence WHERE name IN ({names})")
        await conn.commit()
    finally:
        if sqlite:
            await conn.rollback()
            await conn.exec_driver_sql("PRAGMA foreign_keys=ON")


async def _set_state(conn: AsyncConnection, name: str, last_id: int) -> None:
    state = schema.projection_state
    values = {"last_raw_line_id": last_id, "updated_at": datetime.now(timezone.utc)}
    updated = await conn.execute(sa.update(state).where(state.c.name == name).values(**values))
    if updated.rowcount == 0:
        await conn.execute(sa.insert(state).values(name=name, **values))


@dataclass
class Projected:
    """One batch of raw lines, projected: its rows by table (as dicts, or for SQLite already
    as ``(INSERT statement, tuples)``), how many lines, and the last raw line id."""

    groups: dict[str, Any]
    lines: int
    last_id: int
    blob: bytes | None = None  # for the SQLite writer process: the whole transaction
    rows: int = 0  # (with a blob) the rows in it


def project_batch(batch: list[tuple], dialect: str) -> Projected:
    """Project a batch of ``(id, received_at, line, parse_error)``; pure (runs in workers)."""
    groups: dict[str, list[dict]] = {}
    _project_into(groups, batch)
    return _finish(groups, batch, dialect)


def _project_into(groups: dict[str, list[dict]], lines: list[tuple]) -> None:
    for raw_id, received_at, line, parse_error in lines:
        if parse_error is not None:
            continue  # stored without rows live (malformed, or rows the database refused)
        for table, values in project_line(line, received_at)[3]:
            values["raw_line_id"] = raw_id
            groups.setdefault(table, []).append(values)


def _finish(groups: dict[str, list[dict]], batch: list[tuple], dialect: str) -> Projected:
    encoded: dict[str, Any] = groups
    last_id = batch[-1][0]
    if dialect in ("sqlite", "sqlite-process"):
        encoded = {name: sqlite_bulk.encode_rows(name, rows) for name, rows in groups.items()}
    if dialect == "sqlite-process":  # the writer process's message, progress mark included
        mark = (STATE_SQL, [last_id, sqlite_bulk.datetime_text(datetime.now(timezone.utc)), STATE])
        blob = dump_wire(([], list(encoded.values()), [], [], [mark]))
        return Projected({}, len(batch), last_id, blob, sum(len(rows) for _, rows in encoded.values()))
    return Projected(encoded, len(batch), last_id)


async def _project_here(batch: list[tuple], dialect: str, chunk: int = 250) -> Projected:
    """:func:`project_batch` in this process, giving the event loop a turn every ``chunk``
    lines: the insert running meanwhile needs a few round trips to reach its ``executemany``."""
    groups: dict[str, list[dict]] = {}
    for start in range(0, len(batch), chunk):
        _project_into(groups, batch[start:start + chunk])
        await asyncio.sleep(0)
    return _finish(groups, batch, dialect)


class _Projector:
    """Projects batches in this process, or in ``workers`` spawned processes (a fork of a
    process running threads and an event loop is not safe), keeping their order."""

    def __init__(self, workers: int, dialect: str) -> None:
        self.dialect = dialect
        self.depth = workers + 1 if workers else 0  # batches in flight beyond the one inserting
        self.pool = (ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=tune_gc)
                     if workers else None)

    def submit(self, batch: list[tuple]) -> "asyncio.Future[Projected]":
        if self.pool is None:
            return asyncio.ensure_future(_project_here(batch, self.dialect))
        return asyncio.get_running_loop().run_in_executor(self.pool, project_batch, batch,
                                                          self.dialect)

    def __enter__(self) -> "_Projector":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


async def _commit_batch(engine: AsyncEngine, child: SQLiteProcess | None, batch: Projected) -> int:
    """Insert a projected batch, with the progress mark, in ONE transaction; the number of
    rows offered."""
    if batch.blob is not None and child is not None:
        await child.commit(batch.blob)
        return batch.rows
    async with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for sql, rows in batch.groups.values():
                await conn.exec_driver_sql(sql, rows)
            count = sum(len(rows) for _, rows in batch.groups.values())
        else:
            count = await insert_groups(conn, batch.groups)
        await _set_state(conn, STATE, batch.last_id)
    return count
