"""HelixHTTP against the simulated Helix and OAuth: tokens, validation, batching, pagination, errors.

The simulator runs on a fake clock; the client gets the same clock and a sleep that records the
wait and moves the clock, so 429 waits, backoff and bucket refills are asserted without waiting.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from recorder.client.api import HelixAPI
from recorder.client.errors import AuthenticationError, HTTPException, NoClientID, NoToken
from recorder.client.http import HelixHTTP
from recorder.sim.helix import HelixState, add_helix_routes
from recorder.sim.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OAuthState, add_oauth_routes
from recorder.sim.world import World
from fakes import FakeClock


class Sleeper:
    """An injected ``sleep``: records each wait and moves the fake clock by it."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)
        await asyncio.sleep(0)


@dataclass
class HelixSim:
    """A running simulated Helix + OAuth and factories for clients pointed at it."""

    server: TestServer
    world: World
    oauth: OAuthState
    helix: HelixState
    clock: FakeClock
    sleeper: Sleeper
    opened: list[HelixHTTP] = field(default_factory=list)

    @property
    def helix_url(self) -> str:
        return str(self.server.make_url("/helix"))

    @property
    def auth_url(self) -> str:
        return str(self.server.make_url("/oauth2"))

    def options(self, **overrides: Any) -> dict[str, Any]:
        """Constructor arguments for a client of this simulator (app credentials by default)."""
        options: dict[str, Any] = dict(client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET,
                                       helix_url=self.helix_url, auth_url=self.auth_url,
                                       clock=self.clock, sleep=self.sleeper)
        options.update(overrides)
        return options

    def http(self, **overrides: Any) -> HelixHTTP:
        http = HelixHTTP(**self.options(**overrides))
        self.opened.append(http)
        return http

    def api(self, cls: type[HelixAPI] = HelixAPI, **overrides: Any) -> HelixAPI:
        api = cls(**self.options(**overrides))
        self.opened.append(api.http)
        return api

    def user_ids(self, count: int) -> list[str]:
        return sorted(self.world.users_by_id)[:count]


async def start_sim(points_per_minute: int = 800, channels: int = 3) -> HelixSim:
    clock = FakeClock()
    world = World(seed=1, channels=channels, clock=clock)
    app = web.Application()
    oauth = add_oauth_routes(app, world, token_ttl=3600.0, clock=clock)
    helix = add_helix_routes(app, world, oauth, clock=clock, points_per_minute=points_per_minute)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return HelixSim(server, world, oauth, helix, clock, Sleeper(clock))


@pytest.fixture
async def make_sim() -> AsyncIterator[Callable[..., Awaitable[HelixSim]]]:
    sims: list[HelixSim] = []

    async def make(**kwargs: Any) -> HelixSim:
        sims.append(await start_sim(**kwargs))
        return sims[-1]

    yield make
    for sim in sims:
        for http in sim.opened:
            await http.close()
        await sim.server.close()


@pytest.fixture
async def helix_sim(make_sim: Callable[..., Awaitable[HelixSim]]) -> HelixSim:
    return await make_sim()


# -- tokens and validation --------------------------------------------------------------------
async def test_app_token_from_client_credentials(helix_sim: HelixSim) -> None:
    http = helix_sim.http()
    users = await http.request("GET", "users", {"id": helix_sim.user_ids(1)})
    assert [u["id"] for u in users] == helix_sim.user_ids(1)
    assert helix_sim.oauth.issued["client_credentials"] == 1
    info = helix_sim.oauth.validate(http.token or "")
    assert info is not None and info.is_app_token and info.client_id == DEFAULT_CLIENT_ID
    assert (await http.validate())["client_id"] == DEFAULT_CLIENT_ID


async def test_validate_gives_login_and_user_id_of_a_user_token(helix_sim: HelixSim) -> None:
    token = helix_sim.oauth.issue_user_token("somebody", ["chat:read"])
    http = helix_sim.http(token="oauth:" + token, client_id=None, client_secret=None)
    await http.authenticate()
    user = helix_sim.world.users_by_login["somebody"]
    assert (http.login, http.user_id, http.scopes) == ("somebody", user.id, ["chat:read"])
    assert http.client_id == DEFAULT_CLIENT_ID  # learnt from the validation
    assert http.expires_in == 3600
    assert [u["login"] for u in await http.request("GET", "users")] == ["somebody"]


