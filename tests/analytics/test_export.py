"""``recorder export``: partitioned Parquet (and JSONL, CSV) that DuckDB reads back exactly, and
re-runs that add only the new rows."""
from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import duckdb
import pytest

from analytics.cli import add_export_arguments, run_export
from analytics.connection import open_archive
from analytics.export import STATE_FILE, ExportError, export_archive, read_exported
from tests.analytics.archive import ArchiveBuilder, at

EXACT_TABLES = ("messages", "usernotices", "moderation_events", "emote_usages", "raw_lines",
                "stream_snapshots", "connection_events")


def _rel(out: Path, files: list[Path]) -> list[str]:
    return sorted(str(f.relative_to(out)) for f in files)


def _same_rows(con: duckdb.DuckDBPyConnection, out: Path, table: str) -> None:
    """Every column of every row of ``table`` in the archive equals the exported row (JSON
    columns as values: the order of an object's keys and the spacing are not kept)."""
    described = con.execute(f'DESCRIBE "{table}"').fetchall()
    columns = [r[0] for r in described]
    cols = ", ".join(f'"{c}"' for c in columns)
    exported = read_exported(con, out, table)  # noqa: F841 (scanned by DuckDB)
    assert [r[0] for r in con.execute("DESCRIBE exported").fetchall()] == columns + ["day"]
    plain = ", ".join(f'"{r[0]}"' for r in described if r[1] != "JSON")
    json_at = [i for i, r in enumerate(described) if r[1] == "JSON"]
    found = []
    for source in (f'"{table}"', "exported"):
        found.append(con.execute(f"SELECT {cols} FROM {source} ORDER BY {plain}").fetchall())
    mine, theirs = ([tuple(json.loads(v) if i in json_at and v is not None else v
                           for i, v in enumerate(row)) for row in rows] for rows in found)
    assert mine == theirs and mine, table
    kinds = con.execute(f'SELECT {cols} FROM "{table}" LIMIT 0').description
    assert [d[1] for d in con.execute(f"SELECT {cols} FROM exported LIMIT 0").description] == [d[1] for d in kinds]


def test_parquet_partitioned_by_channel_and_day_reads_back_exactly(archive_url, cache, tmp_path):
    out = tmp_path / "export"
    result = export_archive(archive_url, out, cache=cache)
    assert result.run == 1 and result.rows["messages"] == 12 and result.rows["usernotices"] == 9
    assert result.rows["raw_lines"] == 24 and result.rows["sessions"] == 1
    names = _rel(out, result.files)
    assert "messages/channel=alpha/day=2024-05-01/part-000001-0.parquet" in names
    assert "messages/channel=beta/day=2024-05-01/part-000001-0.parquet" in names
    assert "sessions/sessions.parquet" in names
    # connection events without a channel (connected, disconnected) go to Hive's NULL partition
    assert "connection_events/channel=__HIVE_DEFAULT_PARTITION__/day=2024-05-01/part-000001-0.parquet" in names
    assert all(f.stat().st_size > 0 for f in result.files) and result.bytes > 0
    with duckdb.connect() as con:  # a fresh reader: nothing but the files
        meta = con.execute(f"SELECT DISTINCT compression FROM parquet_metadata('{out}/messages/**/*.parquet')").fetchall()
        assert meta == [("ZSTD",)]
        hive = con.execute(f"SELECT channel, day, count(*) FROM read_parquet('{out}/messages/**/*.parquet', "
                           "hive_partitioning = true) GROUP BY ALL ORDER BY ALL").fetchall()
        assert [(c, str(d), n) for c, d, n in hive] == [("alpha", "2024-05-01", 10), ("beta", "2024-05-01", 2)]
    with open_archive(archive_url, cache=cache) as con:
        for table in EXACT_TABLES:
            _same_rows(con, out, table)
    state = json.loads((out / STATE_FILE).read_text())
    assert state["runs"] == 1 and state["watermarks"]["messages"] == 12 and state["format"] == "parquet"


async def test_rerun_exports_only_new_rows(archive_url, cache, tmp_path):
    out = tmp_path / "export"
    first = export_archive(archive_url, out, cache=cache)
    again = export_archive(archive_url, out, cache=cache)
    assert again.run == 2 and again.rows["messages"] == 0 and again.rows["raw_lines"] == 0
    assert not [f for f in again.files if "part-" in f.name]  # nothing new, no new files
    more = ArchiveBuilder(first_line_id=25)
    more.message("alpha", "zed", 60 * 24.0, emotes={"25": ("Kappa", 2)})  # the next day
    more.message("gamma", "yuki", 1.0)
    await more.insert(archive_url)
    third = export_archive(archive_url, out, cache=cache)
    assert (third.run, third.rows["messages"], third.rows["emote_usages"], third.rows["raw_lines"]) == (3, 2, 1, 2)
    assert [n for n in _rel(out, third.files) if n.startswith("messages/")] == [
        "messages/channel=alpha/day=2024-05-02/part-000003-0.parquet",
        "messages/channel=gamma/day=2024-05-01/part-000003-0.parquet"]
    assert all(f.exists() for f in first.files)  # earlier files are kept, not rewritten
    with open_archive(archive_url, cache=cache) as con:
        for table in ("messages", "emote_usages", "raw_lines"):
            _same_rows(con, out, table)  # every row once: nothing missing, nothing doubled
    assert at(60 * 24).date().isoformat() == "2024-05-02"


