"""Projection rows into the database by each dialect's bulk path: SQLite ``executemany`` of
tuples converted once (:mod:`recorder.store.sqlite_bulk`), PostgreSQL ``COPY`` into a staging
table then one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``, any other dialect through
SQLAlchemy. Shared by the live writer and ``recorder rebuild``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from recorder.store import schema, sqlite_bulk

__all__ = ["insert_groups", "escape_text"]


async def insert_groups(conn: AsyncConnection, groups: dict[str, list[dict]]) -> int:
    """Insert projection rows (table -> rows) by the dialect's bulk path: SQLite
    ``executemany``, PostgreSQL ``COPY``, else SQLAlchemy; ON CONFLICT DO NOTHING on the
    tables' keys. The number of rows offered."""
    dialect = conn.dialect.name
    for name, rows in groups.items():
        if dialect == "postgresql":
            await _copy_rows(conn, name, rows)
        elif dialect == "sqlite":
            await sqlite_bulk.insert_rows(conn, name, rows)
        else:
            await conn.execute(_insert_statement(name, dialect), _uniform(name, rows))
    return sum(len(rows) for rows in groups.values())


def _insert_statement(name: str, dialect: str) -> Any:
    if name not in schema.PROJECTION_TABLES:
        raise ValueError(f"not a projection table: {name!r}")
    table = schema.metadata.tables[name]
    keys = schema.CONFLICT_KEYS.get(name)
    if not keys or dialect not in ("sqlite", "postgresql"):
        return insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(keys))


@lru_cache(maxsize=64)
def _copy_plan(name: str) -> tuple[tuple[str, ...], frozenset[str], Callable[[dict], tuple]]:
    """A table's COPY columns (all but an autoincrement id), as a set, and ``row -> record``."""
    if name not in schema.PROJECTION_TABLES:
        raise ValueError(f"not a projection table: {name!r}")
    table = schema.metadata.tables[name]
    names = tuple(c.name for c in table.c if not (c.name == "id" and c.autoincrement is True))
    return names, frozenset(names), sqlite_bulk._row_function(table, names, sqlite_bulk.json_converter)


async def _copy_rows(conn: AsyncConnection, name: str, rows: list[dict]) -> None:
    """PostgreSQL bulk path: COPY into a per-connection staging table, then one
    ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` into the real table."""
    names, known, record = _copy_plan(name)
    unknown = set().union(*rows) - known
    if unknown:
        raise ValueError(f"{name} has no column(s) {sorted(unknown)}")
    stage, cols = f"_stage_{name}", ", ".join(f'"{n}"' for n in names)
    await conn.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS "
                            f"AS SELECT {cols} FROM {name} WITH NO DATA"))
    records = [record(row) for row in rows]
    driver = (await conn.get_raw_connection()).driver_connection
    await driver.copy_records_to_table(stage, columns=list(names), records=records)
    keys = schema.CONFLICT_KEYS.get(name)
    conflict = f" ON CONFLICT ({', '.join(keys)}) DO NOTHING" if keys else ""
    # In raw-line order, said explicitly: a heap's scan order is not its insertion order once
    # a rolled-back COPY left dead rows in the staging table (a batch split over bad data),
    # and then the second copy of a duplicated message could win over the first.
    await conn.execute(text(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {stage} "
                            f"ORDER BY raw_line_id{conflict}"))


def _uniform(name: str, rows: list[dict]) -> list[dict]:
    """Give every row the same keys (executemany needs it); unknown columns are bad data."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    unknown = set(keys) - set(schema.metadata.tables[name].c.keys())
    if unknown:
        raise ValueError(f"{name} has no column(s) {sorted(unknown)}")
    return [row if len(row) == len(keys) else {k: row.get(k) for k in keys} for row in rows]


def escape_text(value: str | None) -> str | None:
    if value is None:
        return None
    return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
