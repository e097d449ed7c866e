"""``recorder export``: the archive as files other engines read (DuckDB, Spark, Trino, ClickHouse).

Layout of ``DIR`` (Hive partitioning; a NULL channel or day is ``__HIVE_DEFAULT_PARTITION__``)::

    DIR/_export_state.json                                   watermarks, format, source
    DIR/messages/channel=alpha/day=2024-05-01/part-000001-0.parquet
    DIR/messages/channel=alpha/day=2024-05-02/part-000002-0.parquet   (a later run's new rows)
    DIR/users/users.parquet                                  small tables, rewritten whole

Every table with a channel and a monotonic key (the projections by ``raw_line_id``, the
append-only logs by ``id``; see :mod:`analytics.connection`) is written partitioned by
``channel`` and ``day`` (the UTC date of the row's event time). The partition columns are
also kept inside the files, so a reader that ignores the directory names loses nothing (and a
channel named ``123`` stays text). Rows are written in event-time order within each partition.
JSONL is one object per line and CSV has a header row, both with the archive's columns as they
are.

Parquet is written compact (zstd level 9, Parquet v2 encodings: delta-coded times and ids) and
lossless, with two encodings that :func:`read_exported` undoes (``ENCODED`` lists them):

- message ids (``UUID_COLUMNS``: ``messages.id``, ``emote_usages.message_id``, ...) are stored as
  16-byte UUIDs (Parquet's UUID logical type) rather than 36-character strings; an id that is not
  a canonical lowercase UUID goes to ``<column>_text`` instead (the UUID column is then NULL);
- ``tags`` (every IRC tag of the line) is stored as ``tags_rest``: the tags whose value is not
  already in a column of the same row. ``tags_folded`` is the bitmask of the tags left out
  (bit ``i`` for the ``i``-th tag of ``FOLDED_TAGS[table]``), each left out only when its value
  equals the one rebuilt from the columns (``id``, ``user-id``, ``tmi-sent-ts``, ...), so putting
  them back gives the same tags. The order of the keys is not kept (IRCv3 tags are unordered;
  ``raw_lines`` keeps every line exactly as received).

Incremental: a re-run exports only rows above the watermarks in ``_export_state.json``, as new
files named after the run (``part-<run>-<i>``), and moves the watermarks only after every file is
written. A run that died half-way is redone under the same file names, which overwrites its
partial files. Small tables without a key (``sessions``, ``users``, ``channels``, ``games``, ...)
are rewritten whole on each run.

Read back with DuckDB::

    SELECT * FROM read_parquet('DIR/messages/**/*.parquet', hive_partitioning = true)
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from analytics.connection import TableSpec, open_archive, table_specs
from recorder.store.db import normalize_url, redact_url

FORMATS = ("parquet", "jsonl", "csv")
STATE_FILE = "_export_state.json"
#: The event time a row's ``day`` is taken from: the first of these columns the table has,
#: coalesced in this order.
TIME_COLUMNS = ("sent_at", "at", "received_at", "fetched_at")
#: Tables never exported (private or internal).
SKIPPED = frozenset({"whispers", "projection_state"})
_OPTIONS = {
    "parquet": ("parquet", "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 9, PARQUET_VERSION V2"),
    "jsonl": ("jsonl", "FORMAT json, FILE_EXTENSION 'jsonl'"),
    "csv": ("csv", "FORMAT csv, HEADER true"),
}


#: Parquet: columns of Twitch UUIDs written as 16-byte UUIDs (others to ``<column>_text``).
UUID_COLUMNS = {
    "messages": ("id", "reply_parent_msg_id"), "usernotices": ("id",),
    "emote_usages": ("message_id",), "moderation_events": ("target_message_id",),
}
_COMMON_TAGS = {
    "id": "id", "room-id": "room_id", "user-id": "user_id", "display-name": "display_name",
    "tmi-sent-ts": "epoch_ms(sent_at)::VARCHAR",
}
#: Parquet: the tags left out of ``tags_rest`` when their value equals this SQL over the row.
FOLDED_TAGS = {
    "messages": {**_COMMON_TAGS, "color": "color", "bits": "bits::VARCHAR",
                 "first-msg": "is_first_msg::INT::VARCHAR", "mod": "is_mod::INT::VARCHAR",
                 "subscriber": "is_subscriber::INT::VARCHAR",
                 "reply-parent-msg-id": "reply_parent_msg_id",
                 "reply-parent-user-login": "reply_parent_login",
                 "custom-reward-id": "custom_reward_id", "source-room-id": "source_room_id"},
    "usernotices": {**_COMMON_TAGS, "login": "login", "msg-id": "msg_id",
                    "system-msg": "system_msg"},
}
#: Tables whose Parquet files :func:`read_exported` decodes.
ENCODED = frozenset(UUID_COLUMNS) | frozenset(FOLDED_TAGS)


class ExportError(ValueError):
    """``DIR`` holds another format's export, or an export of another archive."""


