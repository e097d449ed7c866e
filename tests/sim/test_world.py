"""Tests of the simulated world: determinism, shapes, moving viewer counts."""

from recorder.sim.world import World


def test_same_seed_same_world() -> None:
    a, b = World(seed=7, clock=lambda: 1_700_000_000.0), World(seed=7, clock=lambda: 1_700_000_000.0)
    assert list(a.users_by_id) == list(b.users_by_id)
    assert [u.display_name for u in a.users_by_id.values()] == [u.display_name for u in b.users_by_id.values()]
    assert list(a.channels) == list(b.channels) == ["sim_alpha", "sim_bravo", "sim_charlie"]
    assert [c.title for c in a.channels.values()] == [c.title for c in b.channels.values()]


def test_different_seed_differs() -> None:
    assert list(World(seed=1).users_by_id) != list(World(seed=2).users_by_id)


def test_users_have_twitch_shapes() -> None:
    world = World(seed=3)
    users = list(world.users_by_id.values())
    assert any(int(u.id) > 2**63 for u in users)
    assert any(u.display_name.endswith(" ") for u in users)
    assert any(not u.display_name.isascii() for u in users)
    for u in users:
        assert u.id.isdigit() and u.login == u.login.lower() and 4 <= len(u.login) <= 25
        assert u.color == "" or (u.color.startswith("#") and len(u.color) == 7)
        assert u.created_at.tzinfo is not None
    activities = sorted((u.activity for u in users), reverse=True)
    top = sum(activities[: len(activities) // 10])
    assert top > 0.3 * sum(activities)  # a few heavy chatters


def test_channels_and_broadcasters() -> None:
    world = World(seed=1, channels=4)
    assert any(c.live for c in world.channels.values())
    assert any(not c.live for c in world.channels.values())
    for chan in world.channels.values():
        assert world.users_by_id[chan.broadcaster.id] is chan.broadcaster
        assert chan.game_id in world.games and chan.audience
        assert all(u.id in world.users_by_id for u in chan.audience)
    assert "sim_suspended" in world.suspended and "sim_suspended" in world.users_by_login
    assert len(world.games) >= 30


def test_custom_names() -> None:
    world = World(channel_names=["Foo", "bar"])
    assert list(world.channels) == ["foo", "bar"]


def test_viewer_count_moves_and_is_zero_offline() -> None:
    world = World(seed=1)
    live = next(c.login for c in world.channels.values() if c.live)
    offline = next(c.login for c in world.channels.values() if not c.live)
    counts = {world.viewer_count(live, now=1_700_000_000 + 60 * i) for i in range(30)}
    assert len(counts) > 10 and min(counts) > 0
    assert world.viewer_count(live, now=5.0) == World(seed=1).viewer_count(live, now=5.0)
    assert world.viewer_count(offline) == 0


def test_ensure_user_is_stable() -> None:
    a, b = World(seed=1), World(seed=1)
    bot = a.ensure_user("MyBot")
    assert bot.login == "mybot" and a.ensure_user("mybot") is bot
    assert b.ensure_user("mybot").id == bot.id
    assert a.ensure_user("sim_alpha") is a.channels["sim_alpha"].broadcaster
