"""Lines per second from a local websocket server into a DURABLE store, against TwitchIO 2.10.

- ours: ``recorder run``'s pipeline in-process (our Client -> projection -> Writer), timed until
  every line and its projection rows are COMMITTED, into SQLite (WAL) and into PostgreSQL;
- baseline: TwitchIO 2.10 receiving the same lines into an ``event_message`` that does nothing,
  from the same server (bench_client's BlastServer), in the same run.

Target: our SQLite rate at least 2x TwitchIO's while also storing. Then memory: RSS of this process
and its children (the SQLite writer process) while 1,000,000 lines from 500,000 distinct chatters
are recorded (lines generated lazily by the
server so they do not count), sampled every 100,000 lines (target: under 250 MB and flat).

``python -m bench.bench_ingest --memory-enrich DB`` runs that memory run alone with Helix
enrichment on, against the simulator's Helix in the same process (so its own memory counts too):
the enricher's queue fills to its bound (``PENDING_MAX``) and memory stays flat.
"""
from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

from bench.bench_client import FRAME, BlastServer, rate_lines, run_twitchio
from bench.common import rss_mb, save

TARGET_RATIO = 2.0
MEMORY_LINES = int(os.environ.get("BENCH_INGEST_MEMORY_LINES", 1_000_000))
MEMORY_CHATTERS = MEMORY_LINES // 2
PG_URL = os.environ.get("RECORDER_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


class LazyBlastServer(BlastServer):
    """A BlastServer whose lines are generated as they are sent (not held in memory)."""

    def __init__(self, count: int, chatters: int) -> None:
        super().__init__([])
        self.count, self.chatters = count, chatters

    def generate(self) -> Iterator[str]:
        for n in range(self.count):
            i = n % self.chatters
            yield (f"@badge-info=;badges=;color=#1E90FF;display-name=Chatter{i};emotes=;"
                   f"first-msg=0;flags=;id={uuid.UUID(int=n + 1)};mod=0;returning-chatter=0;"
                   f"room-id=1000;subscriber=0;tmi-sent-ts={1_700_000_000_000 + n};turbo=0;"
                   f"user-id={10_000_000 + i};user-type= "
                   f":chatter{i}!chatter{i}@chatter{i}.tmi.twitch.tv PRIVMSG #bench :hello {n}")

    async def _joined(self, ws: Any, nick: str, channel: str) -> None:
        # blast from a task, so the handler goes on answering the client's PINGs meanwhile
        self.task = asyncio.create_task(self._blast(ws, nick, channel))

    async def _blast(self, ws: Any, nick: str, channel: str) -> None:
        await ws.send_str(f":{nick}!{nick}@{nick}.tmi.twitch.tv JOIN {channel}\r\n")
        frame: list[str] = []
        for line in self.generate():
            frame.append(line)
            if len(frame) == FRAME:
                await ws.send_str("".join(l + "\r\n" for l in frame))
                frame.clear()
        if frame:
            await ws.send_str("".join(l + "\r\n" for l in frame))


async def record(server_url: str, db: str, expected: int,
                 samples: list[tuple[int, float]] | None = None,
                 helix: dict[str, Any] | None = None) -> float:
    """Seconds from start until ``expected`` PRIVMSG rows are committed by the recorder."""
    from recorder.gctune import tune_gc

    defaults = gc.get_threshold()
    tune_gc()  # as Recorder.run (``recorder run``) does; TwitchIO runs with Python's defaults
    try:
        return await _record(server_url, db, expected, samples, helix)
    finally:
        gc.unfreeze()
        gc.set_threshold(*defaults)


async def _record(server_url: str, db: str, expected: int,
                  samples: list[tuple[int, float]] | None, helix: dict[str, Any] | None) -> float:
    from recorder.recording import Recorder, RecorderConfig

    recorder = Recorder(RecorderConfig(channels=["bench"], db=db, irc_url=server_url,
                                       enrich=helix is not None, status_interval=3600.0,
                                       **(helix or {})))
    await recorder.open()
    recorder.client = recorder._make_client()
    recorder.session_id = await recorder.writer.start_session(server_url=server_url, nick=None,
                                                              version="bench")
    started = time.perf_counter()
    task = asyncio.create_task(recorder.client.start())
    enrich = recorder._start_enrichment() if helix is not None else None
    next_sample = 100_000
    while recorder.writer.stats.lines_written < expected:
        await asyncio.sleep(0.05)
        if samples is not None and recorder.lines >= next_sample:
            samples.append((recorder.lines, rss_mb()))
            next_sample += 100_000
        if task.done():
            task.result()
    elapsed = time.perf_counter() - started
    if enrich is not None:
        enrich.cancel()
        await asyncio.gather(enrich, return_exceptions=True)
    await recorder.shutdown(task)
    return elapsed


async def store_ceiling(lines: list[str], db: str, batch: int = 2500) -> float:
    """Lines/s that the SQLite writer process commits when handed the same lines already
    projected and packed (``batch`` lines a message, as the live writer hands them over at
    this rate): the most a recorder of any speed could store through one SQLite writer here."""
    import sqlite3
    from datetime import datetime, timedelta, timezone

    from recorder.store.db import upgrade_to_head
    from recorder.store.projections import project_line
    from recorder.store.records import RawRecord
    from recorder.store.sqlite_proc import SQLiteProcess, pack_batch

    await upgrade_to_head(db)
    with sqlite3.connect(db) as con:
        session = con.execute("INSERT INTO sessions (started_at) VALUES ('2024-05-01 18:00:00.000000')").lastrowid
    base = datetime(2024, 5, 1, 18, tzinfo=timezone.utc)
    records = []
    for n, line in enumerate(lines):
        at = base + timedelta(microseconds=40 * n)
        channel, command, error, rows = project_line(line, at)
        records.append(RawRecord(at, line, channel, command, session, rows=rows, parse_error=error))
    blobs = [pack_batch(records[i:i + batch])[0] for i in range(0, len(records), batch)]
    child = SQLiteProcess(db)
    await child.start()
    try:
        started = time.perf_counter()
        await asyncio.gather(*[child.commit(blob) for blob in blobs])
        return len(lines) / (time.perf_counter() - started)
    finally:
        await child.close(final=True)


async def fresh_pg_db() -> tuple[str, Any]:
    import asyncpg

    admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    name = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_URL.rpartition('/')[0]}/{name}", (admin, name)


