"""The SQLite writer process's checkpointer: committed WAL frames reach the database file from
its own thread, without the writer's COMMIT doing it."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from recorder.store.sqlite_child import Checkpointer, sqlite_pragmas


def _write(path: Path, rows: int) -> sqlite3.Connection:
    """A writer like the child's, whose COMMITs never checkpoint, with ``rows`` committed."""
    con = sqlite3.connect(path, isolation_level=None)
    sqlite_pragmas(con)
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE t (n INTEGER, s TEXT)")
    for start in range(0, rows, 1000):
        con.execute("BEGIN IMMEDIATE")
        con.executemany("INSERT INTO t VALUES (?, ?)", [(n, "x" * 200) for n in range(start, start + 1000)])
        con.execute("COMMIT")
    return con


def _in_the_file_alone(path: Path, tmp_path: Path) -> int:
    """Rows of t in the database file without its WAL (what checkpoints have copied)."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as con:
        try:
            return con.execute("SELECT count(*) FROM t").fetchone()[0]
        except sqlite3.OperationalError:  # not even the table yet
            return 0


def test_the_checkpointer_copies_what_was_committed_while_the_writer_holds_on(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    con = _write(path, 5000)
    assert _in_the_file_alone(path, tmp_path) == 0  # all of it is still in the WAL only
    checkpointer = Checkpointer(str(path))
    checkpointer.poke()
    checkpointer.stop()  # after the checkpoint it was asked for
    assert checkpointer.done == 1
    assert _in_the_file_alone(path, tmp_path) == 5000
    con.close()


def test_a_checkpointer_never_poked_does_nothing_and_stops(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    con = _write(path, 1000)
    checkpointer = Checkpointer(str(path))
    checkpointer.stop()
    assert checkpointer.done == 0 and _in_the_file_alone(path, tmp_path) == 0
    con.close()
