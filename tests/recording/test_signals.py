"""`recorder run` as a real process: SIGTERM loses nothing; SIGKILL leaves a consistent database
that a restart carries on from."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import sqlalchemy as sa

from recorder.sim.server import Simulator
from recorder.store import schema

from .helpers import fetch, raw_lines, wait_until

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = "sim_alpha,sim_bravo"


async def _spawn(sim: Simulator, db: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "recorder.cli", "run", "--channels", CHANNELS, "--db", str(db),
        "--irc-url", sim.irc_url, "--no-enrich", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _count(url: str) -> int:
    try:
        return (await fetch(url, sa.select(sa.func.count()).select_from(schema.raw_lines)))[0][0]
    except Exception:  # the file or its tables may not exist yet
        return 0


async def _wait_rows(url: str, at_least: int, proc: asyncio.subprocess.Process) -> None:
    async def poll() -> None:
        while await _count(url) < at_least:
            assert proc.returncode is None, (await proc.stderr.read()).decode()
            await asyncio.sleep(0.1)
    await asyncio.wait_for(poll(), 60)


async def test_sigterm_mid_stream_loses_nothing(tmp_path):
    db = tmp_path / "chat.db"
    url = f"sqlite+aiosqlite:///{db}"
    async with Simulator(channels=2, rate=50.0, seed=11, transcripts=True) as sim:
        proc = await _spawn(sim, db)
        await _wait_rows(url, 200, proc)
        proc.send_signal(signal.SIGTERM)  # traffic still flowing
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        sent = [line for t in sim.transcripts() for line in t]
    assert proc.returncode == 0, err.decode()
    received = int(re.search(r"stopped: (\d+) lines recorded", err.decode()).group(1))
    stored = await raw_lines(url)
    assert len(stored) == received  # everything it read is in the database
    assert stored == sent[: len(stored)]  # in order, byte for byte
    sessions = await fetch(url, sa.select(schema.sessions))
    assert len(sessions) == 1 and sessions[0].ended_at is not None


async def test_sigkill_leaves_a_consistent_database_and_a_restart_carries_on(tmp_path):
    db = tmp_path / "chat.db"
    url = f"sqlite+aiosqlite:///{db}"
    async with Simulator(channels=2, rate=50.0, seed=12, transcripts=True) as sim:
        proc = await _spawn(sim, db)
        await _wait_rows(url, 300, proc)
        proc.kill()
        await proc.wait()
        first = await raw_lines(url)
        sent_first = list(sim.transcripts()[0])
        assert first == sent_first[: len(first)]  # at most the unflushed tail is missing

        raw = schema.raw_lines
        for table in schema.PROJECTION_TABLES:
            t = schema.metadata.tables[table]
            orphans = await fetch(url, sa.select(sa.func.count()).select_from(
                t.outerjoin(raw, t.c.raw_line_id == raw.c.id)).where(raw.c.id.is_(None)))
            assert orphans[0][0] == 0, table
        ids = [r[0] for r in await fetch(url, sa.select(schema.messages.c.raw_line_id))]
        assert len(ids) == len(set(ids))

        proc = await _spawn(sim, db)  # restart on the same file
        await _wait_rows(url, len(first) + 100, proc)
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
    second = await raw_lines(url)
    assert second[: len(first)] == first
    sessions = await fetch(url, sa.select(schema.sessions).order_by(schema.sessions.c.id))
    assert len(sessions) == 2 and sessions[0].ended_at is None and sessions[1].ended_at is not None
    latest = sim.transcripts()[-1]
    assert second[len(first):] == latest[: len(second) - len(first)]
