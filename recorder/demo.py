"""``make demo``: the simulator plus a real 30-second recording of three channels into
./demo.db (with Helix enrichment against the simulated API), then a summary and a report.

Usage: python -m recorder.demo [--seconds 30] [--db demo.db] [--rate 8]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from recorder.recording import Recorder, RecorderConfig, configure_logging


async def demo(seconds: float, db: Path, rate: float, channels: int) -> int:
    from recorder.sim.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from recorder.sim.server import Simulator
    from recorder.summary import print_summary

    for suffix in ("", "-wal", "-shm", ".spool"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    async with Simulator(port=0, channels=channels, rate=rate, seed=42) as sim:
        names = sorted(sim.world.channels)[:channels]
        print(f"simulator: IRC {sim.irc_url}  Helix {sim.helix_url}")
        print(f"recording #{', #'.join(names)} for {seconds:.0f} s into {db} ...", flush=True)
        config = RecorderConfig(
            channels=names, db=str(db), irc_url=sim.irc_url, helix_url=sim.helix_url,
            auth_url=sim.auth_url, client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET, duration=seconds, status_interval=5.0,
        )
        await Recorder(config).run()
    print()
    await print_summary(str(db))
    from analytics.report import print_report_tables, write_report

    print()
    print_report_tables(str(db))
    out = write_report(str(db), Path("demo-report"))
    print(f"\nreport (plots inlined, open in a browser): {out.resolve()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recorder.demo")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--db", type=Path, default=Path("demo.db"))
    parser.add_argument("--rate", type=float, default=8.0, help="messages per second per channel")
    parser.add_argument("--channels", type=int, default=3)
    args = parser.parse_args(argv)
    configure_logging("INFO")
    return asyncio.run(demo(args.seconds, args.db, args.rate, args.channels))


if __name__ == "__main__":
    sys.exit(main())
