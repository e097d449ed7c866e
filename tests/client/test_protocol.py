"""IRCProtocol: frames -> lines, login/CAP state, PING/PONG, without any I/O."""
from __future__ import annotations

from recorder.client.irc import IRCProtocol, ProtocolState


def test_login_sequence_pass_before_nick():
    proto = IRCProtocol(nick="bot", token="abc")
    proto.initiate()
    out = proto.data_to_send()
    assert out == [
        "CAP REQ :twitch.tv/tags twitch.tv/commands twitch.tv/membership\r\n",
        "PASS oauth:abc\r\n",
        "NICK bot\r\n",
    ]
    assert proto.data_to_send() == []


def test_anonymous_login_sends_no_pass():
    proto = IRCProtocol(nick="justinfan123")
    proto.initiate()
    assert [l for l in proto.data_to_send() if l.startswith("PASS")] == []


def test_several_lines_per_frame_and_split_lines_in_order():
    proto = IRCProtocol(nick="justinfan1")
    proto.initiate()
    proto.receive_data(":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands\r\n:tmi.twitch.tv 001 justinfan1 :Welcome, GLHF!\r\n:tmi.")
    proto.receive_data("twitch.tv 376 justinfan1 :>\r\n")
    lines = [ev.line for ev in proto.events_received()]
    assert lines == [
        ":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands",
        ":tmi.twitch.tv 001 justinfan1 :Welcome, GLHF!",
        ":tmi.twitch.tv 376 justinfan1 :>",
    ]
    assert proto.state is ProtocolState.READY
    assert proto.acked_caps == {"twitch.tv/tags", "twitch.tv/commands"}


def test_server_ping_is_answered():
    proto = IRCProtocol(nick="justinfan1")
    proto.receive_data("PING :tmi.twitch.tv\r\n")
    assert proto.data_to_send() == ["PONG :tmi.twitch.tv\r\n"]
    assert proto.events_received()[0].message.command == "PING"


def test_text_mentioning_ping_is_not_answered():
    proto = IRCProtocol(nick="justinfan1")
    proto.receive_data(":a!a@a.tmi.twitch.tv PRIVMSG #c :PING :tmi.twitch.tv\r\n")
    assert proto.data_to_send() == []


def test_malformed_line_is_kept_in_order_with_its_error():
    proto = IRCProtocol(nick="justinfan1")
    proto.receive_data("PING :a\r\n@broken-tags-only\r\nPING :b\r\n")
    events = proto.events_received()
    assert [e.line for e in events] == ["PING :a", "@broken-tags-only", "PING :b"]
    assert events[1].message is None and events[1].error.line == "@broken-tags-only"


def test_fatal_login_notice_fails():
    proto = IRCProtocol(nick="bot", token="bad")
    proto.initiate()
    proto.receive_data(":tmi.twitch.tv NOTICE * :Login authentication failed\r\n")
    assert proto.state is ProtocolState.FAILED
    assert proto.failure == "Login authentication failed"


def test_own_ping_and_pong_deadline():
    proto = IRCProtocol(nick="justinfan1")
    proto.ping(now=100.0, token="k1")
    assert proto.data_to_send() == ["PING k1\r\n"]
    assert proto.awaiting_pong and not proto.pong_overdue(104.0, deadline=5.0)
    assert proto.pong_overdue(106.0, deadline=5.0)
    proto.receive_data(":tmi.twitch.tv PONG tmi.twitch.tv :k1\r\n")
    assert not proto.awaiting_pong and not proto.pong_overdue(200.0, deadline=5.0)


def test_bare_lf_lines_are_accepted():
    proto = IRCProtocol(nick="justinfan1")
    proto.receive_data("PING :a\nPING :b\n")
    assert [e.line for e in proto.events_received()] == ["PING :a", "PING :b"]
