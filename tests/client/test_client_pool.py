"""Behaviour 3-4: a pool of connections opened as needed, one JOIN limiter per account, and
joins that fail (suspended channel, silent drop -> timeout)."""

from __future__ import annotations

import asyncio

from recorder.sim.server import Simulator

from .conftest import eventually


async def test_pool_opens_connections_past_channels_per_connection(make_client, run_client):
    async with Simulator(port=0, channels=5, traffic=False) as sim:
        client, rec = make_client(sim, channels_per_connection=2)
        run_client(client)
        await asyncio.wait_for(client.wait_for_ready(), 10)
        assert len(sim.connections) == 3
        assert all(len(c.channels) <= 2 for c in sim.connections)
        assert set().union(*(c.channels for c in sim.connections)) == set(sim.world.channels)
        assert client.joined_channels == set(sim.world.channels)
        assert len({c.nick for c in sim.connections}) == 1  # one account for the whole pool
        # a later join beyond capacity opens one more connection
        extra = "sim_bot"
        sim.world.ensure_user(extra)
        await asyncio.wait_for(client.join_channels([extra]), 10)
        assert extra in client.joined_channels
        assert any(extra in c.channels for c in sim.connections)
        assert client.stats["connections"] == len(sim.connections)


async def test_join_limiter_is_shared_by_all_connections(make_client, run_client):
    # The simulator drops joins over 2 per 0.2 s per account without a word, as Twitch does.
    async with Simulator(port=0, channels=12, traffic=False, join_rate=(2, 0.2)) as sim:
        client, rec = make_client(sim, channels_per_connection=4, join_rate=(2, 0.2),
                                  join_timeout=5.0)
        run_client(client)
        await asyncio.wait_for(client.wait_for_ready(), 30)
        assert rec.kinds("join_failed") == []
        assert client.joined_channels == set(sim.world.channels)
        assert len(sim.connections) == 3
        # later joins go through the same limiter
        later = [f"late_{i}" for i in range(4)]
        for name in later:
            sim.world.ensure_user(name)
        await asyncio.wait_for(client.join_channels(later), 30)
        assert rec.kinds("join_failed") == []
        assert set(later) <= client.joined_channels
        joins = sorted(e.at for e in rec.kinds("joined"))
        assert all((b - a).total_seconds() >= 0.2 for a, b in zip(joins, joins[2:]))


async def test_suspended_channel_ends_in_join_failure(sim, make_client, run_client):
    client, rec = make_client(sim)
    failures: list[str] = []

    @client.event()
    async def event_channel_join_failure(channel):
        failures.append(channel)

    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    sim.world.suspended.add("sim_bravo")
    await client.part_channels(["sim_bravo"])
    await eventually(lambda: "sim_bravo" not in client.joined_channels)
    waiter = asyncio.ensure_future(client.wait_for("channel_join_failure", timeout=10))
    await client.join_channels(["sim_bravo"])
    assert await waiter == ("sim_bravo",)
    [failed] = rec.kinds("join_failed")
    assert failed.channel == "sim_bravo" and failed.detail == "msg_channel_suspended"
    await eventually(lambda: failures == ["sim_bravo"])
    assert "sim_bravo" not in client.joined_channels
    assert rec.kinds("parted")[0].channel == "sim_bravo"


async def test_silently_dropped_join_times_out_into_join_failure(make_client, run_client):
    # The server accepts one join per minute: the second JOIN is dropped and never answered.
    async with Simulator(port=0, channels=2, traffic=False, join_rate=(1, 60.0)) as sim:
        first, second = sorted(sim.world.channels)
        client, rec = make_client(sim, initial_channels=[first], join_timeout=0.3)
        run_client(client)
        await asyncio.wait_for(client.wait_for_ready(), 10)
        waiter = asyncio.ensure_future(client.wait_for("channel_join_failure", timeout=10))
        await asyncio.wait_for(client.join_channels([second]), 10)
        assert await waiter == (second,)
        [failed] = rec.kinds("join_failed")
        assert (failed.channel, failed.detail) == (second, "timeout")
        assert client.joined_channels == {first}


def test_recent_ids_remember_the_last_n_and_forget_the_oldest():
    from recorder.client.models import RecentIds

    recent = RecentIds(3)
    assert [recent.seen(i) for i in ("a", "b", "a", "c", "d")] == [False, False, True, False, False]
    assert len(recent) == 3  # "a" went first: the oldest
    assert recent.seen("a") is False and recent.seen("d") is True
    for n in range(100_000):  # forgetting stays cheap however many ids went through
        recent.seen(str(n))
    assert len(recent) == 3 and recent.seen("99999") and not recent.seen("99996")
