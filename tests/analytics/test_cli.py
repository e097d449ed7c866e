"""`recorder report` and `recorder query` argument handling, formats and the read-only rule."""
from __future__ import annotations

import argparse
import io
import json

import duckdb
import pytest

from analytics.cli import add_query_arguments, add_report_arguments, run_query, run_report
from analytics.connection import open_archive


def _args(add, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add(parser)
    return parser.parse_args(argv)


def _query(archive_url, cache, sql: str, fmt: str = "table") -> tuple[int, str]:
    out = io.StringIO()
    code = run_query(_args(add_query_arguments, ["--db", archive_url, "--cache", str(cache),
                                                 "--format", fmt, sql]), out=out)
    return code, out.getvalue()


SQL = "SELECT login, count(*) AS n FROM messages WHERE channel = 'alpha' GROUP BY login ORDER BY n DESC, login LIMIT 2"


def test_query_csv_json_and_table(archive_url, cache):
    assert _query(archive_url, cache, SQL, "csv") == (0, "login,n\nalice,5\nbob,2\n")
    code, text = _query(archive_url, cache, SQL, "json")
    assert code == 0 and json.loads(text) == [{"login": "alice", "n": 5}, {"login": "bob", "n": 2}]
    code, text = _query(archive_url, cache, SQL)
    assert code == 0 and "2 row(s)" in text and "alice" in text
    code, text = _query(archive_url, cache, "SELECT sent_at FROM messages WHERE id = 'deleted-one'", "json")
    assert json.loads(text) == [{"sent_at": "2024-05-01T20:05:30.000Z"}]


@pytest.mark.parametrize("sql", [
    "DELETE FROM messages", "UPDATE messages SET text = 'x'", "DROP TABLE messages",
    "INSERT INTO sessions (id, started_at) VALUES (9, now())", "CREATE TABLE x AS SELECT 1",
    "COPY messages TO 'out.csv'", "ATTACH 'other.duckdb'", "SET threads = 1",
    "SELECT 1; DELETE FROM messages", "EXPLAIN ANALYZE DELETE FROM messages",
])
def test_query_refuses_statements_that_write(archive_url, cache, sql, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    open_archive(archive_url, cache=cache).close()
    code, text = _query(archive_url, cache, sql)
    error = capsys.readouterr().err
    assert code == 2 and text == ""
    assert error.startswith("recorder: error: refused:") and error.count("\n") == 1
    with duckdb.connect(str(cache), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM messages").fetchone() == (12,)
    assert not (tmp_path / "out.csv").exists()


def test_the_query_connection_itself_is_read_only(archive_url, cache):
    with open_archive(archive_url, cache=cache, read_only=True) as con:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("DELETE FROM messages")


def test_query_errors_are_one_line(archive_url, cache, capsys, tmp_path):
    assert _query(archive_url, cache, "SELECT nope FROM messages")[0] == 2
    assert capsys.readouterr().err.startswith("recorder: error: Binder Error")
    code = run_query(_args(add_query_arguments, ["--db", str(tmp_path / "missing.db"),
                                                 "--cache", str(cache), "SELECT 1"]))
    error = capsys.readouterr().err
    assert code == 2 and "no SQLite archive" in error and error.count("\n") == 1


def test_run_report(archive_url, cache, tmp_path, capsys):
    args = _args(add_report_arguments, ["--db", archive_url, "--cache", str(cache), "--out",
                                        str(tmp_path / "r"), "--channel", "alpha",
                                        "--since", "2024-05-01T20:00"])
    assert args.since.isoformat() == "2024-05-01T20:00:00+00:00"
    assert run_report(args) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "r" / "report.html").is_file() and "report.html" in out and "alice" in out


def test_db_option_is_not_added_twice():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="x.db")
    add_report_arguments(parser)
    assert parser.parse_args([]).db == "x.db"
    with pytest.raises(SystemExit):
        _args(add_report_arguments, ["--since", "yesterday"])
