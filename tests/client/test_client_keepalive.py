"""Behaviour 5: answering PING, our own PING every ``heartbeat``, and a silent server taken for
a dead connection (then reconnected and rejoined)."""

from __future__ import annotations

import asyncio

from recorder.sim.server import Simulator

from .conftest import eventually


async def test_answers_server_ping(make_client, run_client):
    async with Simulator(port=0, channels=1, traffic=False, ping_interval=0.05,
                         pong_timeout=2.0) as sim:
        client, rec = make_client(sim, heartbeat=None)
        run_client(client)
        await asyncio.wait_for(client.wait_for_ready(), 10)
        await eventually(lambda: sum(r.line == "PING :tmi.twitch.tv" for r in rec.raw) >= 3)
        [conn] = sim.connections
        await eventually(lambda: conn.pong.is_set(), what="the sim got our PONG")
        assert rec.kinds("disconnected") == []


async def test_sends_own_ping_every_heartbeat(sim, make_client, run_client):
    client, rec = make_client(sim, heartbeat=0.05)
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    await eventually(lambda: sum(r.message is not None and r.message.command == "PONG"
                                 for r in rec.raw) >= 3, what="three PONGs to our PINGs")
    assert rec.kinds("disconnected") == []


async def test_silent_server_is_a_dead_connection_and_is_reconnected(sim, make_client, run_client):
    client, rec = make_client(sim, heartbeat=0.05, pong_timeout=0.2)
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    first = rec.kinds("connected")[0].connection_id
    ready_again = asyncio.ensure_future(client.wait_for("ready", timeout=10))
    sim.go_silent(True)  # current connections only: the next one is healthy
    await asyncio.wait_for(ready_again, 10)
    [lost] = rec.kinds("disconnected")
    assert lost.connection_id == first and lost.detail.startswith("dead")
    second = rec.kinds("connected")[-1].connection_id
    assert second != first
    rejoined = {e.channel for e in rec.kinds("joined") if e.connection_id == second}
    assert rejoined == set(sim.world.channels) == client.joined_channels
    assert client.stats["reconnects"] == 1
