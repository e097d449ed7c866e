"""Helix enrichment against the simulated Helix: values match the world, batching, TTL refetch,
faults mid-run lose nothing, stream snapshots form a time series of moving viewer counts."""
from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from recorder.client.api import HelixAPI
from recorder.enrich import Enricher
from recorder.sim.server import Simulator
from recorder.store import schema
from recorder.store.db import make_engine, upgrade_to_head
from fakes import FakeClock

from recording.helpers import config_for, drain_and_stop, fetch, start_recorder


@pytest.fixture
async def setup(sqlite_url):
    clock = FakeClock(1_800_000_000.0)
    await upgrade_to_head(sqlite_url)
    engine = make_engine(sqlite_url)
    async with Simulator(channels=3, traffic=False, seed=4, users=600, clock=clock) as sim:
        api = HelixAPI(client_id=sim.client_id, client_secret=sim.client_secret,
                       helix_url=sim.helix_url, auth_url=sim.auth_url, clock=clock)
        async def no_sleep(_: float) -> None:
            return None
        enricher = Enricher(api, engine, channels=sorted(sim.world.channels), clock=clock,
                            sleep=no_sleep)
        yield sim, enricher, clock, sqlite_url
        await api.http.close()
    await engine.dispose()


def _viewer_ids(sim, count):
    return sorted(sim.world.users_by_id)[:count]


async def test_users_batched_and_matching_the_world(setup):
    sim, enricher, clock, url = setup
    ids = _viewer_ids(sim, 250)
    enricher.add_users(ids)
    before = sim.helix.calls("users")
    while enricher.pending_users:
        await enricher.fetch_users(sorted(enricher.pending_users)[:100])
    assert sim.helix.calls("users") - before == math.ceil(250 / 100)
    rows = {r.id: r for r in await fetch(url, sa.select(schema.users))}
    assert set(rows) == set(ids)
    for user_id in ids[::25]:
        world = sim.world.users_by_id[user_id]
        row = rows[user_id]
        assert (row.login, row.display_name, row.broadcaster_type, row.description) == (
            world.login, world.display_name, world.broadcaster_type, world.description)
    history = await fetch(url, sa.select(schema.user_name_history))
    assert len(history) == 250


async def test_ttl_refetch(setup):
    sim, enricher, clock, url = setup
    enricher.user_ttl = 1800  # below the simulated app token's 3600 s lifetime
    enricher.channels = []  # users only
    enricher.add_users(_viewer_ids(sim, 30))
    await enricher.drain()
    calls = sim.helix.calls("users")
    await enricher.drain()
    assert sim.helix.calls("users") == calls  # fresh: nothing to do
    clock.now += 1801
    await enricher.drain()
    assert sim.helix.calls("users") == calls + 1  # stale: refetched in one batch
    history = await fetch(url, sa.select(schema.user_name_history))
    assert len(history) == 30  # same names: history rows updated, not duplicated
    assert all(h.last_seen_at > h.first_seen_at for h in history)


async def test_faults_mid_run_lose_nothing(setup):
    sim, enricher, clock, url = setup
    enricher.channels = []
    ids = _viewer_ids(sim, 420)
    enricher.add_users(ids)
    await enricher.fetch_users(sorted(enricher.pending_users)[:100])
    for status in (429, 500, 401):
        sim.helix.fail_next(status, count=1)
        await enricher.step()
    sim.oauth.expire_all()  # the app token expires: a new one is generated, no work lost
    await enricher.drain()
    rows = {r.id for r in await fetch(url, sa.select(schema.users.c.id))}
    assert rows == set(ids)


async def test_stream_snapshots_are_a_time_series_of_moving_viewers(setup):
    sim, enricher, clock, url = setup
    for _ in range(4):
        await enricher.poll_streams()
        clock.now += 60
    rows = await fetch(url, sa.select(schema.stream_snapshots).order_by(schema.stream_snapshots.c.id))
    channels = sorted(sim.world.channels)
    assert len(rows) == 4 * len(channels)
    for channel in channels:
        series = [r for r in rows if r.channel == channel]
        assert [r.fetched_at for r in series] == sorted({r.fetched_at for r in series})
        live = sim.world.channels[channel].live
        assert all(r.live == live for r in series)
        if live:
            counts = [r.viewer_count for r in series]
            assert len(set(counts)) > 1, counts  # the viewers move
            assert all(r.stream_id == sim.world.channels[channel].stream_id for r in series)


async def test_channels_and_games(setup):
    sim, enricher, clock, url = setup
    await enricher.drain()
    channels = {r.login: r for r in await fetch(url, sa.select(schema.channels))}
    assert set(channels) == set(sim.world.channels)
    for login, row in channels.items():
        assert row.title == sim.world.channels[login].title
    games = {r.id for r in await fetch(url, sa.select(schema.games))}
    assert {c.game_id for c in sim.world.channels.values()} <= games
    history = await fetch(url, sa.select(schema.channel_history))
    assert len(history) == len(channels)  # first sight; unchanged polls add nothing
    enricher._next_channels = 0
    await enricher.poll_channels()
    assert len(await fetch(url, sa.select(schema.channel_history))) == len(channels)


