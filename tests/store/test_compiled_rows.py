"""The compiled twins of the recorder's row work (recorder/client/_speedups.c) against their
pure-Python specifications: the PRIVMSG projection (projections._privmsg_rows_py), the JSON text
of a JSON column (sqlite_bulk.json_text, i.e. orjson) and a row as the SQLite writer process
binds it (sqlite_proc._wire_row_py). Same results, key order and types included, on every real
line, mutated real lines and generated input; the same exceptions where the twin raises."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recorder.client import _speedups, speedups
from recorder.client.irc import ParseError, parse_line
from recorder.store import projections, sqlite_bulk, sqlite_proc
from tests.client.test_speedups import ANY_CHAR, SHARP_TEXT, same
from tests.fuzz.mutations import PROFILE, REAL_LINES, mutated_line

AT = datetime(2024, 5, 1, 18, 0, 0, 123456, tzinfo=timezone.utc)


def test_the_compiled_row_functions_are_the_ones_in_use() -> None:
    if not speedups.COMPILED:  # RECORDER_PURE_PYTHON (test_speedups fails if not asked for)
        assert projections._privmsg_rows is projections._privmsg_rows_py
        assert sqlite_proc._wire_row is sqlite_proc._wire_row_py
        return
    assert projections._privmsg_rows is _speedups.privmsg_rows
    assert sqlite_proc._wire_row is _speedups.wire_row
    assert sqlite_bulk._json_text is _speedups.json_text


def _parts(line: str) -> tuple | None:
    """A PRIVMSG line as privmsg_rows takes it."""
    try:
        message = parse_line(line)
    except ParseError:
        return None
    params = message.params
    return (message.tags, message.channel, message.nick, params[1] if len(params) > 1 else "", AT)


def _agree(*args: object) -> list:
    expected = projections._privmsg_rows_py(*args)
    got = _speedups.privmsg_rows(*args)
    assert same(got, expected), args
    return got


PRIVMSGS = [line for line in REAL_LINES if " PRIVMSG " in line]


def test_real_privmsgs_are_projected_alike() -> None:
    assert len(PRIVMSGS) > 20
    projected = [_agree(*_parts(line)) for line in PRIVMSGS]  # type: ignore[misc]
    # the corpus exercises what matters: emotes (repeated ones too), actions, bits, replies
    rows = [row for lines in projected for _, row in lines[:1]]
    assert any(row["emotes"] for row in rows) and any(row["is_action"] for row in rows)
    assert any(row["bits"] for row in rows) and any(row["reply_parent_msg_id"] for row in rows)
    assert any(usage["count"] > 1 for lines in projected for _, usage in lines[1:])


@PROFILE
@given(line=mutated_line(control=True))
def test_mutated_lines_are_projected_alike(line: str) -> None:
    for candidate in (line, line.replace(" PRIVMSG ", " privmsg "), "@id=x " + line):
        parts = _parts(candidate)
        if parts is not None:
            _agree(*parts)


EMOTE_SPANS = st.lists(st.tuples(st.one_of(st.integers(0, 40).map(str), SHARP_TEXT,
                                           st.sampled_from(["", "٣", "²", "9" * 25, "00"])),
                                 st.sampled_from(["-", "", "--", ":"]),
                                 st.one_of(st.integers(0, 40).map(str), SHARP_TEXT,
                                           st.sampled_from(["", "٣", "9" * 25]))),
                       max_size=4).map(lambda spans: ",".join(a + d + b for a, d, b in spans))
EMOTES = st.lists(st.tuples(st.one_of(st.sampled_from(["25", "emotesv2_a:b", "1902", ""]), SHARP_TEXT),
                            st.sampled_from([":", "", "::"]), EMOTE_SPANS),
                  max_size=4).map(lambda groups: "/".join(i + c + s for i, c, s in groups))
TAG_VALUE = st.one_of(SHARP_TEXT, st.sampled_from(["", "0", "1", "01", " 1", "100", "٣", "1_0",
                                                   "9" * 30, "subscriber/12,premium/1"]))
TAG_KEYS = ["id", "tmi-sent-ts", "display-name", "bits", "color", "badges", "badge-info",
            "first-msg", "mod", "subscriber", "reply-parent-msg-id", "reply-parent-user-login",
            "custom-reward-id", "source-room-id", "room-id", "user-id", "other", "emotes"]
TAGS = st.builds(lambda tags, emotes, message_id: {
    **tags, **({"emotes": emotes} if emotes is not None else {}),
    **({"id": message_id} if message_id is not None else {})},
    st.dictionaries(st.sampled_from(TAG_KEYS), TAG_VALUE, max_size=12),
    st.one_of(st.none(), EMOTES), st.sampled_from([None, "m1"]))
ACTION_EDGES = [
    "\x01ACTION waves\x01", "\x01ACTION waves", "\x01ACTION\x01", "\x01ACTION \x01", "\x01ACTION",
    "\x01ACTIONx\x01", "\x01action waves\x01", "\x01ACTION \x01\x01", "\x01ACTION\x01x",
    "\x01ACTION\x01\x01", "Kappa Keepo Kappa", ""]
TEXTS = st.one_of(st.text(ANY_CHAR, max_size=30), st.sampled_from(ACTION_EDGES))


@PROFILE
@given(tags=TAGS, channel=st.sampled_from(["c", "", None]),
       nick=st.one_of(st.sampled_from([None, "", "Nick", "nick", "İstanbul", "ÀB"]), SHARP_TEXT),
       text=TEXTS)
def test_generated_privmsgs_are_projected_alike(tags: dict, channel: str | None,
                                                nick: str | None, text: str) -> None:
    _agree(tags, channel, nick, text, AT)
    _agree(tags, channel, nick, text, None)


@pytest.mark.parametrize("text", ACTION_EDGES)
def test_actions_are_read_alike(text: str) -> None:
    _agree({"id": "m", "emotes": "1:0-2"}, "c", "n", text, AT)


EMOTE_EDGES = ["25:0-4", "25:0-4,6-10", "25:0-4/25:6-10", "25:6-10/25:0-4", "25:2-99", "25:5-4",
               "25:0-4,", "25:-4", "25:0-", "25:0--4", ":0-4", "25:", "a:b:0-1", "25:0-4//1:6-6",
               "25:00-04", "25:٠-٤", "25:0-99999999999999999999999", "25:99999999999999999999-1",
               "25:0-0/26:0-0/25:1-1", "/", "", "25", "25:0-4:1-2"]


@pytest.mark.parametrize("emotes", EMOTE_EDGES)
def test_emote_ranges_are_read_alike(emotes: str) -> None:
    for text in ("Kappa Kappa", "", "é😀Kappa"):
        rows = _agree({"id": "m", "emotes": emotes}, "c", "n", text, AT)
        assert all(0 <= e["start"] <= e["end"] < len(text) for e in rows[0][1]["emotes"])


def test_a_repeated_emote_is_one_usage_row_named_by_its_first_range() -> None:
    rows = _agree({"id": "m", "emotes": "25:0-4,12-16/1902:6-10", "tmi-sent-ts": "1507246572675"},
                  "c", "N", "Kappa Keepo Kappa", AT)
    assert [(r["emote_id"], r["emote_name"], r["count"]) for _, r in rows[1:]] == [
        ("25", "Kappa", 2), ("1902", "Keepo", 1)]
    assert rows[0][1]["login"] == "n" and rows[0][1]["display_name"] == "n"


def test_privmsg_rows_refuses_wrong_types_without_crashing() -> None:
    for args in [({"id": "m", "emotes": 5}, "c", "n", "t", AT), ({"id": "m", "bits": 5}, "c", "n", "t", AT),
                 ({"id": "m", "badges": 5}, "c", "n", "t", AT), ({"id": "m", "tmi-sent-ts": 5}, "c", "n", "t", AT),
                 ({"id": "m"}, "c", 5, "t", AT), ([], "c", "n", "t", AT), ({"id": "m"}, "c", "n", 5, AT)]:
        with pytest.raises(TypeError):
            _speedups.privmsg_rows(*args)
    with pytest.raises(TypeError):
        _speedups.privmsg_rows({}, "c")


# --- JSON text -------------------------------------------------------------------------------

JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                        st.floats(allow_nan=True), st.text(ANY_CHAR, max_size=12),
                        st.sampled_from(["\x00\x1f\x7f\"\\/\u2028\b\f\n\r\t", "日本語 😀", ""]))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(st.one_of(st.text(ANY_CHAR, max_size=6), st.integers(0, 3)), inner, max_size=4)),
    max_leaves=12)


def _json_agrees(value: object) -> None:
    try:
        expected = sqlite_bulk.json_text(value)
    except Exception as exc:  # orjson refuses it (a non-str key, a lone surrogate, 2**64, ...)
        with pytest.raises(type(exc)):
            _speedups.json_text(value)
        return
    assert same(_speedups.json_text(value), expected)


@PROFILE
@given(value=JSON_VALUES)
def test_json_text_is_orjson_s(value: object) -> None:
    _json_agrees(value)


def test_json_text_on_edges() -> None:
    class Sub(str):
        pass

    deep: list = []
    for _ in range(300):
        deep = [deep]
    for value in [None, {}, [], (), 0, -1, 2**63 - 1, -2**63, 2**63, 2**64 - 1, 2**64, -2**63 - 1,
                  True, False, 1.5, math.inf, "x" * 5000, {"a": "\ud800"}, {Sub("k"): Sub("v")},
                  {1: "x"}, {"a": {"b": [1, {"c": None}]}}, deep, [[[[[[[]]]]]]] * 70,
                  datetime(2024, 1, 1, tzinfo=timezone.utc), {"badges": {"subscriber": "12"}}]:
        _json_agrees(value)


# --- rows for the writer process -------------------------------------------------------------

def _layouts() -> list[tuple[dict, tuple, tuple, int | None]]:
    """Every projection row of the real lines with its layout, as pack_batch hands them over."""
    out = []
    for line in REAL_LINES:
        for table, values in projections.project_line(line, AT)[3]:
            out.append((values, *sqlite_proc._layout(table, tuple(values))))
    return out


def test_real_rows_go_to_the_writer_process_alike() -> None:
    layouts = _layouts()
    assert {len(json_at) for _, json_at, _, _ in layouts} > {0}
    for values, json_at, time_at, raw_at in layouts:
        for index in (0, 4999):
            assert same(_speedups.wire_row(values, json_at, time_at, raw_at, index),
                        sqlite_proc._wire_row_py(values, json_at, time_at, raw_at, index))


def test_wire_row_errors_are_its_twin_s() -> None:
    values = {"a": 1, "b": {"x": 1}, "at": AT}
    for args, error in [((values, (1,), (2,), 5, 0), IndexError), ((values, (9,), (), None, 0), IndexError),
                        ((dict(values, at=datetime(2024, 1, 1)), (), (2,), None, 0), ValueError),
                        (({"a": {1: 2}}, (0,), (), None, 0), TypeError)]:
        with pytest.raises(error):
            sqlite_proc._wire_row_py(*args)
        with pytest.raises(error):
            _speedups.wire_row(*args)
    assert _speedups.wire_row(values, (-2,), (-1,), 0, 7) == sqlite_proc._wire_row_py(values, (-2,), (-1,), 0, 7)
    at = AT.astimezone(timezone(timedelta(hours=-5)))
    assert _speedups.wire_row({"at": at}, (), (0,), None, 1) == ["2024-05-01 18:00:00.123456", 1]
    assert orjson.loads(_speedups.wire_row({"b": {"k": "v"}}, (0,), (), None, 1)[0]) == {"k": "v"}
