"""Coverage: when each channel was, and was not, being recorded, from ``connection_events``.

A channel is covered from its ``joined`` event until a ``parted`` or ``join_failed`` for it, a
``disconnected`` of the connection it was joined on, or the end of its session (an unfinished
session ends at its last recorded event). Everything else between the first and last session is a
gap, printed as such.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

import sqlalchemy as sa


@dataclass(frozen=True)
class Interval:
    channel: str
    start: datetime
    end: datetime
    session_id: int


def _conn(detail: str | None) -> str | None:
    if detail and detail.startswith("conn="):
        return detail.split()[0]
    return None


def intervals(events: Iterable[dict], sessions: dict[int, datetime | None]) -> list[Interval]:
    """Covered intervals from connection events (dicts with session_id, at, kind, channel,
    detail), ordered by time; ``sessions`` maps session id -> ended_at (None if unfinished)."""
    out: list[Interval] = []
    open_: dict[tuple[int, str], tuple[datetime, str | None]] = {}
    last_at: dict[int, datetime] = {}
    for ev in events:
        sid, at, kind, channel = ev["session_id"], ev["at"], ev["kind"], ev["channel"]
        last_at[sid] = at
        if kind == "joined" and channel:
            # a RECONNECT handover joins on the new connection before the old one closes:
            # the span carries on, now owned by the new connection
            start = open_[(sid, channel)][0] if (sid, channel) in open_ else at
            open_[(sid, channel)] = (start, _conn(ev["detail"]))
        elif kind in ("parted", "join_failed") and channel and (sid, channel) in open_:
            start, _ = open_.pop((sid, channel))
            out.append(Interval(channel, start, at, sid))
        elif kind == "disconnected":
            conn = _conn(ev["detail"])
            for key in [k for k, (_, c) in open_.items() if k[0] == sid and (conn is None or c == conn)]:
                start, _ = open_.pop(key)
                out.append(Interval(key[1], start, at, sid))
    for (sid, channel), (start, _) in open_.items():
        end = sessions.get(sid) or last_at.get(sid, start)
        out.append(Interval(channel, start, end, sid))
    return sorted(out, key=lambda i: (i.channel, i.start))


async def load_intervals(db: str, channels: list[str] | None = None) -> list[Interval]:
    from recorder.store import schema
    from recorder.store.db import make_engine, normalize_url

    engine = make_engine(normalize_url(db))
    try:
        async with engine.connect() as conn:
            ce, ss = schema.connection_events, schema.sessions
            rows = (await conn.execute(sa.select(ce).order_by(ce.c.at, ce.c.id))).mappings().all()
            sess = {r.id: r.ended_at for r in (await conn.execute(sa.select(ss))).all()}
    finally:
        await engine.dispose()
    found = intervals([dict(r) for r in rows], sess)
    return [i for i in found if not channels or i.channel in channels]


async def print_coverage(db: str, channels: list[str] | None = None) -> int:
    found = await load_intervals(db, [c.lstrip("#").lower() for c in channels] if channels else None)
    if not found:
        print("no coverage recorded" + (f" for {', '.join(channels)}" if channels else ""))
        return 0
    by_channel: dict[str, list[Interval]] = {}
    for interval in found:
        by_channel.setdefault(interval.channel, []).append(interval)
    for channel, spans in by_channel.items():
        total = sum((s.end - s.start).total_seconds() for s in spans)
        print(f"#{channel}: {len(spans)} recorded span(s), {total:,.0f} s in all")
        previous = None
        for span in spans:
            if previous is not None and span.start > previous:
                print(f"  GAP       {previous.isoformat()} -> {span.start.isoformat()} "
                      f"({(span.start - previous).total_seconds():,.0f} s not recorded)")
            print(f"  recorded  {span.start.isoformat()} -> {span.end.isoformat()} "
                  f"(session {span.session_id})")
            previous = max(previous, span.end) if previous else span.end
    return 0
