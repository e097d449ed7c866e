"""The compiled twins (recorder/client/_speedups.c) against their pure-Python specifications:
the same results on real lines, on mutated real lines and on generated text of every string
width (Latin-1, UCS-2, UCS-4, lone surrogates), and the same reasons for rejecting a line."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone, tzinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recorder.client import _speedups, events, irc, speedups
from recorder.store import sqlite_proc
from recorder.store.sqlite_child import datetime_text
from tests.fuzz.mutations import PROFILE, REAL_LINES, fragments, mutated_line

#: Any code point, surrogates included (a str off the wire can hold them after decoding errors).
ANY_CHAR = st.characters(blacklist_categories=())
SHARP_TEXT = st.lists(st.one_of(fragments(control=True), st.text(ANY_CHAR, max_size=6)),
                      max_size=8).map("".join)


def same(a: object, b: object) -> bool:
    """Equal and of the same types all the way down (a str is not a subclass, a dict a dict)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)  # type: ignore[index]
    return a == b and (getattr(a, "tzinfo", None) is getattr(b, "tzinfo", None))


def test_the_compiled_functions_are_the_ones_in_use() -> None:
    # make venv builds the extension; a build that silently fell back to pure Python would
    # cost every recording ~5 us a line, so it is an error here unless asked for.
    if os.environ.get("RECORDER_PURE_PYTHON"):
        assert not speedups.COMPILED and irc._parse_tags is irc._parse_tags_py
        return
    assert speedups.COMPILED
    assert irc._parse_tags is _speedups.parse_tags
    assert irc._split_line is _speedups.split_line
    assert events.parse_badges is _speedups.parse_badges
    assert events.sent_at_from_ts is _speedups.sent_at
    assert sqlite_proc._time_text is _speedups.datetime_text


@pytest.mark.parametrize("line", REAL_LINES)
def test_real_lines_split_and_tags_agree(line: str) -> None:
    assert same(_speedups.split_line(line), irc._split_line_py(line))
    parts = irc._split_line_py(line)
    if not isinstance(parts, str):
        tags = irc._parse_tags_py(parts[1])
        assert same(_speedups.parse_tags(parts[1]), tags)
        for key in ("badges", "badge-info", "source-badges"):
            assert same(_speedups.parse_badges(tags.get(key)), events._parse_badges_py(tags.get(key)))
        assert same(_speedups.sent_at(tags.get("tmi-sent-ts")), events._sent_at_py(tags.get("tmi-sent-ts")))


EDGE_LINES = ["", "\r\n", "\n", "\r", "PING", "PING\r\n", "PING\n\n", "PI\0NG", "PING :a\0b",
              "PING :a\rb", "PING :a\nb\r\n", "@", "@a=b", "@a=b ", "@a=b  PING", "@ PING", ":",
              ": PING", ":n PING", ":n!u@h", ":!u@h PRIVMSG #c :x", ":n!u@h  PRIVMSG  #c  x  :t :u",
              "PRIVMSG #c :", "PRIVMSG #c : ", "PRIVMSG  ", "   ", "PRIV-MSG #c", "PRIVMSG\t#c",
              "PRİVMSG #c", "001 n :Welcome", "@a=1 :n PRIVMSG #c :日本語 😀", "PRIVMSG #c :\ud800"]


@pytest.mark.parametrize("line", EDGE_LINES)
def test_split_line_agrees_on_edges(line: str) -> None:
    assert same(_speedups.split_line(line), irc._split_line_py(line))


@PROFILE
@given(line=st.one_of(mutated_line(control=True), SHARP_TEXT))
def test_split_line_agrees_on_mutated_and_generated_lines(line: str) -> None:
    for candidate in (line, line + "\r\n", line + "\n", "@" + line, ":" + line):
        assert same(_speedups.split_line(candidate), irc._split_line_py(candidate)), candidate


@PROFILE
@given(items=st.lists(st.tuples(SHARP_TEXT, st.sampled_from(["=", ""]), SHARP_TEXT), max_size=8))
def test_parse_tags_agrees_on_generated_tags(items: list[tuple[str, str, str]]) -> None:
    text = ";".join(k + eq + v for k, eq, v in items)
    assert same(_speedups.parse_tags(text), irc._parse_tags_py(text))


