"""Behaviour 8-9 and the hooks: failing and slow handlers, backpressure, the bounded chatter
cache, every event dispatched, and the raw hook seeing every line exactly once, in order."""

from __future__ import annotations

import asyncio

import pytest

from recorder.client import ConnectionEvent, RawLine

from .conftest import eventually


def emit(sim, channel, kind, **options):
    facts = sim.generators[channel].make(kind, **options)
    sim.irc.broadcast(facts)
    return facts


async def test_raising_handler_goes_to_event_error_and_reading_continues(
        sim, make_client, run_client):
    client, _ = make_client(sim, initial_channels=["sim_alpha"])
    errors, seen = [], []

    @client.event()
    async def event_message(message):
        seen.append(message.id)
        if len(seen) == 1:
            raise RuntimeError("handler bug")

    @client.event()
    async def event_error(error, data=None):
        errors.append((error, data))

    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    first = emit(sim, "sim_alpha", "privmsg")[0]
    await eventually(lambda: errors)
    later = [emit(sim, "sim_alpha", "privmsg")[0]["id"] for _ in range(5)]
    await eventually(lambda: set(later) <= set(seen))
    [(error, data)] = errors
    assert isinstance(error, RuntimeError) and data == first["line"]
    assert client.stats["handler_errors"] == 1


async def test_slow_handlers_do_not_stall_reading_and_are_bounded(sim, make_client, run_client):
    client, rec = make_client(sim, initial_channels=["sim_alpha"], max_concurrent_handlers=4)
    release = asyncio.Event()
    running, peak, done = 0, 0, []

    @client.event()
    async def event_message(message):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1
        done.append(message.id)

    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    ids = [emit(sim, "sim_alpha", "privmsg")[0]["id"] for _ in range(3)]
    # three handlers hang, yet the raw hook keeps seeing lines in order
    await eventually(lambda: running == 3)
    more = [emit(sim, "sim_alpha", "privmsg")[0]["id"] for _ in range(20)]
    await eventually(lambda: [r.message.tags["id"] for r in rec.raw
                              if r.message and r.message.command == "PRIVMSG"][:4] == ids + more[:1])
    assert peak <= 4  # backpressure: never more handlers than allowed
    release.set()
    await eventually(lambda: sorted(done) == sorted(ids + more))
    privmsg_ids = [r.message.tags["id"] for r in rec.raw if r.message and r.message.command == "PRIVMSG"]
    assert privmsg_ids == ids + more and peak <= 4


async def test_chatter_cache_is_bounded_per_channel(sim, make_client, run_client):
    client, _ = make_client(sim, initial_channels=["sim_alpha"], chatter_cache_size=50)
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    last = None
    for i in range(600):
        user = sim.world.ensure_user(f"chatter_{i:04d}")
        last = emit(sim, "sim_alpha", "privmsg", user=user)[0]
    await eventually(lambda: client.stats["lines"] and any(
        c.name == last["login"] for c in client.get_channel("sim_alpha").chatters))
    channel = client.get_channel("sim_alpha")
    assert len(channel.cache) == 50 and len(channel.chatters) == 50
    assert channel.get_chatter("chatter_0599") is not None
    assert channel.get_chatter("chatter_0000") is None
    chatter = channel.get_chatter(last["login"])
    assert chatter.id == last["user_id"] and chatter.display_name == last["display_name"]


async def test_raw_hook_sees_every_line_exactly_once_in_order(sim, make_client, run_client):
    client, rec = make_client(sim)
    order: list[str] = []
    client.add_raw_hook(lambda raw: order.append("hook"))

    @client.event()
    async def event_raw_data(data):
        order.append("dispatch")

    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    sim.start_traffic()
    await eventually(lambda: len(sim.record.delivered()) >= 100)
    junk = await sim.send_malformed()
    await sim.stop_traffic()
    [conn] = sim.connections
    conn_id = rec.kinds("connected")[0].connection_id
    await eventually(lambda: len(rec.lines_of(conn_id)) == conn.lines_sent,
                     what="as many lines as the simulator sent")
    lines = rec.lines_of(conn_id)
    sent = [f["line"] for f in sim.record.delivered()]
    positions = [lines.index(line) for line in sent]
    assert positions == sorted(positions) and len(set(positions)) == len(sent)
    assert all(lines.count(line) == 1 for line in sent)
    malformed = [r for r in rec.raw if r.error is not None]
    assert junk == 1 and len(malformed) >= 5 and all(r.message is None for r in malformed)
    assert all(isinstance(r, RawLine) and r.received_at.tzinfo for r in rec.raw)
    assert client.stats["lines"] == len(rec.raw)
    assert order[0] == "hook"  # the hook runs before anything is dispatched


