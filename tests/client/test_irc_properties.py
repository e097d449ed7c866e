"""Property tests: parse_line never lets anything but ParseError escape; format/parse round-trip."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from recorder.client.events import parse_event
from recorder.client.irc import ParseError, format_line, parse_line


@settings(max_examples=800)
@given(st.text())
def test_parse_line_returns_or_raises_parse_error(text):
    try:
        msg = parse_line(text)
    except ParseError as exc:
        assert isinstance(exc.line, str)
        return
    assert msg.command
    parse_event(msg).as_dict()  # the typed stage, every field read, never raises either


_irc_alphabet = st.characters(blacklist_characters="\r\n\0", blacklist_categories=("Cs",))
_tag_keys = st.text(
    alphabet=st.characters(blacklist_characters=" ;=\r\n\0@", blacklist_categories=("Cs",)),
    min_size=1, max_size=12,
)
_tag_values = st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=30)
_middle = st.text(
    alphabet=st.characters(blacklist_characters=" \r\n\0", blacklist_categories=("Cs",)),
    min_size=1, max_size=15,
).filter(lambda s: not s.startswith(":"))
_command = st.one_of(
    st.sampled_from(["PRIVMSG", "USERNOTICE", "NOTICE", "CLEARCHAT", "PING", "JOIN"]),
    st.from_regex(r"\A[0-9]{3}\Z"),
    st.from_regex(r"\A[A-Za-z]{1,10}\Z"),
)


@settings(max_examples=500)
@given(
    _command,
    st.lists(_middle, max_size=4),
    st.one_of(st.none(), st.text(alphabet=_irc_alphabet, max_size=40)),
    st.dictionaries(_tag_keys, _tag_values, max_size=6),
)
def test_format_then_parse_round_trips(command, middles, trailing, tags):
    params = middles + ([trailing] if trailing is not None else [])
    line = format_line(command, params, tags=tags)
    msg = parse_line(line)
    assert msg.command == command
    assert msg.params == params
    assert msg.tags == tags
