"""Build an archive through the real live path: lines -> Recorder.on_raw_line -> Writer -> SQL."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

import sqlalchemy as sa

from recorder.client.events import parse_event
from recorder.client.irc import ParseError, parse_line
from recorder.client.models import RawLine
from recorder.recording import Recorder, RecorderConfig
from recorder.store import schema
from recorder.store.db import make_engine, upgrade_to_head
from recorder.store.writer import Writer


def raw_line(line: str, received_at: datetime | None = None) -> RawLine:
    """What a Connection hands to the raw hook for ``line``."""
    at = received_at or datetime.now(timezone.utc)
    try:
        message = parse_line(line)
    except ParseError as exc:
        return RawLine(line, at, 1, None, exc, None)
    return RawLine(line, at, 1, message, None, parse_event(message))


async def store_lines(url: str, lines: Iterable[str | tuple[str, datetime]],
                      recorder: Recorder | None = None) -> Recorder:
    """Store ``lines`` (or ``(line, received_at)`` pairs) exactly as ``recorder run`` would."""
    await upgrade_to_head(url)
    engine = make_engine(url)
    rec = recorder or Recorder(RecorderConfig(channels=["x"], db=url))
    rec.engine = engine
    rec.writer = Writer(engine)
    await rec.writer.start()
    try:
        for item in lines:
            line, at = (item, None) if isinstance(item, str) else item
            rec.on_raw_line(raw_line(line, at))
        await rec.writer.flush()
    finally:
        await rec.writer.close()
        await engine.dispose()
    return rec


async def fetch(url: str, query: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(query)).all())
    finally:
        await engine.dispose()


async def dump(url: str) -> dict[str, list[str]]:
    """Every row of every table as text (``repr`` of its values), table by table."""
    out: dict[str, list[str]] = {}
    for name, table in schema.metadata.tables.items():
        out[name] = [repr(tuple(r)) for r in await fetch(url, sa.select(table))]
    return out


async def count(url: str, table: str) -> int:
    t = schema.metadata.tables[table]
    return (await fetch(url, sa.select(sa.func.count()).select_from(t)))[0][0]
