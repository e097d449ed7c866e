"""The analytics commands, for ``recorder/cli.py`` to wire in:

    recorder report [--db ...] [--channel X] [--since ISO] [--until ISO] [--out DIR]
    recorder query  [--db ...] [--format table|csv|json] "SELECT ..."
    recorder export [--db ...] [--format parquet|jsonl|csv] --out DIR [--tables a,b]

``add_*_arguments(parser)`` fill a subparser (adding ``--db`` unless the parser has it already);
``run_*(args)`` return an exit status and turn expected failures into one line on stderr
(``recorder: error: ...``, status 2), never a traceback.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

import duckdb
import pandas as pd
from rich.console import Console

from analytics.connection import open_archive
from analytics.export import FORMATS as EXPORT_FORMATS
from analytics.export import export_archive
from analytics.report import print_report_tables, rich_table, write_report

DEFAULT_DB = "chat.db"
FORMATS = ("table", "csv", "json")
#: Statement types a query may run: nothing that writes, attaches, loads or sets.
READ_ONLY_TYPES = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
_EXPLAIN = re.compile(r"^\s*EXPLAIN(\s+ANALY[SZ]E)?\s+", re.IGNORECASE)


class QueryRefused(ValueError):
    """A statement that could write (INSERT, UPDATE, CREATE, COPY, ATTACH, SET, ...)."""


def _common(parser: argparse.ArgumentParser) -> None:
    if "--db" not in parser._option_string_actions:
        parser.add_argument("--db", default=os.environ.get("RECORDER_DB", DEFAULT_DB),
                            help="SQLite path or SQLAlchemy URL (env RECORDER_DB; default ./chat.db)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="DuckDB copy of the archive, refreshed on each run "
                             "(default: under ~/.cache/recorder/analytics)")


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or time; a time without an offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``recorder report``."""
    _common(parser)
    parser.add_argument("--channel", help="only this channel")
    parser.add_argument("--since", type=parse_time, help="from this ISO time (UTC if no offset)")
    parser.add_argument("--until", type=parse_time, help="before this ISO time")
    parser.add_argument("--out", type=Path, default=Path("report"),
                        help="directory for the PNG plots and report.html (default ./report)")
    parser.add_argument("--no-tables", action="store_true", help="do not print tables")


def run_report(args: argparse.Namespace, console: Console | None = None) -> int:
    """Print the report's tables and write its plots and HTML; prints the HTML path."""
    console = console or Console()
    try:
        options = {"channel": args.channel, "since": args.since, "until": args.until,
                   "cache": args.cache}
        page = write_report(args.db, args.out, **options)
        if not args.no_tables:
            print_report_tables(args.db, console=console, **options)
        console.print(f"report: {page}")
        return 0
    except (FileNotFoundError, ValueError, duckdb.Error, OSError) as exc:
        return _fail(exc)


def add_query_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``recorder query``."""
    _common(parser)
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format")
    parser.add_argument("sql", help="DuckDB SQL over the archive's tables (read-only)")


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise :class:`QueryRefused` unless every statement in ``sql`` only reads."""
    statements = con.extract_statements(sql)
    if not statements:
        raise QueryRefused("no SQL statement given")
    for statement in statements:
        kind = _effective_type(con, statement)
        if kind not in READ_ONLY_TYPES:
            raise QueryRefused(f"refused: {kind.name} statements write; `recorder query` is "
                               "read-only (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)")


def _effective_type(con: duckdb.DuckDBPyConnection, statement: duckdb.Statement) -> duckdb.StatementType:
    """The statement's type, looking through EXPLAIN [ANALYZE] (which runs what it explains)."""
    while statement.type == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN.sub("", statement.query, count=1)
        parsed = con.extract_statements(inner) if inner != statement.query else []
        if len(parsed) != 1:
            return duckdb.StatementType.INVALID
        statement = parsed[0]
    return statement.type


def run_query(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``args.sql`` over the archive and print its result as a table, CSV or JSON."""
    out = out or sys.stdout
    try:
        with duckdb.connect() as parser_con:
            check_read_only(parser_con, args.sql)
        with open_archive(args.db, cache=args.cache, read_only=True) as con:
            frame = con.execute(args.sql).df()
    except (FileNotFoundError, ValueError, duckdb.Error, OSError) as exc:
        return _fail(exc)
    write_frame(frame, args.format, out)
    return 0


def write_frame(frame: pd.DataFrame, fmt: str, out: TextIO) -> None:
    """``frame`` to ``out`` as a rich table, CSV (with header) or a JSON array of objects."""
    if fmt == "csv":
        frame.to_csv(out, index=False, date_format="%Y-%m-%dT%H:%M:%S.%f%z")
    elif fmt == "json":
        out.write(frame.to_json(orient="records", date_format="iso", force_ascii=False) + "\n")
    else:
        Console(file=out, width=max(80, Console().width)).print(
            rich_table(f"{len(frame)} row(s)", frame, rows=len(frame)))


def _fail(exc: BaseException) -> int:
    message = " ".join(str(exc).split()) or type(exc).__name__
    print(f"recorder: error: {message}", file=sys.stderr)
    return 2


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``recorder export``."""
    _common(parser)
    parser.add_argument("--format", choices=EXPORT_FORMATS, default="parquet",
                        help="file format (default parquet, zstd-compressed)")
    parser.add_argument("--out", type=Path, required=True,
                        help="export directory: <table>/channel=<c>/day=<d>/ files; a re-run "
                             "adds only new rows")
    parser.add_argument("--tables", type=lambda text: [t.strip() for t in text.split(",") if t.strip()],
                        default=None, help="comma-separated tables (default: every table)")


def run_export(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Export what is new in the archive; prints rows per table and the files written."""
    out = out or sys.stdout
    try:
        result = export_archive(args.db, args.out, args.format, tables=args.tables, cache=args.cache)
    except (FileNotFoundError, ValueError, duckdb.Error, OSError) as exc:
        return _fail(exc)
    new = {name: rows for name, rows in result.rows.items() if rows}
    summary = ", ".join(f"{name} {rows}" for name, rows in sorted(new.items())) or "nothing new"
    print(f"export run {result.run} ({result.format}) into {result.out_dir}: {summary}; "
          f"{len(result.files)} file(s), {result.bytes:,} bytes", file=out)
    return 0
