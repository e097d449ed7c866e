"""``INSERT ... ON CONFLICT (key) DO UPDATE`` for SQLite and PostgreSQL alike (enrichment tables)."""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


async def upsert(conn: Any, table: Table, rows: Sequence[dict], key: Sequence[str]) -> None:
    """Insert ``rows``; where ``key`` already exists, overwrite the other columns."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    columns = [c for c in rows[0] if c not in key]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key), set_={c: stmt.excluded[c] for c in columns})
    await conn.execute(stmt, list(rows))
