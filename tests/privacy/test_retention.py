"""Retention: prune deletes old raw lines and their projection rows in batches; the recorder's
--retain-days task does it while recording."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from recorder.retention import prune
from recorder.sim.server import Simulator
from recorder.store import schema

from tests.recording.helpers import config_for, drain_and_stop, start_recorder
from .archive import count, fetch, store_lines
from .lines import KEPT_LINES, VICTIM_LINES

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def _aged(lines: list[str], days: float) -> list[tuple[str, datetime]]:
    return [(line, NOW - timedelta(days=days)) for line in lines]


async def test_prune_deletes_old_lines_and_their_rows_in_batches(db_url):
    old, new = VICTIM_LINES, KEPT_LINES
    await store_lines(db_url, _aged(old, 40) + _aged(new, 5))
    before = {t: await count(db_url, t) for t in ("messages", "moderation_events", "emote_usages")}
    assert before["moderation_events"] == 3 and before["emote_usages"] == 1

    result = await prune(db_url, 30, batch=4, now=NOW)
    assert result.raw_lines == len(old)
    assert result.batches == -(-len(old) // 4)  # several small transactions, not one
    stored = [r[0] for r in await fetch(db_url, sa.select(schema.raw_lines.c.line))]
    assert sorted(stored) == sorted(new)
    assert await count(db_url, "messages") == 2  # the two new ones
    assert await count(db_url, "moderation_events") == 0 and await count(db_url, "emote_usages") == 0
    for table in schema.PROJECTION_TABLES:  # no row left pointing at a deleted line
        t = schema.metadata.tables[table]
        raw = schema.raw_lines
        orphans = await fetch(db_url, sa.select(sa.func.count()).select_from(
            t.outerjoin(raw, t.c.raw_line_id == raw.c.id)).where(raw.c.id.is_(None)))
        assert orphans[0][0] == 0, table

    again = await prune(db_url, 30, now=NOW)
    assert again.raw_lines == 0
    assert (await prune(db_url, 1, now=NOW)).raw_lines == len(new)


async def test_recorder_with_retain_days_prunes_while_recording(sqlite_url):
    old_at = datetime.now(timezone.utc) - timedelta(days=10)
    await store_lines(sqlite_url, [(line, old_at) for line in VICTIM_LINES])
    async with Simulator(channels=1, traffic=False, seed=4, transcripts=True) as sim:
        config = config_for(sim, sqlite_url, ["sim_alpha"], enrich=False, retain_days=7)
        recorder, task = await start_recorder(config)
        for _ in range(5):
            await sim.emit("sim_alpha", "privmsg")

        async def old_gone() -> None:
            while await count(sqlite_url, "moderation_events"):
                await asyncio.sleep(0.05)
        await asyncio.wait_for(old_gone(), 30)
        await drain_and_stop(sim, recorder, task)
        sent = [line for t in sim.transcripts() for line in t]
    stored = [r[0] for r in await fetch(sqlite_url, sa.select(schema.raw_lines.c.line)
                                        .order_by(schema.raw_lines.c.id))]
    assert stored == sent  # the fresh recording is whole; the 10-day-old lines are gone
    assert await count(sqlite_url, "messages") == 5
