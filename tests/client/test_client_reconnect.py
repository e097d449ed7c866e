"""Behaviour 6: close frame, abnormal close (EOF) and RECONNECT all end in a reconnect that
rejoins EVERY channel (also those joined later), with event_reconnect, event_ready and
wait_for_ready working again; on RECONNECT the new connection joins before the old one closes
and a message seen on both is delivered once."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import eventually


async def _start_with_a_later_channel(sim, make_client, run_client, **options):
    client, rec = make_client(sim, initial_channels=["sim_alpha"], **options)
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    await asyncio.wait_for(client.join_channels(["sim_bravo", "sim_charlie"]), 10)
    return client, rec


@pytest.mark.parametrize("fault", ["close_frame", "abnormal", "reconnect"])
async def test_every_kind_of_loss_reconnects_and_rejoins_all_channels(
        fault, sim, make_client, run_client):
    client, rec = await _start_with_a_later_channel(sim, make_client, run_client)
    events: list[str] = []

    @client.event()
    async def event_reconnect():
        events.append("reconnect")

    @client.event()
    async def event_ready():
        events.append("ready")

    first = rec.kinds("connected")[0].connection_id
    ready_again = asyncio.ensure_future(client.wait_for("ready", timeout=10))
    if fault == "close_frame":
        await sim.close_connections(1000)
    elif fault == "abnormal":
        await sim.close_connections(1006)
    else:
        asyncio.ensure_future(sim.send_reconnect(close_after=0.2))
    await asyncio.wait_for(ready_again, 10)
    assert await asyncio.wait_for(client.wait_for_ready(), 1) is True
    second = rec.kinds("connected")[-1].connection_id
    assert second != first
    rejoined = {e.channel for e in rec.kinds("joined") if e.connection_id == second}
    assert rejoined == {"sim_alpha", "sim_bravo", "sim_charlie"} == client.joined_channels
    await eventually(lambda: events[:2] == ["reconnect", "ready"])
    lost = [e for e in rec.kinds("disconnected") if e.connection_id == first]
    if fault == "reconnect":
        assert rec.kinds("reconnect_requested")[0].connection_id == first
        # the new connection was joined before the old one went away
        assert rec.conn.index(lost[0]) > rec.conn.index(rec.kinds("joined")[-1]) if lost else True
    else:
        assert lost and ("1006" in lost[0].detail) == (fault == "abnormal")
    await eventually(lambda: [c.id for c in sim.connections] and all(
        c.channels == {"sim_alpha", "sim_bravo", "sim_charlie"} for c in sim.connections))


async def test_reconnect_keeps_trying_while_the_server_does_not_answer(
        sim, make_client, run_client):
    client, rec = make_client(sim, heartbeat=0.05, pong_timeout=0.2, login_timeout=0.2)
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    attempts: set[int] = set()
    notify = sim.irc.notify

    async def count_attempts():
        attempts.update(c.id for c in sim.irc.connections if c.silent)
        await notify()

    sim.irc.notify = count_attempts  # type: ignore[method-assign]
    sim.go_silent(True, include_new=True)  # half-open now, and every new connection too
    await eventually(lambda: len(attempts) >= 4, what="several failed attempts")
    assert not client._ready.is_set() and client.joined_channels == set()
    ready_again = asyncio.ensure_future(client.wait_for("ready", timeout=10))
    sim.go_silent(False)
    await asyncio.wait_for(ready_again, 10)
    assert client.joined_channels == set(sim.world.channels)
    assert len(rec.kinds("connected")) == 2  # the silent attempts never counted as connected


async def test_reconnect_overlap_delivers_a_duplicate_id_once(sim, make_client, run_client):
    client, rec = make_client(sim, initial_channels=["sim_alpha"], reconnect_grace=30.0)
    delivered: list[str] = []

    @client.event()
    async def event_message(message):
        delivered.append(message.id)

    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    first = rec.kinds("connected")[0].connection_id
    sent: list[str] = []

    def emit_on_new_join(event):
        # Synchronously, while both connections are joined: one message reaches both.
        if event.kind == "joined" and event.connection_id != first and not sent:
            facts = sim.generators["sim_alpha"].make("privmsg")
            sim.irc.broadcast(facts)
            sent.append(facts[0]["id"])

    client.add_connection_hook(emit_on_new_join)
    reconnect = asyncio.ensure_future(sim.send_reconnect(close_after=5.0))
    await eventually(lambda: sent and sum(r.message is not None and r.message.command == "PRIVMSG"
                                          and r.message.tags.get("id") == sent[0]
                                          for r in rec.raw) == 2, what="the message on both")
    copies = [r for r in rec.raw if r.message is not None and r.message.tags.get("id") == sent[0]]
    assert [r.duplicate for r in copies] == [False, True]
    assert len({r.connection_id for r in copies}) == 2
    await eventually(lambda: sent[0] in delivered)
    assert delivered.count(sent[0]) == 1
    reconnect.cancel()