@dataclass
class ExportResult:
    """What one run wrote: rows per table (new rows for partitioned tables), and its files."""

    out_dir: Path
    format: str
    run: int
    rows: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(path.stat().st_size for path in self.files)


def partitioned_specs() -> list[TableSpec]:
    """Tables written partitioned by channel and day: a channel column and a watermark key."""
    return [s for s in table_specs()
            if s.key is not None and "channel" in s.column_names and s.name not in SKIPPED]


def whole_specs() -> list[TableSpec]:
    """Small tables rewritten whole on each run."""
    return [s for s in table_specs() if s.key is None and s.name not in SKIPPED]


def time_sql(spec: TableSpec) -> str:
    """The SQL of a row's event time (NULL for a table without one)."""
    times = [f'"{c}"' for c in TIME_COLUMNS if c in spec.column_names]
    return f"coalesce({', '.join(times)})" if times else "NULL"


def day_sql(spec: TableSpec) -> str:
    """The SQL of a row's partition day (a UTC date)."""
    return f"CAST({time_sql(spec)} AS DATE)"


def encoded_columns(spec: TableSpec) -> list[str]:
    """The SELECT list writing ``spec``'s rows to Parquet (see the module's docstring)."""
    uuids, folded = UUID_COLUMNS.get(spec.name, ()), FOLDED_TAGS.get(spec.name, {})
    columns = []
    for name in spec.column_names:
        if name in uuids:
            canonical = f'TRY_CAST("{name}" AS UUID)::VARCHAR = "{name}"'
            columns += [f'CASE WHEN {canonical} THEN "{name}"::UUID END AS "{name}"',
                        f'CASE WHEN {canonical} THEN NULL ELSE "{name}" END AS "{name}_text"']
        elif name == "tags" and folded:
            same = [f"coalesce(tags->>'{tag}' = {sql}, false)" for tag, sql in folded.items()]
            patch = ", ".join(f"'{tag}', CASE WHEN {cond} THEN NULL ELSE tags->'{tag}' END"
                              for tag, cond in zip(folded, same))
            mask = " + ".join(f"CASE WHEN {cond} THEN {1 << i} ELSE 0 END" for i, cond in enumerate(same))
            columns += [f"json_merge_patch(tags, json_object({patch})) AS tags_rest",
                        f"({mask})::INTEGER AS tags_folded"]
        else:
            columns.append(f'"{name}"')
    return columns


