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
from fakes import FakeClock


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


# -- videos, clips, catalogs ------------------------------------------------------------------
async def test_videos_of_a_user_walk_once_and_filter(sim: Sim) -> None:
    chan = first_channel(sim.world)
    own = [v for v in sim.helix.videos if v.user_id == chan.broadcaster.id]
    videos = await sim.walk("videos", [("user_id", chan.broadcaster.id)], first=3)
    ids = [v["id"] for v in videos]
    assert len(ids) == len(set(ids)) and set(ids) == {v.id for v in own}
    assert [v["created_at"] for v in videos] == sorted((v["created_at"] for v in videos), reverse=True)
    assert {v["user_login"] for v in videos} == {chan.login}
    assert videos[0]["stream_id"] == chan.stream_id  # the live stream's archive comes first
    _, body, _ = await sim.get("videos", [("user_id", chan.broadcaster.id), ("type", "upload"),
                                          ("first", "100")])
    assert {v["type"] for v in body["data"]} <= {"upload"}
    assert len(body["data"]) == sum(v.type == "upload" for v in own)
    _, body, _ = await sim.get("videos", [("user_id", chan.broadcaster.id), ("sort", "views"),
                                          ("first", "100")])
    counts = [v["view_count"] for v in body["data"]]
    assert counts == sorted(counts, reverse=True)


async def test_videos_by_id_and_parameter_rules(sim: Sim) -> None:
    wanted = [v.id for v in sim.helix.videos[:3]]
    _, body, _ = await sim.get("videos", [("id", i) for i in wanted])
    assert [v["id"] for v in body["data"]] == wanted and "pagination" not in body
    status, _, _ = await sim.get("videos")
    assert status == 400
    status, _, _ = await sim.get("videos", [("id", wanted[0]), ("user_id", "1")])
    assert status == 400
    status, _, _ = await sim.get("videos", [("id", str(i)) for i in range(101)])
    assert status == 400


async def test_delete_videos_needs_the_owner(sim: Sim) -> None:
    chan = first_channel(sim.world)
    own = [v.id for v in sim.helix.videos if v.user_id == chan.broadcaster.id][:2]
    other = next(v.id for v in sim.helix.videos if v.user_id != chan.broadcaster.id)
    query = [("id", i) for i in own + [other]]
    status, _, _ = await sim.get("videos", query, method="DELETE")
    assert status == 401  # app token
    weak = sim.oauth.issue_user_token(chan.login)
    status, body, _ = await sim.get("videos", query, token=weak, method="DELETE")
    assert status == 401 and "channel:manage:videos" in body["message"]
    token = sim.oauth.issue_user_token(chan.login, scopes=("channel:manage:videos",))
    status, body, _ = await sim.get("videos", query, token=token, method="DELETE")
    assert status == 200 and body == {"data": own}
    _, body, _ = await sim.get("videos", [("id", i) for i in own + [other]])
    assert [v["id"] for v in body["data"]] == [other]
    status, _, _ = await sim.get("videos", [("id", str(i)) for i in range(6)], token=token, method="DELETE")
    assert status == 400


async def test_clips(sim: Sim) -> None:
    chan = first_channel(sim.world)
    mine = [c for c in sim.helix.clips if c.broadcaster_id == chan.broadcaster.id]
    clips = await sim.walk("clips", [("broadcaster_id", chan.broadcaster.id)], first=4)
    assert sorted(c["id"] for c in clips) == sorted(c.id for c in mine)
    audience = {u.id for u in chan.audience}
    assert all(c["creator_id"] in audience for c in clips)
    video_ids = {v.id for v in sim.helix.videos}
    assert all(c["video_id"] in video_ids for c in clips if c["video_id"])
    _, body, _ = await sim.get("clips", [("id", mine[0].id)])
    assert body["data"][0]["broadcaster_name"] == chan.broadcaster.display_name
    _, body, _ = await sim.get("clips", [("broadcaster_id", chan.broadcaster.id),
                                         ("is_featured", "True"), ("first", "100")])
    assert all(c["is_featured"] for c in body["data"])
    assert len(body["data"]) == sum(c.is_featured for c in mine)
    status, _, _ = await sim.get("clips")
    assert status == 400


