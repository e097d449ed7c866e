"""``replay``: a recording dispatched into handlers through the client, as if live: every stored
message to event_message once, in order, with its original content and times; filters; wait_for;
pacing by the recorded gaps; handlers as Client subclasses, objects and modules; the command."""
from __future__ import annotations

import argparse
import asyncio
import io
import types
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from recorder.cli import CLIError
from recorder.client.client import Client
from recorder.replay import Replayer, replay, replay_into
from recorder.replay_cli import add_replay
from recorder.store import schema
from tests.recording.helpers import fetch
from fakes import FakeTime


class Collector(Client):
    """Records every message and the raw line time of each PRIVMSG."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[tuple[Any, ...]] = []
        self.received: dict[str, datetime] = {}
        self.usernotices: list[str] = []
        self.add_raw_hook(self._raw)

    def _raw(self, raw: Any) -> None:
        if raw.message is not None and raw.message.command == "PRIVMSG" and not raw.duplicate:
            self.received[raw.message.tags["id"]] = raw.received_at

    async def event_message(self, message: Any) -> None:
        self.messages.append((message.id, message.channel.name, message.content, message.timestamp))

    async def event_usernotice(self, notice: Any) -> None:
        self.usernotices.append(notice.message_id)


async def stored_messages(db: str, where: Any = None) -> list[tuple[Any, ...]]:
    """The messages table in log order: what a replay must deliver."""
    m = schema.messages
    query = sa.select(m.c.id, m.c.channel, m.c.text, m.c.sent_at, m.c.received_at).order_by(m.c.raw_line_id)
    return list(await fetch(db, query if where is None else query.where(where)))


async def test_every_message_once_in_order_with_its_original_content_and_times(archive):
    expected = await stored_messages(archive)
    bot = Collector()
    stats = await replay_into(bot, archive, batch_size=64)
    assert bot.messages == [(i, c, text, sent) for i, c, text, sent, _ in expected]
    assert bot.received == {i: received for i, *_, received in expected}
    assert stats.messages == len(expected) and stats.duplicates == 2
    assert stats.malformed == 2
    notices = [r[0] for r in await fetch(archive, sa.select(schema.usernotices.c.id)
                                         .order_by(schema.usernotices.c.raw_line_id))]
    assert bot.usernotices == notices
    lines = (await fetch(archive, sa.select(sa.func.count()).select_from(schema.raw_lines)))[0][0]
    assert stats.lines == lines == stats.events + stats.duplicates + stats.malformed
    raw = schema.raw_lines
    times = [r[0] for r in await fetch(archive, sa.select(raw.c.received_at).order_by(raw.c.id))]
    assert (stats.first_at, stats.last_at) == (times[0], times[-1])
    assert stats.summary().startswith(f"replayed {stats.events} events ({len(expected)} messages")


async def test_channel_and_time_window_filters(archive):
    everything = await stored_messages(archive)
    bot = Collector()
    await replay_into(bot, archive, channels=["#SIM_Bravo"])
    bravo = [r[:4] for r in everything if r[1] == "sim_bravo"]
    assert bot.messages == bravo and 0 < len(bravo) < len(everything)

    times = [r[4] for r in everything]
    since, until = times[len(times) // 3], times[2 * len(times) // 3]
    bot = Collector()
    await replay_into(bot, archive, since=since.isoformat(), until=until.isoformat().replace("+00:00", "Z"))
    window = [r[:4] for r in everything if since <= r[4] < until]
    assert bot.messages == window and len(window) >= len(everything) // 4

    bot = Collector()
    await replay_into(bot, archive, channels=["sim_alpha"], since=since, until=until)
    assert bot.messages == [r for r in window if r[1] == "sim_alpha"]


async def test_wait_for_inside_a_handler(archive):
    everything = await stored_messages(archive)

    class Quiz(Client):
        def __init__(self) -> None:
            super().__init__()
            self.pairs: list[tuple[str, str]] = []
            self.asked = 0

        async def event_message(self, message: Any) -> None:
            if self.asked >= 20:
                return
            self.asked += 1
            channel = message.channel.name
            (answer,) = await self.wait_for("message", lambda m: m.channel.name == channel, timeout=10)
            self.pairs.append((message.id, answer.id))

    quiz = Quiz()
    await replay_into(quiz, archive)
    expected = []
    for i, row in enumerate(everything[:20]):
        following = next(r for r in everything[i + 1:] if r[1] == row[1])
        expected.append((row[0], following[0]))
    assert sorted(quiz.pairs) == sorted(expected)


@pytest.mark.parametrize("speed,factor", [("realtime", 1.0), (4, 4.0), ("2.5", 2.5)])
async def test_paced_by_the_recorded_gaps(archive, speed, factor):
    fake = FakeTime(100.0)
    when: list[tuple[datetime, float]] = []
    bot = Client()
    bot.add_raw_hook(lambda raw: when.append((raw.received_at, fake.now)))
    stats = await replay_into(bot, archive, channels=["sim_charlie"], speed=speed,
                              sleep=fake.sleep, clock=fake.clock)
    first_at, start = when[0]
    for received_at, at in when:
        assert at - start == pytest.approx((received_at - first_at).total_seconds() / factor, abs=1e-6)
    span = (stats.last_at - stats.first_at).total_seconds()
    assert sum(fake.sleeps) == pytest.approx(span / factor) and span > 0


async def test_handler_forms_and_the_context_manager(archive):
    expected = [r[0] for r in await stored_messages(archive)]
    seen: list[str] = []

    async def event_message(message: Any) -> None:
        seen.append(message.id)

    module = types.ModuleType("bot_module")
    module.event_message = event_message  # type: ignore[attr-defined]
    await replay_into(module, archive)
    assert seen == expected

    seen.clear()
    async with replay(archive, types.SimpleNamespace(event_message=event_message, other=1)) as r:
        stats = await r.run()
    assert seen == expected and stats.messages == len(expected)

    async with replay(archive, Collector) as r:  # a Client subclass is instantiated
        await r.run()
        assert [m[0] for m in r.client.messages] == expected

    with pytest.raises(TypeError, match="no event_"):
        await replay_into(types.SimpleNamespace(x=1), archive)
    with pytest.raises(ValueError, match="ISO 8601"):
        Replayer(archive, since="yesterday")
    with pytest.raises(ValueError, match="speed"):
        Replayer(archive, speed="fast")


HANDLER = '''
COUNT = {"messages": 0}

async def event_message(message):
    COUNT["messages"] += 1
'''


def _replay_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="recorder")
    add_replay(parser.add_subparsers())
    return parser.parse_args(["replay", *argv])


def test_replay_command(archive, tmp_path):
    path = archive.split("///", 1)[1]
    handler = tmp_path / "mybot.py"
    handler.write_text(HANDLER)
    everything = asyncio.run(stored_messages(archive))
    alpha = [r for r in everything if r[1] == "sim_alpha"]
    out = io.StringIO()
    args = _replay_args("--db", path, "--channel", "sim_alpha", "--speed", "max", f"{handler}")
    assert args.func(args, out=out) == 0
    line = out.getvalue()
    assert line.count("\n") == 1 and f"({len(alpha)} messages" in line
    since = (everything[0][4] + timedelta(days=1)).isoformat()
    args = _replay_args("--db", path, "--since", since, f"{handler}:event_message")
    out = io.StringIO()
    assert args.func(args, out=out) == 0 and "replayed 0 events (0 messages" in out.getvalue()

    for bad, message in [(f"{handler}:nope", "no attribute"), ("no_such_module_xyz:bot", "cannot import"),
                         (":bot", "bad handler"), (str(tmp_path / "missing.py"), "not found"),
                         ("json", "no event_")]:
        with pytest.raises(CLIError, match=message):
            args = _replay_args("--db", path, bad)
            args.func(args, out=io.StringIO())
    for option, value in [("--since", "last tuesday"), ("--speed", "0"), ("--until", "2024-13-01")]:
        with pytest.raises(CLIError):
            args = _replay_args("--db", path, option, value, str(handler))
            args.func(args, out=io.StringIO())
    with pytest.raises(CLIError, match="no archive"):
        args = _replay_args("--db", str(tmp_path / "nothing.db"), str(handler))
        args.func(args, out=io.StringIO())
