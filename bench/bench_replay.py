"""Replay and rebuild rates from a SQLite archive, against the live ingest rate of the same lines.

1. live ingest (the baseline, timed): N realistic lines through the recorder's own path, parse ->
   typed event -> projection -> ``Writer`` (batched, durable) into a fresh SQLite file;
2. replay: the stored lines read back in batches, parsed again and fed to ``Client.pool_line``,
   into a Client with no handlers (the dispatch path itself; target >= 100,000 events/s) and,
   for the record, into one whose ``event_message`` does nothing (one handler task per message);
3. rebuild: every projection table emptied and rebuilt from raw_lines (target >= 50,000 lines/s),
   projected in the process itself and by ``recorder rebuild``'s default (one worker process
   projecting while the main one reads, on a machine with more than 2 CPUs; none here), the
   inserts made by the SQLite writer process in both.
Each rate is also given as its ratio to the live ingest rate measured in the same run.
"""
from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.common import realistic_lines, save

LINES = int(os.environ.get("BENCH_REPLAY_LINES", 200_000))
TARGET_REPLAY = 100_000
TARGET_REBUILD = 50_000


async def ingest(url: str, lines: list[str]) -> float:
    """Seconds to store ``lines`` through the live path until committed."""
    from recorder.client.events import parse_event
    from recorder.client.irc import ParseError, parse_line
    from recorder.store.db import make_engine, upgrade_to_head
    from recorder.store.projections import describe_line, project
    from recorder.store.writer import RawRecord, Writer

    await upgrade_to_head(url)
    engine = make_engine(url)
    writer = Writer(engine, max_queue=len(lines) + 1, process=True)  # as `recorder run` writes
    await writer.start()
    base = datetime(2024, 5, 1, 18, tzinfo=timezone.utc)
    start = time.perf_counter()
    for n, line in enumerate(lines):
        at = base + timedelta(milliseconds=40 * n)
        try:
            message = parse_line(line)
        except ParseError as exc:
            writer.submit(RawRecord(at, line, None, None, None, parse_error=exc.reason))
            continue
        channel, command = describe_line(message)
        writer.submit(RawRecord(at, line, channel, command, None, rows=project(parse_event(message), at)))
        if n % 5000 == 0:
            await asyncio.sleep(0)  # the writer task commits while lines keep coming
    await writer.flush()
    elapsed = time.perf_counter() - start
    await writer.close()
    await engine.dispose()
    return elapsed


async def replay_rate(url: str, handler: Any) -> tuple[float, int]:
    from recorder.replay import replay_into

    start = time.perf_counter()
    stats = await replay_into(handler, url)
    return stats.events / (time.perf_counter() - start), stats.events


async def rebuild_rate(url: str, workers: int) -> tuple[float, int]:
    from recorder.rebuild import rebuild

    stats = await rebuild(url, from_scratch=True, migrate=False, workers=workers)
    return stats.lines / stats.seconds, stats.lines


async def insert_ceiling(url: str, batch_size: int = 5000) -> float:
    """Lines/s of rebuild's SQLite side alone: every batch projected beforehand (untimed), then
    timed as rebuild does it: the secondary indexes dropped, the tables emptied, the batches
    committed by the SQLite writer process (one transaction each) and the indexes created
    again. No rebuild, however its projection is spread over processes, can beat this with one
    SQLite writer on this machine."""
    from recorder.rebuild import _commit_batch, _secondary_indexes, _start, project_batch
    from recorder.store.db import make_engine, sqlite_file
    from recorder.store.rawlog import read_raw_lines
    from recorder.store.sqlite_proc import SQLiteProcess

    engine = make_engine(url)
    try:
        projected = [project_batch(batch, "sqlite-process")
                     async for batch in read_raw_lines(engine, batch_size=batch_size)]
        lines = sum(p.lines for p in projected)
        started = time.perf_counter()
        await _secondary_indexes(engine, drop=True)
        await _start(engine, True)
        child = SQLiteProcess(sqlite_file(engine))
        await child.start()
        try:
            for batch in projected:
                await _commit_batch(engine, child, batch)
        finally:
            await child.close(final=True)
        await _secondary_indexes(engine, drop=False)
        elapsed = time.perf_counter() - started
    finally:
        await engine.dispose()
    # leave the archive as a finished rebuild would (for the runs that follow)
    from recorder.rebuild import rebuild
    await rebuild(url, from_scratch=True, migrate=False)
    return lines / elapsed


