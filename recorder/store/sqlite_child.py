"""The SQLite writer process: ``python -m recorder.store.sqlite_child DATABASE``.

Started by :class:`recorder.store.sqlite_proc.SQLiteProcess`. It imports nothing but the
standard library and orjson (no SQLAlchemy, no schema: the parent sends the statements), so it
costs a few tens of MB, not another copy of the recorder. Protocol, over its stdin and stdout:
each request is a 4-byte big-endian length and a :func:`recorder.store.sqlite_proc.pack_batch`
message (length 0: a ping); each reply is the same framing around orjson
``{"first": <first raw line id or null>}`` or ``{"error": [class name, message, operational]}``.
End of input (the recorder stopped or died) ends the process after the batch in hand.

Also home of the time conversions every SQLite path shares (this module being the lightest).
"""
from __future__ import annotations

import pickle
import sqlite3
import sys
import threading
from datetime import datetime, timezone
from typing import Any, BinaryIO

import orjson

from recorder.gctune import tune_gc

SQLITE_BUSY_TIMEOUT_MS = 10_000
WAL_SIZE_LIMIT = 64 * 1024 * 1024
#: batches of this many bytes committed ask the checkpointer for a checkpoint (~3,000 lines)
CHECKPOINT_BYTES = 4 * 1024 * 1024
#: Stands for the batch's first raw line id in the SQL the parent sends.
RAW_BASE = "__raw_base__"
RAW_SQL = ("INSERT INTO raw_lines (session_id, received_at, channel, command, line, parse_error) "
           "VALUES (?, ?, ?, ?, ?, ?)")
EVENT_SQL = ("INSERT INTO connection_events (session_id, kind, channel, detail, at) "
             "VALUES (?, ?, ?, ?, ?)")
END_SQL = "UPDATE sessions SET ended_at = ? WHERE id = ?"


def datetime_text(value: datetime | None) -> str | None:
    """Aware datetime -> naive UTC text as SQLAlchemy's SQLite DATETIME stores it."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: times must be timezone-aware")
    if value.tzinfo is not timezone.utc and value.utcoffset():
        value = value.astimezone(timezone.utc)
    return value.isoformat(" ", "microseconds")[:26]  # "YYYY-MM-DD HH:MM:SS.ffffff" (no offset)


def sqlite_pragmas(connection: Any, _record: Any = None) -> None:
    """The settings of every connection to the store (16 KiB pages for a new file, WAL, NORMAL
    sync, the WAL's size kept down, busy timeout, FKs)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA page_size=16384")  # a new file only (before WAL); no-op on others
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # after a checkpoint the WAL file is cut back to this size: a reader that held a snapshot
    # for a long while (a big report) does not leave a WAL of gigabytes behind for the run
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def unpack_batch(blob: bytes) -> list:
    """A ``pack_batch`` message as values ready to bind: raw lines, (SQL, rows) per statement,
    connection events, session ends (times come as the text stored), and optionally more
    (SQL, parameters) to run last (``recorder rebuild``'s progress mark)."""
    return orjson.loads(blob) if blob[:1] == b"[" else pickle.loads(blob)


def commit(con: sqlite3.Connection, blob: bytes) -> int | None:
    """One transaction: raw lines, their rows, events, session ends, any last statements. The
    first raw line id."""
    raws, groups, events, ends, *last = unpack_batch(blob)
    con.execute("BEGIN IMMEDIATE")
    try:
        first = None
        if raws:
            con.executemany(RAW_SQL, raws)
            first = con.execute("SELECT last_insert_rowid()").fetchone()[0] - len(raws) + 1
        for sql, rows in groups:
            con.executemany(sql.replace(RAW_BASE, str(first or 0)), rows)
        if events:
            con.executemany(EVENT_SQL, events)
        if ends:
            con.executemany(END_SQL, ends)
        for sql, parameters in last[0] if last else ():
            con.execute(sql, parameters)
        con.execute("COMMIT")
        return first
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


class Checkpointer:
    """Copies committed WAL frames into the database file from a thread of its own, with its
    own connection, when asked (``poke``: after every ``CHECKPOINT_BYTES`` of batches), while
    the writer goes on with the next batch.

    SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages,
    and the writer waited for it (copy and fsync): COMMITs took 0.25 s of every 50,000 lines
    with it alone, 0.15 s with this (bench_ingest's lines, alternating runs). This one runs
    PASSIVE checkpoints, which never block the writer; the automatic one stays on as the bound
    of the WAL's size: when it comes, little is left for it to copy, and the WAL starts over
    from its beginning.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._wanted = threading.Event()
        self._pending = self._stopping = False
        self.done = 0
        self._thread = threading.Thread(target=self._run, name="checkpointer", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Checkpoint soon (pokes while one runs make one more, not one each)."""
        self._pending = True
        self._wanted.set()

    def stop(self) -> None:
        """After the checkpoint asked for, if any."""
        self._stopping = True
        self._wanted.set()
        self._thread.join()

    def _run(self) -> None:
        con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                              timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._pending:
                    self._pending = False
                    try:
                        con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                        self.done += 1
                    except sqlite3.Error:  # busy or I/O: the writer's own checkpoint still comes
                        pass
                if self._stopping:
                    return
        finally:
            con.close()


def _read(stream: BinaryIO, n: int) -> bytes | None:
    data = stream.read(n)
    return data if len(data) == n else None


def serve(path: str, requests: BinaryIO, replies: BinaryIO) -> None:
    tune_gc()  # each batch unpacks into some 10,000 lists: -0.5 us a line
    con = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    sqlite_pragmas(con)
    con.execute("PRAGMA cache_size=-8192")  # 8 MB (default 2 MB): index pages of a long run
    checkpointer = Checkpointer(path)
    try:
        _serve(con, requests, replies, checkpointer)
    finally:
        checkpointer.stop()
        con.close()


def _serve(con: sqlite3.Connection, requests: BinaryIO, replies: BinaryIO,
           checkpointer: Checkpointer) -> None:
    unchecked = 0  # bytes of batches committed since the checkpointer was last asked
    while (header := _read(requests, 4)) is not None:
        blob = _read(requests, int.from_bytes(header, "big"))
        if blob is None:
            break
        try:
            reply = {"first": commit(con, blob) if blob else None}
            unchecked += len(blob)
            if unchecked >= CHECKPOINT_BYTES:  # not after every quiet batch: each one fsyncs
                checkpointer.poke()
                unchecked = 0
        except sqlite3.OperationalError as exc:  # locked, I/O: the parent retries
            reply = {"error": [type(exc).__name__, str(exc), True]}
        except Exception as exc:  # the values: a constraint, a type, bad text
            reply = {"error": [type(exc).__name__, str(exc), False]}
        out = orjson.dumps(reply)
        replies.write(len(out).to_bytes(4, "big") + out)
        replies.flush()


if __name__ == "__main__":
    serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
