"""The simulated id.twitch.tv: token grants, validation, expiry on a fake clock, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from recorder.sim.oauth import (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OAuthState,
                                add_oauth_routes)
from recorder.sim.world import World
from fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(clock: FakeClock) -> World:
    return World(seed=7, channels=2, users=50, clock=clock)


@pytest.fixture
async def served(world: World, clock: FakeClock) -> AsyncIterator[tuple[TestClient, OAuthState]]:
    app = web.Application()
    state = add_oauth_routes(app, world, token_ttl=100.0, clock=clock)
    async with TestClient(TestServer(app)) as client:
        yield client, state


def creds(**extra: str) -> dict[str, str]:
    return {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET,
            "grant_type": "client_credentials", **extra}


async def test_client_credentials_as_query_like_twitchio(served, clock) -> None:
    client, state = served
    resp = await client.post("/oauth2/token", params=creds())
    assert resp.status == 200
    body = await resp.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 100
    assert len(body["access_token"]) == 30
    info = state.validate(body["access_token"])
    assert info is not None and info.is_app_token and info.client_id == DEFAULT_CLIENT_ID
    assert state.tokens_issued == 1 and state.issued["client_credentials"] == 1


async def test_client_credentials_as_form_body(served) -> None:
    client, _ = served
    resp = await client.post("/oauth2/token", data=creds())
    assert resp.status == 200
    assert (await resp.json())["access_token"]


@pytest.mark.parametrize("params, status, message", [
    (creds(client_secret="nope"), 403, "invalid client secret"),
    (creds(client_id="unknown"), 400, "invalid client"),
    (creds(client_id=""), 400, "missing client id"),
    (creds(grant_type="password"), 400, "unsupported grant type"),
    ({"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET}, 400, "missing grant_type"),
])
async def test_token_errors_have_twitch_shape(served, params, status, message) -> None:
    client, state = served
    resp = await client.post("/oauth2/token", params=params)
    assert resp.status == status
    assert await resp.json() == {"status": status, "message": message}
    assert state.tokens_issued == 0


async def test_registered_client(served) -> None:
    client, state = served
    state.register_client("mine", "s3cret")
    ok = await client.post("/oauth2/token", params=creds(client_id="mine", client_secret="s3cret"))
    assert ok.status == 200
    token = (await ok.json())["access_token"]
    assert state.validate(token).client_id == "mine"


async def test_validate_app_token_and_expiry(served, clock) -> None:
    client, state = served
    token = state.issue_app_token().token
    resp = await client.get("/oauth2/validate", headers={"Authorization": f"OAuth {token}"})
    assert resp.status == 200
    body = await resp.json()
    assert body == {"client_id": DEFAULT_CLIENT_ID, "scopes": [], "expires_in": 100}
    clock.advance(60.5)
    resp = await client.get("/oauth2/validate", headers={"Authorization": f"OAuth {token}"})
    assert (await resp.json())["expires_in"] == 39
    clock.advance(39.5)
    resp = await client.get("/oauth2/validate", headers={"Authorization": f"OAuth {token}"})
    assert resp.status == 401
    assert await resp.json() == {"status": 401, "message": "invalid access token"}
    assert state.validate(token) is None and state.info(token) is not None


async def test_validate_user_token(served, world) -> None:
    client, state = served
    token = state.issue_user_token("SomeBot", scopes=("chat:read", "chat:edit"))
    user = world.users_by_login["somebot"]
    resp = await client.get("/oauth2/validate", headers={"Authorization": f"OAuth {token}"})
    body = await resp.json()
    assert body == {"client_id": DEFAULT_CLIENT_ID, "login": "somebot", "user_id": user.id,
                    "scopes": ["chat:read", "chat:edit"], "expires_in": 100}
    assert state.validate("oauth:" + token).login == "somebot"  # as sent on IRC PASS


async def test_validate_rejects_missing_and_unknown(served) -> None:
    client, _ = served
    resp = await client.get("/oauth2/validate")
    assert resp.status == 401
    assert (await resp.json())["message"] == "missing authorization token"
    resp = await client.get("/oauth2/validate", headers={"Authorization": "OAuth notatoken"})
    assert resp.status == 401


async def test_expire_and_expire_all(served, clock) -> None:
    _, state = served
    a = state.issue_user_token("bot_a")
    b = state.issue_app_token().token
    state.expire(a)
    assert state.validate(a) is None and state.validate(b) is not None
    state.expire_all()
    assert state.validate(b) is None


async def test_refresh_token_grant(served, clock) -> None:
    client, state = served
    old = state.issue_user_token("bot_r", scopes=("chat:read",))
    refresh = state.info(old).refresh_token
    clock.advance(200)  # the access token is long expired; the refresh token still works
    resp = await client.post("/oauth2/token", params=creds(grant_type="refresh_token",
                                                           refresh_token=refresh))
    assert resp.status == 200
    body = await resp.json()
    assert body["token_type"] == "bearer" and body["scope"] == ["chat:read"]
    assert body["refresh_token"] != refresh and body["access_token"] != old
    assert state.validate(body["access_token"]).login == "bot_r"
    again = await client.post("/oauth2/token", params=creds(grant_type="refresh_token",
                                                            refresh_token=refresh))
    assert again.status == 400  # a refresh token is used once
    assert state.issued["refresh_token"] == 1


async def test_revoke(served) -> None:
    client, state = served
    token = state.issue_app_token().token
    resp = await client.post("/oauth2/revoke", params={"client_id": DEFAULT_CLIENT_ID, "token": token})
    assert resp.status == 200
    assert state.info(token) is None


def test_token_never_in_repr(world) -> None:
    state = OAuthState(world)
    token = state.issue_user_token("quiet_bot")
    info = state.info(token)
    assert token not in repr(info) and info.refresh_token not in repr(info)
