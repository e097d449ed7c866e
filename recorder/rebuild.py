"""``recorder rebuild``: every projection table rebuilt from ``raw_lines`` with the live projection.

The same :func:`recorder.store.projections.project_line` and the same insert path as the live
writer (SQLite ``executemany``, PostgreSQL ``COPY`` + ``INSERT ... ON CONFLICT DO NOTHING`` on
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

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from recorder.replay import read_raw_lines
from recorder.store import schema, sqlite_bulk
from recorder.store.db import make_engine, upgrade_to_head
from recorder.store.projections import project_line
from recorder.store.writer import _copy_rows, _insert_statement, _uniform

__all__ = ["rebuild", "RebuildStats", "STATE", "TARGET"]

STATE = "rebuild"
TARGET = "rebuild:target"
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

    def summary(self) -> str:
        how = f"resumed after raw line {self.resumed_from}" if self.resumed_from else "from scratch"
        rate = self.lines / self.seconds if self.seconds > 0 else 0.0
        return (f"rebuilt {self.rows} rows from {self.lines} raw lines ({how}) in "
                f"{self.seconds:.1f} s, {rate:,.0f} lines/s")


async def rebuild(db: str | AsyncEngine, *, from_scratch: bool = False, batch_size: int = 5000,
                  progress: Progress | None = None, migrate: bool = True) -> RebuildStats:
    """Rebuild every projection table of ``db`` (a path, URL or engine) from ``raw_lines``.

    ``progress(done, total)`` is called after each committed batch (an exception it raises
    stops the rebuild there: what is committed stays, and a rerun resumes after it).
    """
    if isinstance(db, AsyncEngine):
        return await _rebuild(db, from_scratch, batch_size, progress)
    if migrate:
        await upgrade_to_head(db)
    engine = make_engine(db)
    try:
        return await _rebuild(engine, from_scratch, batch_size, progress)
    finally:
        await engine.dispose()


async def _rebuild(engine: AsyncEngine, from_scratch: bool, batch_size: int,
                   progress: Progress | None) -> RebuildStats:
    started = time.perf_counter()
    after, target = await _start(engine, from_scratch)
    stats = RebuildStats(resumed_from=after, target=target)
    done, total = await _counts(engine, after, target)
    if progress is not None:
        progress(done, total)
    await _secondary_indexes(engine, drop=True)  # bulk load first, index once at the end
    async for batch in read_raw_lines(engine, after_id=after, upto_id=target, batch_size=batch_size):
        stats.rows += await _commit_batch(engine, batch)
        stats.lines += len(batch)
        stats.batches += 1
        done += len(batch)
        if progress is not None:
            progress(done, total)
    await _secondary_indexes(engine, drop=False)
    async with engine.begin() as conn:
        await _set_state(conn, STATE, target)
        await conn.execute(sa.delete(schema.projection_state)
                           .where(schema.projection_state.c.name == TARGET))
    stats.seconds = time.perf_counter() - started
    return stats


async def _start(engine: AsyncEngine, from_scratch: bool) -> tuple[int, int]:
    """(the raw line id to continue after, the last id to cover); empties the tables when
    starting over."""
    state = schema.projection_state
    async with engine.begin() as conn:
        rows = dict((await conn.execute(sa.select(state.c.name, state.c.last_raw_line_id)
                                        .where(state.c.name.in_([STATE, TARGET])))).all())
        if TARGET in rows and STATE in rows and not from_scratch:
            return rows[STATE], rows[TARGET]
        target = (await conn.execute(sa.select(sa.func.max(schema.raw_lines.c.id)))).scalar() or 0
        await _empty_projections(conn)
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
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text(f"TRUNCATE {', '.join(schema.PROJECTION_TABLES)} RESTART IDENTITY"))
        return
    for name in reversed(schema.PROJECTION_TABLES):
        await conn.execute(schema.metadata.tables[name].delete())
    if conn.dialect.name == "sqlite":  # tables declared AUTOINCREMENT (none today) restart too
        names = ", ".join(f"'{n}'" for n in schema.PROJECTION_TABLES)
        exists = await conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
        if exists.first() is not None:
            await conn.exec_driver_sql(f"DELETE FROM sqlite_sequence WHERE name IN ({names})")


async def _set_state(conn: AsyncConnection, name: str, last_id: int) -> None:
    state = schema.projection_state
    values = {"last_raw_line_id": last_id, "updated_at": datetime.now(timezone.utc)}
    updated = await conn.execute(sa.update(state).where(state.c.name == name).values(**values))
    if updated.rowcount == 0:
        await conn.execute(sa.insert(state).values(name=name, **values))


async def _commit_batch(engine: AsyncEngine, batch: list[tuple]) -> int:
    """Project a batch of raw lines and insert the rows, with the progress mark, in ONE
    transaction; the number of rows offered."""
    groups: dict[str, list[dict]] = {}
    for raw_id, received_at, line, parse_error in batch:
        if parse_error is not None:
            continue  # stored without rows live (malformed, or rows the database refused)
        for table, values in project_line(line, received_at)[3]:
            values["raw_line_id"] = raw_id
            groups.setdefault(table, []).append(values)
    async with engine.begin() as conn:
        dialect = conn.dialect.name
        for name, rows in groups.items():
            if dialect == "postgresql":
                await _copy_rows(conn, name, rows)
            elif dialect == "sqlite":
                await sqlite_bulk.insert_rows(conn, name, rows)
            else:
                await conn.execute(_insert_statement(name, dialect), _uniform(name, rows))
        await _set_state(conn, STATE, batch[-1][0])
    return sum(len(rows) for rows in groups.values())
