"""Behaviour 7: sending through the account's send limiter (queued, never dropped or raised),
replies, the 500 character limit, echo messages."""

from __future__ import annotations

import asyncio
import time

import pytest

from recorder.client import InvalidContent, NoToken

from .conftest import eventually


def relayed(sim, login):
    return [f for f in sim.record.of_kind("privmsg") if f.get("login") == login]


async def test_send_limiter_queues_instead_of_raising(sim, make_client, run_client):
    client, _ = make_client(sim, sim.issue_token("sim_bot"), initial_channels=["sim_alpha"],
                            send_rate=(2, 100, 0.3))
    echoes: list[float] = []

    @client.event()
    async def event_message(message):
        if message.echo:
            echoes.append(time.monotonic())

    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    sends = [client.get_channel("sim_alpha").send(f"hello {i}") for i in range(6)]
    await asyncio.wait_for(asyncio.gather(*sends), 20)
    await eventually(lambda: len(relayed(sim, "sim_bot")) == 6, what="all six relayed")
    assert [f["text"] for f in relayed(sim, "sim_bot")] == [f"hello {i}" for i in range(6)]
    await eventually(lambda: len(echoes) == 6)
    # never more than two sends inside any 0.3 s window (a slow machine only spreads them more)
    assert all(b - a >= 0.3 for a, b in zip(echoes, echoes[2:]))


async def test_moderator_allowance_applies_where_the_account_is_broadcaster(
        sim, make_client, run_client):
    client, _ = make_client(sim, sim.issue_token("sim_alpha"), initial_channels=["sim_alpha"],
                            send_rate=(1, 3, 60.0))
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    await eventually(lambda: client._moderator.get("sim_alpha"), what="USERSTATE seen")
    channel = client.get_channel("sim_alpha")
    await asyncio.wait_for(asyncio.gather(*(channel.send(f"m{i}") for i in range(3))), 5)
    await eventually(lambda: len(relayed(sim, "sim_alpha")) == 3)
    fourth = asyncio.ensure_future(channel.send("over the allowance"))
    await eventually(lambda: client._send_limiter._lock.locked(), what="fourth send queued")
    assert not fourth.done()
    fourth.cancel()


async def test_reply_echo_and_message_length(sim, make_client, run_client):
    client, _ = make_client(sim, sim.issue_token("sim_bot"), initial_channels=["sim_alpha"])
    messages = []

    @client.event()
    async def event_message(message):
        messages.append(message)

    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    facts = sim.generators["sim_alpha"].make("privmsg")
    sim.irc.broadcast(facts)
    parent = facts[0]
    await eventually(lambda: any(m.id == parent["id"] for m in messages))
    incoming = next(m for m in messages if m.id == parent["id"])
    assert not incoming.echo and incoming.author.name == parent["login"]
    await incoming.reply("x" * 500)
    with pytest.raises(InvalidContent):
        await incoming.channel.send("y" * 501)
    with pytest.raises(InvalidContent):
        await incoming.channel.send("")
    await eventually(lambda: relayed(sim, "sim_bot"))
    [sent] = relayed(sim, "sim_bot")
    assert sent["reply_parent_msg_id"] == parent["id"]
    [echo] = [m for m in messages if m.echo]
    assert echo.author.name == "sim_bot" and echo.channel.name == "sim_alpha"
    assert echo.content == "x" * 500


async def test_anonymous_client_cannot_send(sim, make_client, run_client):
    client, _ = make_client(sim, initial_channels=["sim_alpha"])
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    with pytest.raises(NoToken):
        await client.get_channel("sim_alpha").send("hi")
