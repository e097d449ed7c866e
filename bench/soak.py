"""A bounded soak run: ``recorder run`` (a subprocess) against the simulator at a high rate, with
a fault every few seconds, writing to a fresh database; then the checks.

    make soak                      # both stores, SOAK_SECONDS=180 each by default
    SOAK_DB=sqlite SOAK_SECONDS=60 SOAK_RATE=150 .venv/bin/python -m bench.soak

``SOAK_DB``: ``postgresql`` (default) or ``sqlite``. Faults, in turn: RECONNECT, a close frame
(1000), a TCP drop (1006), half-open (silent connections), malformed lines, Helix 429 / 500 /
401; on SQLite also a SIGKILL of the recorder's writer process (``recorder.store.sqlite_child``).
Once, in the middle, the database goes away: PostgreSQL is restarted
(``pg_ctlcluster --skip-systemctl-redirect 15 main restart``), or another connection holds the
SQLite file's write lock for 15 s (past the writer's 10 s busy timeout); SOAK_OUTAGE=0 turns it
off. At the end: every line the simulator wrote to a connection is in ``raw_lines`` exactly
once (as a multiset: a line sent to two connections during a RECONNECT overlap is stored twice,
once per connection), the recorder's RSS (with its child processes) stayed flat (peak of the
first fifth vs the last fifth of the run), and ``recorder coverage`` shows a gap for the
outages. Prints the figures; exits 1 if a check fails. Uses the machine's clock only to pace
faults and sample RSS.
"""
from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import sqlalchemy as sa

from bench.common import child_pids, rss_mb

from recorder.sim.server import Simulator
from recorder.store import schema
from recorder.store.db import make_engine
from recorder.store.bulk import escape_text

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("SOAK_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_RESTART = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"]
CHANNELS = 4


SQLITE_LOCK_SECONDS = 15.0


