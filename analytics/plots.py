"""PNG plots of the report, drawn with matplotlib's Agg backend (no screen needed).

Each function takes a DataFrame from :mod:`analytics.queries` and a path, writes one PNG and
returns the path, or returns ``None`` when the frame is empty (nothing worth a picture).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

SIZE = (9.0, 4.0)
DPI = 100


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=DPI)
    plt.close(figure)
    return path


def _time_axis(axes: plt.Axes) -> None:
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M", tz="UTC"))
    axes.tick_params(axis="x", labelrotation=30)
    axes.set_xlabel("time (UTC)")


def _minute_series(rows: pd.DataFrame, gaps: pd.DataFrame) -> pd.Series:
    """Messages per minute with quiet minutes as 0 and minutes not recorded as NaN (a break)."""
    index = pd.date_range(rows["minute"].min(), rows["minute"].max(), freq="min")
    series = rows.set_index("minute")["messages"].reindex(index, fill_value=0).astype(float)
    for start, end in zip(gaps["start"], gaps["end"]):
        series[(index >= start.floor("min")) & (index < end) & (series == 0)] = float("nan")
    return series


def messages_per_minute(frame: pd.DataFrame, path: Path,
                        coverage: pd.DataFrame | None = None) -> Path | None:
    """Messages per minute, one line per channel; quiet minutes count 0, and the gaps of
    ``coverage`` (when given) are shaded and break the line: "not recording" is not "quiet"."""
    if frame.empty:
        return None
    gaps = coverage[coverage["state"] == "gap"] if coverage is not None else None
    figure, axes = plt.subplots(figsize=SIZE)
    for channel, rows in frame.groupby("channel"):
        own = gaps[gaps["channel"] == channel] if gaps is not None else pd.DataFrame(columns=["start", "end"])
        series = _minute_series(rows, own)
        axes.plot(series.index, series.values, marker=".", linewidth=1, label=f"#{channel}")
    if gaps is not None:
        spans = gaps[["start", "end"]].drop_duplicates()
        for number, (start, end) in enumerate(zip(spans["start"], spans["end"])):
            axes.axvspan(start, end, color="#999999", alpha=0.25,
                         label="not recording" if number == 0 else None)
    first, last = frame["minute"].min(), frame["minute"].max()
    if last - first < pd.Timedelta(minutes=3):  # a short recording: show minutes, not years
        axes.set_xlim(first - pd.Timedelta(minutes=2), last + pd.Timedelta(minutes=2))
        axes.xaxis.set_major_locator(mdates.MinuteLocator(tz="UTC"))
        axes.set_ylim(bottom=0)
    axes.set_title("Messages per minute")
    axes.set_ylabel("messages")
    axes.legend(loc="upper left", fontsize="small")
    _time_axis(axes)
    return _save(figure, path)


def _bars(labels: list[str], values: list[float], title: str, xlabel: str, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(SIZE[0], max(2.5, 0.35 * len(labels) + 1)))
    axes.barh(labels[::-1], values[::-1], color="#6441a5")
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    return _save(figure, path)


def top_chatters(frame: pd.DataFrame, path: Path) -> Path | None:
    """A horizontal bar per chatter, most messages on top."""
    if frame.empty:
        return None
    return _bars(frame["login"].astype(str).tolist(), frame["messages"].tolist(),
                 "Top chatters", "messages", path)


def emote_leaderboard(frame: pd.DataFrame, path: Path) -> Path | None:
    """A horizontal bar per emote name, most used on top."""
    if frame.empty:
        return None
    return _bars(frame["emote_name"].astype(str).tolist(), frame["uses"].tolist(),
                 "Emote leaderboard", "uses", path)


def chat_vs_viewers(frame: pd.DataFrame, path: Path) -> Path | None:
    """Messages per viewer per minute against time, one line per channel."""
    if frame.empty:
        return None
    figure, axes = plt.subplots(figsize=SIZE)
    for channel, rows in frame.groupby("channel"):
        axes.plot(rows["minute"], rows["messages_per_viewer"], marker=".", linewidth=1,
                  label=f"#{channel}")
    axes.set_title("Chat against viewers")
    axes.set_ylabel("messages per viewer per minute")
    axes.legend(loc="upper left", fontsize="small")
    _time_axis(axes)
    return _save(figure, path)


def coverage(frame: pd.DataFrame, path: Path) -> Path | None:
    """Recorded spans (green) and gaps (red) per channel on one time line."""
    if frame.empty:
        return None
    channels = sorted(frame["channel"].unique())
    figure, axes = plt.subplots(figsize=(SIZE[0], max(2.0, 0.5 * len(channels) + 1.2)))
    colors = {"recorded": "#2e9e44", "gap": "#d62728"}
    for row, channel in enumerate(channels):
        spans = frame[frame["channel"] == channel]
        for state, color in colors.items():
            part = spans[spans["state"] == state]
            starts = mdates.date2num(part["start"].dt.tz_convert("UTC").dt.tz_localize(None))
            ends = mdates.date2num(part["end"].dt.tz_convert("UTC").dt.tz_localize(None))
            axes.broken_barh(list(zip(starts, ends - starts)), (row - 0.3, 0.6), color=color,
                             label=state if row == 0 else None)
    axes.set_yticks(range(len(channels)), [f"#{c}" for c in channels])
    axes.set_title("Coverage: recorded and not recording")
    axes.xaxis_date()
    axes.legend(loc="upper right", fontsize="small")
    _time_axis(axes)
    return _save(figure, path)
