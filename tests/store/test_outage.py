"""PostgreSQL goes away for a few seconds: nothing is lost, nothing is written twice."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from recorder.store.db import make_engine, upgrade_to_head
from recorder.store.writer import Writer

from .helpers import FullDisk, message_record, rows, scalar, wait_for
from .tcp_proxy import TCPProxy


@pytest.fixture
async def proxied(pg_url):
    """(direct engine, engine through the proxy, proxy)."""
    await upgrade_to_head(pg_url)
    url = make_url(pg_url)
    proxy = TCPProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    direct = make_engine(pg_url)
    through = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(False),
                          connect_args={"timeout": 2, "command_timeout": 10})
    yield direct, through, proxy
    await through.dispose()
    await direct.dispose()
    await proxy.close()


async def _assert_exactly_once_in_order(engine, records) -> None:
    stored = await rows(engine, "SELECT line FROM raw_lines ORDER BY id")
    assert [r.line for r in stored] == [r.line for r in records]
    assert await scalar(engine, "SELECT count(*) FROM messages") == len(records)
    orphans = await scalar(engine, "SELECT count(*) FROM messages m LEFT JOIN raw_lines r "
                                   "ON r.id = m.raw_line_id WHERE r.id IS NULL")
    assert orphans == 0


async def test_outage_spills_to_spool_and_catches_up(proxied, tmp_path: Path):
    direct, through, proxy = proxied
    spool = tmp_path / "spool.jsonl"
    errors = []
    writer = Writer(through, max_batch_lines=20, max_batch_delay=0.01, max_queue=50,
                    spool_path=spool, retry_initial=0.05, retry_max=0.3,
                    on_error=lambda exc, detail: errors.append(detail))
    await writer.start()
    records = [message_record(i) for i in range(600)]
    for record in records[:100]:
        writer.submit(record)
    await writer.flush()

    await proxy.cut()
    for record in records[100:]:
        writer.submit(record)
    await wait_for(lambda: writer.stats.retries >= 2)
    assert writer.stats.spooled > 0 and spool.exists()
    assert writer.stats.queue_depth <= 50  # bounded memory: the rest waits in the file
    await asyncio.sleep(2)  # the scenario: the database stays away for a while
    assert await scalar(direct, "SELECT count(*) FROM raw_lines") < 600

    await proxy.restore()
    await asyncio.wait_for(writer.flush(), 60)
    await _assert_exactly_once_in_order(direct, records)
    assert not spool.exists() and writer.stats.spool_pending == 0
    assert errors and writer.stats.dropped == 0
    await writer.close()


async def test_stop_during_outage_keeps_everything_for_the_next_run(proxied, tmp_path: Path):
    direct, through, proxy = proxied
    spool = tmp_path / "spool.jsonl"
    options = dict(max_batch_lines=20, max_batch_delay=0.01, max_queue=30, spool_path=spool,
                   retry_initial=0.05, retry_max=0.2)
    writer = Writer(through, **options)
    await writer.start()
    records = [message_record(i) for i in range(200)]
    for record in records[:40]:
        writer.submit(record)
    await writer.flush()
    await proxy.cut()
    for record in records[40:]:
        writer.submit(record)
    await wait_for(lambda: writer.stats.retries >= 1)
    await writer.close(timeout=0.5)  # the database never came back during this run
    assert spool.exists()

    await proxy.restore()
    second = Writer(through, **options)
    await second.start()
    await asyncio.wait_for(second.flush(), 60)
    await second.close()
    await _assert_exactly_once_in_order(direct, records)
    assert not spool.exists()


async def _full_disk_writer(through, tmp_path: Path, monkeypatch, **options) -> tuple[Writer, FullDisk]:
    """A started writer (memory for 30 records) whose spool file's disk can be made full."""
    writer = Writer(through, max_batch_lines=20, max_batch_delay=0.01, max_queue=30,
                    spool_path=tmp_path / "spool.jsonl", retry_initial=0.05, retry_max=0.2,
                    **options)
    disk = FullDisk(monkeypatch)
    await writer.start()
    return writer, disk


async def test_a_full_disk_during_the_outage_holds_lines_in_memory_and_loses_none(
        proxied, tmp_path: Path, monkeypatch, caplog):
    direct, through, proxy = proxied
    spool = tmp_path / "spool.jsonl"
    writer, disk = await _full_disk_writer(through, tmp_path, monkeypatch, max_held=1000)
    records = [message_record(i) for i in range(300)]
    for record in records[:40]:
        writer.submit(record)
    await writer.flush()
    await proxy.cut()
    for record in records[40:100]:  # the database is away: memory, then the spool file
        writer.submit(record)
    await wait_for(lambda: writer.stats.retries >= 1)
    disk.full = True  # ... and now the disk is full too: submit must neither raise nor drop
    for record in records[100:]:
        writer.submit(record)
    assert writer.stats.held > 0 and writer.stats.dropped == 0
    assert "cannot be written" in caplog.text
    disk.full = False
    await proxy.restore()
    await asyncio.wait_for(writer.flush(), 60)
    await _assert_exactly_once_in_order(direct, records)
    assert writer.stats.held == 0 and not spool.exists()
    await writer.close()


async def test_past_the_memory_bound_lines_are_counted_lost_not_piled_up(proxied, tmp_path: Path,
                                                                          monkeypatch, caplog):
    direct, through, proxy = proxied
    writer, disk = await _full_disk_writer(through, tmp_path, monkeypatch, max_held=25)
    records = [message_record(i) for i in range(200)]
    await proxy.cut()
    disk.full = True  # database and disk both gone from the start
    for record in records:
        writer.submit(record)
    stats = writer.stats
    assert stats.held <= 25 + 20 and stats.queue_depth <= 30 + 25 + 20  # bounded memory
    assert stats.dropped == 200 - 30 - stats.held - writer.stats.spooled and stats.dropped > 0
    assert "records lost so far" in caplog.text
    kept = 200 - stats.dropped
    flushed = asyncio.ensure_future(writer.flush())  # waits for the `kept` records, no more
    for record in [message_record(i) for i in range(200, 230)]:  # lost too: must not count
        writer.submit(record)
    disk.full = False
    await proxy.restore()
    await asyncio.wait_for(flushed, 60)
    assert writer.stats.lines_written >= kept  # flush returned only once they were all in
    stored = [r.line for r in await rows(direct, "SELECT line FROM raw_lines ORDER BY id")]
    sent, kept_lines = [r.line for r in records], set(stored)
    assert stored[:kept] == [line for line in sent if line in kept_lines]  # in order, none twice
    assert len(stored) >= kept
    await writer.close()


async def test_held_records_go_to_the_spool_file_once_the_disk_has_room(proxied, tmp_path: Path,
                                                                       monkeypatch):
    from fakes import FakeClock

    direct, through, proxy = proxied
    clock = FakeClock(0.0)
    writer, disk = await _full_disk_writer(through, tmp_path, monkeypatch, max_held=40,
                                           clock=clock)
    records = [message_record(i) for i in range(300)]
    await proxy.cut()
    disk.full = True
    for record in records[:70]:  # 30 in memory, 40 held
        writer.submit(record)
    assert writer.stats.held == 40 and writer.stats.dropped == 0
    disk.full = False  # room again, the database still away
    clock.advance(5)
    for record in records[70:]:  # held ones move to the file first, then these follow them
        writer.submit(record)
    assert writer.stats.held == 0 and writer.stats.dropped == 0
    assert writer.stats.spool_pending == 270
    await proxy.restore()
    await asyncio.wait_for(writer.flush(), 60)
    await _assert_exactly_once_in_order(direct, records)
    await writer.close()
