"""Mutated real lines through the parser, the typed events and the projections: nothing but the
documented ParseError, every field readable, every projection row a valid row of its table."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from recorder.client.events import parse_event
from recorder.client.irc import IRCMessage, IRCProtocol, ParseError, parse_line
from recorder.store import schema
from recorder.store.projections import describe_line, project, project_line

from .mutations import PROFILE, REAL_LINES, mutated_line

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _json_default(value):
    if isinstance(value, datetime):
        assert value.tzinfo is not None  # times are aware
        return value.isoformat()
    raise TypeError(type(value))


def _check_rows(rows) -> None:
    for table, row in rows:
        assert table in schema.PROJECTION_TABLES
        assert set(row) <= set(schema.metadata.tables[table].c.keys()), (table, row)
        json.dumps(row, default=_json_default)  # only plain values, dicts, lists and times
        for name in ("id", "message_id", "user_id", "room_id", "emote_id", "target_user_id"):
            assert row.get(name) is None or isinstance(row[name], str)


def test_the_corpus_is_there():
    assert len(REAL_LINES) >= 50


@PROFILE
@given(mutated_line(control=True))
def test_mutated_lines_parse_or_raise_parse_error(line):
    try:
        message = parse_line(line)
    except ParseError as exc:
        assert exc.line is not None and exc.reason
        assert project_line(line, NOW)[2] is not None
        return
    assert isinstance(message, IRCMessage) and message.raw
    event = parse_event(message)
    fields = event.as_dict()  # reads every field of the typed record
    assert set(fields) == set(type(event).FIELDS)
    repr(event), event.tags, event.command
    channel, command = describe_line(message)
    assert command == message.command
    rows = project(event, NOW)
    _check_rows(rows)
    assert project_line(line, NOW) == (channel, command, None, rows)


@PROFILE
@given(st.lists(mutated_line(control=True), min_size=1, max_size=8), st.integers(1, 50))
def test_frames_split_anywhere_give_the_same_lines(lines, cut):
    """A frame split at any point yields the same lines as the whole frame (no line lost)."""
    frame = "".join(line + "\r\n" for line in lines)
    whole, split = IRCProtocol(nick="justinfan1"), IRCProtocol(nick="justinfan1")
    whole.receive_data(frame)
    for i in range(0, len(frame), cut):
        split.receive_data(frame[i:i + cut])
    a = [(e.line, e.message is None) for e in whole.events_received()]
    b = [(e.line, e.message is None) for e in split.events_received()]
    assert a == b
    expected = [l[:-1] if l.endswith("\r") else l for l in frame.split("\n")[:-1]]
    assert [line for line, _ in a] == [l for l in expected if l]
