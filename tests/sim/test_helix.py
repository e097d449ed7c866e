"""The simulated Helix: Twitch's shapes, consistency with the world, auth, pagination, limits.

Every test runs a real aiohttp server (TestServer) built from add_oauth_routes + add_helix_routes
and a World, on a fake clock, so expiry, refill and moving viewer counts need no sleeping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from recorder.sim.helix import HelixState, add_helix_routes, decode_cursor, encode_cursor
from recorder.sim.oauth import DEFAULT_CLIENT_ID, OAuthState, add_oauth_routes
from recorder.sim.world import World


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Sim:
    """What a test needs: the HTTP client, both states, the world, the clock and an app token."""

    client: TestClient
    oauth: OAuthState
    helix: HelixState
    world: World
    clock: FakeClock
    token: str

    async def get(self, path: str, params: Any = None, token: str | None = None,
                  method: str = "GET", client_id: str | None = DEFAULT_CLIENT_ID,
                  **kwargs: Any) -> tuple[int, Any, Any]:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if client_id is not None:
            headers["Client-Id"] = client_id
        resp = await self.client.request(method, "/helix/" + path, params=params,
                                         headers=headers, **kwargs)
        body = await resp.json() if resp.content_type == "application/json" else None
        return resp.status, body, resp.headers

    async def walk(self, path: str, params: list[tuple[str, str]], first: int) -> list[dict]:
        """Every item of a paginated listing, following cursors page by page."""
        items: list[dict] = []
        cursor = None
        for _ in range(1000):
            query = params + [("first", str(first))] + ([("after", cursor)] if cursor else [])
            status, body, _ = await self.get(path, query)
            assert status == 200, body
            assert len(body["data"]) <= first
            items += body["data"]
            cursor = body["pagination"].get("cursor")
            if not cursor:
                return items
        raise AssertionError("pagination never ended")


async def make_sim(points_per_minute: int = 800) -> tuple[TestClient, OAuthState, HelixState, World, FakeClock]:
    clock = FakeClock()
    world = World(seed=11, channels=30, users=400, clock=clock)
    app = web.Application()
    oauth = add_oauth_routes(app, world, token_ttl=3600.0, clock=clock)
    helix = add_helix_routes(app, world, oauth, clock=clock, points_per_minute=points_per_minute)
    return TestClient(TestServer(app)), oauth, helix, world, clock


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    client, oauth, helix, world, clock = await make_sim()
    async with client:
        yield Sim(client, oauth, helix, world, clock, oauth.issue_app_token().token)


def first_channel(world: World, live: bool = True):
    return next(c for c in world.channels.values() if c.live == live)


# -- users, channels, streams, games ---------------------------------------------------------
async def test_users_by_id_and_login_match_the_world(sim: Sim) -> None:
    chan = first_channel(sim.world)
    viewer = chan.audience[0]
    status, body, _ = await sim.get("users", [("login", chan.login.upper()), ("id", viewer.id)])
    assert status == 200 and set(body) == {"data"}
    got = {u["id"]: u for u in body["data"]}
    assert set(got) == {chan.broadcaster.id, viewer.id}
    me = got[chan.broadcaster.id]
    assert me["login"] == chan.login and me["display_name"] == chan.broadcaster.display_name
    assert set(me) == {"id", "login", "display_name", "type", "broadcaster_type", "description",
                       "profile_image_url", "offline_image_url", "view_count", "created_at"}
    assert me["created_at"].endswith("Z")


async def test_users_omits_unknown_and_suspended(sim: Sim) -> None:
    suspended = next(iter(sim.world.suspended))
    status, body, _ = await sim.get("users", [("login", "no_such_user_zz"), ("login", suspended)])
    assert status == 200 and body["data"] == []


async def test_users_over_100_ids_is_400(sim: Sim) -> None:
    users = list(sim.world.users_by_id.values())
    ids = [u.id for u in users[:60]]
    logins = [u.login for u in users[60:101]]
    query = [("id", i) for i in ids] + [("login", n) for n in logins]
    status, body, _ = await sim.get("users", query)
    assert status == 400 and body["error"] == "Bad Request" and body["status"] == 400
    status, body, _ = await sim.get("users", query[:100])
    assert status == 200 and len(body["data"]) == 100


async def test_users_without_params_is_the_token_user(sim: Sim) -> None:
    status, _, _ = await sim.get("users")
    assert status == 400  # an app token has no user
    token = sim.oauth.issue_user_token("helix_bot", scopes=("user:read:email",))
    status, body, _ = await sim.get("users", token=token)
    assert [u["login"] for u in body["data"]] == ["helix_bot"]
    assert body["data"][0]["email"]


async def test_channels(sim: Sim) -> None:
    chan = first_channel(sim.world)
    viewer = chan.audience[0]
    status, body, _ = await sim.get("channels", [("broadcaster_id", chan.broadcaster.id),
                                                 ("broadcaster_id", viewer.id)])
    assert status == 200
    info, other = body["data"]
    assert info["broadcaster_login"] == chan.login and info["title"] == chan.title
    assert info["game_id"] == chan.game_id
    assert info["game_name"] == sim.world.games[chan.game_id].name
    assert info["tags"] == chan.tags and info["broadcaster_language"] == chan.language
    assert other["broadcaster_id"] == viewer.id and other["title"] == ""
    status, _, _ = await sim.get("channels")
    assert status == 400
    too_many = [("broadcaster_id", i) for i in list(sim.world.users_by_id)[:101]]
    status, _, _ = await sim.get("channels", too_many)
    assert status == 400


async def test_streams_are_the_live_channels_and_pagination_walks_each_once(sim: Sim) -> None:
    live = {c.broadcaster.id for c in sim.world.channels.values() if c.live}
    streams = await sim.walk("streams", [("type", "all")], first=7)
    ids = [s["user_id"] for s in streams]
    assert len(ids) == len(set(ids)) and set(ids) == live
    counts = [s["viewer_count"] for s in streams]
    assert counts == sorted(counts, reverse=True)
    stream = streams[0]
    chan = sim.world.channels[stream["user_login"]]
    assert stream["id"] == chan.stream_id and stream["type"] == "live"
    assert stream["game_name"] == sim.world.games[chan.game_id].name


async def test_streams_walk_is_stable_while_viewers_move(sim: Sim) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        query = [("first", "4")] + ([("after", cursor)] if cursor else [])
        _, body, _ = await sim.get("streams", query)
        seen += [s["user_id"] for s in body["data"]]
        cursor = body["pagination"].get("cursor")
        sim.clock.advance(300)  # counts change between pages; the order is the first page's
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == sum(c.live for c in sim.world.channels.values())


async def test_streams_filters(sim: Sim) -> None:
    chan = first_channel(sim.world)
    offline = first_channel(sim.world, live=False)
    status, body, _ = await sim.get("streams", [("user_login", chan.login), ("user_login", offline.login)])
    assert status == 200 and [s["user_login"] for s in body["data"]] == [chan.login]
    _, body, _ = await sim.get("streams", [("user_id", chan.broadcaster.id)])
    assert [s["user_id"] for s in body["data"]] == [chan.broadcaster.id]
    _, body, _ = await sim.get("streams", [("game_id", chan.game_id), ("first", "100")])
    assert chan.login in {s["user_login"] for s in body["data"]}
    assert {s["game_id"] for s in body["data"]} == {chan.game_id}
    _, body, _ = await sim.get("streams", [("language", chan.language), ("first", "100")])
    assert {s["language"] for s in body["data"]} == {chan.language}
    too_many = [("user_id", str(i)) for i in range(60)] + [("user_login", f"x{i}") for i in range(41)]
    status, _, _ = await sim.get("streams", too_many)
    assert status == 400


async def test_viewer_counts_move_with_the_clock(sim: Sim) -> None:
    logins = [c.login for c in sim.world.channels.values() if c.live][:10]
    query = [("user_login", login) for login in logins]
    _, before, _ = await sim.get("streams", query)
    sim.clock.advance(1800)
    _, after, _ = await sim.get("streams", query)
    first = {s["user_login"]: s["viewer_count"] for s in before["data"]}
    second = {s["user_login"]: s["viewer_count"] for s in after["data"]}
    assert first.keys() == second.keys() == set(logins)
    assert first != second
    assert first == {login: sim.world.viewer_count(login, sim.clock.now - 1800) for login in logins}


async def test_games_by_id_name_and_igdb(sim: Sim) -> None:
    games = list(sim.world.games.values())
    query = [("id", games[0].id), ("name", games[1].name.lower()), ("igdb_id", games[2].igdb_id)]
    status, body, _ = await sim.get("games", query)
    assert status == 200
    assert {g["id"] for g in body["data"]} == {games[0].id, games[1].id, games[2].id}
    assert set(body["data"][0]) == {"id", "name", "box_art_url", "igdb_id"}
    status, _, _ = await sim.get("games")
    assert status == 400


async def test_top_games_walk_every_game_once(sim: Sim) -> None:
    games = await sim.walk("games/top", [], first=6)
    ids = [g["id"] for g in games]
    assert len(ids) == len(set(ids)) and set(ids) == set(sim.world.games)


# -- search, chat colour ----------------------------------------------------------------------
async def test_search_categories(sim: Sim) -> None:
    target = next(iter(sim.world.games.values()))
    _, body, _ = await sim.get("search/categories", [("query", target.name[:4].lower())])
    assert target.id in {g["id"] for g in body["data"]}
    assert set(body["data"][0]) == {"id", "name", "box_art_url"}
    status, _, _ = await sim.get("search/categories")
    assert status == 400


async def test_search_channels_live_only(sim: Sim) -> None:
    everyone = await sim.walk("search/channels", [("query", "sim_")], first=10)
    logins = {c["broadcaster_login"] for c in everyone}
    assert set(sim.world.channels) <= logins
    live = await sim.walk("search/channels", [("query", "sim_"), ("live_only", "True")], first=10)
    assert {c["broadcaster_login"] for c in live} == {c.login for c in sim.world.channels.values() if c.live}
    assert all(c["is_live"] and c["started_at"].endswith("Z") for c in live)


async def test_chat_color_get_and_put(sim: Sim) -> None:
    chan = first_channel(sim.world)
    status, body, _ = await sim.get("chat/color", [("user_id", chan.broadcaster.id)])
    assert body["data"] == [{"user_id": chan.broadcaster.id, "user_login": chan.login,
                             "user_name": chan.broadcaster.display_name,
                             "color": chan.broadcaster.color}]
    token = sim.oauth.issue_user_token("painter", scopes=("user:manage:chat_color",))
    painter = sim.world.users_by_login["painter"]
    status, _, _ = await sim.get("chat/color", [("user_id", painter.id), ("color", "#9146ff")],
                                 method="PUT")
    assert status == 401  # an app token cannot change a colour
    status, _, _ = await sim.get("chat/color", [("user_id", painter.id), ("color", "#9146ff")],
                                 token=token, method="PUT")
    assert status == 204
    _, body, _ = await sim.get("chat/color", [("user_id", painter.id)])
    assert body["data"][0]["color"] == "#9146FF" == sim.helix.chat_color(painter.id)
    status, _, _ = await sim.get("chat/color", [("user_id", painter.id), ("color", "blue")],
                                 token=token, method="PUT")
    assert status == 204 and sim.helix.chat_color(painter.id) == "#0000FF"
    status, _, _ = await sim.get("chat/color", [("user_id", painter.id), ("color", "mauve")],
                                 token=token, method="PUT")
    assert status == 400
    status, _, _ = await sim.get("chat/color", [("user_id", chan.broadcaster.id), ("color", "red")],
                                 token=token, method="PUT")
    assert status == 401  # someone else's colour
