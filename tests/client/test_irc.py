"""parse_line / format_line / tag escaping, on real lines and the edge cases of PROTOCOL.md."""
from __future__ import annotations

import pytest

from recorder.client.irc import (
    IRCMessage, ParseError, escape_tag_value, format_line, parse_line, split_lines,
    unescape_tag_value,
)


def test_privmsg_positions_not_words():
    msg = parse_line(":a!a@a.tmi.twitch.tv PRIVMSG #chan :please RECONNECT now PING :x")
    assert msg.command == "PRIVMSG"
    assert msg.params == ["#chan", "please RECONNECT now PING :x"]
    assert msg.nick == "a"
    assert msg.channel == "chan"


def test_trailing_kept_exactly():
    msg = parse_line(":a!a@a PRIVMSG #c :  spaced  out  ")
    assert msg.params[-1] == "  spaced  out  "
    assert parse_line("PRIVMSG #c :").params == ["#c", ""]


@pytest.mark.parametrize(
    "escaped, value",
    [
        (r"a\sb", "a b"),
        (r"semi\:colon", "semi;colon"),
        (r"back\\slash", "back\\slash"),
        (r"cr\rlf\n", "cr\rlf\n"),
        (r"other\xchar", "otherxchar"),
        ("trailing\\", "trailing"),
        (r"\\s", "\\s"),
        ("", ""),
        ("a=b=c", "a=b=c"),
    ],
)
def test_unescape(escaped, value):
    assert unescape_tag_value(escaped) == value
    msg = parse_line(f"@k={escaped} :tmi.twitch.tv NOTICE #c :x")
    assert msg.tags["k"] == value


def test_escape_is_inverse():
    for value in ["a b;c\\d\r\ne", "", "\\", "plain", "x\\sy"]:
        assert unescape_tag_value(escape_tag_value(value)) == value


def test_equals_inside_value_and_key_without_value():
    msg = parse_line("@a=x=y;b;c= :tmi.twitch.tv CMD")
    assert msg.tags == {"a": "x=y", "b": "", "c": ""}


def test_numeric_and_no_prefix():
    msg = parse_line(":tmi.twitch.tv 001 justinfan123 :Welcome, GLHF!")
    assert msg.command == "001"
    assert msg.params == ["justinfan123", "Welcome, GLHF!"]
    assert msg.nick is None
    ping = parse_line("PING :tmi.twitch.tv")
    assert ping.prefix is None and ping.params == ["tmi.twitch.tv"]


def test_unknown_command_is_a_message():
    msg = parse_line(":tmi.twitch.tv FOOBAR #c :whatever")
    assert msg.command == "FOOBAR"


def test_crlf_tolerated_but_not_kept():
    msg = parse_line("PING :tmi.twitch.tv\r\n")
    assert msg.raw == "PING :tmi.twitch.tv"


@pytest.mark.parametrize(
    "line",
    ["", "   ", "@tags-only", ":prefix-only", "@a=b :prefix", ":  ", "@a=b  ", "PING\r:x",
     "PRIV\nMSG", "NUL\0", ":p PR!VMSG #c", ":p :x", "ÄÖ #c"],
)
def test_malformed_lines_raise_parse_error_with_the_line(line):
    with pytest.raises(ParseError) as info:
        parse_line(line)
    assert info.value.line == line or info.value.line == line.removesuffix("\n")


def test_parse_error_is_value_error():
    assert issubclass(ParseError, ValueError)


def test_format_line_tags_and_trailing():
    line = format_line("PRIVMSG", ["#chan", "hello there"], tags={"reply-parent-msg-id": "abc"})
    assert line == "@reply-parent-msg-id=abc PRIVMSG #chan :hello there"
    assert format_line("PASS", ["oauth:x"]) == "PASS oauth:x"
    assert format_line("PRIVMSG", ["#c", ":)"]) == "PRIVMSG #c ::)"
    assert format_line("PRIVMSG", ["#c", ""]) == "PRIVMSG #c :"
    assert format_line("CMD", [], tags={"k": "a b;c", "flag": None}) == r"@k=a\sb\:c;flag CMD"


@pytest.mark.parametrize(
    "args",
    [("PRIVMSG", ["#c", "a\r\nPRIVMSG #d :injected"]), ("PRIVMSG", ["has space", "x"]),
     ("PRIV MSG", []), ("PRIVMSG", ["", "x"]), ("JOIN", [":x", "y"])],
)
def test_format_line_refuses_injection(args):
    with pytest.raises(ValueError):
        format_line(*args)


def test_split_lines_frames():
    lines, rest = split_lines("PING :a\r\nPING :b\r\nPRIVMSG #c :par")
    assert lines == ["PING :a", "PING :b"] and rest == "PRIVMSG #c :par"
    lines, rest = split_lines(rest + "tial\r\n")
    assert lines == ["PRIVMSG #c :partial"] and rest == ""


def test_message_is_frozen():
    msg = parse_line("PING :x")
    assert isinstance(msg, IRCMessage)
    with pytest.raises(AttributeError):
        msg.command = "PONG"  # type: ignore[misc]
