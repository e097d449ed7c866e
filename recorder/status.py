"""The live status of a recording: a rich table on a terminal, plain log lines otherwise.

Takes its console and clock as arguments (the rich habit), so it can be tested and switched off.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable

from rich.console import Console
from rich.live import Live
from rich.table import Table

log = logging.getLogger("recorder.status")


class StatusView:
    """Per-channel line rates, totals, writer queue depth, connection state."""

    def __init__(self, recorder: Any, *, console: Console | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.recorder = recorder
        self.console = console or Console(stderr=False)
        self.clock = clock
        self._last_counts: dict[str, int] = {}
        self._last_at = clock()

    def snapshot(self) -> dict[str, Any]:
        now = self.clock()
        elapsed = max(now - self._last_at, 1e-9)
        counts = dict(self.recorder.counts)
        rates = {ch: (n - self._last_counts.get(ch, 0)) / elapsed for ch, n in counts.items()}
        self._last_counts, self._last_at = counts, now
        writer_stats = getattr(self.recorder.writer, "stats", None)
        client = self.recorder.client
        return {
            "lines": self.recorder.lines,
            "malformed": self.recorder.malformed,
            "counts": counts,
            "rates": rates,
            "queue": _get(writer_stats, "queue_depth"),
            "spooled": _get(writer_stats, "spooled"),
            "written": _get(writer_stats, "lines_written"),
            "lost": _get(writer_stats, "dropped"),
            "held": _get(writer_stats, "held"),
            "channels": sorted(getattr(client, "joined_channels", []) or []),
            "connections": (getattr(client, "stats", {}) or {}).get("connections"),
        }

    def table(self, snap: dict[str, Any]) -> Table:
        table = Table(title="recorder",
                      caption=f"{snap['lines']:,} lines read, {snap['written'] or 0:,} written, "
                              f"queue {snap['queue']}, spooled {snap['spooled']}, "
                              f"malformed {snap['malformed']}, connections {snap['connections']}"
                              + (f", HELD in memory (spool file not writable) {snap['held']:,}"
                                 if snap.get("held") else "")
                              + (f", LOST {snap['lost']:,}" if snap.get("lost") else ""))
        table.add_column("channel")
        table.add_column("joined")
        table.add_column("lines", justify="right")
        table.add_column("lines/s", justify="right")
        joined = set(snap["channels"])
        for channel in sorted(set(snap["counts"]) | joined):
            table.add_row(channel, "yes" if channel in joined else "no",
                          f"{snap['counts'].get(channel, 0):,}",
                          f"{snap['rates'].get(channel, 0.0):.1f}")
        return table

    def log_line(self, snap: dict[str, Any]) -> str:
        per = ", ".join(f"{ch}={snap['rates'].get(ch, 0.0):.1f}/s" for ch in sorted(snap["counts"]))
        return (f"lines={snap['lines']} malformed={snap['malformed']} queue={snap['queue']} "
                f"written={snap['written']} spooled={snap['spooled']} "
                f"connections={snap['connections']} joined={len(snap['channels'])} {per}"
                + (f" held={snap['held']}" if snap.get("held") else "")
                + (f" lost={snap['lost']}" if snap.get("lost") else ""))

    async def run(self, interval: float) -> None:
        if self.console.is_terminal:
            with Live(self.table(self.snapshot()), console=self.console,
                      refresh_per_second=2) as live:
                while True:
                    await asyncio.sleep(min(interval, 1.0))
                    live.update(self.table(self.snapshot()))
        while True:
            await asyncio.sleep(interval)
            log.info(self.log_line(self.snapshot()))


def _get(stats: Any, name: str) -> Any:
    if stats is None:
        return None
    if isinstance(stats, dict):
        return stats.get(name)
    return getattr(stats, name, None)
