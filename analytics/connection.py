"""DuckDB over the store: an incremental columnar copy of the archive's tables.

:func:`open_archive` gives a DuckDB connection whose tables are named exactly as the store's
(``messages``, ``usernotices``, ``emote_usages``, ...; see ``recorder/store/schema.py``). The
tables live in a DuckDB cache file and are brought up to date on every open, copying only rows
that are new since the last open:

- projection tables (every table with ``raw_line_id``) by a watermark on ``raw_line_id``;
- append-only logs (``raw_lines``, ``connection_events``, ``stream_snapshots``,
  ``channel_history``) by a watermark on their monotonic ``id``;
- small tables whose rows change in place (``sessions``, ``users``, ``channels``, ``games``, ...)
  are copied whole;
- and one derived table, ``_minute_chatters`` (messages and distinct chatters per channel and
  minute), is updated for the minutes that new messages touch (see :func:`update_minute_rollup`).

Why a copy and not DuckDB's sqlite/postgres scanners: those extensions download on first use,
which fails on an offline machine; the copy needs nothing but the stdlib ``sqlite3`` module or
``asyncpg``. The source is read in one snapshot (a read transaction), so the copied tables agree
with each other. If the store was replaced (a different URL, or the raw line at the cache's
watermark is not the one cached), the cache is rebuilt from zero.

Limits: rows deleted from the store stay in the cache; with several recorders writing one
PostgreSQL database, a transaction that commits after a later one can be missed by the watermark.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from recorder.store import schema
from recorder.store.db import normalize_url, redact_url

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
#: Append-only tables with a monotonic ``id``: copied by a watermark on it.
APPEND_BY_ID = frozenset({"raw_lines", "connection_events", "stream_snapshots", "channel_history"})
META_TABLE = "_archive_meta"


@dataclass(frozen=True)
class TableSpec:
    """One store table as copied into DuckDB: its columns and DuckDB types, and its watermark
    column (``None``: copied whole on each refresh)."""

    name: str
    columns: tuple[tuple[str, str], ...]
    key: str | None

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


def _duck_type(column: sa.Column) -> str:
    kind = column.type
    if isinstance(kind, schema.UTCDateTime):
        return "TIMESTAMPTZ"
    if isinstance(kind, sa.JSON):
        return "JSON"
    if isinstance(kind, sa.Boolean):
        return "BOOLEAN"
    if isinstance(kind, sa.Integer):
        return "BIGINT"
    return "VARCHAR"


def table_specs() -> list[TableSpec]:
    """Every table of the data contract, in dependency order."""
    specs = []
    for table in schema.metadata.sorted_tables:
        columns = tuple((c.name, _duck_type(c)) for c in table.columns)
        if table.name in APPEND_BY_ID:
            key: str | None = "id"
        elif "raw_line_id" in table.columns:
            key = "raw_line_id"
        else:
            key = None
        specs.append(TableSpec(table.name, columns, key))
    return specs


def default_cache_path(url: str) -> Path:
    """Where the DuckDB copy of the store at ``url`` lives when no cache is given."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha1(url.encode()).hexdigest()[:12]
    stem = Path(make_url(url).database or "archive").stem or "archive"
    return base / "recorder" / "analytics" / f"{stem}-{digest}.duckdb"