class Soak:
    def __init__(self, seconds: float, rate: float, fault_every: float, outage: bool,
                 store: str = "postgresql") -> None:
        if store not in ("postgresql", "sqlite"):
            raise SystemExit(f"SOAK_DB must be postgresql or sqlite, not {store!r}")
        self.seconds, self.rate, self.fault_every, self.outage = seconds, rate, fault_every, outage
        self.store = store
        self.faults: collections.Counter[str] = collections.Counter()
        self.rss: list[tuple[float, int]] = []
        self.proc: asyncio.subprocess.Process | None = None

    async def _database(self) -> tuple[str, str]:
        name = f"soak_{uuid.uuid4().hex[:10]}"
        if self.store == "sqlite":
            path = ROOT / "bench" / "results" / f"{name}.db"
            path.parent.mkdir(parents=True, exist_ok=True)
            return name, str(path)
        admin = await asyncpg.connect(PG_ADMIN, timeout=10)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        base = PG_ADMIN.rpartition("/")[0]
        return name, f"{base}/{name}"

    async def _count(self, url: str) -> int:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(sa.select(sa.func.count()).select_from(schema.raw_lines))).scalar()
        except Exception:
            return -1
        finally:
            await engine.dispose()

    async def _sample_rss(self, t0: float) -> None:
        while self.proc is not None and self.proc.returncode is None:
            self.rss.append((time.monotonic() - t0, int(rss_mb(self.proc.pid) * 1024)))
            await asyncio.sleep(1.0)

    async def _fault(self, sim: Simulator, kind: str) -> None:
        if kind == "reconnect":
            await sim.send_reconnect()
        elif kind == "close":
            await sim.close_connections(1000)
        elif kind == "drop":
            await sim.close_connections(1006, abnormal=True)
        elif kind == "half-open":
            sim.go_silent(True)  # current connections only; the client's keepalive finds out
        elif kind == "malformed":
            await sim.send_malformed()
        elif kind in ("helix-429", "helix-500", "helix-401"):
            sim.helix.fail_next(int(kind[-3:]), 3)
        elif kind == "writer-kill":
            if not self._kill_writer():
                return
        elif kind == "sqlite-lock":
            asyncio.create_task(asyncio.to_thread(self._hold_sqlite_lock))
        elif kind == "pg-restart":
            proc = await asyncio.to_thread(subprocess.run, PG_RESTART, capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"  pg restart failed: {proc.stderr.strip()}", file=sys.stderr)
                return
        self.faults[kind] += 1

    def _kill_writer(self) -> bool:
        """SIGKILL the recorder's SQLite writer process(es); False if there was none."""
        killed = False
        assert self.proc is not None
        for pid in child_pids(self.proc.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"recorder.store.sqlite_child" in cmdline:
                os.kill(pid, signal.SIGKILL)
                killed = True
        return killed

    def _hold_sqlite_lock(self) -> None:
        """Another connection takes the SQLite file's write lock for SQLITE_LOCK_SECONDS."""
        import sqlite3

        con = sqlite3.connect(self.db_path, isolation_level=None, timeout=30)
        try:
            con.execute("BEGIN IMMEDIATE")
            time.sleep(SQLITE_LOCK_SECONDS)
            con.execute("ROLLBACK")
        finally:
            con.close()

    async def _faults(self, sim: Simulator, t0: float) -> None:
        cycle = ["reconnect", "malformed", "helix-429", "close", "helix-500", "drop",
                 "helix-401", "half-open", "malformed"]
        if self.store == "sqlite":
            cycle.insert(4, "writer-kill")
        outage = "sqlite-lock" if self.store == "sqlite" else "pg-restart"
        restarted, i = not self.outage, 0
        while True:
            await asyncio.sleep(self.fault_every)
            elapsed = time.monotonic() - t0
            if elapsed > self.seconds - 15:  # quiet at the end: let the last reconnect settle
                continue
            if not restarted and elapsed >= self.seconds / 2:
                restarted = True
                await self._fault(sim, outage)
                continue
            await self._fault(sim, cycle[i % len(cycle)])
            i += 1

    async def run(self) -> int:
        name, url = await self._database()
        self.db_path = url
        log_path = ROOT / "bench" / "results" / "soak-recorder.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        names = [f"soak_{i}" for i in range(CHANNELS)]
        async with Simulator(channels=CHANNELS, channel_names=names, rate=self.rate, seed=99,
                             transcripts=True, traffic=False) as sim:
            with open(log_path, "wb") as log:
                self.proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "recorder.cli", "run", "--channels", ",".join(names),
                    "--db", url, "--irc-url", sim.irc_url, "--helix-url", sim.helix_url,
                    "--auth-url", sim.auth_url, "--client-id", sim.client_id,
                    "--client-secret", sim.client_secret, "--spool", str(log_path.with_suffix(".spool")),
                    cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                await sim.wait_for(lambda: all(sim.joined(c) for c in names), timeout=60)
                sim.start_traffic()
                t0 = time.monotonic()
                sampler = asyncio.create_task(self._sample_rss(t0))
                faults = asyncio.create_task(self._faults(sim, t0))
                await asyncio.sleep(self.seconds)
                faults.cancel()
                await sim.stop_traffic()
                sent = [line for t in sim.transcripts() for line in t]
                stored_count = await self._settle(url, len(sent))
                self.proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(self.proc.wait(), 120)
                sampler.cancel()
        return await self._report(url, name, sent, stored_count, log_path)

    async def _settle(self, url: str, target: int) -> int:
        """Wait (bounded) until the archive holds as many lines as were sent, or stops growing."""
        last, still = -1, 0
        for _ in range(240):
            n = await self._count(url)
            if n >= target:
                return n
            still = still + 1 if n == last else 0
            if still >= 20:  # 10 s without progress
                return n
            last = n
            await asyncio.sleep(0.5)
        return last

    async def _report(self, url: str, name: str, sent: list[str], stored_count: int,
                      log_path: Path) -> int:
        engine = make_engine(url)
        async with engine.connect() as conn:
            stored = list((await conn.execute(sa.select(schema.raw_lines.c.line))).scalars())
            gaps = (await conn.execute(sa.select(sa.func.count()).select_from(schema.connection_events)
                                       .where(schema.connection_events.c.kind == "disconnected"))).scalar()
        await engine.dispose()
        coverage = subprocess.run([sys.executable, "-m", "recorder.cli", "coverage", "--db", url],
                                  capture_output=True, text=True, cwd=ROOT, timeout=120)
        gap_lines = [l for l in coverage.stdout.splitlines() if l.strip().startswith("GAP")]
        # PostgreSQL text cannot hold NUL: the writer stores such a line escaped (documented)
        escaped = sum("\x00" in line for line in sent) if self.store == "postgresql" else 0
        want = collections.Counter(escape_text(l) if escaped and "\x00" in l else l for l in sent)
        got = collections.Counter(stored)
        missing = sum((want - got).values())
        extra = sum((got - want).values())
        n = max(1, len(self.rss) // 5)
        rss_start = max(kb for _, kb in self.rss[:n]) if self.rss else 0
        rss_end = max(kb for _, kb in self.rss[-n:]) if self.rss else 0
        drops = sum(self.faults[k] for k in ("reconnect", "close", "drop", "half-open"))
        print(f"soak ({self.store}): {self.seconds:.0f} s at {self.rate:.0f} events/s per channel x {CHANNELS} "
              f"channels, a fault every {self.fault_every:.0f} s; database {name}")
        print(f"  lines sent           {len(sent):,}")
        print(f"  lines stored         {len(stored):,}  (missing {missing}, extra {extra}; "
              f"{escaped} with NUL stored escaped)")
        print(f"  faults injected      {sum(self.faults.values())}: "
              + ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())))
        print(f"  gaps recorded        {len(gap_lines)} in `recorder coverage`; "
              f"{gaps} disconnected events")
        print(f"  recorder RSS (peak)  first fifth {rss_start / 1024:.1f} MiB, "
              f"last fifth {rss_end / 1024:.1f} MiB, overall {max(kb for _, kb in self.rss) / 1024:.1f} MiB")
        print(f"  recorder exit        {self.proc.returncode}; log {log_path.relative_to(ROOT)}")
        print("  coverage:\n" + "\n".join("    " + l for l in coverage.stdout.splitlines()[:40]))
        checks = {
            "every sent line stored exactly once": missing == 0 and extra == 0,
            "memory flat (last fifth <= first fifth * 1.25 + 16 MiB)": rss_end <= rss_start * 1.25 + 16384,
            "a gap recorded for the outages": len(gap_lines) > 0 and gaps >= min(drops, 1),
            "recorder exited cleanly": self.proc.returncode == 0,
        }
        for what, ok in checks.items():
            print(f"  {'ok  ' if ok else 'FAIL'} {what}")
        return 0 if all(checks.values()) else 1


def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS", "180"))
    rate = float(os.environ.get("SOAK_RATE", "100"))
    every = float(os.environ.get("SOAK_FAULT_EVERY", "4"))
    outage = os.environ.get("SOAK_OUTAGE", os.environ.get("SOAK_PG_RESTART", "1")) != "0"
    store = os.environ.get("SOAK_DB", "postgresql")
    return asyncio.run(Soak(seconds, rate, every, outage, store).run())


if __name__ == "__main__":
    sys.exit(main())
