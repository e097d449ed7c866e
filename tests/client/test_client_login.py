"""Behaviour 1-2 of the client issue: anonymous and token login, fatal login failures."""

from __future__ import annotations

import asyncio

import pytest

from recorder.client import AuthenticationError

from .conftest import eventually


async def test_anonymous_login_is_read_only_justinfan(sim, make_client, run_client):
    client, rec = make_client(sim)
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    assert client.nick.startswith("justinfan") and client.nick[9:].isdigit()
    assert client.user_id is None
    [conn] = sim.connections
    assert conn.anonymous and conn.nick == client.nick
    assert conn.channels == set(sim.world.channels) == client.joined_channels
    assert [e.kind for e in rec.conn][:1] == ["connected"]


async def test_token_login_takes_nick_and_user_id_from_validation(sim, make_client, run_client):
    token = sim.issue_token("sim_bot")
    client, _ = make_client(sim, token)
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    user = sim.world.users_by_login["sim_bot"]
    assert client.nick == "sim_bot" and client.user_id == user.id
    [conn] = sim.connections
    assert not conn.anonymous and conn.nick == "sim_bot" and conn.user_id == user.id


async def test_fatal_irc_login_failure_raises_from_start_without_retrying(sim, make_client):
    client, rec = make_client(sim, "not-a-valid-token", nick="someone")
    with pytest.raises(AuthenticationError, match="Login authentication failed"):
        await asyncio.wait_for(client.start(), 10)
    assert rec.kinds("connected") == []
    assert any(r.message and r.message.command == "NOTICE" for r in rec.raw)
    assert sim.connections == []  # no reconnect loop: nothing connects again


async def test_invalid_token_fails_validation_before_irc(sim, make_client):
    client, rec = make_client(sim, "not-a-valid-token")
    with pytest.raises(AuthenticationError):
        await asyncio.wait_for(client.start(), 10)
    assert rec.raw == [] and sim.connections == []


async def test_nick_and_connected_event_details(sim, make_client, run_client):
    client, rec = make_client(sim, initial_channels=[])
    run_client(client)
    await asyncio.wait_for(client.wait_for_ready(), 10)
    await eventually(lambda: rec.kinds("connected"))
    [event] = rec.kinds("connected")
    assert event.at.tzinfo is not None and event.detail == f"nick={client.nick}"
    assert client.stats["connections"] == 1