async def drop_pg_db(handle: Any) -> None:
    admin, name = handle
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def run(tmp: Path) -> dict[str, Any]:
    lines = rate_lines()
    n = len(lines)
    handshake = 1  # the JOIN echo is recorded too
    out: dict[str, Any] = {"lines": n}
    sqlite_s, twitchio_s = [], []
    for i in range(3):  # a fresh server for every run, alternating ours and the baseline
        async with BlastServer(lines) as server:
            sqlite_s.append(await record(server.url, str(tmp / f"ingest{i}.db"), n + handshake))
        async with BlastServer(lines) as server:
            twitchio_s.append(await run_twitchio(server.url, n))
    pg_url, handle = await fresh_pg_db()
    try:
        async with BlastServer(lines) as server:
            pg_s = await record(server.url, pg_url, n + handshake)
    finally:
        await drop_pg_db(handle)
    ceiling = max([await store_ceiling(lines, str(tmp / f"ceiling{i}.db")) for i in range(2)])
    out.update(sqlite_per_s=n / min(sqlite_s), twitchio_per_s=n / min(twitchio_s),
               postgres_per_s=n / pg_s, sqlite_writer_alone_per_s=ceiling)
    # memory in a fresh process: what TwitchIO and the rate runs allocated must not count
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bench_ingest", "--memory", str(tmp / "memory.db"),
        stdout=asyncio.subprocess.PIPE)
    stdout, _ = await proc.communicate()
    out["rss_samples_mb"] = json.loads(stdout.decode().strip().splitlines()[-1])
    return out