def decoded_sql(spec: TableSpec, files_sql: str) -> str:
    """A SELECT over :func:`encoded_columns`' files (``files_sql``, a ``read_parquet(...)``)
    giving back ``spec``'s columns, then ``day``."""
    uuids, folded = UUID_COLUMNS.get(spec.name, ()), FOLDED_TAGS.get(spec.name, {})
    ids = ", ".join(f'coalesce("{c}"::VARCHAR, "{c}_text") AS "{c}"' for c in uuids)
    texts = ", ".join(f'"{c}_text"' for c in uuids)
    inner = (f"SELECT * EXCLUDE ({texts}) REPLACE ({ids}) FROM {files_sql}" if uuids
             else f"SELECT * FROM {files_sql}")
    columns = [f'"{c}"' for c in spec.column_names]
    if folded:
        patch = ", ".join(f"'{tag}', CASE WHEN tags_folded & {1 << i} <> 0 THEN to_json({sql}) "
                          f"ELSE tags_rest->'{tag}' END" for i, (tag, sql) in enumerate(folded.items()))
        columns[spec.column_names.index("tags")] = (
            f"CASE WHEN tags_rest IS NOT NULL THEN json_merge_patch(tags_rest, json_object({patch})) END AS tags")
    return f"SELECT {', '.join(columns)}, day FROM ({inner})"