async def test_cheermotes_emotes_badges(sim: Sim) -> None:
    _, body, _ = await sim.get("bits/cheermotes")
    prefixes = [c["prefix"] for c in body["data"]]
    assert "Cheer" in prefixes
    tiers = body["data"][0]["tiers"]
    assert [t["min_bits"] for t in tiers] == [1, 100, 1000, 5000, 10000]
    assert set(tiers[0]["images"]) == {"dark", "light"}
    partner = next(c.broadcaster for c in sim.world.channels.values()
                   if c.broadcaster.broadcaster_type in ("partner", "affiliate"))
    _, body, _ = await sim.get("bits/cheermotes", [("broadcaster_id", partner.id)])
    assert body["data"][0]["type"] == "channel_custom"
    _, body, _ = await sim.get("chat/emotes/global")
    names = {e["name"]: e["id"] for e in body["data"]}
    assert names["Kappa"] == "25" and "{{id}}" in body["template"]
    _, body, _ = await sim.get("chat/badges/global")
    sets = {b["set_id"]: b for b in body["data"]}
    assert {"moderator", "subscriber", "bits", "broadcaster", "vip"} <= set(sets)
    assert set(sets["moderator"]["versions"][0]) >= {"id", "image_url_1x", "image_url_2x",
                                                     "image_url_4x", "title"}


async def test_teams_and_tags(sim: Sim) -> None:
    _, body, _ = await sim.get("teams", [("name", "simsquad")])
    team = body["data"][0]
    assert {u["user_login"] for u in team["users"]} == set(sim.world.channels)
    _, by_id, _ = await sim.get("teams", [("id", team["id"])])
    assert by_id["data"][0]["team_name"] == "simsquad"
    status, body, _ = await sim.get("teams", [("name", "nobody")])
    assert status == 404 and body["error"] == "Not Found"
    status, _, _ = await sim.get("teams")
    assert status == 400
    tags = await sim.walk("tags/streams", [], first=5)
    _, body, _ = await sim.get("tags/streams", [("tag_id", tags[0]["tag_id"])])
    assert body["data"] == [tags[0]]


async def test_eventsub_and_webhook_subscriptions(sim: Sim) -> None:
    payload = {"type": "channel.follow", "version": "2",
               "condition": {"broadcaster_user_id": "1", "moderator_user_id": "1"},
               "transport": {"method": "webhook", "callback": "https://example.invalid/cb",
                             "secret": "s3cretvalue"}}
    status, body, _ = await sim.get("eventsub/subscriptions", method="POST", json=payload)
    assert status == 202 and body["total"] == 1 and "secret" not in body["data"][0]["transport"]
    sub_id = body["data"][0]["id"]
    _, body, _ = await sim.get("eventsub/subscriptions", [("type", "channel.follow")])
    assert [s["id"] for s in body["data"]] == [sub_id] and body["max_total_cost"] == 10000
    status, _, _ = await sim.get("eventsub/subscriptions", [("id", sub_id)], method="DELETE")
    assert status == 204 and sim.helix.eventsub_subscriptions == []
    _, body, _ = await sim.get("webhooks/subscriptions")
    assert body == {"data": [], "pagination": {}, "total": 0}
    user_token = sim.oauth.issue_user_token("hooker")
    status, _, _ = await sim.get("webhooks/subscriptions", token=user_token)
    assert status == 401


async def test_unknown_path_is_twitch_404(sim: Sim) -> None:
    status, body, headers = await sim.get("no/such/endpoint")
    assert status == 404 and body == {"error": "Not Found", "status": 404, "message": ""}
    assert "Ratelimit-Remaining" in headers


# -- auth, cursors, first ---------------------------------------------------------------------
async def test_auth_failures_have_twitch_shape(sim: Sim) -> None:
    resp = await sim.client.get("/helix/users", params={"login": "x"},
                                headers={"Client-Id": DEFAULT_CLIENT_ID})
    assert resp.status == 401 and (await resp.json())["message"] == "OAuth token is missing"
    status, body, _ = await sim.get("users", [("login", "x")], token="bogus")
    assert status == 401
    assert body == {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}
    status, body, _ = await sim.get("users", [("login", "x")], client_id=None)
    assert status == 401 and "Client-Id" in body["message"]
    status, body, _ = await sim.get("users", [("login", "x")], client_id="someone-else")
    assert status == 401 and body["message"] == "Client ID and OAuth token do not match"