def open_archive(db: str, *, cache: Path | str | None = None,
                 read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection over the store at ``db`` (a SQLite path or URL, or a PostgreSQL URL),
    with the cache (``cache``, or :func:`default_cache_path`; ``":memory:"`` for none on disk)
    refreshed first. Times are TIMESTAMPTZ in a session whose time zone is UTC. With
    ``read_only`` a cache file is reopened read-only after the refresh. See :func:`_configure`
    for the session's settings."""
    url = normalize_url(db)
    target = str(cache) if cache is not None else str(default_cache_path(url))
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        duck = duckdb.connect(target)
    except duckdb.IOException as exc:  # the cache is locked by another process
        log.warning("analytics cache %s is busy (%s); using a copy in memory", target, exc)
        duck = duckdb.connect(":memory:")
    _configure(duck)
    try:
        refresh(duck, url)
    except BaseException:
        duck.close()
        raise
    if read_only and target != ":memory:" and duck.execute("PRAGMA database_list").fetchall()[0][2]:
        duck.close()
        duck = duckdb.connect(target, read_only=True)
        _configure(duck)
    return duck


def _configure(duck: duckdb.DuckDBPyConnection) -> None:
    """UTC session time; every core; and ASOF joins always by sort-merge: DuckDB otherwise
    plans an ASOF join whose left side it guesses small (an aggregate's output, say) as a nested
    loop over every earlier right row, 30x slower on a month of per-minute counts."""
    duck.execute("SET TimeZone = 'UTC'")
    duck.execute(f"SET threads = {os.cpu_count() or 1}")
    duck.execute("SET asof_loop_join_threshold = 0")


def refresh(duck: duckdb.DuckDBPyConnection, db: str) -> dict[str, int]:
    """Copy what is new in the store at ``db`` into ``duck``; returns rows copied per table."""
    url = normalize_url(db)
    if url.startswith("sqlite"):
        return _refresh_with(duck, url, _SQLiteReader)
    if url.startswith("postgresql"):  # asyncpg wants its own loop: run where none is running
        with ThreadPoolExecutor(1, thread_name_prefix="analytics-refresh") as pool:
            return pool.submit(_refresh_with, duck, url, _PostgresReader).result()
    raise ValueError(f"analytics supports SQLite and PostgreSQL stores, not {redact_url(url)}")


def _refresh_with(duck: duckdb.DuckDBPyConnection, url: str, reader_type: Callable[[str], "_Reader"]) -> dict[str, int]:
    specs = table_specs()
    reader = reader_type(url)
    try:
        duck.execute("BEGIN TRANSACTION")
        _ensure_tables(duck, specs)
        if not _same_source(duck, reader, redact_url(url)):
            _reset(duck, specs, redact_url(url))
        copied = {spec.name: _copy_table(duck, reader, spec) for spec in specs}
        update_minute_rollup(duck)
        duck.execute("COMMIT")
        return copied
    except BaseException:
        duck.execute("ROLLBACK")
        raise
    finally:
        reader.close()


def _ensure_tables(duck: duckdb.DuckDBPyConnection, specs: list[TableSpec]) -> None:
    duck.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for spec in specs:
        columns = ", ".join(f'"{name}" {kind}' + _compression(spec.name, name) for name, kind in spec.columns)
        duck.execute(f'CREATE TABLE IF NOT EXISTS "{spec.name}" ({columns})')


#: Columns of random ids stored uncompressed: DuckDB would pick dictionary+FSST for them, which
#: saves little on random UUIDs and makes every scan decompress them (the join of moderation
#: events to their messages by id is 3-4x faster on the plain column).
UNCOMPRESSED = {("messages", "id")}


def _compression(table: str, column: str) -> str:
    return " USING COMPRESSION uncompressed" if (table, column) in UNCOMPRESSED else ""


def _meta(duck: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = duck.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", [key]).fetchone()
    return None if row is None else row[0]


def _set_meta(duck: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    duck.execute(f"INSERT OR REPLACE INTO {META_TABLE} VALUES (?, ?)", [key, value])


def _same_source(duck: duckdb.DuckDBPyConnection, reader: "_Reader", source: str) -> bool:
    if _meta(duck, "source") != source:
        return False
    mark = _meta(duck, "watermark:raw_lines")
    if mark is None:
        return True
    cached = duck.execute("SELECT line FROM raw_lines WHERE id = ?", [int(mark)]).fetchone()
    return cached is not None and reader.line_at(int(mark)) == cached[0]


def _reset(duck: duckdb.DuckDBPyConnection, specs: list[TableSpec], source: str) -> None:
    for spec in specs:
        duck.execute(f'DELETE FROM "{spec.name}"')
    duck.execute(f"DELETE FROM {META_TABLE}")
    _set_meta(duck, "source", source)


def _copy_table(duck: duckdb.DuckDBPyConnection, reader: "_Reader", spec: TableSpec) -> int:
    if spec.name not in reader.tables:
        return 0
    after: int | None = None
    if spec.key is None:
        duck.execute(f'DELETE FROM "{spec.name}"')
        upto = None
    else:
        mark = _meta(duck, f"watermark:{spec.name}")
        after = int(mark) if mark is not None else None
        upto = reader.max_key(spec.name, spec.key)
        if upto is None or (after is not None and upto <= after):
            return 0
    select = ", ".join(f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind in spec.columns)
    copied = 0
    for rows in reader.chunks(spec, after, upto):
        frame = pd.DataFrame.from_records(rows, columns=spec.column_names)  # noqa: F841 (scanned)
        duck.execute(f'INSERT INTO "{spec.name}" SELECT {select} FROM frame')
        copied += len(rows)
    if spec.key is not None and upto is not None:
        _set_meta(duck, f"watermark:{spec.name}", str(upto))
    return copied


#: Per channel and minute: messages and distinct chatters, kept with the copy (the one report
#: query a scan could not answer under a second at 10M messages: ``count(DISTINCT login)`` over
#: ~900,000 minute groups). Rebuilt for the minutes that new messages touch, on each refresh.
MINUTE_ROLLUP = "_minute_chatters"
_MINUTE_SQL = "(epoch_us(coalesce(sent_at, received_at)) // 60000000)"


def update_minute_rollup(duck: duckdb.DuckDBPyConnection) -> None:
    """Bring :data:`MINUTE_ROLLUP` up to the copy's ``messages`` (watermark ``rollup:messages``)."""
    duck.execute(f"CREATE TABLE IF NOT EXISTS {MINUTE_ROLLUP} (channel VARCHAR, minute BIGINT, "
                 "messages BIGINT, chatters BIGINT)")
    mark, done = _meta(duck, "watermark:messages"), _meta(duck, "rollup:messages")
    if mark is None or mark == done:
        return
    if done is None:  # a new or reset copy
        duck.execute(f"DELETE FROM {MINUTE_ROLLUP}")
    duck.execute(f"""CREATE TEMP TABLE _touched AS SELECT DISTINCT channel, {_MINUTE_SQL} AS minute
        FROM messages WHERE raw_line_id > ? AND raw_line_id <= ?""", [int(done or -1), int(mark)])
    first = duck.execute("SELECT min(minute) FROM _touched").fetchone()[0]
    if first is not None:
        duck.execute(f"DELETE FROM {MINUTE_ROLLUP} r USING _touched t "
                     "WHERE r.channel = t.channel AND r.minute = t.minute")
        duck.execute(f"""INSERT INTO {MINUTE_ROLLUP}
            SELECT m.channel, m.minute, count(*), count(DISTINCT m.login) FROM (
                SELECT channel, {_MINUTE_SQL} AS minute, login FROM messages
                WHERE coalesce(sent_at, received_at) >= make_timestamptz(?::BIGINT * 60000000)) m
            SEMI JOIN _touched t ON m.channel = t.channel AND m.minute = t.minute
            GROUP BY ALL""", [first])
    duck.execute("DROP TABLE _touched")
    _set_meta(duck, "rollup:messages", mark)


def _range_sql(spec: TableSpec, after: int | None, upto: int | None, mark: Callable[[int], str]) -> tuple[str, list[int]]:
    columns = ", ".join(f'"{name}"' for name in spec.column_names)
    sql, args = f'SELECT {columns} FROM "{spec.name}"', []
    if spec.key is not None:
        sql += f' WHERE "{spec.key}" <= {mark(1)}'
        args.append(upto)
        if after is not None:
            sql += f' AND "{spec.key}" > {mark(2)}'
            args.append(after)
        sql += f' ORDER BY "{spec.key}"'
    return sql, args


class _Reader:
    """One read snapshot of the store."""

    tables: set[str]

    def line_at(self, raw_line_id: int) -> str | None: ...
    def max_key(self, table: str, key: str) -> int | None: ...
    def chunks(self, spec: TableSpec, after: int | None, upto: int | None) -> Iterator[list[tuple]]: ...
    def close(self) -> None: ...


class _SQLiteReader(_Reader):
    """The stdlib ``sqlite3`` module, read-only, in one read transaction."""

    def __init__(self, url: str) -> None:
        path = make_url(url).database
        if not path or path == ":memory:" or not Path(path).is_file():
            raise FileNotFoundError(f"no SQLite archive at {path!r}")
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        self._db.execute("BEGIN")  # the snapshot starts at the first read below
        self.tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def line_at(self, raw_line_id: int) -> str | None:
        row = self._db.execute("SELECT line FROM raw_lines WHERE id = ?", (raw_line_id,)).fetchone()
        return None if row is None else row[0]

    def max_key(self, table: str, key: str) -> int | None:
        return self._db.execute(f'SELECT max("{key}") FROM "{table}"').fetchone()[0]

    def chunks(self, spec: TableSpec, after: int | None, upto: int | None) -> Iterator[list[tuple]]:
        sql, args = _range_sql(spec, after, upto, lambda _: "?")
        cursor = self._db.execute(sql, args)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            yield rows

    def close(self) -> None:
        self._db.close()


class _PostgresReader(_Reader):
    """``asyncpg`` on a private event loop, in one REPEATABLE READ, READ ONLY transaction."""

    def __init__(self, url: str) -> None:
        import asyncpg

        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._loop = asyncio.new_event_loop()
        self._db = self._run(asyncpg.connect(dsn, timeout=10))
        self._tx = self._db.transaction(isolation="repeatable_read", readonly=True)
        self._run(self._tx.start())
        rows = self._run(self._db.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
        self.tables = {r[0] for r in rows}

    def _run(self, coro: Any) -> Any:
        return self._loop.run_until_complete(coro)

    def line_at(self, raw_line_id: int) -> str | None:
        return self._run(self._db.fetchval("SELECT line FROM raw_lines WHERE id = $1", raw_line_id))

    def max_key(self, table: str, key: str) -> int | None:
        return self._run(self._db.fetchval(f'SELECT max("{key}") FROM "{table}"'))

    def chunks(self, spec: TableSpec, after: int | None, upto: int | None) -> Iterator[list[tuple]]:
        sql, args = _range_sql(spec, after, upto, lambda n: f"${n}")
        cursor = self._run(self._db.cursor(sql, *args))
        while rows := self._run(cursor.fetch(CHUNK_ROWS)):
            yield [tuple(r) for r in rows]

    def close(self) -> None:
        try:
            self._run(self._tx.rollback())
            self._run(self._db.close())
        finally:
            self._loop.close()
