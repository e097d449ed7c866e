"""The report: PNG plots, one self-contained HTML page, tables in the terminal."""
from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from rich.console import Console

from analytics.report import print_report_tables, write_report
from tests.analytics.archive import at

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLOTS = {"coverage", "messages_per_minute", "top_chatters", "emote_leaderboard", "chat_vs_viewers"}


def test_write_report_inlines_every_plot(archive_url, cache, tmp_path: Path):
    out = tmp_path / "report"
    page = write_report(archive_url, out, cache=cache)
    assert page == out / "report.html" and page.is_file()
    assert {p.stem for p in out.glob("*.png")} == PLOTS
    text = page.read_text(encoding="utf-8")
    inlined = re.findall(r'<img alt="([a-z_]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert {name for name, _ in inlined} == PLOTS
    for name, data in inlined:
        assert base64.b64decode(data) == (out / f"{name}.png").read_bytes()
        assert base64.b64decode(data).startswith(PNG_MAGIC)
    assert "src=\"http" not in text and "<link" not in text  # nothing to fetch
    assert "alice" in text and "Kappa" in text and "gifted_subs" in text


def test_report_for_one_channel_without_snapshots(archive_url, cache, tmp_path: Path):
    page = write_report(archive_url, tmp_path / "beta", channel="beta", since=at(0), cache=cache)
    text = page.read_text(encoding="utf-8")
    assert not (tmp_path / "beta" / "chat_vs_viewers.png").exists()  # beta has no snapshots
    assert "erin" in text and "alice" not in text and "#beta, since 2024-05-01T20:00:00+00:00" in text


def test_print_report_tables(archive_url, cache):
    buffer = io.StringIO()
    print_report_tables(archive_url, channel="alpha", cache=cache,
                        console=Console(file=buffer, width=200, color_system=None))
    text = buffer.getvalue()
    assert "Chat report: #alpha" in text and "Top chatters" in text
    row = next(line for line in text.splitlines() if "│ alpha" in line and "│ 49" in line)
    assert [c.strip() for c in row.strip("│ ").split("│")] == ["alpha", "1", "1", "4", "1", "2", "49", "150", "2"]
    assert "bob says 8" in text and "Hype moments: none" in text
    assert "NaT" not in text and "<NA>" not in text
