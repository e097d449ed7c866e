"""HelixHTTP under faults injected in the simulator: 429, 5xx, 401 / expired tokens, a tiny bucket,
and secrets kept out of logs, exception text and reprs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

from recorder.client.errors import AuthenticationError, HTTPException, Unauthorized
from recorder.sim.oauth import DEFAULT_CLIENT_SECRET

from .test_http import HelixSim, helix_sim, make_sim  # noqa: F401  (fixtures)


# -- 429 --------------------------------------------------------------------------------------
async def test_429_waits_until_reset_and_retries(helix_sim: HelixSim) -> None:
    http = helix_sim.http()
    await http.generate_token()
    helix_sim.helix.fail_next(429)
    users = await http.request("GET", "users", {"id": helix_sim.user_ids(1)})
    assert len(users) == 1
    assert helix_sim.sleeper.waits == [1.0]  # Ratelimit-Reset was now + 1 s
    assert (http.stats.rate_limited, http.stats.retries) == (1, 1)
    assert helix_sim.helix.calls("users") == 2


async def test_429_honours_a_longer_retry_after(helix_sim: HelixSim) -> None:
    http = helix_sim.http()
    await http.generate_token()
    helix_sim.helix.fail_next(429, retry_after=7)
    await http.request("GET", "users", {"id": helix_sim.user_ids(1)})
    assert helix_sim.sleeper.waits == [7.0]


async def test_429_gives_up_after_max_retries(helix_sim: HelixSim) -> None:
    http = helix_sim.http(max_retries=2)
    await http.generate_token()
    helix_sim.helix.fail_next(429, count=5)
    with pytest.raises(HTTPException) as caught:
        await http.request("GET", "users", {"id": helix_sim.user_ids(1)})
    assert caught.value.status == 429 and caught.value.message == "Too Many Requests"
    assert helix_sim.helix.calls("users") == 3


# -- 5xx --------------------------------------------------------------------------------------
async def test_5xx_is_retried_with_growing_jittered_backoff(helix_sim: HelixSim) -> None:
    http = helix_sim.http(backoff_base=1.0, backoff_max=30.0)
    await http.generate_token()
    helix_sim.helix.fail_next(500)
    helix_sim.helix.fail_next(503, count=2)
    users = await http.request("GET", "users", {"id": helix_sim.user_ids(1)})
    assert len(users) == 1
    waits = helix_sim.sleeper.waits
    assert len(waits) == 3 and all(0 <= w <= 2 ** i for i, w in enumerate(waits))
    assert (http.stats.server_errors, http.stats.retries) == (3, 3)


async def test_5xx_gives_up_with_the_status(helix_sim: HelixSim) -> None:
    http = helix_sim.http(max_retries=3)
    await http.generate_token()
    helix_sim.helix.fail_next(503, count=10)
    with pytest.raises(HTTPException) as caught:
        await http.request("GET", "users", {"id": helix_sim.user_ids(1)})
    assert caught.value.status == 503
    assert helix_sim.helix.calls("users") == 4


# -- 401 --------------------------------------------------------------------------------------
async def test_401_calls_the_hook_once_and_retries_once(helix_sim: HelixSim) -> None:
    calls: list[str] = []

    async def hook() -> str | None:
        calls.append("expired")
        return None  # -> a new token by client credentials

    http = helix_sim.http(token_expired_hook=hook)
    first = await http.generate_token()
    helix_sim.helix.fail_next(401)
    assert len(await http.request("GET", "users", {"id": helix_sim.user_ids(1)})) == 1
    assert calls == ["expired"] and http.token != first
    assert helix_sim.oauth.issued["client_credentials"] == 2
    assert helix_sim.helix.calls("users") == 2


async def test_expired_token_replaced_by_the_hook_token(helix_sim: HelixSim) -> None:
    replacement = helix_sim.oauth.issue_app_token().token
    calls: list[str] = []

    async def hook() -> str | None:
        calls.append("expired")
        return replacement

    http = helix_sim.http(token_expired_hook=hook)
    helix_sim.oauth.expire(await http.generate_token())
    results = await asyncio.gather(*(http.request("GET", "users", {"id": [i]})
                                     for i in helix_sim.user_ids(5)))
    assert all(len(r) == 1 for r in results)
    assert calls == ["expired"]  # once, however many requests saw the expired token
    assert http.token == replacement


async def test_a_second_401_is_not_retried(helix_sim: HelixSim) -> None:
    calls: list[str] = []

    async def hook() -> str | None:
        calls.append("expired")
        return None

    http = helix_sim.http(token_expired_hook=hook)
    await http.generate_token()
    helix_sim.helix.fail_next(401, count=2)
    with pytest.raises(Unauthorized) as caught:
        await http.request("GET", "users", {"id": helix_sim.user_ids(1)})
    assert caught.value.status == 401 and caught.value.message == "Invalid OAuth token"
    assert calls == ["expired"] and helix_sim.helix.calls("users") == 2


async def test_401_for_a_missing_scope_is_not_a_token_refresh(helix_sim: HelixSim) -> None:
    http = helix_sim.http()
    user = helix_sim.world.users_by_login[helix_sim.world.channels["sim_alpha"].login]
    token = helix_sim.oauth.issue_user_token(user.login, ["chat:read"])
    with pytest.raises(Unauthorized) as caught:
        await http.request_body("PUT", "chat/color", {"user_id": user.id, "color": "red"}, token=token)
    assert "Missing scope" in caught.value.message
    assert http.stats.token_refreshes == 0


# -- the bucket -------------------------------------------------------------------------------
async def test_tiny_bucket_is_obeyed_before_sending(make_sim: Callable[..., Awaitable[HelixSim]]) -> None:
    sim = await make_sim(points_per_minute=5)
    http = sim.http()
    ids = sim.user_ids(12)
    for user_id in ids[:6]:
        await http.request("GET", "users", {"id": user_id})
    await asyncio.gather(*(http.request("GET", "users", {"id": i}) for i in ids[6:]))
    bucket = sim.helix.bucket()
    assert bucket.refused == 0 and http.stats.rate_limited == 0
    assert bucket.taken == 12 and http.stats.requests == 12
    assert sum(sim.sleeper.waits) >= 7 * 12.0 - 1e-6  # 7 requests beyond 5 points, 12 s a point
    assert http.remaining == 0 and http.bucket.in_flight == 0


async def test_bucket_mirrors_the_headers(helix_sim: HelixSim) -> None:
    http = helix_sim.http()
    assert http.remaining is None
    for user_id in helix_sim.user_ids(3):
        await http.request("GET", "users", {"id": user_id})
    assert http.bucket.limit == 800
    assert http.remaining == helix_sim.helix.bucket().remaining() == 797


async def test_without_trickle_an_empty_bucket_waits_for_the_reset(
        make_sim: Callable[..., Awaitable[HelixSim]]) -> None:
    sim = await make_sim(points_per_minute=3)
    http = sim.http()
    http.bucket.trickle = False
    for user_id in sim.user_ids(4):
        await http.request("GET", "users", {"id": user_id})
    assert sim.sleeper.waits == [60.0] and sim.helix.bucket().refused == 0


# -- secrets ----------------------------------------------------------------------------------
async def test_secrets_never_in_logs_exceptions_or_reprs(helix_sim: HelixSim,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    http = helix_sim.http()
    first = await http.generate_token()
    helix_sim.helix.fail_next(401)
    await http.request("GET", "users", {"id": helix_sim.user_ids(1)})
    helix_sim.oauth.expire(first)
    for fail in (lambda: http.request("GET", "users", {"id": helix_sim.user_ids(101)}),
                 lambda: helix_sim.http(client_secret="wrongsecret0000000").generate_token(),
                 lambda: http.validate(first)):
        with pytest.raises((HTTPException, AuthenticationError)) as caught:
            await fail()
        texts += [str(caught.value), repr(caught.value)]
    texts += [repr(http), repr(http.bucket), repr(http.stats), caplog.text]
    secrets = [DEFAULT_CLIENT_SECRET, "wrongsecret0000000", first, http.token or "<none>"]
    for text in texts:
        assert not any(secret in text for secret in secrets), text
