"""The traffic generator: determinism, Twitch's tag sets, emote positions, coherent moderation.

Every line is checked with OUR parser (recorder.client.irc.parse_line) and compared with the tag
sets of the real lines in /work/shared/corpus (the docs examples).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from recorder.client.irc import parse_line
from recorder.sim.record import RoomState
from recorder.sim.server import Simulator
from recorder.sim.traffic import ChannelTraffic
from recorder.sim.world import World
from tests.sim.conftest import FakeClock, connect

CORPUS = Path(__file__).resolve().parents[1] / "data" / "twitch_docs_examples.jsonl"
# Documented differences between the docs examples and live traffic (PROTOCOL.md / corpus notes).
LIVE_NAMES = {"msg-param-recipient-name": "msg-param-recipient-user-name"}


def generate(seed: int = 1, events: int = 4000, channel: str = "sim_alpha") -> list[dict[str, Any]]:
    clock = FakeClock()
    world = World(seed=seed, users=800, clock=clock)
    chan = world.channels[channel]
    gen = ChannelTraffic(world, chan, RoomState(chan.broadcaster.id), seed=seed, clock=clock)
    facts: list[dict[str, Any]] = []
    for _ in range(events):
        clock.advance(0.05)
        facts.extend(gen.next_event())
    return facts


@pytest.fixture(scope="module")
def facts() -> list[dict[str, Any]]:
    return generate()


def corpus_tags() -> dict[tuple[str, str | None], set[str]]:
    """Tag key sets of the tagged corpus lines, keyed by (command, msg-id)."""
    out: dict[tuple[str, str | None], set[str]] = {}
    if not CORPUS.exists():
        pytest.skip(f"corpus not found at {CORPUS}")
    for line in CORPUS.read_text().splitlines():
        example = json.loads(line)
        tags = example["expect"].get("tags")
        if tags:
            key = (example["command"], tags.get("msg-id"))
            out[key] = out.get(key, set(tags)) & set(tags)
    return out


def test_same_seed_same_lines() -> None:
    assert [f["line"] for f in generate(3, 1500)] == [f["line"] for f in generate(3, 1500)]
    assert [f["line"] for f in generate(3, 300)] != [f["line"] for f in generate(4, 300)]


def test_every_line_parses_and_tags_roundtrip(facts) -> None:
    for fact in facts:
        msg = parse_line(fact["line"])
        assert msg.command == fact["command"] and msg.channel == fact["channel"]
        if "tags" in fact:
            assert msg.tags == fact["tags"]  # our escaping, their unescaping: same values
        if fact["kind"] == "privmsg":
            text = msg.params[1]
            if fact["is_action"]:
                assert text.startswith("\x01ACTION ") and text.endswith("\x01")
                text = text[8:-1]
            assert text == fact["text"]


def test_all_kinds_show_up(facts) -> None:
    kinds = Counter(f["kind"] for f in facts)
    assert {"privmsg", "usernotice", "clearchat", "clearmsg", "roomstate", "notice", "join", "part",
            "unknown", "hosttarget"} <= set(kinds)
    assert kinds["privmsg"] > 0.6 * len(facts)
    notices = Counter(f["msg_id"] for f in facts if f["kind"] == "usernotice")
    assert {"sub", "resub", "subgift", "submysterygift", "raid", "announcement", "viewermilestone",
            "bitsbadgetier"} <= set(notices)
    msgs = [f for f in facts if f["kind"] == "privmsg"]
    assert any(f["is_action"] for f in msgs) and any(f["bits"] for f in msgs)
    assert any(f["reply_parent_msg_id"] for f in msgs) and any(f["first_msg"] for f in msgs)
    assert any(f["custom_reward_id"] for f in msgs)
    assert {f["action"] for f in facts if f["kind"] == "clearchat"} == {"ban", "timeout", "clear"}
    assert any(f["login"] == "ananonymousgifter" for f in facts if f["kind"] == "usernotice")
    odd = [f for f in msgs if "\\" in f["text"] and ";" in f["text"]]
    assert odd and any("/" in f["tags"]["badges"].split(",")[0].partition("/")[2] for f in odd)


def test_chatters_are_skewed(facts) -> None:
    counts = Counter(f["user_id"] for f in facts if f["kind"] == "privmsg")
    top = sum(n for _, n in counts.most_common(max(1, len(counts) // 10)))
    assert top > 0.3 * sum(counts.values())


def test_emote_positions_are_code_points(facts) -> None:
    checked = 0
    for fact in facts:
        if fact["kind"] != "privmsg":
            continue
        for emote in fact["emotes"]:
            assert fact["text"][emote["start"]:emote["end"] + 1] == emote["name"]
            checked += 1
        words = fact["text"].split(" ")
        if len(words) == 2 and words[0] == "😂" and fact["emotes"]:
            assert fact["emotes"] == [{"id": fact["emotes"][0]["id"], "name": words[1], "start": 2,
                                       "end": 1 + len(words[1])}]  # "😂" is ONE code point
    assert checked > 100
    after_emoji = [f for f in facts if f["kind"] == "privmsg" and f["emotes"]
                   and any(ord(ch) > 0xFFFF for ch in f["text"][: f["emotes"][-1]["start"]])]
    assert after_emoji


def test_moderation_refers_to_real_earlier_messages(facts) -> None:
    seen_users: dict[str, str] = {}
    seen_msgs: dict[str, dict[str, Any]] = {}
    checked = Counter()
    for fact in facts:
        if fact["kind"] == "privmsg":
            seen_users[fact["user_id"]] = fact["login"]
            seen_msgs[fact["id"]] = fact
        elif fact["kind"] == "clearchat" and fact["action"] != "clear":
            assert seen_users[fact["target_user_id"]] == fact["target_login"]
            msg = parse_line(fact["line"])
            assert msg.params[1] == fact["target_login"]
            assert ("ban-duration" in msg.tags) == (fact["action"] == "timeout")
            checked[fact["action"]] += 1
        elif fact["kind"] == "clearmsg":
            target = seen_msgs[fact["target_msg_id"]]
            msg = parse_line(fact["line"])
            assert msg.tags["login"] == target["login"] and msg.params[1] == target["text"]
            assert msg.tags["room-id"] == ""
            checked["delete"] += 1
    assert checked["ban"] and checked["timeout"] and checked["delete"]
    banned = {f["target_user_id"] for f in facts if f["kind"] == "clearchat" and f["action"] == "ban"}
    for i, fact in enumerate(facts):  # a banned user does not chat afterwards
        if fact["kind"] == "clearchat" and fact["action"] == "ban":
            later = {f.get("user_id") for f in facts[i + 1:] if f["kind"] == "privmsg"}
            assert fact["target_user_id"] not in later
    assert banned


def test_mystery_gift_is_followed_by_its_subgifts(facts) -> None:
    for i, fact in enumerate(facts):
        if fact["kind"] == "usernotice" and fact["msg_id"] == "submysterygift":
            count = int(fact["params"]["mass-gift-count"])
            gifts = facts[i + 1:i + 1 + count]
            assert all(g["msg_id"] == "subgift" and g["user_id"] == fact["user_id"]
                       and g["params"]["origin-id"] == fact["params"]["origin-id"] for g in gifts)
            assert len({g["params"]["recipient-id"] for g in gifts}) >= 1


def test_tags_match_what_twitch_sends(facts) -> None:
    expected = corpus_tags()
    for fact in facts:
        msg = parse_line(fact["line"])
        keys = set(msg.tags)
        if fact["command"] == "PRIVMSG":
            assert expected[("PRIVMSG", None)] <= keys
        elif fact["command"] == "USERNOTICE":
            common = set.intersection(*(v for (c, _), v in expected.items() if c == "USERNOTICE"))
            assert common <= keys, common - keys
            want = expected.get(("USERNOTICE", fact["msg_id"]))
            if want:
                want = {LIVE_NAMES.get(k, k) for k in want}
                assert want <= keys, (fact["msg_id"], want - keys)
        elif fact["command"] == "CLEARCHAT" and fact["action"] == "timeout":
            assert keys == expected[("CLEARCHAT", None)]
        elif fact["command"] == "CLEARCHAT" and fact["action"] == "ban":
            assert keys == expected[("CLEARCHAT", None)] - {"ban-duration"}
        elif fact["command"] == "CLEARMSG":
            assert keys == expected[("CLEARMSG", None)]
        elif fact["command"] == "ROOMSTATE":
            assert "room-id" in keys and len(keys) == 2  # a partial change: one setting
        elif fact["command"] == "NOTICE":
            assert keys == {"msg-id"}


async def test_live_run_every_line_parses(clients) -> None:
    """A few thousand lines over the websocket at a high rate: each one parses, with Twitch's tags."""
    expected = corpus_tags()
    clock = FakeClock()
    async with Simulator(rate=400.0, seed=11, clock=clock, users=600) as sim:
        client = await connect(sim)  # strict: parse_line runs on every received line
        clients.append(client)
        await client.send("JOIN #sim_alpha,#sim_bravo,#sim_charlie")
        await client.wait_for(lambda: len(client.raw) >= 3000, timeout=120)
        await sim.stop_traffic()
        assert len(client.messages) == len(client.raw)
        commands = Counter(m.command for m in client.messages)
        assert {"PRIVMSG", "USERNOTICE", "JOIN", "ROOMSTATE", "USERSTATE", "366", "353"} <= set(commands)
        for msg in client.messages:
            if msg.command == "PRIVMSG":
                assert expected[("PRIVMSG", None)] <= set(msg.tags)
            elif msg.command == "USERSTATE":
                assert expected[("USERSTATE", None)] <= set(msg.tags)
        assert any(len(frame.split("\r\n")) > 2 for frame in client.frames)  # batched frames
        sent = [f["line"] for f in sim.record if f["delivered"]]
        received = set(client.raw)
        assert sent and all(line in received for line in sent[: len(sent) // 2])


async def test_runner_follows_the_generator(clients) -> None:
    """What the paced runner sends per channel is exactly the seeded generator's sequence."""
    clock = FakeClock()
    async with Simulator(rate=300.0, seed=5, clock=clock, users=600) as sim:
        await sim.wait_for(lambda: len(sim.record.for_channel("sim_bravo")) >= 300, timeout=60)
        await sim.stop_traffic()
    world = World(seed=5, users=600, clock=clock)
    chan = world.channels["sim_bravo"]
    gen = ChannelTraffic(world, chan, RoomState(chan.broadcaster.id), seed=5, clock=clock)
    expected: list[str] = []
    got = [f["line"] for f in sim.record.for_channel("sim_bravo")]
    while len(expected) < len(got):
        expected.extend(f["line"] for f in gen.next_event())
    assert got == expected[: len(got)]
