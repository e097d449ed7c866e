"""The SQLite bulk path of the writer: plain DB-API ``executemany`` with values converted once.

SQLAlchemy's per-row type processing (JSON, aware datetimes, booleans) dominated the cost of a
batch; here each table gets a tuple of converters built once from its columns, producing exactly
what SQLAlchemy itself would store (so reads through SQLAlchemy, DuckDB or sqlite3 see the same
values), and the rows go to the driver in one ``executemany`` inside the writer's transaction.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Sequence

from sqlalchemy import JSON, Boolean
from sqlalchemy.ext.asyncio import AsyncConnection

from recorder.store import schema

Converter = Callable[[Any], Any]


def _datetime(value: datetime | None) -> str | None:
    """Aware datetime -> naive UTC text as SQLAlchemy's SQLite DATETIME stores it."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: times must be timezone-aware")
    if value.utcoffset():
        value = value.astimezone(timezone.utc)
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _bool(value: Any) -> int | None:
    return None if value is None else int(bool(value))


def _converter(column: Any) -> Converter | None:
    if isinstance(column.type, schema.UTCDateTime):
        return _datetime
    if isinstance(column.type, JSON) or isinstance(getattr(column.type, "impl", None), JSON):
        return _json
    if isinstance(column.type, Boolean):
        return _bool
    return None


@lru_cache(maxsize=64)
def _plan(name: str, columns: tuple[str, ...]) -> tuple[str, tuple[Converter | None, ...]]:
    table = schema.metadata.tables[name]
    unknown = set(columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{name} has no column(s) {sorted(unknown)}")
    keys = schema.CONFLICT_KEYS.get(name)
    conflict = f" ON CONFLICT ({', '.join(keys)}) DO NOTHING" if keys else ""
    sql = (f"INSERT INTO {name} ({', '.join(columns)}) "
           f"VALUES ({', '.join('?' for _ in columns)}){conflict}")
    return sql, tuple(_converter(table.c[c]) for c in columns)


def _tuples(rows: Sequence[dict], columns: tuple[str, ...],
            converters: tuple[Converter | None, ...]) -> list[tuple]:
    pairs = list(zip(columns, converters))
    return [tuple(conv(row.get(col)) if conv else row.get(col) for col, conv in pairs)
            for row in rows]


async def insert_rows(conn: AsyncConnection, name: str, rows: Sequence[dict]) -> None:
    """Insert projection rows of one table (ON CONFLICT DO NOTHING where it has a key)."""
    if not rows:
        return
    if name not in schema.PROJECTION_TABLES:
        raise ValueError(f"not a projection table: {name!r}")
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    cols = tuple(columns)
    sql, converters = _plan(name, cols)
    await conn.exec_driver_sql(sql, _tuples(rows, cols, converters))


RAW_SQL = ("INSERT INTO raw_lines (session_id, received_at, channel, command, line, parse_error) "
           "VALUES (?, ?, ?, ?, ?, ?)")


async def insert_raw(conn: AsyncConnection, values: Sequence[tuple]) -> list[int]:
    """Insert raw lines ``(session_id, received_at, channel, command, line, parse_error)`` in
    order; their ids (consecutive: the single writer holds SQLite's write lock)."""
    await conn.exec_driver_sql(RAW_SQL, [(s, _datetime(r), c, m, l, e) for s, r, c, m, l, e in values])
    last = (await conn.exec_driver_sql("SELECT last_insert_rowid()")).scalar_one()
    return list(range(last - len(values) + 1, last + 1))
