"""The live writer's SQLite commits, made by a child process with its own ``sqlite3`` connection.

Why: SQLite works under the GIL of whoever calls it. In the recorder's process the event loop
parses and projects every line while the driver's thread binds and steps every row; the two
took turns on one core (and each row the thread stepped waited for the GIL to come back). A
child process (:mod:`recorder.store.sqlite_child`, which imports only the standard library and
orjson) gives the database its own core: the parent packs a batch (:func:`pack_batch`: the
statements and their values as orjson) and goes on reading while the child commits it in one
transaction; the next batch is packed meanwhile and handed over as soon as the child answers.

Projection rows point at raw lines whose ids only the child learns (``last_insert_rowid`` after
the batch's raw lines: consecutive, since the transaction holds SQLite's write lock). So the
parent numbers each row's raw line by its place in the batch and the statement adds the first
id: the SQL's ``raw_line_id`` value is ``(? + <first id>)``.

Errors come back as the parent's SQLAlchemy exceptions, so the writer's failure handling is the
same as in-process: ``sqlite3.OperationalError`` (locked, I/O) and a child that died become
:class:`sqlalchemy.exc.OperationalError` (retried, with a new child), anything the values
caused becomes a :class:`sqlalchemy.exc.DBAPIError` that is not operational (the batch is split
down to the bad record). The child ends when its input does: when the recorder stops, or dies
(after committing the batch it has in hand).
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import fcntl
import os
import pickle
import sqlite3
import sys
import threading
from typing import Any, Callable, Iterable

import orjson
from sqlalchemy import exc as sa_exc

from recorder.client.speedups import speedup
from recorder.store import schema, sqlite_bulk
from recorder.store.sqlite_bulk import datetime_text, json_text

__all__ = ["SQLiteProcess", "pack_batch", "dump_wire", "ChildLost"]

#: longest wait for the thread writing to the child to start (see SQLiteProcess._send)
HANDOVER_WAIT = 0.01
#: records packed by one compiled call (see pack_batch)
PACK_SLICE = 500
_layouts: dict[tuple[str, tuple[str, ...]], tuple[tuple[int, ...], tuple[int, ...], int | None]] = {}
#: datetime -> SQLite's time text (the compiled twin where built: ~10x faster)
_time_text = sqlite_bulk._datetime_text


def _layout(table: str, columns: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[int, ...], int | None]:
    """Where a row of these columns has its JSON values, its times and its ``raw_line_id``
    (None: to append)."""
    layout = _layouts.get((table, columns))
    if layout is None:
        json_columns = set(sqlite_bulk.json_columns(table))
        time_columns = set(schema.TIME_COLUMNS[table])
        layout = _layouts[(table, columns)] = (
            tuple(i for i, c in enumerate(columns) if c in json_columns),
            tuple(i for i, c in enumerate(columns) if c in time_columns),
            columns.index("raw_line_id") if "raw_line_id" in columns else None)
    return layout


def _wire_row_py(values: dict, json_at: tuple[int, ...], time_at: tuple[int, ...],
                 raw_at: int | None, index: int) -> list:
    """A projection row as the child binds it: its values in column order, JSON columns as their
    text, times as SQLite's text, ``raw_line_id`` (at ``raw_at``, else appended) = ``index``."""
    row = list(values.values())
    for i in json_at:
        if row[i] is not None:
            row[i] = json_text(row[i])
    for i in time_at:
        row[i] = datetime_text(row[i])
    if raw_at is None:
        row.append(index)
    else:
        row[raw_at] = index
    return row


def _pack_raws_py(items: list, start: int, raws: list[tuple], groups: dict[tuple, list[list]],
                  layouts: dict, layout: Callable[[str, tuple[str, ...]], tuple],
                  record_type: type) -> tuple[int, int]:
    """:func:`pack_batch`'s work on the raw records from ``items[start]`` on, up to the first
    item that is not a ``record_type``: each record's values onto ``raws``, each of its rows
    onto the group of its (table, columns), ``layouts`` (else ``layout``) saying where the
    row's JSON, times and ``raw_line_id`` are. (Where it stopped, the number of rows.)"""
    if start < 0:
        raise ValueError("pack_raws(): start must be >= 0")
    rows = 0
    for at in range(start, len(items)):
        item = items[at]
        if not isinstance(item, record_type):
            return at, rows
        index = len(raws)
        raws.append((item.session_id, datetime_text(item.received_at), item.channel,
                     item.command, item.line, item.parse_error))
        for table, values in item.rows:
            key = (table, tuple(values))
            plan = layouts.get(key) or layout(*key)
            row = _wire_row_py(values, *plan, index)
            group = groups.get(key)
            if group is None:
                group = groups[key] = []
            group.append(row)
            rows += 1
    return max(start, len(items)), rows


#: the compiled twin where built (pack_batch: 6.3 -> 4.3 us a line, bench_ingest's lines)
_pack_raws = speedup("pack_raws", _pack_raws_py)