async def test_expired_token_is_401_then_a_new_one_works(sim: Sim) -> None:
    sim.clock.advance(3600)
    status, body, _ = await sim.get("users", [("login", "x")])
    assert status == 401 and body["message"] == "Invalid OAuth token"
    resp = await sim.client.post("/oauth2/token", params={
        "client_id": DEFAULT_CLIENT_ID, "client_secret": "simclientsecret000000000000000",
        "grant_type": "client_credentials"})
    fresh = (await resp.json())["access_token"]
    status, _, _ = await sim.get("users", [("login", "x")], token=fresh)
    assert status == 200


async def test_bad_cursor_and_first(sim: Sim) -> None:
    status, body, _ = await sim.get("streams", [("after", "!!notacursor")])
    assert status == 400 and body["message"] == "Invalid cursor"
    status, _, _ = await sim.get("streams", [("first", "101")])
    assert status == 400
    status, _, _ = await sim.get("streams", [("first", "0")])
    assert status == 400
    assert decode_cursor(encode_cursor(40, 12.5)) == (40, 12.5)
    past_end = encode_cursor(10_000)
    _, body, _ = await sim.get("streams", [("after", past_end)])
    assert body == {"data": [], "pagination": {}}


# -- rate limit -------------------------------------------------------------------------------
async def test_bucket_headers_count_down_then_429_then_refill() -> None:
    client, oauth, helix, _, clock = await make_sim(points_per_minute=5)
    async with client:
        sim = Sim(client, oauth, helix, helix.world, clock, oauth.issue_app_token().token)
        remaining = []
        for _ in range(5):
            status, _, headers = await sim.get("games/top")
            assert status == 200 and headers["Ratelimit-Limit"] == "5"
            remaining.append(int(headers["Ratelimit-Remaining"]))
        assert remaining == [4, 3, 2, 1, 0]
        status, body, headers = await sim.get("games/top")
        assert status == 429
        assert body == {"error": "Too Many Requests", "status": 429, "message": "Too Many Requests"}
        reset = int(headers["Ratelimit-Reset"])
        assert reset == int(clock.now) + 60 and headers["Ratelimit-Remaining"] == "0"
        clock.advance(reset - clock.now)
        status, _, headers = await sim.get("games/top")
        assert status == 200 and headers["Ratelimit-Remaining"] == "4"
        assert helix.bucket().taken == 6 and helix.bucket().refused == 1


async def test_buckets_are_per_client_and_user() -> None:
    client, oauth, helix, _, clock = await make_sim(points_per_minute=2)
    async with client:
        sim = Sim(client, oauth, helix, helix.world, clock, oauth.issue_app_token().token)
        oauth.register_client("other", "secret")
        other = oauth.issue_app_token("other").token
        user = oauth.issue_user_token("limited_bot")
        for _ in range(2):
            assert (await sim.get("games/top"))[0] == 200
        assert (await sim.get("games/top"))[0] == 429
        assert (await sim.get("games/top", token=other, client_id="other"))[0] == 200
        assert (await sim.get("games/top", token=user))[0] == 200
        bot = helix.world.users_by_login["limited_bot"]
        assert helix.bucket(DEFAULT_CLIENT_ID, bot.id).remaining() == 1


# -- faults and the request log ---------------------------------------------------------------
@pytest.mark.parametrize("status, error", [(500, "Internal Server Error"), (503, "Service Unavailable"),
                                           (401, "Unauthorized")])
async def test_injected_faults(sim: Sim, status: int, error: str) -> None:
    sim.helix.fail_next(status, count=2)
    for _ in range(2):
        got, body, headers = await sim.get("games/top")
        assert got == status and body["error"] == error and body["status"] == status
        assert headers["Ratelimit-Remaining"] == "800"  # a fault costs no point
    if status == 401:
        assert body["message"] == "Invalid OAuth token"  # clients then fetch a new token
    assert (await sim.get("games/top"))[0] == 200


async def test_injected_429_with_retry_after(sim: Sim) -> None:
    sim.helix.fail_next(429, retry_after=30)
    status, body, headers = await sim.get("games/top")
    assert status == 429 and body["error"] == "Too Many Requests"
    assert headers["Ratelimit-Remaining"] == "0" and headers["Retry-After"] == "30"
    assert int(headers["Ratelimit-Reset"]) == int(sim.clock.now) + 30
    assert (await sim.get("games/top"))[0] == 200