async def test_every_event_of_the_reference_and_the_new_ones(sim, make_client, run_client):
    client, rec = make_client(sim, initial_channels=["sim_alpha"])
    got: dict[str, list[tuple]] = {}
    names = ["ready", "raw_data", "message", "join", "part", "userstate", "raw_usernotice",
             "usernotice", "usernotice_subscription", "notice", "raw_notice", "channel_joined",
             "clearchat", "ban", "timeout", "clearmsg", "roomstate", "hosttarget", "unknown",
             "mode"]
    for name in names:
        def make(key):
            async def handler(*args):
                got.setdefault(key, []).append(args)
            return handler
        client.add_event(make(name), name)
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    for kind in ("privmsg", "privmsg", "privmsg", "sub", "resub", "timeout", "ban", "delete", "roomstate", "join",
                 "part", "hosttarget", "unknown"):
        emit(sim, "sim_alpha", kind)
    [conn] = sim.connections
    conn.send(["@msg-id=slow_on :tmi.twitch.tv NOTICE #sim_alpha :This room is now in slow mode.",
               ":jtv MODE #sim_alpha +o sim_bot"])
    await eventually(lambda: all(name in got for name in names), what="every event dispatched")
    assert got["channel_joined"][0][0].name == "sim_alpha"
    assert {m.msg_id for (m,) in got["usernotice_subscription"]} == {"sub", "resub"}
    assert got["notice"][0][1:] == ("slow_on", client.get_channel("sim_alpha"))
    channel, user, status = got["mode"][0]
    assert (channel.name, user.name, status) == ("sim_alpha", "sim_bot", "+o")
    assert all(isinstance(e, ConnectionEvent) for e in rec.conn)


def test_a_chatter_cache_of_size_zero_keeps_nothing():
    from recorder.client.models import ChatterCache

    cache = ChatterCache(0)
    for login in ("a", "b", "a"):
        cache.touch(login)
    assert len(cache) == 0 and "a" not in cache


async def test_waiters_that_timed_out_and_unknown_commands_leave_nothing_behind():
    from datetime import datetime, timezone

    from recorder.client.client import Client
    from recorder.client.events import parse_event
    from recorder.client.irc import parse_line
    from recorder.client.models import new_raw_line as raw

    def new_raw_line(line, at, conn):
        message = parse_line(line)
        return raw(line, at, conn, message, None, parse_event(message), False)

    client = Client()
    for _ in range(3):
        with pytest.raises(asyncio.TimeoutError):
            await client.wait_for("message", timeout=0)
    assert not client._waiters.get("message")  # not kept until a message comes
    now = datetime.now(timezone.utc)
    for n in range(50):  # a server's made-up commands are not cached one by one
        client.feed_line(new_raw_line(f":tmi.twitch.tv MADEUP{n} x", now, 1))
    client.feed_line(new_raw_line(":a!a@a PRIVMSG #c :hi", now, 1))
    assert set(client._parsers) == {"PRIVMSG"}


async def test_a_cleared_reading_gate_holds_the_next_line_until_it_is_set(sim, make_client,
                                                                          run_client):
    client, rec = make_client(sim, initial_channels=["sim_alpha"])
    gate = asyncio.Event()
    gate.set()
    client.set_reading_gate(gate)
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)

    def ids() -> list[str]:
        return [r.message.tags["id"] for r in rec.raw if r.message and r.message.command == "PRIVMSG"]

    gate.clear()
    sent = [emit(sim, "sim_alpha", "privmsg")[0]["id"] for _ in range(5)]
    # the line that was being read goes to the hooks, then reading waits on the gate
    await eventually(lambda: gate._waiters, what="reading waits on the gate")  # type: ignore[attr-defined]
    assert ids() == sent[:1]
    gate.set()
    await eventually(lambda: ids() == sent)
