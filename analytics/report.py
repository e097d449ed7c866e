"""``recorder report``: the archive's main questions as PNG plots, one self-contained HTML file
(every image inlined as base64, no outside links) and rich tables in the terminal.

:func:`write_report` is what ``make demo`` calls; :func:`print_report_tables` prints to the
console it is given.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd
from rich.console import Console
from rich.table import Table

from analytics import plots, queries
from analytics.connection import open_archive

#: Rows shown per table in HTML and the terminal.
TABLE_ROWS = 25


@dataclass
class ReportData:
    """The frames of one report, keyed by section, with the filters that made them."""

    channel: str | None
    since: datetime | None
    until: datetime | None
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)


#: Section key -> (title, query).
SECTIONS: dict[str, tuple[str, Callable[..., pd.DataFrame]]] = {
    "overview": ("Overview", queries.channel_overview),
    "coverage": ("Coverage (recorded vs not recording)", queries.coverage),
    "messages_per_minute": ("Messages per minute", queries.messages_per_minute),
    "top_chatters": ("Top chatters", queries.top_chatters),
    "emote_leaderboard": ("Emote leaderboard", queries.emote_leaderboard),
    "subs_and_gifts": ("Subs, gifts, raids and bits", queries.subs_and_gifts_summary),
    "moderation": ("Moderation", queries.moderation),
    "hype_moments": ("Hype moments", queries.hype_moments),
    "chat_vs_viewers": ("Chat against viewers", queries.chat_vs_viewers),
}

#: Section key -> plot function (each writes ``<key>.png``).
PLOTS = {
    "coverage": plots.coverage,
    "messages_per_minute": plots.messages_per_minute,
    "top_chatters": plots.top_chatters,
    "emote_leaderboard": plots.emote_leaderboard,
    "chat_vs_viewers": plots.chat_vs_viewers,
}

#: Columns shown in the terminal where a frame is too wide for it.
TERMINAL_COLUMNS = {
    "top_chatters": ["login", "messages", "share", "first_seen", "last_seen"],
    "moderation": ["channel", "at", "kind", "target_login", "duration_s", "message_text",
                   "removed_messages"],
}

#: Sections printed as tables (the per-minute series are only plotted).
TABLES = ("overview", "coverage", "top_chatters", "emote_leaderboard", "subs_and_gifts",
          "moderation", "hype_moments")


def collect(con: duckdb.DuckDBPyConnection, channel: str | None = None,
            since: datetime | None = None, until: datetime | None = None) -> ReportData:
    """Run every section's query with the same filters."""
    data = ReportData(channel, since, until)
    for key, (_, query) in SECTIONS.items():
        data.frames[key] = query(con, channel, since, until)
    return data


def write_report(db: str, out_dir: Path, *, channel: str | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 cache: Path | str | None = None) -> Path:
    """Write the PNG plots and ``report.html`` (images inlined) into ``out_dir``; returns the
    HTML file's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open_archive(db, cache=cache) as con:
        data = collect(con, channel, since, until)
    images: dict[str, Path] = {}
    for key, draw in PLOTS.items():
        extra = {"coverage": data.frames["coverage"]} if key == "messages_per_minute" else {}
        path = draw(data.frames[key], out_dir / f"{key}.png", **extra)
        if path is not None:
            images[key] = path
    page = out_dir / "report.html"
    page.write_text(render_html(data, images), encoding="utf-8")
    return page


def _filters(data: ReportData) -> str:
    parts = [f"#{data.channel.lstrip('#').lower()}" if data.channel else "all channels"]
    if data.since:
        parts.append(f"since {data.since.isoformat()}")
    if data.until:
        parts.append(f"until {data.until.isoformat()}")
    return ", ".join(parts)


def _image(path: Path) -> str:
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{encoded}">'


_CSS = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222}
h1{color:#6441a5}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}th{background:#f1ecfa}
img{max-width:100%}.empty{color:#888;font-style:italic}"""


def render_html(data: ReportData, images: dict[str, Path]) -> str:
    """One HTML page holding every section: its plot (inlined) and its table."""
    body = [f"<h1>Chat report</h1><p>{html.escape(_filters(data))}</p>"]
    for key, (title, _) in SECTIONS.items():
        frame = data.frames[key]
        body.append(f'<section id="{key}"><h2>{html.escape(title)}</h2>')
        if key in images:
            body.append(_image(images[key]))
        if frame.empty:
            body.append('<p class="empty">none</p>')
        elif key in TABLES:
            body.append(frame.head(TABLE_ROWS).to_html(index=False, na_rep="", border=0))
        body.append("</section>")
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>Chat report</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>")


def _cell(value: object) -> str:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return str(value)


def rich_table(title: str, frame: pd.DataFrame, rows: int = TABLE_ROWS) -> Table:
    """A rich table of the first ``rows`` rows of ``frame``."""
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(str(column))
    for values in frame.head(rows).itertuples(index=False):
        table.add_row(*(_cell(v) for v in values))
    return table


def print_report_tables(db: str, *, channel: str | None = None, since: datetime | None = None,
                        until: datetime | None = None, cache: Path | str | None = None,
                        console: Console | None = None) -> None:
    """Print the report's tables to ``console`` (a new one on stdout if none is given)."""
    console = console or Console()
    with open_archive(db, cache=cache) as con:
        data = collect(con, channel, since, until)
    console.print(f"[bold]Chat report[/bold]: {_filters(data)}")
    for key in TABLES:
        frame = data.frames[key]
        title = SECTIONS[key][0]
        if frame.empty:
            console.print(f"{title}: none")
        else:
            console.print(rich_table(title, frame[TERMINAL_COLUMNS.get(key, list(frame.columns))]))