def test_parse_tags_reuses_no_stale_key() -> None:
    # the C function keeps the last line's keys by place; a different key at a place, a key
    # of another string width, or more tags than it keeps must all still come out right
    seq = ["a=1;b=2;c=3", "a=1;bb=2;c=3", "a=1;b=2", "a=1;é=2", "a=1;ė=2", "a=1;😀=2",
           "a=1;b=2", ";".join(f"k{i}=v{i}" for i in range(100)), "k0=x;k1\\s=y;k1=z",
           "=x;a;b=;c=\\", "a=1;b=2;c=3"]
    for text in seq + seq[::-1]:
        assert same(_speedups.parse_tags(text), irc._parse_tags_py(text)), text


@PROFILE
@given(value=st.one_of(st.none(), SHARP_TEXT,
                       st.lists(st.tuples(SHARP_TEXT, st.sampled_from(["/", ""]), SHARP_TEXT))
                       .map(lambda items: ",".join(a + s + b for a, s, b in items))))
def test_parse_badges_agrees(value: str | None) -> None:
    assert same(_speedups.parse_badges(value), events._parse_badges_py(value))


EDGE_TIMES = ["0", "-0", "1", "-1", "1700000000166", "-86400000", "-86400001", "253402300799999",
              "253402300800000", "-62135596800000", "-62135596800001", "0000000000000000001",
              "9999999999999999", "10000000000000000", "99999999999999999999", "", "-", "+5",
              " 5", "5 ", "1_000", "12a", "١٢", "²", "1.5", "--1", "-+1", None]


@pytest.mark.parametrize("value", EDGE_TIMES)
def test_sent_at_agrees_on_edges(value: str | None) -> None:
    assert same(_speedups.sent_at(value), events._sent_at_py(value))


@PROFILE
@given(value=st.one_of(st.integers(-10**17, 10**17).map(str),
                       st.integers(-10**17, 10**17).map(lambda n: f"{n:020d}"), SHARP_TEXT))
def test_sent_at_agrees(value: str) -> None:
    assert same(_speedups.sent_at(value), events._sent_at_py(value))


def test_tmi_sent_ts_is_epoch_milliseconds_in_utc() -> None:
    at = _speedups.sent_at("1507246572675")  # PROTOCOL.md's PRIVMSG example
    assert at is not None and at.isoformat() == "2017-10-05T23:36:12.675000+00:00"


def test_wrong_types_are_type_errors_not_crashes() -> None:
    for function in (_speedups.parse_tags, _speedups.split_line):
        with pytest.raises(TypeError):
            function(b"PING")  # type: ignore[arg-type]
    for function in (_speedups.parse_badges, _speedups.sent_at):
        with pytest.raises(TypeError):
            function(5)  # type: ignore[arg-type]


class NoOffset(tzinfo):
    """A tzinfo whose utcoffset() is None: aware by type, naive by offset."""

    def utcoffset(self, dt: datetime | None) -> None:
        return None


ZONES = st.one_of(st.just(timezone.utc), st.just(NoOffset()),
                  st.timedeltas(min_value=timedelta(hours=-23, minutes=-59),
                                max_value=timedelta(hours=23, minutes=59)).map(timezone))


@PROFILE
@given(at=st.datetimes(timezones=ZONES))
def test_datetime_text_agrees(at: datetime) -> None:
    try:
        expected = datetime_text(at)
    except OverflowError:  # moved to UTC past year 1 or 9999: both refuse
        with pytest.raises(OverflowError):
            _speedups.datetime_text(at)
        return
    assert same(_speedups.datetime_text(at), expected)


def test_datetime_text_refuses_naive_times_as_its_twin_does() -> None:
    assert _speedups.datetime_text(None) is None
    naive = datetime(2024, 1, 1)
    with pytest.raises(ValueError) as c_error:
        _speedups.datetime_text(naive)
    with pytest.raises(ValueError) as py_error:
        datetime_text(naive)
    assert str(c_error.value) == str(py_error.value)
