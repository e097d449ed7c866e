"""The pure projection: real lines -> the rows of the data contract."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from recorder.store import schema
from recorder.store.projections import project_line

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
CORPUS = Path(__file__).resolve().parent / "data" / "twitch_docs_examples.jsonl"
LOCAL = Path(__file__).resolve().parent / "client" / "data" / "real_lines.jsonl"


def _lines() -> list[str]:
    out = []
    for path in (CORPUS, LOCAL):
        out += [json.loads(l)["line"] for l in path.read_text().splitlines() if l.strip()]
    return out


def test_every_row_fits_its_table():
    for line in _lines():
        _, _, error, rows = project_line(line, NOW)
        assert error is None
        for table, row in rows:
            columns = set(schema.metadata.tables[table].columns.keys())
            assert set(row) <= columns - {"raw_line_id"}, (table, set(row) - columns)
            for column in schema.metadata.tables[table].columns:
                if not column.nullable and not column.primary_key and column.name != "raw_line_id":
                    assert row.get(column.name) is not None, (table, column.name, line)


def test_privmsg_row_and_emote_usages():
    line = ("@badge-info=;badges=turbo/1;color=#0D4200;display-name=ronni;emotes=25:0-4,12-16/1902:6-10;"
            "id=b34ccfc7-4977-403a-8a94-33c6bac34fb8;mod=0;room-id=1337;subscriber=0;tmi-sent-ts=1507246572675;"
            "turbo=1;user-id=1337;user-type=global_mod :ronni!ronni@ronni.tmi.twitch.tv PRIVMSG #ronni :Kappa Keepo Kappa")
    channel, command, error, rows = project_line(line, NOW)
    assert (channel, command, error) == ("ronni", "PRIVMSG", None)
    tables = [t for t, _ in rows]
    assert tables == ["messages", "emote_usages", "emote_usages"]
    msg = rows[0][1]
    assert msg["id"] == "b34ccfc7-4977-403a-8a94-33c6bac34fb8" and msg["text"] == "Kappa Keepo Kappa"
    assert msg["emotes"] == [{"id": "25", "start": 0, "end": 4}, {"id": "25", "start": 12, "end": 16},
                             {"id": "1902", "start": 6, "end": 10}]
    assert msg["sent_at"] == datetime(2017, 10, 5, 23, 36, 12, 675000, tzinfo=timezone.utc)
    assert msg["tags"]["user-type"] == "global_mod" and msg["received_at"] == NOW
    usages = {r["emote_id"]: (r["emote_name"], r["count"]) for t, r in rows[1:]}
    assert usages == {"25": ("Kappa", 2), "1902": ("Keepo", 1)}


def test_moderation_kinds():
    ban = project_line("@room-id=1;target-user-id=2;tmi-sent-ts=1 :tmi.twitch.tv CLEARCHAT #c :bob", NOW)[3]
    timeout = project_line("@ban-duration=60;room-id=1;target-user-id=2;tmi-sent-ts=1 :tmi.twitch.tv CLEARCHAT #c :bob", NOW)[3]
    clear = project_line("@room-id=1;tmi-sent-ts=1 :tmi.twitch.tv CLEARCHAT #c", NOW)[3]
    delete = project_line("@login=foo;room-id=;target-msg-id=m1;tmi-sent-ts=5 :tmi.twitch.tv CLEARMSG #c :bad words", NOW)[3]
    assert [r[1]["kind"] for r in ban + timeout + clear + delete] == ["ban", "timeout", "clear", "delete"]
    assert timeout[0][1]["duration_s"] == 60
    assert delete[0][1]["target_message_id"] == "m1" and delete[0][1]["target_text"] == "bad words"


def test_malformed_line_keeps_its_error_and_no_rows():
    channel, command, error, rows = project_line("@tags-without-command", NOW)
    assert error and rows == [] and channel is None and command is None


def test_unprojected_commands_give_no_rows():
    for line in ["PING :tmi.twitch.tv", ":tmi.twitch.tv 001 me :Welcome, GLHF!", ":tmi.twitch.tv FOO #c :x",
                 ":tmi.twitch.tv RECONNECT"]:
        assert project_line(line, NOW)[3] == []


def test_roomstate_partial_leaves_others_null():
    rows = project_line("@room-id=1;slow=10 :tmi.twitch.tv ROOMSTATE #c", NOW)[3]
    assert rows[0][1]["slow"] == 10 and rows[0][1]["r9k"] is None


def test_fast_privmsg_row_agrees_with_the_typed_record():
    """The projection reads tags directly; the typed record reads them through descriptors."""
    from recorder.client.events import PrivMsg, event_from_line

    for line in _lines():
        event = event_from_line(line)
        if not isinstance(event, PrivMsg) or not event.message_id:
            continue
        row = project_line(line, NOW)[3][0][1]
        assert row["text"] == event.text and row["is_action"] == event.is_action
        assert row["login"] == event.login and row["display_name"] == event.display_name
        assert row["sent_at"] == event.sent_at and row["bits"] == event.bits
        assert row["badges"] == event.badges and row["badge_info"] == event.badge_info
        assert row["emotes"] == [{"id": e.id, "start": e.start, "end": e.end} for e in event.emotes]
        assert (row["is_first_msg"], row["is_mod"], row["is_subscriber"]) == (
            event.first_msg, event.is_mod, event.is_subscriber)
        assert (row["reply_parent_msg_id"], row["reply_parent_login"], row["custom_reward_id"],
                row["source_room_id"], row["room_id"], row["user_id"], row["color"]) == (
            event.reply_parent_msg_id, event.reply_parent_login, event.custom_reward_id,
            event.source_room_id, event.room_id, event.user_id, event.color)
