"""The SQLite bulk path of the writer: plain DB-API ``executemany`` with values converted once.

SQLAlchemy's per-row type processing (JSON, aware datetimes, booleans) dominated the cost of a
batch; here each table gets a tuple of converters built once from its columns, producing exactly
what SQLAlchemy itself would store (so reads through SQLAlchemy, DuckDB or sqlite3 see the same
values), and the rows go to the driver in one ``executemany`` inside the writer's transaction.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Sequence

import orjson
from sqlalchemy import JSON
from sqlalchemy.ext.asyncio import AsyncConnection

from recorder.client.speedups import speedup
from recorder.store import schema
from recorder.store.sqlite_child import (  # noqa: F401 (shared by every SQLite path)
    RAW_BASE, RAW_SQL, datetime_text,
)

Converter = Callable[[Any], Any]


def json_text(value: Any) -> str | None:
    """A JSON column's text (compact, UTF-8; None stays NULL): orjson, ~10x ``json.dumps``."""
    return None if value is None else orjson.dumps(value).decode()


#: the compiled twin where built
_datetime_text = speedup("datetime_text", datetime_text)


def _converter(column: Any) -> Converter | None:
    if isinstance(column.type, schema.UTCDateTime):
        return _datetime_text
    if _is_json(column):
        return json_text
    return None  # booleans bind as they are: sqlite3 stores True/False as 1/0


def _is_json(column: Any) -> bool:
    return isinstance(column.type, JSON) or isinstance(getattr(column.type, "impl", None), JSON)


@lru_cache(maxsize=64)
def json_columns(name: str) -> tuple[str, ...]:
    """The JSON columns of table ``name``."""
    return tuple(c.name for c in schema.metadata.tables[name].c if _is_json(c))


@lru_cache(maxsize=128)
def _plan(name: str, columns: tuple[str, ...],
          wire: bool = False) -> tuple[str, Callable[[dict], tuple]]:
    table = schema.metadata.tables[name]
    unknown = set(columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{name} has no column(s) {sorted(unknown)}")
    keys = schema.CONFLICT_KEYS.get(name)
    conflict = f" ON CONFLICT ({', '.join(keys)}) DO NOTHING" if keys else ""
    values = ", ".join(f"(? + {RAW_BASE})" if wire and c == "raw_line_id" else "?"
                       for c in columns)
    sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({values}){conflict}"
    return sql, _row_function(table, columns)


def json_converter(column: Any) -> Converter | None:
    """For drivers that take datetimes as they are (asyncpg): JSON columns as text only."""
    return json_text if _is_json(column) else None


def _row_function(table: Any, columns: tuple[str, ...],
                  converter: Callable[[Any], Converter | None] = _converter) -> Callable[[dict], tuple]:
    """``row -> tuple`` for these columns, each value through ``converter(column)`` when it
    gives one, as one generated expression (no per-value loop)."""
    env: dict[str, Any] = {}
    parts = []
    for index, column in enumerate(columns):
        conv = converter(table.c[column])
        getter = f"get({column!r})"
        if conv is None:
            parts.append(getter)
        else:
            env[f"c{index}"] = conv
            parts.append(f"c{index}({getter})")
    source = f"def row_tuple(row):\n    get = row.get\n    return ({', '.join(parts)},)\n"
    exec(compile(source, f"<sqlite_bulk {table.name}>", "exec"), env)  # noqa: S102 - names are our columns
    return env["row_tuple"]


def encode_rows(name: str, rows: Sequence[dict]) -> tuple[str, list[tuple]]:
    """The INSERT statement (ON CONFLICT DO NOTHING where the table has a key) for projection
    rows of one table, and the rows as the tuples it takes. Pure: also runs in a worker process."""
    if name not in schema.PROJECTION_TABLES:
        raise ValueError(f"not a projection table: {name!r}")
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    sql, row_tuple = _plan(name, tuple(columns))
    return sql, [row_tuple(row) for row in rows]


@lru_cache(maxsize=128)
def wire_sql(name: str, columns: tuple[str, ...]) -> str:
    """For rows as the SQLite writer process receives them (lists of ``columns``; JSON and
    times as the text stored; ``raw_line_id`` the place of the line in its batch): the INSERT,
    whose ``raw_line_id`` is ``(? + RAW_BASE)``."""
    if name not in schema.PROJECTION_TABLES:
        raise ValueError(f"not a projection table: {name!r}")
    return _plan(name, columns, True)[0]


async def insert_rows(conn: AsyncConnection, name: str, rows: Sequence[dict]) -> None:
    """Insert projection rows of one table (ON CONFLICT DO NOTHING where it has a key)."""
    if rows:
        await conn.exec_driver_sql(*encode_rows(name, rows))


async def insert_raw(conn: AsyncConnection, values: Sequence[tuple]) -> list[int]:
    """Insert raw lines ``(session_id, received_at, channel, command, line, parse_error)`` in
    order; their ids (consecutive: the single writer holds SQLite's write lock)."""
    await conn.exec_driver_sql(RAW_SQL, [(s, datetime_text(r), c, m, l, e) for s, r, c, m, l, e in values])
    last = (await conn.exec_driver_sql("SELECT last_insert_rowid()")).scalar_one()
    return list(range(last - len(values) + 1, last + 1))
