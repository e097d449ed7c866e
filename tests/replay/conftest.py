"""A real recording (Recorder against the Simulator) to rebuild and replay, and readers of it.

The recording has traffic in three channels, every kind of moderation and usernotice, a room
setting change with its NOTICE, malformed lines, and the same PRIVMSG and USERNOTICE delivered
twice (as in a RECONNECT overlap), so the duplicate-id rule of the live path is exercised.
"""
from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from recorder.sim.server import Simulator
from recorder.store import schema
from tests.recording.helpers import config_for, drain_and_stop, fetch, start_recorder

CHANNELS = ["sim_alpha", "sim_bravo", "sim_charlie"]


async def record_archive(db_url: str, *, seed: int = 5, messages: int = 150) -> None:
    """Record simulated chat into ``db_url`` through the real recorder."""
    async with Simulator(channels=3, rate=60.0, seed=seed, transcripts=True) as sim:
        recorder, task = await start_recorder(config_for(sim, db_url, CHANNELS, enrich=False))
        # count what reached the recorder: the simulator makes chat before the channels are joined
        def delivered() -> int:
            return sum(1 for f in sim.record.delivered() if f["kind"] == "privmsg")

        await sim.wait_for(lambda: delivered() >= messages // 2, timeout=60)
        for kind in ("ban", "timeout", "clearmsg", "subgift", "raid", "roomstate", "odd", "unknown"):
            await sim.emit("sim_alpha", kind)
        for kind in ("privmsg", "raid"):  # the same line twice: first wins, replayed once
            fact = (await sim.emit("sim_bravo", kind))[0]
            sim.irc.broadcast([dict(fact)])
        await sim.send_malformed(["@only-tags-no-command", ":prefix.only"])
        await sim.wait_for(lambda: delivered() >= messages, timeout=60)
        await drain_and_stop(sim, recorder, task)


def _order(table: sa.Table) -> list[Any]:
    return list(table.primary_key.columns)


async def projection_snapshot(db_url: str) -> dict[str, list[tuple]]:
    """Every projection table, every column (surrogate ids included), in key order."""
    snapshot = {}
    for name in schema.PROJECTION_TABLES:
        table = schema.metadata.tables[name]
        rows = await fetch(db_url, sa.select(table).order_by(*_order(table)))
        snapshot[name] = [tuple(r) for r in rows]
    return snapshot


@pytest.fixture(scope="session")
def archive_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite recording for the whole session (copied per test)."""
    path = tmp_path_factory.mktemp("archive") / "chat.db"
    asyncio.run(record_archive(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
def archive(archive_template: Path, tmp_path: Path) -> str:
    """A private copy of the recorded SQLite archive; its URL."""
    path = tmp_path / "chat.db"
    shutil.copy(archive_template, path)
    return f"sqlite+aiosqlite:///{path}"