async def test_invalid_token_fails_login_with_authentication_error(helix_sim: HelixSim) -> None:
    http = helix_sim.http(token="notarealtoken0000000000000000", client_secret=None)
    with pytest.raises(AuthenticationError) as caught:
        await http.authenticate()
    assert "notarealtoken" not in str(caught.value)


async def test_no_client_id_and_no_token(helix_sim: HelixSim) -> None:
    with pytest.raises(NoClientID):
        await helix_sim.http(client_id=None, client_secret=None).request("GET", "users")
    with pytest.raises(NoToken):
        await helix_sim.http(client_secret=None).request("GET", "users")


async def test_hourly_validation_replaces_an_expired_token(helix_sim: HelixSim) -> None:
    intervals: list[float] = []
    second_sleep = asyncio.Event()

    async def sleep(seconds: float) -> None:
        intervals.append(seconds)
        if len(intervals) == 2:
            second_sleep.set()
            await asyncio.Event().wait()  # park the loop here until it is cancelled

    http = helix_sim.http(sleep=sleep)
    first = await http.generate_token()
    helix_sim.oauth.expire(first)
    http.start_validation(3600.0)
    await asyncio.wait_for(second_sleep.wait(), timeout=30)
    assert intervals == [3600.0, 3600.0]
    assert helix_sim.oauth.validations == 1
    assert http.token != first and helix_sim.oauth.validate(http.token or "") is not None
    assert http.stats.token_refreshes == 1


# -- batching and pagination ------------------------------------------------------------------
async def test_250_ids_are_three_requests_merged(helix_sim: HelixSim) -> None:
    http = helix_sim.http()
    ids = helix_sim.user_ids(250)
    users = await http.request_batched("users", "id", ids)
    assert sorted(u["id"] for u in users) == ids
    assert helix_sim.helix.calls("users") == 3
    assert [len(r.query["id"]) for r in helix_sim.helix.requests] == [100, 100, 50]


async def test_ids_and_logins_count_together(helix_sim: HelixSim) -> None:
    http = helix_sim.http()
    ids = helix_sim.user_ids(150)
    logins = sorted(helix_sim.world.users_by_login)[-60:]
    users = await http.request_batched("users", "id", ids, more={"login": logins})
    assert {u["id"] for u in users} == set(ids) | {helix_sim.world.users_by_login[n].id for n in logins}
    assert helix_sim.helix.calls("users") == 3  # 210 values, 100 per request


async def test_pagination_stops_at_the_requested_amount(helix_sim: HelixSim) -> None:
    http = helix_sim.http()
    items = await http.request("GET", "search/channels", {"query": "a"}, paginate=True, limit=250)
    assert len(items) == 250 and len({i["id"] for i in items}) == 250
    logged = [r.query for r in helix_sim.helix.requests]
    assert [q["first"] for q in logged] == [["100"], ["100"], ["50"]]
    assert "after" not in logged[0] and all("after" in q for q in logged[1:])


async def test_pagination_without_limit_follows_every_cursor(helix_sim: HelixSim) -> None:
    http = helix_sim.http()
    world = helix_sim.world
    expected = [u for u in world.users_by_id.values() if u.login not in world.suspended
                and ("ka" in u.login or "ka" in u.display_name.lower())]
    items = await http.request("GET", "search/channels", {"query": "ka"}, paginate=True)
    assert len(expected) > 100
    assert {i["id"] for i in items} == {u.id for u in expected}
    assert helix_sim.helix.calls("search/channels") == math.ceil(len(expected) / 100)


# -- errors -----------------------------------------------------------------------------------
async def test_http_exception_carries_status_and_twitch_message(helix_sim: HelixSim) -> None:
    http = helix_sim.http()
    with pytest.raises(HTTPException) as caught:
        await http.request("GET", "users", {"id": helix_sim.user_ids(101)})
    assert caught.value.status == 400
    assert caught.value.message == "The sum of the id and login parameters must not exceed 100"
    assert http.stats.retries == 0


async def test_connection_errors_are_retried_then_raised(helix_sim: HelixSim) -> None:
    probe = await start_sim()
    dead_url = probe.helix_url
    await probe.server.close()
    http = helix_sim.http(helix_url=dead_url, max_retries=2)
    await http.generate_token()
    with pytest.raises(HTTPException) as caught:
        await http.request("GET", "users", {"id": "1"})
    assert caught.value.status == 0
    assert http.stats.connection_errors == 3 and http.stats.retries == 2
    assert len(helix_sim.sleeper.waits) == 2
    assert http.bucket.in_flight == 0
