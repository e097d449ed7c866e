"""The live writer's SQLite commits, made by a child process with its own ``sqlite3`` connection.

Why: SQLite works under the GIL of whoever calls it. In the recorder's process the event loop
parses and projects every line while the driver's thread binds and steps every row; the two
took turns on one core (and each row the thread stepped waited for the GIL to come back). A
child process gives the database its own core: the parent serializes a batch (:func:`pack_batch`,
orjson) and goes on reading while the child turns it into the SQL values
(:mod:`recorder.store.sqlite_bulk`'s conversion, as in-process) and commits it in one transaction.

Projection rows point at raw lines whose ids only the child learns (``last_insert_rowid`` after
the batch's raw lines: consecutive, since the transaction holds SQLite's write lock). So the
parent numbers each row's raw line by its place in the batch and the child's statement adds the
first id: the SQL's ``raw_line_id`` value is ``(? + <first id>)``.

Errors come back as the parent's SQLAlchemy exceptions, so the writer's failure handling is the
same as in-process: ``sqlite3.OperationalError`` (locked, I/O, a vanished child) becomes
:class:`sqlalchemy.exc.OperationalError` (retried), anything the values caused becomes a
:class:`sqlalchemy.exc.DBAPIError` that is not operational (the batch is split down to the bad
record).
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import signal
import sqlite3
import threading
import time
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import Any, Iterable, Optional

from sqlalchemy import exc as sa_exc

import orjson
from recorder.store import sqlite_bulk
from recorder.store.sqlite_bulk import RAW_BASE, json_text, wire_time_text

__all__ = ["SQLiteProcess", "pack_batch", "unpack_batch"]

EVENT_SQL = ("INSERT INTO connection_events (session_id, kind, channel, detail, at) "
             "VALUES (?, ?, ?, ?, ?)")
END_SQL = "UPDATE sessions SET ended_at = ? WHERE id = ?"

Wire = tuple[list, list, list, list]  # raw lines, [table, columns, rows] groups, events, ends
_layouts: dict[tuple[str, tuple[str, ...]], tuple[tuple[int, ...], int | None]] = {}


def _layout(table: str, columns: tuple[str, ...]) -> tuple[tuple[int, ...], int | None]:
    """Where a row of these columns has its JSON values and its ``raw_line_id`` (None: to
    append)."""
    layout = _layouts.get((table, columns))
    if layout is None:
        json_columns = set(sqlite_bulk.json_columns(table))
        layout = _layouts[(table, columns)] = (
            tuple(i for i, c in enumerate(columns) if c in json_columns),
            columns.index("raw_line_id") if "raw_line_id" in columns else None)
    return layout


def pack_batch(items: Iterable[Any]) -> tuple[bytes, int, int]:
    """The writer's items as one message for the child, with the numbers of raw lines and of
    projection rows in it.

    Rows travel as lists grouped by table and columns, their JSON columns as JSON text and
    ``raw_line_id`` as the place of their line in the batch; the message is orjson (pickling
    the rows' dicts cost the parent three times as much, and rebuilding every tag's dict cost
    the child as much again), pickle for what JSON cannot hold (lone surrogates, integers past
    64 bits). The records themselves are left as they are (a retry packs them again)."""
    from recorder.store.records import ConnectionEvent, RawRecord

    raws: list[tuple] = []
    groups: dict[tuple[str, tuple[str, ...]], list[list]] = {}
    events: list[tuple] = []
    ends: list[tuple] = []
    rows = 0
    for item in items:
        if isinstance(item, RawRecord):
            index = len(raws)
            raws.append((item.session_id, item.received_at, item.channel, item.command,
                         item.line, item.parse_error))
            for table, values in item.rows:
                key = (table, tuple(values))
                json_at, raw_at = _layouts.get(key) or _layout(*key)
                row = list(values.values())
                for i in json_at:
                    if row[i] is not None:
                        row[i] = json_text(row[i])
                if raw_at is None:
                    row.append(index)
                else:
                    row[raw_at] = index
                group = groups.get(key)
                if group is None:
                    group = groups[key] = []
                group.append(row)
                rows += 1
        elif isinstance(item, ConnectionEvent):
            events.append((item.session_id, item.kind, item.channel, item.detail, item.at))
        else:  # SessionEnd
            ends.append((item.at, item.session_id))
    wire = (raws, [(table, columns if "raw_line_id" in columns else (*columns, "raw_line_id"),
                    group) for (table, columns), group in groups.items()], events, ends)
    try:
        blob = orjson.dumps(wire)
    except TypeError:
        blob = pickle.dumps(wire, protocol=pickle.HIGHEST_PROTOCOL)
    return blob, len(raws), rows


def unpack_batch(blob: bytes) -> tuple[list, list[tuple[str, list]], list, list]:
    """:func:`pack_batch`'s message as the child's statements and values: raw lines, (SQL,
    rows) per table and columns, connection events, session ends (times as SQLite's text)."""
    raws, groups, events, ends = orjson.loads(blob) if blob[:1] == b"[" else pickle.loads(blob)
    time_text = wire_time_text
    raws = [(s, time_text(at), c, m, line, e) for s, at, c, m, line, e in raws]
    statements = []
    for table, columns, rows in groups:
        sql, times = sqlite_bulk.wire_plan(table, tuple(columns))
        for row in rows:
            for i in times:
                row[i] = time_text(row[i])
        statements.append((sql, rows))
    events = [(s, k, c, d, time_text(at)) for s, k, c, d, at in events]
    ends = [(time_text(at), session_id) for at, session_id in ends]
    return raws, statements, events, ends


# --- the child -----------------------------------------------------------------------------

_con: Optional[sqlite3.Connection] = None


class ChildError(Exception):
    """An error in the child, as plain data (its class name, message, whether operational)."""

    def __init__(self, name: str, message: str, operational: bool) -> None:
        super().__init__(name, message, operational)
        self.name, self.message, self.operational = name, message, operational


def _die_with_parent(parent: int) -> None:
    """A SIGKILLed recorder must not leave its writer behind (holding the database and the
    recorder's stdout/stderr): Linux kills the child with its parent (``PR_SET_PDEATHSIG``);
    elsewhere a thread notices the parent is gone within a second. A transaction cut short
    is rolled back by SQLite, as when the recorder itself is killed in-process."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except Exception:
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _open(path: str, parent: int) -> None:
    from recorder.store.db import SQLITE_BUSY_TIMEOUT_MS, _sqlite_pragmas

    _die_with_parent(parent)
    global _con
    _con = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                           check_same_thread=False)
    _sqlite_pragmas(_con, None)
    _con.execute("PRAGMA cache_size=-32768")  # 32 MB (default 2 MB): the indexes of weeks of chat


def _commit(blob: bytes) -> int | None:
    """One transaction: raw lines, their rows, events, session ends. The first raw line id."""
    con = _con
    if con is None:
        raise ChildError("OperationalError", "the SQLite writer process has no connection", True)
    try:
        raws, groups, events, ends = unpack_batch(blob)
        con.execute("BEGIN IMMEDIATE")
        try:
            first = None
            if raws:
                con.executemany(sqlite_bulk.RAW_SQL, raws)
                first = con.execute("SELECT last_insert_rowid()").fetchone()[0] - len(raws) + 1
            for sql, rows in groups:
                con.executemany(sql.replace(RAW_BASE, str(first or 0)), rows)
            if events:
                con.executemany(EVENT_SQL, events)
            if ends:
                con.executemany(END_SQL, ends)
            con.execute("COMMIT")
            return first
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
    except sqlite3.OperationalError as exc:
        raise ChildError(type(exc).__name__, str(exc), True) from None
    except Exception as exc:  # the values: a constraint, a type the driver refused, bad text
        raise ChildError(type(exc).__name__, str(exc), False) from None


def _ping() -> bool:
    return _con is not None


# --- the parent ----------------------------------------------------------------------------


class SQLiteProcess:
    """A child process committing batches to the SQLite file at ``path`` (started on first use,
    started again after it died)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_open, initargs=(self.path, os.getpid()))
        return self._executor

    async def start(self) -> None:
        """Start the child now (rather than on the first batch) and check it is connected."""
        await self.wait(self._submit(_ping))

    def commit(self, blob: bytes) -> asyncio.Future:
        """Hand a :func:`pack_batch` message to the child NOW (not when a coroutine first runs);
        :meth:`wait` for the id of its first raw line (None: no raw lines)."""
        return self._submit(_commit, blob)

    def _submit(self, fn: Any, *args: Any) -> asyncio.Future:
        try:
            return asyncio.get_running_loop().run_in_executor(self._pool(), fn, *args)
        except (BrokenExecutor, RuntimeError) as exc:  # a dead pool refuses work
            future = asyncio.get_running_loop().create_future()
            future.set_exception(exc)
            return future

    async def wait(self, future: asyncio.Future) -> Any:
        """The result of a call to the child, its errors as SQLAlchemy's (see the module)."""
        try:
            return await future
        except ChildError as exc:
            cls = sqlite3.OperationalError if exc.operational else sqlite3.DatabaseError
            wrapper = sa_exc.OperationalError if exc.operational else sa_exc.DatabaseError
            raise wrapper("sqlite writer process", None, cls(f"{exc.name}: {exc.message}")) from None
        except (BrokenExecutor, EOFError, OSError, RuntimeError) as exc:  # the child died
            self._discard()
            raise sa_exc.OperationalError("sqlite writer process", None,
                                          sqlite3.OperationalError(f"writer process lost: {exc!r}")) from None

    def _discard(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