@pytest.mark.parametrize("fmt, extension", [("jsonl", "jsonl"), ("csv", "csv")])
def test_jsonl_and_csv(archive_url, cache, tmp_path, fmt, extension):
    out = tmp_path / fmt
    result = export_archive(archive_url, out, fmt, tables=["messages", "users"], cache=cache)
    assert set(result.rows) == {"messages", "users"}
    assert _rel(out, result.files) == [
        f"messages/channel=alpha/day=2024-05-01/part-000001-0.{extension}",
        f"messages/channel=beta/day=2024-05-01/part-000001-0.{extension}",
        f"users/users.{extension}"]
    with duckdb.connect() as con:
        rows = read_exported(con, out, "messages", fmt)
        assert con.execute("SELECT count(*), count(DISTINCT id) FROM rows").fetchone() == (12, 12)
        assert con.execute("SELECT text FROM rows WHERE id = 'deleted-one'").fetchone() == ("bob says 8",)
    if fmt == "jsonl":
        first = (out / result.files[0].relative_to(out)).read_text().splitlines()[0]
        assert json.loads(first)["tags"] == {"id": json.loads(first)["id"]}  # JSON stays JSON


def test_refuses_another_format_or_archive_or_a_foreign_directory(archive_url, cache, tmp_path):
    out = tmp_path / "export"
    export_archive(archive_url, out, tables=["messages"], cache=cache)
    with pytest.raises(ExportError, match="holds a parquet export"):
        export_archive(archive_url, out, "csv", cache=cache)
    state = json.loads((out / STATE_FILE).read_text())
    state["check"]["line_sha1"] = "0" * 40
    (out / STATE_FILE).write_text(json.dumps(state))
    with pytest.raises(ExportError, match="another archive"):
        export_archive(archive_url, out, cache=cache)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty"):
        export_archive(archive_url, tmp_path / "busy", cache=cache)
    with pytest.raises(ExportError, match="cannot export whispers"):
        export_archive(archive_url, tmp_path / "new", tables=["whispers"], cache=cache)


def test_cli(archive_url, cache, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_export_arguments(parser)
    args = parser.parse_args(["--db", archive_url, "--cache", str(cache), "--out",
                              str(tmp_path / "x"), "--tables", "messages,usernotices"])
    buffer = io.StringIO()
    assert run_export(args, out=buffer) == 0
    assert buffer.getvalue().startswith("export run 1 (parquet) into ")
    assert "messages 12, usernotices 9; 3 file(s)" in buffer.getvalue()
    assert run_export(args, out=buffer) == 0 and "run 2 (parquet)" in buffer.getvalue()
    assert "nothing new; 0 file(s), 0 bytes" in buffer.getvalue()
    bad = parser.parse_args(["--db", str(tmp_path / "missing.db"), "--cache", str(cache),
                             "--out", str(tmp_path / "y")])
    assert run_export(bad) == 2
    error = capsys.readouterr().err
    assert error.startswith("recorder: error:") and error.count("\n") == 1
    with pytest.raises(SystemExit):
        parser.parse_args(["--out", "z", "--format", "xml"])


LINE = ("@badge-info=subscriber/14;badges=subscriber/12,bits/100;bits=100;"
        "client-nonce=3a5b1c2d4e5f60718293a4b5c6d7e8f9;color=#1E90FF;display-name=Alice_B;emotes=25:0-4;"
        "first-msg=0;flags=;id={id};mod=0;reply-parent-msg-id=6b13e51b-7ecb-43b5-ba5b-2bb5288df696;"
        "reply-parent-user-login=bob;returning-chatter=0;room-id=1337;subscriber=1;tmi-sent-ts={ts};"
        "turbo=0;user-id=9001;user-type= :alice_b!alice_b@alice_b.tmi.twitch.tv PRIVMSG #alpha :Kappa cheer100 hi")


async def test_parquet_stores_uuids_in_16_bytes_and_only_the_tags_no_column_holds(archive_url, cache, tmp_path):
    from recorder.store.projections import project_line

    more = ArchiveBuilder(first_line_id=25)
    lines = [LINE.format(id="b34ccfc7-4977-403a-8a94-33c6bac34fb8", ts="1714593600123"),
             LINE.format(id="B34CCFC7-not-canonical", ts="soon")]  # kept as they are
    for line in lines:
        line_id = more.line(at(20), "alpha", "PRIVMSG")
        for table, row in project_line(line, at(20))[3]:
            more.add(table, raw_line_id=line_id, **row)
    await more.insert(archive_url)
    out = tmp_path / "export"
    export_archive(archive_url, out, cache=cache)
    with duckdb.connect() as con:
        files = f"read_parquet('{out}/messages/**/*.parquet', hive_partitioning = false)"
        kinds = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {files})").fetchall())
        assert kinds["id"] == "UUID" and kinds["id_text"] == "VARCHAR" and "tags" not in kinds
        rows = con.execute(f"SELECT id::VARCHAR, id_text, tags_rest, tags_folded FROM {files} "
                           "WHERE raw_line_id > 24 ORDER BY raw_line_id").fetchall()
    (uuid, text, rest, folded), (no_uuid, odd, odd_rest, _) = rows
    assert (uuid, text, no_uuid, odd) == ("b34ccfc7-4977-403a-8a94-33c6bac34fb8", None, None, "B34CCFC7-not-canonical")
    assert json.loads(rest) == {"badge-info": "subscriber/14", "badges": "subscriber/12,bits/100",
                                "client-nonce": "3a5b1c2d4e5f60718293a4b5c6d7e8f9", "emotes": "25:0-4",
                                "flags": "", "returning-chatter": "0", "turbo": "0", "user-type": ""}
    assert folded > 0 and json.loads(odd_rest)["tmi-sent-ts"] == "soon"  # no column holds it
    with open_archive(archive_url, cache=cache) as con:
        for table in ("messages", "emote_usages"):
            _same_rows(con, out, table)
