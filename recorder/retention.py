"""Retention: delete raw lines older than N days and every projection row made from them.

``recorder prune --older-than N`` runs it once; ``recorder run --retain-days N`` runs it in the
background (:func:`prune_forever`). Work goes in batches of ``batch`` raw lines, each its own
short transaction (select the oldest ids, delete their projection rows, delete the lines), with
a yield to the event loop between batches, so the recorder's writer is never blocked for long
(on SQLite it waits at most one batch for the write lock).

What is kept: ``sessions`` and ``connection_events`` (when we listened: no chat content, and the
coverage report needs them) and the Helix snapshots (``users``, ``channels``, ...), which are
not chat lines. Message ids are keys in ``messages``; a row goes with the raw line it points at.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import sqlalchemy as sa

from recorder.store import schema

__all__ = ["PruneResult", "prune", "prune_engine", "prune_forever", "cutoff_for"]

log = logging.getLogger(__name__)

BATCH = 1000


@dataclass
class PruneResult:
    cutoff: datetime
    counts: dict[str, int] = field(default_factory=dict)
    batches: int = 0

    @property
    def raw_lines(self) -> int:
        return self.counts.get("raw_lines", 0)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def cutoff_for(days: float, now: datetime | None = None) -> datetime:
    """The instant before which lines are deleted; ``days`` must be positive."""
    if not days or days <= 0:
        raise ValueError(f"retention must be a positive number of days, not {days!r}")
    return (now or _utcnow()) - timedelta(days=days)


async def _prune_batch(conn: Any, cutoff: datetime, batch: int, counts: dict[str, int]) -> int:
    raw = schema.raw_lines
    ids = list((await conn.execute(
        sa.select(raw.c.id).where(raw.c.received_at < cutoff).order_by(raw.c.id).limit(batch)
    )).scalars())
    if not ids:
        return 0
    for name in schema.PROJECTION_TABLES:
        t = schema.metadata.tables[name]
        result = await conn.execute(sa.delete(t).where(t.c.raw_line_id.in_(ids)))
        counts[name] = counts.get(name, 0) + (result.rowcount or 0)
    result = await conn.execute(sa.delete(raw).where(raw.c.id.in_(ids)))
    counts["raw_lines"] = counts.get("raw_lines", 0) + (result.rowcount or 0)
    return len(ids)


async def prune_engine(engine: Any, cutoff: datetime, *, batch: int = BATCH,
                       pause: float = 0.0) -> PruneResult:
    """Delete everything received before ``cutoff`` through ``engine``, batch by batch."""
    result = PruneResult(cutoff)
    while True:
        async with engine.begin() as conn:
            n = await _prune_batch(conn, cutoff, batch, result.counts)
        if not n:
            return result
        result.batches += 1
        await asyncio.sleep(pause)  # let the writer in between batches


async def prune(url: str, older_than_days: float, *, batch: int = BATCH,
                now: datetime | None = None) -> PruneResult:
    """``recorder prune``: delete raw lines (and projections) older than ``older_than_days``."""
    from recorder.store.db import make_engine, upgrade_to_head

    cutoff = cutoff_for(older_than_days, now)
    await upgrade_to_head(url)
    engine = make_engine(url)
    try:
        return await prune_engine(engine, cutoff, batch=batch)
    finally:
        await engine.dispose()


async def prune_forever(engine: Any, days: float, *, interval: float = 3600.0,
                        batch: int = BATCH, pause: float = 0.05,
                        clock: Callable[[], datetime] = _utcnow) -> None:
    """The ``--retain-days`` task: prune now, then every ``interval`` seconds; never raises
    for a database outage (the next round tries again)."""
    while True:
        try:
            result = await prune_engine(engine, cutoff_for(days, clock()), batch=batch, pause=pause)
            if result.raw_lines:
                log.info("retention: deleted %d raw lines older than %s", result.raw_lines,
                         result.cutoff.isoformat(timespec="seconds"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an outage: the writer reports it; try again next round
            log.warning("retention: prune failed (%s); retrying in %.0fs", type(exc).__name__, interval)
        await asyncio.sleep(interval)
