"""Typed records: the edge cases of PROTOCOL.md, one record type per command."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from recorder.client.events import (
    Cap, ClearChat, ClearMsg, Emote, EndOfNames, HostTarget, Join, Names, Numeric, Ping, Pong,
    PrivMsg, Reconnect, RoomState, Unknown, UserNotice, Whisper, event_from_line, parse_badges,
    parse_emotes,
)

BIG = str(2**63 + 12345)


def privmsg(tags: str, text: str, channel: str = "c", nick: str = "u") -> PrivMsg:
    event = event_from_line(f"@{tags} :{nick}!{nick}@{nick}.tmi.twitch.tv PRIVMSG #{channel} :{text}")
    assert isinstance(event, PrivMsg)
    return event


def test_emotes_count_code_points_after_emoji():
    text = "😂😂 Kappa hi Kappa"
    msg = privmsg("emotes=25:3-7,12-16;id=x", text)
    assert [text[e.start : e.end + 1] for e in msg.emotes] == ["Kappa", "Kappa"]


def test_emote_ranges_past_the_end_are_clamped():
    assert parse_emotes("25:0-4,10-20/7:3-3", "Kappa") == (Emote("25", 0, 4), Emote("7", 3, 3))
    assert parse_emotes("25:2-9", "Kappa") == (Emote("25", 2, 4),)
    assert parse_emotes("garbage/25:x-y/:1-2", "Kappa") == ()
    assert parse_emotes("emotesv2_abc:0-1", "hi") == (Emote("emotesv2_abc", 0, 1),)


def test_badges_split_on_first_slash():
    assert parse_badges("predictions/Day 53/53 ...,subscriber/3012") == {
        "predictions": "Day 53/53 ...", "subscriber": "3012"}
    assert parse_badges("") == {}
    msg = privmsg(r"badges=predictions/blue-1\s/\s2,vip/1;badge-info=subscriber/14", "x")
    assert msg.badges == {"predictions": "blue-1 / 2", "vip": "1"}
    assert msg.badge_info == {"subscriber": "14"}


def test_action_wrapper_removed():
    msg = privmsg("id=1", "\x01ACTION waves at chat\x01")
    assert msg.is_action and msg.text == "waves at chat"
    plain = privmsg("id=2", "ACTION is a word")
    assert not plain.is_action and plain.text == "ACTION is a word"


def test_text_containing_commands_stays_text():
    msg = privmsg("id=3", "RECONNECT PING :tmi.twitch.tv")
    assert msg.text == "RECONNECT PING :tmi.twitch.tv"


def test_huge_ids_stay_strings():
    msg = privmsg(f"user-id={BIG};room-id={BIG};id=abc", "hi")
    assert msg.user_id == BIG and msg.room_id == BIG


def test_negative_tmi_sent_ts_is_a_valid_time():
    event = event_from_line("@login=x;room-id=;target-msg-id=m1;tmi-sent-ts=-6795364578871 "
                            ":tmi.twitch.tv CLEARMSG #c :deleted text")
    assert isinstance(event, ClearMsg)
    assert event.tmi_sent_ts == -6795364578871
    assert event.sent_at is not None and event.sent_at.year < 1970
    assert event.room_id == ""


def test_sent_at_is_utc():
    msg = privmsg("tmi-sent-ts=1642786203573;id=1", "x")
    assert msg.sent_at == datetime(2022, 1, 21, 17, 30, 3, 573000, tzinfo=timezone.utc)
    assert privmsg("tmi-sent-ts=notanumber;id=1", "x").sent_at is None
    assert privmsg(f"tmi-sent-ts={10**30};id=1", "x").sent_at is None


def test_reply_and_shared_chat_fields():
    msg = privmsg(
        r"id=r1;reply-parent-msg-id=p1;reply-parent-user-id=9;reply-parent-user-login=bob;"
        r"reply-parent-display-name=Bob;reply-parent-msg-body=hello\sthere;reply-thread-parent-msg-id=t1;"
        r"source-room-id=555;source-id=s1;source-badges=moderator/1;custom-reward-id=rw;bits=50;"
        r"first-msg=1;returning-chatter=0;mod=1;subscriber=1",
        "@bob hi",
    )
    assert (msg.reply_parent_msg_id, msg.reply_parent_user_id, msg.reply_parent_login) == ("p1", "9", "bob")
    assert msg.reply_parent_text == "hello there" and msg.reply_thread_parent_msg_id == "t1"
    assert (msg.source_room_id, msg.source_id, msg.source_badges) == ("555", "s1", {"moderator": "1"})
    assert msg.custom_reward_id == "rw" and msg.bits == 50
    assert msg.first_msg and msg.is_mod and msg.is_subscriber and not msg.returning_chatter


def test_display_name_kept_as_sent():
    msg = privmsg(r"display-name=테스트\s;id=1", "x", nick="test_kr")
    assert msg.display_name == "테스트 " and msg.login == "test_kr"


@pytest.mark.parametrize(
    "line, kind, login, duration",
    [
        ("@ban-duration=600;room-id=1;target-user-id=2;tmi-sent-ts=1 :tmi.twitch.tv CLEARCHAT #c :Bob", "timeout", "bob", 600),
        ("@room-id=1;target-user-id=2;tmi-sent-ts=1 :tmi.twitch.tv CLEARCHAT #c :bob", "ban", "bob", None),
        ("@room-id=1;tmi-sent-ts=1 :tmi.twitch.tv CLEARCHAT #c", "clear", None, None),
    ],
)
def test_clearchat_kinds(line, kind, login, duration):
    event = event_from_line(line)
    assert isinstance(event, ClearChat)
    assert (event.kind, event.target_login, event.duration_s) == (kind, login, duration)


def test_usernotice_every_msg_param_without_prefix_and_unknown_msg_id():
    event = event_from_line(
        r"@msg-id=brandnewthing;msg-param-foo=a\sb;msg-param-bar-baz=1;login=x;room-id=1;id=u1;"
        r"system-msg=Something\snew :tmi.twitch.tv USERNOTICE #c")
    assert isinstance(event, UserNotice)
    assert event.msg_id == "brandnewthing"
    assert event.params == {"foo": "a b", "bar-baz": "1"}
    assert event.text is None and event.system_msg == "Something new"


def test_names_lists_every_name():
    names = " ".join(f"user{i}" for i in range(300))
    event = event_from_line(f":me.tmi.twitch.tv 353 me = #chan :{names}")
    assert isinstance(event, Names)
    assert event.channel == "chan" and len(event.names) == 300 and event.names[-1] == "user299"
    end = event_from_line(":me.tmi.twitch.tv 366 me #chan :End of /NAMES list")
    assert isinstance(end, EndOfNames) and end.channel == "chan"


def test_other_commands():
    assert isinstance(event_from_line(":tmi.twitch.tv RECONNECT"), Reconnect)
    assert event_from_line("PING :tmi.twitch.tv").argument == "tmi.twitch.tv"
    pong = event_from_line(":tmi.twitch.tv PONG tmi.twitch.tv :abc")
    assert isinstance(pong, Pong) and pong.argument == "abc"
    join = event_from_line(":Ronni!ronni@ronni.tmi.twitch.tv JOIN #Dallas")
    assert isinstance(join, Join) and (join.channel, join.login) == ("dallas", "ronni")
    host = event_from_line(":tmi.twitch.tv HOSTTARGET #abc :xyz 10")
    assert isinstance(host, HostTarget) and (host.target, host.viewers) == ("xyz", 10)
    unhost = event_from_line(":tmi.twitch.tv HOSTTARGET #abc :- 0")
    assert unhost.target is None
    welcome = event_from_line(":tmi.twitch.tv 001 me :Welcome, GLHF!")
    assert isinstance(welcome, Numeric) and (welcome.code, welcome.text) == ("001", "Welcome, GLHF!")
    e421 = event_from_line(":tmi.twitch.tv 421 me WHO :Unknown command")
    assert isinstance(e421, Numeric) and e421.code == "421"
    cap = event_from_line(":tmi.twitch.tv CAP * NAK :twitch.tv/foo")
    assert isinstance(cap, Cap) and cap.subcommand == "NAK"
    unknown = event_from_line(":tmi.twitch.tv SOMETHINGNEW #c :data")
    assert isinstance(unknown, Unknown) and unknown.raw.endswith("SOMETHINGNEW #c :data")


def test_whisper():
    event = event_from_line(
        "@badges=;color=#8A2BE2;display-name=Foo;emotes=25:0-4;message-id=6;thread-id=1_2;"
        "turbo=0;user-id=1;user-type= :foo!foo@foo.tmi.twitch.tv WHISPER bar :Kappa hi")
    assert isinstance(event, Whisper)
    assert (event.from_login, event.to_login, event.text, event.thread_id) == ("foo", "bar", "Kappa hi", "1_2")
    assert event.emotes == (Emote("25", 0, 4),)


def test_roomstate_partial_vs_full():
    full = event_from_line("@emote-only=0;followers-only=-1;r9k=0;room-id=1;slow=0;subs-only=0 :tmi.twitch.tv ROOMSTATE #c")
    assert isinstance(full, RoomState)
    assert full.settings == {"emote-only": 0, "followers-only": -1, "r9k": 0, "slow": 0, "subs-only": 0}
    partial = event_from_line("@room-id=1;slow=10 :tmi.twitch.tv ROOMSTATE #c")
    assert partial.settings == {"slow": 10}
