"""A crash mid-batch never leaves a projection row without its raw line (one transaction)."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from recorder.store.db import make_engine, upgrade_to_head
from recorder.store.writer import Writer

from .helpers import message_record, scalar, wait_for

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import asyncio, sys
sys.path.insert(0, {repo!r})
from recorder.store.db import make_engine
from recorder.store.writer import Writer
from tests.store.helpers import message_record

async def main():
    writer = Writer(make_engine({url!r}), max_batch_lines=500, max_batch_delay=0.01)
    await writer.start()
    i = 0
    while True:  # write until killed
        for _ in range(500):
            writer.submit(message_record(i))
            i += 1
        await writer.flush()

asyncio.run(main())
"""


@pytest.fixture
async def engine(db_url):
    await upgrade_to_head(db_url)
    engine = make_engine(db_url)
    yield engine
    await engine.dispose()


async def _consistent(engine) -> int:
    lines = await scalar(engine, "SELECT count(*) FROM raw_lines")
    assert await scalar(engine, "SELECT count(*) FROM messages") == lines
    assert await scalar(engine, "SELECT count(*) FROM emote_usages") == lines
    orphans = await scalar(engine, "SELECT count(*) FROM messages m LEFT JOIN raw_lines r "
                                   "ON r.id = m.raw_line_id WHERE r.id IS NULL")
    assert orphans == 0
    return lines


async def test_sigkill_mid_stream_leaves_a_consistent_database(engine, db_url):
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(repo=str(REPO), url=db_url)])
    try:
        async def written_enough() -> bool:
            assert child.poll() is None, "writer process died on its own"
            return (await scalar(engine, "SELECT count(*) FROM raw_lines")) >= 3000
        await wait_for(written_enough, timeout=60)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    lines = await _consistent(engine)
    assert lines >= 3000
    # a restart carries on after the last committed line
    writer = Writer(engine)
    await writer.start()
    writer.submit(message_record(10**9))
    await writer.close()
    assert await _consistent(engine) == lines + 1


class _StuckWriter(Writer):
    """Stops forever between the raw lines and the projection rows of a batch."""

    inside: asyncio.Event

    async def _insert_rows(self, conn, raws, ids):
        count = await super()._insert_rows(conn, raws, ids)
        self.inside.set()
        await asyncio.Event().wait()
        return count


async def test_dying_between_lines_and_rows_commits_neither(engine):
    writer = _StuckWriter(engine)
    writer.inside = asyncio.Event()
    await writer.start()
    for i in range(100):
        writer.submit(message_record(i))
    await asyncio.wait_for(writer.inside.wait(), 30)
    await writer.close(timeout=0)  # the task dies inside the open transaction
    assert await _consistent(engine) == 0
    assert writer.stats.dropped == 100  # no spool file configured: counted, not hidden