def export_archive(db: str, out_dir: Path | str, fmt: str = "parquet", *,
                   tables: list[str] | None = None,
                   cache: Path | str | None = None) -> ExportResult:
    """Export what is new in the store at ``db`` into ``out_dir`` as ``fmt`` (``parquet``,
    ``jsonl`` or ``csv``); ``tables`` limits the run to those tables. Raises
    :class:`ExportError` when ``out_dir`` holds another format or another archive's export."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    source = redact_url(normalize_url(db))
    state = _load_state(out, fmt, source)
    wanted = _check_tables(tables)
    with open_archive(db, cache=cache) as con:
        _check_same_archive(con, state)
        result = ExportResult(out, fmt, state["runs"] + 1)
        marks: dict[str, int] = dict(state["watermarks"])
        for spec in partitioned_specs():
            if spec.name in wanted:
                result.rows[spec.name], marks[spec.name] = _export_new_rows(
                    con, spec, out, fmt, result.run, marks.get(spec.name))
        for spec in whole_specs():
            if spec.name in wanted:
                result.rows[spec.name] = _export_whole(con, spec, out, fmt)
        state.update(runs=result.run, watermarks=marks, check=_check_mark(con))
    result.files = _files_of_run(out, fmt, result.run, wanted)
    _save_state(out, state)
    return result


def _check_tables(tables: list[str] | None) -> set[str]:
    known = {s.name for s in partitioned_specs() + whole_specs()}
    if not tables:
        return known
    unknown = sorted(set(tables) - known)
    if unknown:
        raise ExportError(f"cannot export {', '.join(unknown)}: choose from {', '.join(sorted(known))}")
    return set(tables)


def _export_new_rows(con: duckdb.DuckDBPyConnection, spec: TableSpec, out: Path, fmt: str,
                     run: int, after: int | None) -> tuple[int, int | None]:
    """Write the rows of ``spec`` above ``after``; returns (rows written, the new watermark)."""
    key = f'"{spec.key}"'
    upto = con.execute(f'SELECT max({key}) FROM "{spec.name}"').fetchone()[0]
    if upto is None or (after is not None and upto <= after):
        return 0, after
    where = f"{key} <= {int(upto)}" + (f" AND {key} > {int(after)}" if after is not None else "")
    count = con.execute(f'SELECT count(*) FROM "{spec.name}" WHERE {where}').fetchone()[0]
    names = encoded_columns(spec) if fmt == "parquet" else [f'"{c}"' for c in spec.column_names]
    options = _OPTIONS[fmt][1]
    con.execute(f"""
        COPY (SELECT {", ".join(names)}, {day_sql(spec)} AS day FROM "{spec.name}" WHERE {where}
              ORDER BY channel, day, {time_sql(spec)}, {key})
        TO '{_sql_path(out / spec.name)}'
        ({options}, PARTITION_BY (channel, day), WRITE_PARTITION_COLUMNS true,
         FILENAME_PATTERN 'part-{run:06d}-{{i}}', OVERWRITE_OR_IGNORE true)""")
    return count, int(upto)


def _export_whole(con: duckdb.DuckDBPyConnection, spec: TableSpec, out: Path, fmt: str) -> int:
    """Rewrite ``DIR/<table>/<table>.<ext>`` with every row of a small table."""
    extension, options = _OPTIONS[fmt]
    folder = out / spec.name
    folder.mkdir(exist_ok=True)
    target = folder / f"{spec.name}.{extension}"
    partial = folder / f".{spec.name}.{extension}.partial"
    columns = ", ".join(f'"{c}"' for c in spec.column_names)
    con.execute(f"""COPY (SELECT {columns} FROM "{spec.name}" ORDER BY ALL)
                    TO '{_sql_path(partial)}' ({options})""")
    os.replace(partial, target)
    return con.execute(f'SELECT count(*) FROM "{spec.name}"').fetchone()[0]


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _files_of_run(out: Path, fmt: str, run: int, wanted: set[str]) -> list[Path]:
    extension = _OPTIONS[fmt][0]
    files = sorted(out.glob(f"*/**/part-{run:06d}-*.{extension}"))
    files += [out / s.name / f"{s.name}.{extension}" for s in whole_specs() if s.name in wanted]
    return files


def _check_mark(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The newest raw line's id and hash: how a later run knows it reads the same archive."""
    row = con.execute("SELECT id, line FROM raw_lines ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    return {"raw_line_id": row[0], "line_sha1": hashlib.sha1(row[1].encode()).hexdigest()}


def _check_same_archive(con: duckdb.DuckDBPyConnection, state: dict[str, Any]) -> None:
    check = state.get("check")
    if not check:
        return
    row = con.execute("SELECT line FROM raw_lines WHERE id = ?", [check["raw_line_id"]]).fetchone()
    if row is None or hashlib.sha1(row[0].encode()).hexdigest() != check["line_sha1"]:
        raise ExportError("this directory holds an export of another archive (its raw line "
                          f"{check['raw_line_id']} differs); export into a new directory")


def _load_state(out: Path, fmt: str, source: str) -> dict[str, Any]:
    path = out / STATE_FILE
    if not path.exists():
        if any(p.name != STATE_FILE for p in out.iterdir()):
            raise ExportError(f"{out} is not empty and holds no export; choose a new directory")
        return {"format": fmt, "source": source, "runs": 0, "watermarks": {}, "check": None}
    state = json.loads(path.read_text(encoding="utf-8"))
    if state.get("format") != fmt:
        raise ExportError(f"{out} holds a {state.get('format')} export, not {fmt}; "
                          "export each format into its own directory")
    return state


def _save_state(out: Path, state: dict[str, Any]) -> None:
    partial = out / f".{STATE_FILE}.partial"
    partial.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(partial, out / STATE_FILE)


def read_exported(con: duckdb.DuckDBPyConnection, out_dir: Path | str, table: str,
                  fmt: str = "parquet") -> duckdb.DuckDBPyRelation:
    """A DuckDB relation over every exported file of ``table`` (partition columns included),
    with the archive's columns: Parquet's encodings (UUIDs, folded tags) undone."""
    extension = _OPTIONS[fmt][0]
    folder = Path(out_dir) / table
    pattern = _sql_path(folder / ("**" if table in {s.name for s in partitioned_specs()} else "")
                        / f"*.{extension}")
    reader = {"parquet": "read_parquet", "jsonl": "read_json", "csv": "read_csv"}[fmt]
    extra = ", hive_partitioning = false" if fmt == "parquet" else ""
    files = f"{reader}('{pattern}'{extra})"
    spec = next((s for s in partitioned_specs() if s.name == table), None)
    if fmt == "parquet" and spec is not None and table in ENCODED:
        return con.sql(decoded_sql(spec, files))
    return con.sql(f"SELECT * FROM {files}")
