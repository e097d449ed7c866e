"""Every Helix method of the client reference against the simulator: the values are the world's."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from recorder.client.api import HelixAPI
from recorder.client.errors import HTTPException
from recorder.client.helix_models import BroadcasterTypeEnum, PartialUser, User
from recorder.sim.helix_catalog import GLOBAL_BADGES, GLOBAL_EMOTES, STREAM_TAGS

from .test_http import HelixSim, helix_sim, make_sim  # noqa: F401  (fixtures)


def _channels(sim: HelixSim) -> list:
    return sorted(sim.world.channels.values(), key=lambda c: c.login)


async def test_fetch_users_by_name_and_id(helix_sim: HelixSim) -> None:
    api = helix_sim.api()
    alpha = helix_sim.world.channels["sim_alpha"].broadcaster
    other = helix_sim.world.users_by_id[helix_sim.user_ids(1)[0]]
    users = {u.id: u for u in await api.fetch_users(names=["SIM_ALPHA"], ids=[int(other.id)])}
    assert set(users) == {int(alpha.id), int(other.id)}
    got = users[int(alpha.id)]
    assert (got.name, got.display_name, got.description) == (alpha.login, alpha.display_name, alpha.description)
    assert got.broadcaster_type == BroadcasterTypeEnum(alpha.broadcaster_type)
    assert got.created_at == alpha.created_at and got.view_count == alpha.view_count
    assert got.profile_image == alpha.profile_image_url and got.raw["id"] == alpha.id


async def test_fetch_users_250_ids_in_three_requests(helix_sim: HelixSim) -> None:
    api = helix_sim.api()
    ids = helix_sim.user_ids(250)
    users = await api.fetch_users(ids=ids)
    assert sorted(u.raw["id"] for u in users) == ids
    assert helix_sim.helix.calls("users") == 3


async def test_fetch_channel_and_channels(helix_sim: HelixSim) -> None:
    api = helix_sim.api()
    world = helix_sim.world
    chans = _channels(helix_sim)
    infos = await api.fetch_channels([c.broadcaster.id for c in chans])
    assert [(i.user.name, i.title, i.game_id, i.language, i.tags) for i in infos] == [
        (c.broadcaster.display_name, c.title, c.game_id, c.language, c.tags) for c in chans]
    assert infos[0].game_name == world.games[chans[0].game_id].name
    by_login = await api.fetch_channel("sim_bravo")
    by_id = await api.fetch_channel(world.channels["sim_bravo"].broadcaster.id)
    assert by_login is not None and by_login == by_id
    assert await api.fetch_channel("nobody_is_called_this") is None


async def test_fetch_streams(helix_sim: HelixSim) -> None:
    api = helix_sim.api()
    world, now = helix_sim.world, helix_sim.clock()
    live = [c for c in _channels(helix_sim) if c.live]
    streams = await api.fetch_streams(user_logins=[c.login for c in _channels(helix_sim)])
    assert sorted((s.user.id, s.id, s.viewer_count, s.started_at, s.game_id) for s in streams) == sorted(
        (int(c.broadcaster.id), c.stream_id, world.viewer_count(c.login, now), c.started_at, c.game_id)
        for c in live)
    by_id = await api.fetch_streams(user_ids=[live[0].broadcaster.id], type="live")
    assert [s.title for s in by_id] == [live[0].title]
    listing = await api.fetch_streams(languages=[live[0].language])
    assert live[0].stream_id in {s.id for s in listing}


async def test_fetch_games_top_games_and_search_categories(helix_sim: HelixSim) -> None:
    api = helix_sim.api()
    games = list(helix_sim.world.games.values())
    found = await api.fetch_games(ids=[int(games[0].id)], names=[games[1].name], igdb_ids=[games[2].igdb_id])
    assert sorted((g.id, g.name, g.igdb_id) for g in found) == sorted(
        (int(g.id), g.name, int(g.igdb_id)) for g in games[:3])
    assert found[0].art_url(10, 20).endswith("-10x20.jpg")
    top = await api.fetch_top_games()
    assert {g.id for g in top} == {int(g.id) for g in games}
    minecraft = await api.search_categories("minec")
    assert [g.name for g in minecraft] == ["Minecraft"]
    with pytest.raises(ValueError):
        await api.fetch_games()


async def test_fetch_videos_and_delete_videos(helix_sim: HelixSim) -> None:
    api = helix_sim.api()
    alpha = helix_sim.world.channels["sim_alpha"].broadcaster
    own = [v for v in helix_sim.helix.videos if v.user_id == alpha.id]
    videos = await api.fetch_videos(user_id=alpha.id)
    assert {v.id for v in videos} == {int(v.id) for v in own}
    assert all(v.user.name == alpha.display_name for v in videos)
    by_ids = await api.fetch_videos(ids=[own[0].id, own[1].id])
    assert {(v.id, v.title, v.created_at) for v in by_ids} == {
        (int(v.id), v.title, v.created_at) for v in own[:2]}
    token = helix_sim.oauth.issue_user_token(alpha.login, ["channel:manage:videos"])
    ids = [int(v.id) for v in own[:7]]
    assert await api.delete_videos(token, ids) == ids
    assert helix_sim.helix.deleted_videos == {str(i) for i in ids}
    assert helix_sim.helix.calls("videos", "DELETE") == 2  # five per request


async def test_fetch_clips_by_id_and_through_a_partial_user(helix_sim: HelixSim) -> None:
    api = helix_sim.api()
    clips = helix_sim.helix.clips[:3]
    found = await api.fetch_clips([c.id for c in clips])
    assert sorted((c.id, c.views, c.creator.id, c.broadcaster.id) for c in found) == sorted(
        (c.id, c.view_count, int(c.creator_id), int(c.broadcaster_id)) for c in clips)
    owner = api.create_user(int(clips[0].broadcaster_id), clips[0].broadcaster_name)
    assert isinstance(owner, PartialUser)
    theirs = await owner.fetch_clips()
    assert {c.id for c in theirs} == {c.id for c in helix_sim.helix.clips
                                      if c.broadcaster_id == clips[0].broadcaster_id}
    full = await owner.fetch()
    assert isinstance(full, User) and full.id == owner.id


async def test_catalogs(helix_sim: HelixSim) -> None:
    api = helix_sim.api()
    emotes = await api.fetch_global_emotes()
    assert [(e.id, e.name) for e in emotes] == GLOBAL_EMOTES and emotes[0].template
    badges = await api.fetch_global_chat_badges()
    assert [(b.set_id, [v.id for v in b.versions], b.versions[0].title) for b in badges] == GLOBAL_BADGES
    tags = await api.fetch_tags()
    assert [t.localization_names["en-us"] for t in tags] == STREAM_TAGS
    assert [t.id for t in await api.fetch_tags(ids=[tags[2].id])] == [tags[2].id]
    partner = next(c.broadcaster for c in _channels(helix_sim)
                   if c.broadcaster.broadcaster_type in ("partner", "affiliate"))
    motes = await api.fetch_cheermotes(user_id=int(partner.id))
    assert motes[0].type == "channel_custom" and motes[1].prefix == "Cheer"
    assert [t.min_bits for t in motes[1].tiers] == [1, 100, 1000, 5000, 10000]
    assert len(await api.fetch_cheermotes()) == len(motes) - 1


async def test_fetch_teams(helix_sim: HelixSim) -> None:
    api = helix_sim.api()
    team = await api.fetch_teams(team_name="simsquad")
    assert team.team_name == "simsquad"
    assert {u.id for u in team.users} == {int(c.broadcaster.id) for c in _channels(helix_sim)}
    assert team.created_at == datetime(2019, 2, 11, 12, 9, 22, tzinfo=timezone.utc)
    assert (await api.fetch_teams(team_id=team.id)).team_name == "simsquad"
    with pytest.raises(HTTPException) as caught:
        await api.fetch_teams(team_name="nosuchteam")
    assert caught.value.status == 404


async def test_chatter_colors_read_and_update(helix_sim: HelixSim) -> None:
    api = helix_sim.api()
    world = helix_sim.world
    ids = helix_sim.user_ids(120)
    colors = await api.fetch_chatters_colors(ids)
    assert {c.user.id: c.color for c in colors} == {int(i): world.users_by_id[i].color for i in ids}
    assert helix_sim.helix.calls("chat/color") == 2
    me = world.users_by_id[ids[0]]
    token = helix_sim.oauth.issue_user_token(me.login, ["user:manage:chat_color"])
    assert await api.update_chatter_color(token, int(me.id), "#9146ff") is None
    assert [c.color for c in await api.fetch_chatters_colors([me.id])] == ["#9146FF"]


async def test_search_channels(helix_sim: HelixSim) -> None:
    api = helix_sim.api()
    alpha = helix_sim.world.channels["sim_alpha"]
    found = await api.search_channels("sim_alpha")
    assert found[0].name == "sim_alpha" and found[0].live is alpha.live
    assert found[0].title == alpha.title and found[0].started_at == alpha.started_at
    live = await api.search_channels("sim_", live_only=True)
    assert {s.name for s in live} == {c.login for c in _channels(helix_sim) if c.live}


async def test_webhook_subscriptions(helix_sim: HelixSim) -> None:
    helix_sim.helix.webhook_subscriptions.append({
        "topic": "https://api.twitch.tv/helix/streams?user_id=1", "callback": "https://example.invalid/cb",
        "expires_at": "2024-01-02T03:04:05Z"})
    subs = await helix_sim.api().get_webhook_subscriptions()
    assert [(s.topic, s.callback, s.expires_at) for s in subs] == [
        ("https://api.twitch.tv/helix/streams?user_id=1", "https://example.invalid/cb",
         datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc))]


class ExpiringAPI(HelixAPI):
    """An API whose ``event_token_expired`` hands out a token issued by the simulator."""

    sim: HelixSim
    calls = 0

    async def event_token_expired(self) -> str | None:
        self.calls += 1
        return self.sim.oauth.issue_app_token().token


async def test_event_token_expired_is_called_once_and_its_token_used(helix_sim: HelixSim) -> None:
    api = helix_sim.api(ExpiringAPI)
    assert isinstance(api, ExpiringAPI)
    api.sim = helix_sim
    first = await api.http.generate_token()
    helix_sim.oauth.expire(first)
    users = await api.fetch_users(ids=helix_sim.user_ids(3))
    assert len(users) == 3 and api.calls == 1
    assert api.http.token != first and helix_sim.oauth.validate(api.http.token or "") is not None
    assert helix_sim.oauth.issued["client_credentials"] == 2  # the first one and the hook's


class FailingHookAPI(HelixAPI):
    """An API whose hook raises: the error goes to ``event_error`` and a token is generated."""

    errors: list[Exception]

    async def event_token_expired(self) -> str | None:
        raise RuntimeError("hook broke")

    async def event_error(self, error: Exception, data: str | None = None) -> None:
        self.errors.append(error)


async def test_a_failing_hook_goes_to_event_error_and_falls_back(helix_sim: HelixSim) -> None:
    api = helix_sim.api(FailingHookAPI)
    assert isinstance(api, FailingHookAPI)
    api.errors = []
    helix_sim.oauth.expire(await api.http.generate_token())
    assert len(await api.fetch_users(ids=helix_sim.user_ids(1))) == 1
    assert [str(e) for e in api.errors] == ["hook broke"]
