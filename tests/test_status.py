"""The status view takes its console and clock: rates per channel, the table, the log line."""
from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from recorder.status import StatusView


def test_rates_table_and_log_line():
    now = [100.0]
    recorder = SimpleNamespace(
        counts={"alpha": 0, "bravo": 0}, lines=0, malformed=0,
        writer=SimpleNamespace(stats=SimpleNamespace(queue_depth=3, spooled=0, lines_written=0)),
        client=SimpleNamespace(joined_channels={"alpha"}, stats={"connections": 1}))
    view = StatusView(recorder, console=Console(file=io.StringIO(), width=100), clock=lambda: now[0])
    recorder.counts = {"alpha": 50, "bravo": 10}
    recorder.lines = 62
    now[0] += 10.0
    snap = view.snapshot()
    assert snap["rates"] == {"alpha": 5.0, "bravo": 1.0}
    assert snap["queue"] == 3 and snap["channels"] == ["alpha"]
    assert "alpha=5.0/s" in view.log_line(snap) and "connections=1" in view.log_line(snap)
    view.console.print(view.table(snap))
    out = view.console.file.getvalue()
    assert "alpha" in out and "bravo" in out and "62 lines read" in out


def test_held_and_lost_records_are_shown_only_when_there_are_some():
    stats = SimpleNamespace(queue_depth=0, spooled=0, lines_written=5, dropped=0, held=0)
    recorder = SimpleNamespace(counts={}, lines=5, malformed=0, writer=SimpleNamespace(stats=stats),
                               client=SimpleNamespace(joined_channels=set(), stats={}))
    view = StatusView(recorder, console=Console(file=io.StringIO(), width=120), clock=lambda: 0.0)
    assert "lost" not in view.log_line(view.snapshot()) and "held" not in view.log_line(view.snapshot())
    stats.dropped, stats.held = 7, 30
    line = view.log_line(view.snapshot())
    assert "lost=7" in line and "held=30" in line
    view.console.print(view.table(view.snapshot()))
    assert "HELD in memory" in view.console.file.getvalue()
