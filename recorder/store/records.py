"""What the writer stores: a raw line with its projection rows, a connection event, the end of
a session; and their spool form (one line of JSON each, read back identical).

The spool form is orjson, with times as ISO 8601 text typed again on the way back from the
schema's time columns (tagging every time would cost a Python call per value); text orjson
refuses (lone surrogates) falls back to :func:`recorder.store.spool.dumps`'s tagged JSON, which
is also what spools written before orjson hold, so both forms are read.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Union

import orjson

from recorder.store import schema
from recorder.store.spool import dumps

__all__ = ["RawRecord", "ConnectionEvent", "SessionEnd", "Item", "encode_item", "load_doc",
           "decode_item"]


@dataclass(slots=True, weakref_slot=True)
class RawRecord:
    """One line as received, plus the projection rows (``(table, values)`` without
    ``raw_line_id``) that the projection function made of it."""

    received_at: datetime
    line: str
    channel: str | None
    command: str | None
    session_id: int | None
    parse_error: str | None = None
    rows: list[tuple[str, dict]] = field(default_factory=list)


@dataclass(slots=True)
class ConnectionEvent:
    session_id: int | None
    kind: str
    channel: str | None
    detail: str | None
    at: datetime


@dataclass(slots=True)
class SessionEnd:
    session_id: int
    at: datetime


Item = Union[RawRecord, ConnectionEvent, SessionEnd]


def encode_item(item: Item) -> bytes:
    """The spool line of ``item`` (see the module docstring)."""
    if isinstance(item, RawRecord):
        doc: dict[str, Any] = {"t": "r", "at": item.received_at, "line": item.line,
                               "ch": item.channel, "cmd": item.command, "s": item.session_id,
                               "pe": item.parse_error, "rows": item.rows}
    elif isinstance(item, ConnectionEvent):
        doc = {"t": "c", "s": item.session_id, "k": item.kind, "ch": item.channel,
               "d": item.detail, "at": item.at}
    else:
        doc = {"t": "e", "s": item.session_id, "at": item.at}
    try:
        return orjson.dumps(doc)
    except orjson.JSONEncodeError:
        return dumps(doc).encode("ascii")


def load_doc(line: bytes) -> dict:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:  # escaped lone surrogates, which only json accepts
        return json.loads(line)



def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, dict):  # {"$dt": iso}: spool.dumps's tagged form
        value = value["$dt"]
    return datetime.fromisoformat(value)


def decode_item(doc: dict) -> Item:
    if doc["t"] == "r":
        rows = []
        for table, values in doc["rows"]:
            for name in schema.TIME_COLUMNS.get(table, ()):
                if name in values:
                    values[name] = _time(values[name])
            rows.append((table, values))
        return RawRecord(_time(doc["at"]), doc["line"], doc["ch"], doc["cmd"], doc["s"],  # type: ignore[arg-type]
                         doc["pe"], rows)
    if doc["t"] == "c":
        return ConnectionEvent(doc["s"], doc["k"], doc["ch"], doc["d"], _time(doc["at"]))  # type: ignore[arg-type]
    return SessionEnd(doc["s"], _time(doc["at"]))  # type: ignore[arg-type]
