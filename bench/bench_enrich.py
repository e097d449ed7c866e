"""Enrichment of 50,000 distinct users against the simulator's Helix (800 points per minute).

Reports the requests made against the minimum possible (ceil(ids / 100)), 429s received (target:
none: the client's bucket is obeyed before sending), and ids per minute against the theoretical
maximum of the bucket (800 requests/min x 100 ids, plus the first full bucket).
"""
from __future__ import annotations

import asyncio
import math
import os
import tempfile
import time
from pathlib import Path

from bench.common import save

USERS = int(os.environ.get("BENCH_ENRICH_USERS", 50_000))
#: a second run large enough to empty the bucket, so the sustained rate is the bucket's
SUSTAINED_USERS = int(os.environ.get("BENCH_ENRICH_SUSTAINED_USERS", 150_000))
POINTS = 800


async def run(tmp: Path, users: int) -> dict:
    from recorder.client.api import HelixAPI
    from recorder.enrich import BATCH, Enricher
    from recorder.sim.server import Simulator
    from recorder.store.db import make_engine, upgrade_to_head

    url = f"sqlite+aiosqlite:///{tmp / 'enrich.db'}"
    await upgrade_to_head(url)
    engine = make_engine(url)
    async with Simulator(channels=3, traffic=False, users=users + 100, seed=2) as sim:
        ids = sorted(sim.world.users_by_id)[:users]
        api = HelixAPI(client_id=sim.client_id, client_secret=sim.client_secret,
                       helix_url=sim.helix_url, auth_url=sim.auth_url)
        enricher = Enricher(api, engine, channels=[])
        enricher.add_users(ids)
        before = len(sim.helix.requests)
        started = time.perf_counter()
        while enricher.pending_users:
            await enricher.fetch_users(sorted(enricher.pending_users)[:BATCH])
        elapsed = time.perf_counter() - started
        requests = len(sim.helix.requests) - before
        limited = api.http.stats.rate_limited
        await api.http.close()
    await engine.dispose()
    minutes = elapsed / 60
    # at most a full bucket at once, then POINTS per minute: the best any client can do
    best = (POINTS + POINTS * max(0.0, minutes)) * 100
    return {"users": users, "requests": requests, "minimum_requests": math.ceil(users / 100),
            "responses_429": limited, "seconds": round(elapsed, 2),
            "ids_per_minute": users / minutes,
            "bucket_max_ids_per_minute": POINTS * 100,
            "bucket_max_ids_in_that_time": best}


def main() -> int:
    results = []
    for users in (USERS, SUSTAINED_USERS):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(asyncio.run(run(Path(tmp), users)))
        report(results[-1])
    print(f"  results: {save('enrich', {'runs': results})}")
    return 0


def report(r: dict) -> None:
    print(f"{r['users']:,} distinct users enriched against the simulated Helix ({POINTS} points/min)")
    print(f"  requests made       {r['requests']:>10,}   minimum possible {r['minimum_requests']:,} "
          f"(ratio {r['requests'] / r['minimum_requests']:.2f})")
    print(f"  429 responses       {r['responses_429']:>10,}")
    print(f"  ids per minute      {r['ids_per_minute']:>10,.0f}   in {r['seconds']:.1f} s")
    print(f"  ids enriched / most the bucket allows in that time: {r['users']:,} / "
          f"{r['bucket_max_ids_in_that_time']:,.0f} = "
          f"{r['users'] / r['bucket_max_ids_in_that_time']:.2f}"
          + ("  (fits in the first full bucket: the rate is the server's)"
             if r['minimum_requests'] <= POINTS else ""))


if __name__ == "__main__":
    raise SystemExit(main())
