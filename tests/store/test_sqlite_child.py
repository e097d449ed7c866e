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


def test_the_writer_asks_for_a_checkpoint_per_few_megabytes_not_per_batch(tmp_path: Path,
                                                                          monkeypatch) -> None:
    # a checkpoint fsyncs the file: after every quiet 250 ms batch that would be a sync
    # four times a second for as long as the recorder runs
    import io

    import orjson

    from recorder.store import sqlite_child
    from recorder.store.sqlite_child import _serve

    class Counting:
        pokes = 0

        def poke(self) -> None:
            self.pokes += 1

    path = tmp_path / "chat.db"
    con = _write(path, 0)
    con.execute("CREATE TABLE raw_lines (id INTEGER PRIMARY KEY, session_id, received_at, channel, "
                "command, line, parse_error)")
    monkeypatch.setattr(sqlite_child, "CHECKPOINT_BYTES", 10_000)
    blob = orjson.dumps([[[None, "2024-01-01 00:00:00.000000", "c", "PRIVMSG", "x" * 900, None]],
                         [], [], []])
    requests = io.BytesIO(b"".join(len(blob).to_bytes(4, "big") + blob for _ in range(50)))
    counting = Counting()
    _serve(con, requests, io.BytesIO(), counting)  # type: ignore[arg-type]
    assert con.execute("SELECT count(*) FROM raw_lines").fetchone()[0] == 50
    assert counting.pokes == len(blob) * 50 // 10_000  # one per 10,000 bytes of batches
    con.close()