def pack_batch(items: Iterable[Any]) -> tuple[bytes, int, int]:
    """The writer's items as one message for the child, with the numbers of raw lines and of
    projection rows in it.

    Rows travel as lists grouped by table and columns, their JSON columns as JSON text, their
    times as the text SQLite stores (the child only binds) and ``raw_line_id`` as the place of
    their line in the batch; the message is orjson (pickling
    the rows' dicts cost the parent three times as much, and rebuilding every tag's dict cost
    the child as much again), pickle for what JSON cannot hold (lone surrogates, integers past
    64 bits). The records themselves are left as they are (a retry packs them again)."""
    from recorder.store.records import ConnectionEvent, RawRecord

    raws: list[tuple] = []
    groups: dict[tuple[str, tuple[str, ...]], list[list]] = {}
    events: list[tuple] = []
    ends: list[tuple] = []
    rows = 0
    time_text = _time_text
    items = items if isinstance(items, list) else list(items)
    at = 0
    while at < len(items):
        # in slices: the thread that hands the last batch to the child needs the GIL now and
        # then, and a compiled call never lets go of it (a whole batch held it ~20 ms)
        piece = items[at:at + PACK_SLICE]
        stop, added = _pack_raws(piece, 0, raws, groups, _layouts, _layout, RawRecord)
        rows += added
        at += stop
        if stop == len(piece):
            continue
        item = items[at]
        if isinstance(item, ConnectionEvent):
            events.append((item.session_id, item.kind, item.channel, item.detail,
                           time_text(item.at)))
        else:  # SessionEnd
            ends.append((time_text(item.at), item.session_id))
        at += 1
    wire = (raws, [(sqlite_bulk.wire_sql(table, columns if "raw_line_id" in columns
                                         else (*columns, "raw_line_id")), group)
                   for (table, columns), group in groups.items()], events, ends)
    return dump_wire(wire), len(raws), rows


def dump_wire(wire: tuple) -> bytes:
    """A message for the child: orjson, or pickle for what JSON cannot hold (lone surrogates,
    integers past 64 bits)."""
    try:
        return orjson.dumps(wire)
    except TypeError:
        return pickle.dumps(wire, protocol=pickle.HIGHEST_PROTOCOL)


class SQLiteProcess:
    """The child process committing batches to the SQLite file at ``path`` (started again
    after it died)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._proc: asyncio.subprocess.Process | None = None
        self._pending: collections.deque[asyncio.Future] = collections.deque()
        self._reader: asyncio.Task | None = None
        self._input: Any = None  # the child's stdin, written by one thread (in order)
        self._sender = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sqlite-child")

    async def start(self) -> None:
        """Start the child and check that it answers."""
        # A batch is megabytes: written by a thread with a blocking write (the event loop would
        # hand it to the pipe 64 KB per turn, between frames, and keep the child waiting).
        read_end, write_end = os.pipe()
        try:
            fcntl.fcntl(write_end, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        except OSError:  # not Linux, or over the system's limit: the default size works too
            pass
        try:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "recorder.store.sqlite_child", self.path,
                stdin=read_end, stdout=asyncio.subprocess.PIPE)
        except BaseException:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)
        self._input = open(write_end, "wb", buffering=0)
        self._reader = asyncio.create_task(self._read_replies(self._proc), name="sqlite-child")
        await self._send(b"")

    def commit(self, blob: bytes) -> asyncio.Future:
        """Hand a :func:`pack_batch` message to the child NOW; the future gives the id of its
        first raw line (None: no raw lines), or the child's error as SQLAlchemy's (see the
        module docstring)."""
        if self._proc is None or self._reader is None or self._reader.done():  # gone: anew
            return asyncio.ensure_future(self._restart_and_send(blob))
        return self._send(blob)

    async def _restart_and_send(self, blob: bytes) -> Any:
        await self.close()
        await self.start()
        return await self._send(blob)

    def _send(self, blob: bytes) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        if self._reader is None or self._reader.done():  # nobody would answer
            future.set_exception(_lost(EOFError("the SQLite writer process has exited")))
            return future
        self._pending.append(future)
        writing = threading.Event()
        self._sender.submit(self._write, self._input, writing, len(blob).to_bytes(4, "big"), blob)
        # The thread needs the GIL to start writing, and what this thread does next (freeing
        # the last batch, packing the next) holds it for 10-40 ms at a time: the child waited
        # that long for every batch. So let the thread get to its (GIL-free) write first.
        writing.wait(HANDOVER_WAIT)
        return future

    @staticmethod
    def _write(stream: Any, writing: threading.Event, *parts: bytes) -> None:
        writing.set()
        try:
            for part in parts:
                view = memoryview(part)
                while view:
                    view = view[stream.write(view):]
        except (OSError, ValueError):  # the child is gone (its reader fails the futures)
            pass

    async def _read_replies(self, proc: asyncio.subprocess.Process) -> None:
        stdout = proc.stdout
        try:
            while True:
                header = await stdout.readexactly(4)  # type: ignore[union-attr]
                reply = orjson.loads(await stdout.readexactly(int.from_bytes(header, "big")))  # type: ignore[union-attr]
                future = self._pending.popleft()
                if future.done():
                    continue
                if "error" in reply:
                    name, message, operational = reply["error"]
                    cls = sqlite3.OperationalError if operational else sqlite3.DatabaseError
                    wrapper = sa_exc.OperationalError if operational else sa_exc.DatabaseError
                    future.set_exception(wrapper("sqlite writer process", None,
                                                 cls(f"{name}: {message}")))
                else:
                    future.set_result(reply["first"])
        except Exception as exc:  # the child is gone (or answered nonsense): nobody answers
            while self._pending:
                future = self._pending.popleft()
                if not future.done():
                    future.set_exception(_lost(exc))

    async def close(self, final: bool = False) -> None:
        """End the child's input and wait for it to finish what it has (``final``: and stop
        the thread that writes to it; a restart keeps it)."""
        proc, self._proc = self._proc, None
        stream, self._input = self._input, None
        if stream is not None:  # after what was handed over: end of input
            await asyncio.get_running_loop().run_in_executor(self._sender, stream.close)
        if proc is not None:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        if final:
            self._sender.shutdown(wait=False)


class ChildLost(sqlite3.OperationalError):
    """The child went away with a batch in hand: it may or may not have committed it."""


def _lost(exc: BaseException) -> sa_exc.OperationalError:
    return sa_exc.OperationalError("sqlite writer process", None,
                                   ChildLost(f"writer process lost: {exc!r}"))
