"""Running a real Recorder against the in-process simulator, and reading what it stored."""
from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from recorder.recording import Recorder, RecorderConfig
from recorder.sim.server import Simulator
from recorder.store import schema
from recorder.store.db import make_engine


def config_for(sim: Simulator, db: str, channels: list[str], **kw: Any) -> RecorderConfig:
    return RecorderConfig(channels=channels, db=db, irc_url=sim.irc_url, helix_url=sim.helix_url,
                          auth_url=sim.auth_url, status_interval=3600.0, **kw)


async def wait_until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.02)
    try:
        await asyncio.wait_for(poll(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def start_recorder(config: RecorderConfig) -> tuple[Recorder, asyncio.Task]:
    recorder = Recorder(config)
    task = asyncio.create_task(recorder.run())
    await wait_until(lambda: recorder.client is not None and
                     set(getattr(recorder.client, "joined_channels", ())) >= set(config.channels),
                     what="the recorder to join its channels")
    return recorder, task


async def drain_and_stop(sim: Simulator, recorder: Recorder, task: asyncio.Task) -> None:
    """Stop the traffic, wait until every sent line was received, then stop the recorder."""
    await sim.stop_traffic()
    await wait_until(lambda: recorder.lines >= sum(len(t) for t in sim.transcripts()),
                     what="the recorder to receive every line sent")
    recorder.stop()
    await asyncio.wait_for(task, 30)


async def fetch(db_url: str, query) -> list[Any]:
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(query)).all())
    finally:
        await engine.dispose()


async def raw_lines(db_url: str) -> list[str]:
    t = schema.raw_lines
    return [r[0] for r in await fetch(db_url, sa.select(t.c.line).order_by(t.c.id))]
