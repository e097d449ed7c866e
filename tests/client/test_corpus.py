"""Every row of the shared corpus of real Twitch lines, with every fact in its ``expect``."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from recorder.client.events import EVENT_TYPES, Numeric, Unknown, event_from_line
from recorder.client.irc import parse_line

CORPUS = Path(__file__).resolve().parents[1] / "data" / "twitch_docs_examples.jsonl"
LOCAL_CORPUS = Path(__file__).resolve().parent / "data" / "real_lines.jsonl"


def _rows() -> list[dict]:
    rows = []
    for path in (CORPUS, LOCAL_CORPUS):
        if path.exists():
            rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows


ROWS = _rows()

# expect key -> attribute of the typed record, where the names differ
ALIASES = {
    "message_text": "text",
    "action": "is_action",
    "msg_params": "params",
    "target_user": "target_login",
    "ban_duration": "duration_s",
    "action_kind": "kind",
}
LINE_LEVEL = {"command", "prefix", "params", "tags"}


def test_the_shared_corpus_is_there():
    assert CORPUS.exists(), f"missing {CORPUS}"
    assert len(ROWS) >= 24


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['command']}-{i}" for i, r in enumerate(ROWS)])
def test_corpus_line(row):
    expect = row["expect"]
    msg = parse_line(row["line"])
    assert msg.raw == row["line"]
    assert msg.command == expect["command"] == row["command"]
    assert msg.prefix == expect.get("prefix")
    assert msg.params == expect["params"]
    if "tags" in expect:
        assert msg.tags == expect["tags"]
    else:
        assert msg.tags == {}
    event = event_from_line(row["line"])
    assert event.line == msg
    for key, value in expect.items():
        if key in LINE_LEVEL:
            continue
        actual = getattr(event, ALIASES.get(key, key))
        if key == "emotes":
            actual = [{"id": e.id, "start": e.start, "end": e.end} for e in actual]
        if key == "settings":
            actual = {k.replace("-", "_"): v for k, v in actual.items()}
        if key == "message_text" and value is None:
            assert actual in (None, "")
            continue
        assert actual == value, f"{key}: {actual!r} != {value!r}"


def test_corpus_types():
    for row in ROWS:
        command = row["command"]
        expected = EVENT_TYPES.get(command) or (Numeric if command.isdigit() else Unknown)
        assert type(event_from_line(row["line"])) is expected
    assert {r["command"] for r in ROWS} >= {
        "PRIVMSG", "USERNOTICE", "NOTICE", "CLEARCHAT", "CLEARMSG", "ROOMSTATE", "USERSTATE",
        "GLOBALUSERSTATE", "PART", "CAP", "PING"}


def test_the_in_repo_copy_matches_the_shared_corpus_when_present():
    """tests/data holds a copy so a clone tests on its own; a newer shared corpus is noticed."""
    shared = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "twitch_docs_examples.jsonl"
    if shared.exists():
        assert shared.read_text() == CORPUS.read_text(), "copy shared/corpus into tests/data"
