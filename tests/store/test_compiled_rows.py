"""The compiled twins of the recorder's row work (recorder/client/_speedups.c) against their
pure-Python specifications: the PRIVMSG projection (projections._privmsg_rows_py) and a row as
the SQLite writer process binds it, JSON columns as text (sqlite_proc._wire_row_py). Same results, key order and types included, on every real
line, mutated real lines and generated input; the same exceptions where the twin raises."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recorder.client import _speedups, speedups
from recorder.client.irc import ParseError, parse_line
from recorder.store import projections, sqlite_proc
from tests.client.test_speedups import ANY_CHAR, SHARP_TEXT, same
from tests.fuzz.mutations import PROFILE, REAL_LINES, mutated_line

AT = datetime(2024, 5, 1, 18, 0, 0, 123456, tzinfo=timezone.utc)


def test_the_compiled_row_functions_are_the_ones_in_use() -> None:
    if not speedups.COMPILED:  # RECORDER_PURE_PYTHON (test_speedups fails if not asked for)
        assert projections._privmsg_rows is projections._privmsg_rows_py
        assert sqlite_proc._pack_raws is sqlite_proc._pack_raws_py
        return
    assert projections._privmsg_rows is _speedups.privmsg_rows
    assert sqlite_proc._pack_raws is _speedups.pack_raws


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


def _both_raise(compiled: object, python: object, *args: object) -> None:
    """Both refuse ``args``: by the same exception, or by TypeError where Python reaches for a
    missing method (AttributeError)."""
    raised = []
    for function in (compiled, python):
        with pytest.raises(Exception) as error:
            function(*args)  # type: ignore[operator]
        raised.append(error.type)
    assert raised[0] is raised[1] or (raised[0], raised[1]) == (TypeError, AttributeError), raised


def test_privmsg_rows_refuses_wrong_types_as_its_twin_does() -> None:
    for args in [({"id": "m", "emotes": 5}, "c", "n", "t", AT), ({"id": "m", "bits": 5}, "c", "n", "t", AT),
                 ({"id": "m", "badges": 5}, "c", "n", "t", AT), ({"id": "m", "tmi-sent-ts": 5}, "c", "n", "t", AT),
                 ({"id": "m"}, "c", 5, "t", AT), ({"id": "m"}, "c", "n", 5, AT),
                 ({"id": "m", "bits": "9" * 5000}, "c", "n", "t", AT)]:  # past int()'s digit limit
        _both_raise(_speedups.privmsg_rows, projections._privmsg_rows_py, *args)
    for falsy in (0, "", None, []):  # falsy values are left alone by both, whatever their type
        _agree({"id": "m", "emotes": falsy, "bits": falsy}, "c", falsy, "t", AT)
    with pytest.raises(TypeError):
        _speedups.privmsg_rows([], "c", "n", "t", AT)
    with pytest.raises(TypeError):
        _speedups.privmsg_rows({}, "c")


def test_a_dict_subclass_goes_to_the_python_twin() -> None:
    class Tags(dict):
        def get(self, key, default=None):  # type: ignore[override]
            return "X" if key == "color" else super().get(key, default)

    message = parse_line("@id=m;color=#FFF :n!n@n PRIVMSG #c :hi")
    object.__setattr__(message, "_tags", Tags(message.tags))
    from recorder.client.events import parse_event

    rows = projections.project(parse_event(message), AT)
    assert rows[0][1]["color"] == "X"
    with pytest.raises(TypeError):
        _speedups.privmsg_rows(Tags(id="m"), "c", "n", "t", AT)


def test_code_run_meanwhile_cannot_pull_values_from_under_it() -> None:
    # tag values held across code that may change the tags (a __bool__, nick.lower(), a key's
    # __eq__): the compiled function holds its own references (these crashed it once)
    class Clears:
        def __init__(self, tags: dict) -> None:
            self.tags = tags

        def __bool__(self) -> bool:
            self.tags.clear()
            return True

    def cleared_by_bool() -> dict:
        tags: dict = {"emotes": "1:0-1", "display-name": "D" * 50, "bits": "100"}
        tags["id"] = Clears(tags)
        return tags

    results = [function(cleared_by_bool(), "c", "n", "hi", AT)
               for function in (_speedups.privmsg_rows, projections._privmsg_rows_py)]
    for rows in results:  # all read after the clearing: nothing left but the id held
        rows[0][1].pop("id")
        rows[0][1].pop("tags")
    assert same(results[0], results[1]) and results[0][0][1]["display_name"] == "n"

    def lowering_changes_them() -> tuple[dict, str]:
        tags = {"id": "m", "emotes": "1:0-1," + "2:0-0," * 20, "display-name": "D" * 50}

        class Nick(str):
            def lower(self) -> str:  # type: ignore[override]
                tags["emotes"] = "x" * 100
                tags.pop("display-name", None)
                return "nick"
        return tags, Nick("Nick")

    def colliding_key_changes_them() -> tuple[dict, str]:
        class Collides:
            armed = False

            def __hash__(self) -> int:
                return hash("room-id")

            def __eq__(self, other: object) -> bool:
                if Collides.armed:
                    tags.pop("display-name", None)
                return False
        tags: dict = {"id": "m", Collides(): 1, "display-name": "D" * 50, "room-id": "5"}
        Collides.armed = True
        return tags, "n"

    for case in (lowering_changes_them, colliding_key_changes_them):
        results = []
        for function in (_speedups.privmsg_rows, projections._privmsg_rows_py):
            tags, nick = case()
            rows = function(tags, "c", nick, "hi there", AT)
            rows[0][1].pop("tags")  # (holds the case's own key objects)
            results.append(rows)
        assert same(results[0], results[1]), case.__name__
        assert results[0][0][1]["display_name"] == "nick" if case is lowering_changes_them else "n"


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


JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(),
                        st.text(ANY_CHAR, max_size=12))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(st.one_of(st.text(ANY_CHAR, max_size=6), st.integers(0, 3)), inner, max_size=4)),
    max_leaves=12)


@PROFILE
@given(values=st.lists(JSON_VALUES, min_size=1, max_size=3))
def test_json_columns_go_to_the_writer_process_alike(values: list) -> None:
    row = {f"c{i}": value for i, value in enumerate(values)}
    json_at = tuple(range(len(values)))
    try:
        expected = sqlite_proc._wire_row_py(row, json_at, (), None, 3)
    except Exception as exc:  # orjson refuses it (a non-str key, a lone surrogate, 2**64, ...)
        with pytest.raises(type(exc)):
            _speedups.wire_row(row, json_at, (), None, 3)
        return
    assert same(_speedups.wire_row(row, json_at, (), None, 3), expected)


# --- a batch for the writer process ----------------------------------------------------------

def _records(lines: list[str]) -> list:
    from recorder.store.records import ConnectionEvent, RawRecord, SessionEnd

    items: list = []
    for n, line in enumerate(lines):
        channel, command, error, rows = projections.project_line(line, AT + timedelta(microseconds=n))
        items.append(RawRecord(AT, line, channel, command, 7, parse_error=error, rows=rows))
        if n % 17 == 3:
            items.append(ConnectionEvent(7, "joined", channel, None, AT))
        if n % 29 == 5:
            items.append(SessionEnd(7, AT))
    return items


def _both_packs(items: list, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple, tuple]:
    compiled = sqlite_proc.pack_batch(items)
    with monkeypatch.context() as patch:
        patch.setattr(sqlite_proc, "_pack_raws", sqlite_proc._pack_raws_py)
        python = sqlite_proc.pack_batch(items)
    return compiled, python


def test_real_batches_are_packed_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    items = _records(REAL_LINES * 3)
    compiled, python = _both_packs(items, monkeypatch)
    assert compiled == python and compiled[1] == len(REAL_LINES) * 3
    assert _both_packs(items[5:6], monkeypatch)[0] == _both_packs(items[5:6], monkeypatch)[1]
    assert _both_packs([], monkeypatch)[0] == _both_packs([], monkeypatch)[1]


def test_packing_in_slices_gives_the_message_of_one_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    items = _records(REAL_LINES * 2)  # events at many places, some at the edge of a slice
    whole = sqlite_proc.pack_batch(items)
    for size in (1, 2, 3, 7, 16):
        monkeypatch.setattr(sqlite_proc, "PACK_SLICE", size)
        assert sqlite_proc.pack_batch(items) == whole


def _pack_alike(items: list, start: int = 0) -> tuple:
    """pack_raws and its twin on the same items, from fresh layouts: their results and lists."""
    results = []
    for function in (_speedups.pack_raws, sqlite_proc._pack_raws_py):
        raws: list = []
        groups: dict = {}
        layouts: dict = {}

        def layout(table: str, columns: tuple) -> tuple:
            plan = layouts[(table, columns)] = sqlite_proc._layout(table, columns)
            return plan

        from recorder.store.records import RawRecord
        results.append((function(items, start, raws, groups, layouts, layout, RawRecord), raws,
                        list(groups.items())))
    assert same(results[0], results[1])
    return results[0]


def test_rows_are_grouped_by_equal_columns_whatever_their_objects_or_form() -> None:
    from recorder.store.records import RawRecord

    def row(*columns: str) -> dict:
        return {"".join(list(c)): "x" for c in columns}  # equal strings, new objects each time

    base = ("channel", "login", "kind", "received_at")
    tables = [("membership_events", row(*base)), ["membership_events", row(*base)],  # a list pair: as decoded from the spool
              ("membership_events", row(*base[::-1])), ("membership_events", dict.fromkeys(base, None))]
    many = [("notices", {c: None for c in combo})  # more column sets than the compiled cache holds
            for combo in [("channel",), ("msg_id",), ("text",), ("channel", "msg_id"), ("channel", "text"),
                          ("msg_id", "text"), ("channel", "msg_id", "text"), ("target_user_id",),
                          ("channel", "target_user_id"), ("channel",), ("msg_id",)]]
    for pair in tables:
        pair[1]["received_at"] = AT
    for rows in (tables, many, tables + many + tables):
        (stop, count), raws, groups = _pack_alike([RawRecord(AT, "line", "c", "NOTICE", 1, rows=rows)])
        assert (stop, count) == (1, len(rows))
    # the same columns in the same order are one group, whatever objects name them
    groups = _pack_alike([RawRecord(AT, "l", "c", "N", 1, rows=tables)])[2]
    assert [len(group) for _, group in groups] == [3, 1]
    # and the same column objects for two tables are two groups
    same_columns = [(table, {"channel": "c", "received_at": AT}) for table in ("notices", "membership_events")]
    groups = _pack_alike([RawRecord(AT, "l", "c", "N", 1, rows=same_columns)])[2]
    assert [table for (table, _), _ in groups] == ["notices", "membership_events"]


def test_packing_stops_at_the_first_item_of_another_kind() -> None:
    items = _records(REAL_LINES[:6])
    kinds = [type(i).__name__ for i in items]
    first_other = next(n for n, k in enumerate(kinds) if k != "RawRecord")
    assert _pack_alike(items)[0][0] == first_other
    assert _pack_alike(items, first_other)[0] == (first_other, 0)
    assert _pack_alike(items, len(items))[0] == (len(items), 0)


def test_pack_raws_errors_are_raised_as_its_twin_raises_them() -> None:
    from recorder.store.records import RawRecord

    naive = RawRecord(datetime(2024, 1, 1), "l", "c", "N", 1)
    bad_time = RawRecord(AT, "l", "c", "N", 1, rows=[("notices", {"received_at": datetime(2024, 1, 1)})])
    bad_json = RawRecord(AT, "l", "c", "N", 1, rows=[("user_states", {"badges": {1: "x"}})])
    not_dict = RawRecord(AT, "l", "c", "N", 1, rows=[("notices", ["channel"])])
    for item in (naive, bad_time, bad_json, not_dict):
        raised = []
        for function in (_speedups.pack_raws, sqlite_proc._pack_raws_py):
            with pytest.raises(Exception) as error:
                function([item], 0, [], {}, {}, sqlite_proc._layout, RawRecord)
            raised.append(error.type)
        assert raised[0] is raised[1] or {raised[0], raised[1]} == {TypeError, AttributeError}, raised
    with pytest.raises(TypeError):
        _speedups.pack_raws((), 0, [], {}, {}, sqlite_proc._layout, RawRecord)


def test_a_layout_that_changes_the_row_cannot_pull_it_from_under_packing() -> None:
    from recorder.store.records import RawRecord

    pair = ["notices", {"channel": "c", "received_at": AT}]

    def layout(table: str, columns: tuple) -> tuple:
        pair.clear()  # the row list (as decoded from the spool) emptied meanwhile
        return sqlite_proc._layout(table, columns)

    raws: list = []
    groups: dict = {}
    stop, added = _speedups.pack_raws([RawRecord(AT, "l", "c", "N", 1, rows=[pair])], 0, raws,
                                      groups, {}, layout, RawRecord)
    assert (stop, added) == (1, 1) and [len(g) for g in groups.values()] == [1]


def test_column_places_are_read_as_list_indexing_reads_them() -> None:
    values = {"a": 1, "b": [2]}
    for places in [((None,), (), None), ((), ("x",), None), ((), (), "x"), ((2**70,), (), None),
                   ((5,), (), None), ((), (), -3)]:
        _both_raise(_speedups.wire_row, sqlite_proc._wire_row_py, values, *places, 0)
    assert _speedups.wire_row(values, (True,), (), 0, 7) == sqlite_proc._wire_row_py(values, (True,), (), 0, 7)
    for function in (_speedups.pack_raws, sqlite_proc._pack_raws_py):
        with pytest.raises(ValueError):
            function([], -1, [], {}, {}, sqlite_proc._layout, object)