async def test_slow_uses_the_injected_sleep(sim: Sim) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    sim.helix.sleep = fake_sleep
    sim.helix.slow(2.5)
    await sim.get("games/top")
    sim.helix.slow(0)
    await sim.get("games/top")
    assert slept == [2.5]


async def test_request_log(sim: Sim) -> None:
    await sim.get("users", [("id", "1"), ("id", "2"), ("login", "a")])
    await sim.get("streams", [("first", "5")], token="bogus")
    logged = sim.helix.requests
    assert logged[0] == ("GET", "/helix/users", {"id": ["1", "2"], "login": ["a"]}, DEFAULT_CLIENT_ID)
    assert logged[1].path == "/helix/streams"
    assert sim.helix.calls("users") == 1 and sim.helix.calls("streams") == 1
    assert all(sim.token not in repr(r) for r in logged)


# -- a real third-party client: TwitchIO 2.10's fetch_* methods parse every answer ------------
async def test_twitchio_fetch_methods_against_the_simulator(sim: Sim, monkeypatch) -> None:
    import twitchio
    from twitchio.http import Route, TwitchHTTP

    base = str(sim.client.make_url(""))
    monkeypatch.setattr(Route, "BASE_URL", base + "/helix")
    monkeypatch.setattr(TwitchHTTP, "TOKEN_BASE", base + "/oauth2/token")
    chan = first_channel(sim.world)
    token = sim.oauth.issue_user_token(chan.login, scopes=("user:manage:chat_color", "channel:manage:videos"))
    bot = twitchio.Client(token=token, client_secret="simclientsecret000000000000000")
    bot._http.client_id, bot._http.nick = DEFAULT_CLIENT_ID, chan.login  # skip id.twitch.tv/validate
    try:
        users = await bot.fetch_users(names=[chan.login])
        assert [u.id for u in users] == [int(chan.broadcaster.id)]
        streams = await bot.fetch_streams(user_logins=[chan.login])
        assert streams[0].viewer_count == sim.world.viewer_count(chan.login, sim.clock.now)
        assert (await bot.fetch_channels([int(chan.broadcaster.id)]))[0].title == chan.title
        assert (await bot.fetch_channel(chan.login)).game_id == chan.game_id
        assert {g.name for g in await bot.fetch_games(ids=[int(chan.game_id)])} == {
            sim.world.games[chan.game_id].name}
        assert len(await bot.fetch_top_games()) == len(sim.world.games)
        videos = await bot.fetch_videos(user_id=int(chan.broadcaster.id))
        assert videos and all(v.user.id == int(chan.broadcaster.id) for v in videos)
        clip = next(c for c in sim.helix.clips if c.broadcaster_id == chan.broadcaster.id)
        assert [c.id for c in await bot.fetch_clips([clip.id])] == [clip.id]
        # fetch_cheermotes() without a user id sends broadcaster_id=None, which this yarl refuses
        assert any(c.prefix == "Cheer" for c in await bot.fetch_cheermotes(int(chan.broadcaster.id)))
        assert any(e.name == "Kappa" for e in await bot.fetch_global_emotes())
        assert any(b.set_id == "moderator" for b in await bot.fetch_global_chat_badges())
        assert (await bot.fetch_teams(team_name="simsquad")).team_name == "simsquad"
        assert await bot.fetch_tags()
        assert await bot.search_categories(sim.world.games[chan.game_id].name[:3])
        assert any(c.name == chan.login for c in await bot.search_channels(chan.login, live_only=True))
        await bot.update_chatter_color(token, int(chan.broadcaster.id), "#123ABC")
        colors = await bot.fetch_chatters_colors([int(chan.broadcaster.id)])
        assert colors[0].color == "#123ABC"
        own = [int(v.id) for v in sim.helix.videos if v.user_id == chan.broadcaster.id][:2]
        assert await bot.delete_videos(token, own) == [[str(i) for i in own]]
        sim.oauth.expire(token)  # 401 "Invalid OAuth token" -> TwitchIO fetches an app token, retries
        calls = sim.helix.calls("streams")
        assert [s.user.name for s in await bot.fetch_streams(user_logins=[chan.login])] == [chan.login]
        assert sim.helix.calls("streams") == calls + 2
        assert sim.oauth.issued["client_credentials"] == 2  # the fixture's, then TwitchIO's
    finally:
        if bot._http.session:
            await bot._http.session.close()
