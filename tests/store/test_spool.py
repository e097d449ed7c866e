"""The overflow spool file: order, fsync'd appends, commit offsets, recovery after a crash."""
from __future__ import annotations

from datetime import datetime, timezone

from recorder.store.spool import Spool, dumps, loads

from .helpers import FullDisk


def test_values_round_trip():
    value = {"at": datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc),
             "text": "caf\u00e9 \ud800 nul\x00", "n": 2**70, "rows": [["messages", {"b": {"x": 1}}]]}
    assert loads(dumps(value)) == value


def test_append_read_commit_removes_files(tmp_path):
    spool = Spool(tmp_path / "s.jsonl", sync_every=2)
    for i in range(5):
        spool.append(dumps({"i": i}))
    first, offset = spool.read(3)
    assert [d["i"] for d in first] == [0, 1, 2]
    spool.commit(offset, 3)
    assert spool.pending == 2 and (tmp_path / "s.jsonl.pos").exists()
    spool.append(dumps({"i": 5}))
    rest, offset = spool.read(10)
    assert [d["i"] for d in rest] == [3, 4, 5]
    spool.commit(offset, 3)
    assert spool.pending == 0
    assert not (tmp_path / "s.jsonl").exists() and not (tmp_path / "s.jsonl.pos").exists()


def test_recovery_resumes_after_committed_and_drops_torn_line(tmp_path):
    path = tmp_path / "s.jsonl"
    spool = Spool(path)
    for i in range(4):
        spool.append(dumps({"i": i}))
    _, offset = spool.read(2)
    spool.commit(offset, 2)
    spool.close()
    with open(path, "ab") as f:
        f.write(b'{"i": 99')  # the process died mid-write
    again = Spool(path)
    assert again.pending == 2
    docs, _ = again.read(10)
    assert [d["i"] for d in docs] == [2, 3]


def test_rewrite_front_puts_lines_first(tmp_path):
    spool = Spool(tmp_path / "s.jsonl")
    spool.append(dumps({"i": 2}))
    spool.rewrite_front([dumps({"i": 0}), dumps({"i": 1})])
    docs, _ = Spool(tmp_path / "s.jsonl").read(10)
    assert [d["i"] for d in docs] == [0, 1, 2]


def test_a_full_disk_hands_back_the_lines_not_synced_and_keeps_the_file_whole(tmp_path, monkeypatch):
    from recorder.store.spool import SpoolError

    disk = FullDisk(monkeypatch)
    path = tmp_path / "s.jsonl"
    spool = Spool(path, sync_every=3)
    for i in range(3):  # synced (the third append syncs)
        spool.append(dumps({"i": i}))
    disk.full = True
    spool.append(dumps({"i": 3}))
    spool.append(dumps({"i": 4}))
    try:
        spool.append(dumps({"i": 5}))  # the sync that fails
        raise AssertionError("no SpoolError")
    except SpoolError as exc:
        assert [loads(line)["i"] for line in exc.lines] == [3, 4, 5]
    assert spool.pending == 3
    assert path.read_bytes().count(b"\n") == 3  # cut back to what was synced: no torn line
    disk.full = False
    spool.append(dumps({"i": 6}))  # the disk has room again: appending goes on
    docs, _ = spool.read(10)
    assert [d["i"] for d in docs] == [0, 1, 2, 6]


def test_writer_spool_lines_give_back_the_same_records():
    """The writer spools with orjson (times as text, typed again from the schema), falls back to
    the tagged form for text orjson refuses, and still reads the tagged form of older spools."""
    from recorder.store.records import ConnectionEvent, RawRecord, SessionEnd
    from recorder.store.records import decode_item as _decode, encode_item as _encode, load_doc as _load

    at = datetime(2024, 5, 1, 18, 0, 0, 40000, tzinfo=timezone.utc)
    sent = datetime(2024, 5, 1, 17, 59, 59, tzinfo=timezone.utc)
    rows = [("messages", {"id": "m1", "channel": "c", "text": "caf\u00e9 Kappa", "sent_at": sent,
                          "received_at": at, "badges": {"subscriber": "12"}, "emotes": [],
                          "is_mod": False, "bits": 0}),
            ("emote_usages", {"message_id": "m1", "emote_id": "25", "sent_at": None, "count": 1})]
    records = [RawRecord(at, "@id=m1 :a!a@a PRIVMSG #c :caf\u00e9 Kappa", "c", "PRIVMSG", 7, None, rows),
               RawRecord(at, "lone \ud800 surrogate", None, None, 7, "no command", []),
               ConnectionEvent(7, "joined", "c", None, at), SessionEnd(7, at)]
    for record in records:
        line = _encode(record)
        assert b"\n" not in line
        assert _decode(_load(line)) == record
    assert _encode(records[0]).startswith(b'{"t":"r"')  # the fast form
    assert b"$dt" in _encode(records[1])  # the tagged form, for the surrogate
    old = dumps({"t": "r", "at": at, "line": records[0].line, "ch": "c", "cmd": "PRIVMSG", "s": 7,
                 "pe": None, "rows": [[t, v] for t, v in rows]})
    assert _decode(_load(old.encode("ascii"))) == records[0]