def main() -> int:
    from recorder.client.client import Client
    from recorder.rebuild import auto_workers
    from recorder.gctune import tune_gc

    tune_gc()  # as recorder run, replay and rebuild do

    class NoOp(Client):
        async def event_message(self, message: Any) -> None:
            pass

    lines = realistic_lines(LINES)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        live = len(lines) / asyncio.run(ingest(url, lines))
        replay, events = max(asyncio.run(replay_rate(url, Client())) for _ in range(3))
        replay_noop, _ = max(asyncio.run(replay_rate(url, NoOp())) for _ in range(2))
        rebuild_here, rebuilt = max(asyncio.run(rebuild_rate(url, 0)) for _ in range(2))
        rebuild_worker, _ = max(asyncio.run(rebuild_rate(url, 1)) for _ in range(2))
        rebuild = rebuild_here if auto_workers() == 0 else rebuild_worker  # recorder rebuild's
        ceiling = max(asyncio.run(insert_ceiling(url)) for _ in range(2))
    result = {
        "lines": len(lines), "events_replayed": events, "lines_rebuilt": rebuilt,
        "live_ingest_sqlite_lines_per_s": round(live),
        "replay_events_per_s": round(replay), "ratio_replay_vs_live": round(replay / live, 2),
        "replay_noop_event_message_events_per_s": round(replay_noop),
        "ratio_replay_noop_event_message_vs_live": round(replay_noop / live, 2),
        "rebuild_lines_per_s": round(rebuild), "ratio_rebuild_vs_live": round(rebuild / live, 2),
        "rebuild_workers": auto_workers(), "rebuild_in_process_lines_per_s": round(rebuild_here),
        "rebuild_one_worker_lines_per_s": round(rebuild_worker),
        "rebuild_sqlite_side_alone_lines_per_s": round(ceiling),
        "target_replay_events_per_s": TARGET_REPLAY, "target_rebuild_lines_per_s": TARGET_REBUILD,
        "target_met": replay >= TARGET_REPLAY and rebuild >= TARGET_REBUILD,
    }
    print(f"{len(lines)} realistic lines, SQLite archive")
    print(f"  live ingest (parse+project+Writer)   {live:>10,.0f} lines/s")
    print(f"  replay -> Client (no handlers)       {replay:>10,.0f} events/s  ({replay / live:.2f}x live)"
          f"  target >= {TARGET_REPLAY:,} {'MET' if replay >= TARGET_REPLAY else 'NOT MET'}")
    print(f"  replay -> no-op event_message        {replay_noop:>10,.0f} events/s  ({replay_noop / live:.2f}x live)")
    print(f"  rebuild, projected in this process   {rebuild_here:>10,.0f} lines/s   ({rebuild_here / live:.2f}x live)")
    print(f"  rebuild, 1 worker process            {rebuild_worker:>10,.0f} lines/s   ({rebuild_worker / live:.2f}x live)")
    print(f"  rebuild as recorder rebuild runs it  {rebuild:>10,.0f} lines/s   ({auto_workers()} worker(s) "
          f"on {os.cpu_count()} CPUs)  target >= {TARGET_REBUILD:,} {'MET' if rebuild >= TARGET_REBUILD else 'NOT MET'}")
    print(f"  rebuild's SQLite side alone          {ceiling:>10,.0f} lines/s   (rows projected beforehand: "
          f"the ceiling of one SQLite writer here)")
    print(f"  results: {save('replay', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