async def memory_run(db: str, enrich: bool = False) -> list[tuple[int, float]]:
    """RSS every 100,000 lines; ``enrich``: with Helix enrichment on, against the simulator's
    Helix (which knows none of these chatters: every one of them is asked for, at Helix's rate
    limit, so most wait in the enricher's bounded queue)."""
    from recorder.sim.server import Simulator

    samples: list[tuple[int, float]] = [(0, round(rss_mb(), 1))]
    async with LazyBlastServer(MEMORY_LINES, MEMORY_CHATTERS) as server:
        if not enrich:
            await record(server.url, db, MEMORY_LINES + 1, samples)
        else:
            async with Simulator(channels=1, traffic=False) as sim:
                helix = {"helix_url": sim.helix_url, "auth_url": sim.auth_url,
                         "client_id": sim.client_id, "client_secret": sim.client_secret}
                await record(server.url, db, MEMORY_LINES + 1, samples, helix)
    return [(count, round(mb, 1)) for count, mb in samples]


def main() -> int:
    if sys.argv[1:2] in (["--memory"], ["--memory-enrich"]):
        print(json.dumps(asyncio.run(memory_run(sys.argv[2], sys.argv[1] == "--memory-enrich"))))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        r = asyncio.run(run(Path(tmp)))
    ratio = r["sqlite_per_s"] / r["twitchio_per_s"]
    samples = r["rss_samples_mb"]
    peak = max((mb for _, mb in samples), default=0.0)
    growth = (samples[-1][1] - samples[len(samples) // 2][1]) if len(samples) > 2 else 0.0
    samples = [tuple(s) for s in samples]
    result = {
        "lines": r["lines"], "ours_sqlite_durable_lines_per_s": round(r["sqlite_per_s"]),
        "ours_postgres_durable_lines_per_s": round(r["postgres_per_s"]),
        "twitchio_2_10_no_storage_lines_per_s": round(r["twitchio_per_s"]),
        "ratio_sqlite_vs_twitchio": round(ratio, 2), "target_ratio": TARGET_RATIO,
        "sqlite_writer_process_alone_lines_per_s": round(r["sqlite_writer_alone_per_s"]),
        "memory_lines": MEMORY_LINES, "memory_distinct_chatters": MEMORY_CHATTERS,
        "rss_samples_mb": samples, "rss_peak_mb": peak,
        "rss_growth_second_half_mb": round(growth, 1), "target_peak_mb": 250,
    }
    print(f"{r['lines']:,} PRIVMSG lines from a local websocket server")
    print(f"  ours -> SQLite, committed      {r['sqlite_per_s']:>10,.0f} lines/s")
    print(f"  ours -> PostgreSQL, committed  {r['postgres_per_s']:>10,.0f} lines/s")
    print(f"  twitchio 2.10, no storage      {r['twitchio_per_s']:>10,.0f} lines/s")
    print(f"  ratio (SQLite / twitchio)      {ratio:>10.2f}x   target >= {TARGET_RATIO}x "
          f"{'MET' if ratio >= TARGET_RATIO else 'NOT MET'}")
    alone = r["sqlite_writer_alone_per_s"]
    print(f"  SQLite writer process alone    {alone:>10,.0f} lines/s   (the same lines projected and "
          f"packed beforehand: one SQLite writer's ceiling here; {TARGET_RATIO}x twitchio needs "
          f"{TARGET_RATIO * r['twitchio_per_s']:,.0f}, i.e. {TARGET_RATIO * r['twitchio_per_s'] / alone:.2f}x it)")
    print(f"{MEMORY_LINES:,} lines from {MEMORY_CHATTERS:,} distinct chatters into SQLite: RSS (MB) "
          + ", ".join(f"{c // 1000}k={mb:.0f}" for c, mb in samples))
    print(f"  peak {peak:.0f} MB (target < 250), growth over the second half {growth:+.1f} MB")
    print(f"  results: {save('ingest', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