async def test_recording_with_enrichment_enriches_every_chatter(sqlite_url):
    async with Simulator(channels=2, rate=40.0, seed=8, transcripts=True) as sim:
        config = config_for(sim, sqlite_url, ["sim_alpha", "sim_bravo"],
                            client_id=sim.client_id, client_secret=sim.client_secret)
        recorder, task = await start_recorder(config)
        await sim.wait_for(lambda: len(sim.record.of_kind("privmsg")) >= 100, timeout=60)
        await sim.stop_traffic()
        from .helpers_wait import wait_enriched
        await wait_enriched(recorder)
        await drain_and_stop(sim, recorder, task)
    chatters = {r[0] for r in await fetch(sqlite_url, sa.select(schema.messages.c.user_id).distinct())}
    users = {r[0] for r in await fetch(sqlite_url, sa.select(schema.users.c.id))}
    assert chatters and chatters <= users
    snapshots = await fetch(sqlite_url, sa.select(schema.stream_snapshots))
    assert {r.channel for r in snapshots} == {"sim_alpha", "sim_bravo"}


def _chat_from(user_id: str):
    from recorder.client.events import parse_event
    from recorder.client.irc import parse_line

    return parse_event(parse_line(
        f"@id=m-{user_id};user-id={user_id};tmi-sent-ts=1 :u{user_id}!u@u PRIVMSG #c :hi"))


async def test_user_memory_is_bounded_and_the_database_remembers_the_rest(setup, monkeypatch):
    import recorder.enrich as enrich

    sim, enricher, clock, url = setup
    enricher.channels = []
    monkeypatch.setattr(enrich, "USER_CACHE", 10)
    ids = _viewer_ids(sim, 30)
    for user_id in ids:
        enricher.observe(_chat_from(user_id))
    await enricher.drain()
    calls = sim.helix.calls("users")
    assert len(enricher.fetched_users) == 10  # the most recent; the other 20 live in `users`
    assert {r.id for r in await fetch(url, sa.select(schema.users.c.id))} == set(ids)
    for user_id in ids:  # seen again within the TTL: the cache or the table answers
        enricher.observe(_chat_from(user_id))
    await enricher.drain()
    assert sim.helix.calls("users") == calls
    # a restart (a new enricher on the same archive) does not ask Helix for them either
    again = Enricher(enricher.api, enricher.engine, channels=[], clock=clock,
                     sleep=enricher.sleep)
    for user_id in ids:
        again.observe(_chat_from(user_id))
    await again.drain()
    assert sim.helix.calls("users") == calls and not again.pending_users
    clock.now += enricher.user_ttl + 1  # past the TTL: seen again means fetched again
    again.observe(_chat_from(ids[0]))
    assert list(again.pending_users) == [ids[0]]
    await again.drain()
    fetched = await fetch(url, sa.select(schema.users.c.fetched_at).where(schema.users.c.id == ids[0]))
    assert fetched[0][0].timestamp() == clock.now


async def test_users_waiting_for_helix_are_capped(setup, monkeypatch, caplog):
    import recorder.enrich as enrich

    sim, enricher, clock, url = setup
    monkeypatch.setattr(enrich, "PENDING_MAX", 5)
    ids = _viewer_ids(sim, 8)
    for user_id in ids:
        enricher.observe(_chat_from(user_id))
    assert list(enricher.pending_users) == ids[:5]  # first come, first served
    assert enricher.stats["deferred"] == 3
    assert "enrichment is behind" in caplog.text


async def test_a_batch_helix_refuses_is_split_and_enrichment_goes_on(setup):
    sim, enricher, clock, url = setup
    enricher.channels = []
    ids = _viewer_ids(sim, 40)
    enricher.add_users(ids)
    sim.helix.fail_next(400, count=1)  # the whole batch refused once: its halves are asked
    await enricher.drain()
    assert {r.id for r in await fetch(url, sa.select(schema.users.c.id))} == set(ids)
    assert enricher.stats["refused"] == 0
    enricher.add_users(["7"])  # refused for good: given up alone, not retried forever
    sim.helix.fail_next(400, count=1)
    await enricher.drain()
    assert not enricher.pending_users and enricher.stats["refused"] == 1
    enricher.add_users(["8"])  # a 404 says nothing about the ids: retried later, not given up
    sim.helix.fail_next(404, count=1)
    with pytest.raises(Exception):
        await enricher.step(flush=True)
    assert list(enricher.pending_users) == ["8"] and enricher.stats["refused"] == 1


async def test_users_wait_briefly_for_a_full_batch_and_bad_ids_are_ignored(setup):
    import recorder.enrich as enrich

    sim, enricher, clock, url = setup
    enricher.channels = []
    ids = _viewer_ids(sim, 3)
    for user_id in [*ids, "not-a-number", "", "\u0661\u0662"]:  # (Arabic-Indic digits)
        enricher.observe(_chat_from(user_id))
    assert list(enricher.pending_users) == ids
    before = sim.helix.calls("users")
    assert not await enricher.step()  # 3 users: they wait for more
    clock.now += enrich.USER_BATCH_WAIT
    assert await enricher.step()  # waited long enough: one request for the three
    assert sim.helix.calls("users") == before + 1 and not enricher.pending_users


async def test_a_failing_stream_poll_does_not_starve_the_users(setup):
    sim, enricher, clock, url = setup
    ids = _viewer_ids(sim, 100)
    enricher.add_users(ids)
    sim.helix.fail_next(400, count=1)  # the stream poll (first by priority) fails
    with pytest.raises(Exception):
        await enricher.step()
    assert await enricher.step()  # next: the users, not the poll again
    assert not enricher.pending_users
