"""The simulated IRC server: login, JOIN/PART, NAMES, PING/PONG, relays, caps, JOIN limit."""

from __future__ import annotations

import pytest

from recorder.sim.server import Simulator
from tests.sim.conftest import ALL_CAPS, FakeClock, connect

WELCOME = [
    ":tmi.twitch.tv 001 {n} :Welcome, GLHF!", ":tmi.twitch.tv 002 {n} :Your host is tmi.twitch.tv",
    ":tmi.twitch.tv 003 {n} :This server is rather new", ":tmi.twitch.tv 004 {n} :-",
    ":tmi.twitch.tv 375 {n} :-", ":tmi.twitch.tv 372 {n} :You are in a maze of twisty passages, all alike.",
    ":tmi.twitch.tv 376 {n} :>",
]


async def test_anonymous_login(sim: Simulator, clients) -> None:
    client = await connect(sim)
    clients.append(client)
    assert client.raw[0] == f":tmi.twitch.tv CAP * ACK :{ALL_CAPS}"
    assert client.raw[1:8] == [w.format(n="justinfan12345") for w in WELCOME]
    assert not client.of("GLOBALUSERSTATE")
    await sim.wait_for(lambda: [c.nick for c in sim.connections] == ["justinfan12345"])


async def test_token_login_gets_globaluserstate(sim: Simulator, clients) -> None:
    token = sim.issue_token("mybot")
    client = await connect(sim, nick="mybot", password=f"oauth:{token}")
    clients.append(client)
    await client.expect("GLOBALUSERSTATE")
    gus = client.of("GLOBALUSERSTATE")[0]
    assert gus.tags["user-id"] == sim.world.users_by_login["mybot"].id
    assert {"badge-info", "badges", "color", "display-name", "emote-sets", "user-type"} <= set(gus.tags)
    assert client.of("001")[0].params[0] == "mybot"


@pytest.mark.parametrize("password,notice", [
    ("oauth:not-a-token", "Login authentication failed"),
    (None, "Login authentication failed"),
    ("hunter2", "Improperly formatted auth"),
])
async def test_bad_login_is_refused_and_closed(sim: Simulator, clients, password, notice) -> None:
    client = await connect(sim, login=False)
    clients.append(client)
    await client.send(*( [f"PASS {password}"] if password else []), "NICK somebody")
    await client.closed.wait()
    assert client.raw == [f":tmi.twitch.tv NOTICE * :{notice}"]


async def test_expired_token_is_refused(sim: Simulator, clock: FakeClock, clients) -> None:
    token = sim.issue_token("mybot")
    clock.advance(3601)
    client = await connect(sim, login=False)
    clients.append(client)
    await client.send(f"PASS oauth:{token}", "NICK mybot")
    await client.closed.wait()
    assert client.raw == [":tmi.twitch.tv NOTICE * :Login authentication failed"]


async def test_join_two_channels_lists_every_name(sim: Simulator, clients) -> None:
    client = await connect(sim)
    clients.append(client)
    await client.send("JOIN #sim_alpha,#sim_bravo")
    await client.expect("ROOMSTATE", 2)
    joins = client.of("JOIN")
    assert [j.raw for j in joins] == [":justinfan12345!justinfan12345@justinfan12345.tmi.twitch.tv JOIN #sim_alpha",
                                      ":justinfan12345!justinfan12345@justinfan12345.tmi.twitch.tv JOIN #sim_bravo"]
    for chan in ("sim_alpha", "sim_bravo"):
        names_lines = [m for m in client.of("353") if m.params[2] == f"#{chan}"]
        assert all(m.prefix == "justinfan12345.tmi.twitch.tv" and m.params[:2] == ["justinfan12345", "="]
                   for m in names_lines)
        names = [n for m in names_lines for n in m.params[3].split(" ")]
        assert names == ["justinfan12345"] + sim.irc.rooms[chan].present
        assert all(len(m.raw) <= 512 for m in names_lines)
    assert len(client.of("353")) > 2  # long lists are split over several lines
    assert [m.params for m in client.of("366")] == [["justinfan12345", "#sim_alpha", "End of /NAMES list"],
                                                    ["justinfan12345", "#sim_bravo", "End of /NAMES list"]]
    room = client.of("ROOMSTATE")[0]
    assert set(room.tags) == {"emote-only", "followers-only", "r9k", "room-id", "slow", "subs-only"}
    assert room.tags["room-id"] == sim.world.channels["sim_alpha"].broadcaster.id
    assert len(client.of("USERSTATE")) == 2
    # the whole JOIN answer of a channel came in one frame
    assert any("JOIN #sim_alpha" in f and "ROOMSTATE #sim_alpha" in f for f in client.frames)
    await sim.wait_for(lambda: sim.connections[0].channels == {"sim_alpha", "sim_bravo"})


@pytest.mark.parametrize("channel", ["sim_suspended", "nobody_here_at_all"])
async def test_unknown_or_suspended_channel(sim: Simulator, clients, channel: str) -> None:
    client = await connect(sim)
    clients.append(client)
    await client.send(f"JOIN #{channel}")
    notice = (await client.expect("NOTICE"))[0]
    assert notice.raw == (f"@msg-id=msg_channel_suspended :tmi.twitch.tv NOTICE #{channel} "
                          ":This channel does not exist or has been suspended.")
    assert not client.of("JOIN")


async def test_part_and_membership_of_others(sim: Simulator, clients) -> None:
    watcher = await connect(sim)
    other = await connect(sim, nick="justinfan999", caps="twitch.tv/tags")
    clients += [watcher, other]
    await watcher.send("JOIN #sim_alpha")
    await watcher.expect("ROOMSTATE")
    await other.send("JOIN #sim_alpha")
    await other.expect("366")
    assert [m.params[3] for m in other.of("353")] == ["justinfan999"]  # no membership cap
    await other.send("PART #sim_alpha")
    await other.expect("PART")
    assert other.of("PART")[0].raw == ":justinfan999!justinfan999@justinfan999.tmi.twitch.tv PART #sim_alpha"
    await watcher.wait_for(lambda: any(m.nick == "justinfan999" for m in watcher.of("PART")))
    assert any(m.nick == "justinfan999" for m in watcher.of("JOIN"))


async def test_ping_pong(sim: Simulator, clients) -> None:
    client = await connect(sim)
    clients.append(client)
    await client.send("PING :hello there")
    pong = (await client.expect("PONG"))[0]
    assert pong.raw == ":tmi.twitch.tv PONG tmi.twitch.tv :hello there"
    await client.send("WHO #sim_alpha")
    unknown = (await client.expect("421"))[0]
    assert unknown.params == ["justinfan12345", "WHO", "Unknown command"]


async def test_server_pings_and_closes_silent_clients(clock: FakeClock, clients) -> None:
    async with Simulator(traffic=False, clock=clock, users=200, ping_interval=0.02,
                         pong_timeout=30.0) as sim:
        polite = await connect(sim)
        clients.append(polite)
        for n in range(1, 4):
            await polite.expect("PING", n)
            assert polite.of("PING")[-1].raw == "PING :tmi.twitch.tv"
            await polite.send("PONG :tmi.twitch.tv")
        assert not polite.closed.is_set()
    async with Simulator(traffic=False, clock=clock, users=200, ping_interval=0.02,
                         pong_timeout=0.05) as sim:
        rude = await connect(sim)
        clients.append(rude)
        await rude.expect("PING")
        await rude.closed.wait()
        await sim.wait_for(lambda: not sim.connections)


async def test_privmsg_relayed_with_twitch_tags(sim: Simulator, clients) -> None:
    alice = await connect(sim, nick="alice", password=f"oauth:{sim.issue_token('alice')}")
    bob = await connect(sim, nick="bob", password=f"oauth:{sim.issue_token('bob')}")
    anon = await connect(sim)
    clients += [alice, bob, anon]
    for client in (alice, bob, anon):
        await client.send("JOIN #sim_alpha")
        await client.expect("ROOMSTATE")
    parent = (await sim.emit("sim_alpha", "privmsg", text="original; message"))[0]
    await alice.send(f"@client-nonce=abc123;reply-parent-msg-id={parent['id']} PRIVMSG #sim_alpha :😂 Kappa hi")
    await bob.wait_for(lambda: any(m.nick == "alice" for m in bob.of("PRIVMSG")))
    got = next(m for m in bob.of("PRIVMSG") if m.nick == "alice")
    assert got.params == ["#sim_alpha", f"@{parent['login']} 😂 Kappa hi"]
    alice_user = sim.world.users_by_login["alice"]
    assert got.tags["user-id"] == alice_user.id and got.tags["display-name"] == alice_user.display_name
    assert got.tags["room-id"] == sim.world.channels["sim_alpha"].broadcaster.id
    assert got.tags["client-nonce"] == "abc123" and got.tags["tmi-sent-ts"] == str(int(sim.clock() * 1000))
    assert got.tags["reply-parent-msg-id"] == parent["id"]
    assert got.tags["reply-parent-msg-body"] == "original; message"
    start = len(f"@{parent['login']} 😂 ")
    assert got.tags["emotes"] == f"25:{start}-{start + 4}"
    await anon.wait_for(lambda: any(m.tags.get("id") == got.tags["id"] for m in anon.of("PRIVMSG")))
    state = (await alice.expect("USERSTATE", 2))[-1]
    assert state.tags["id"] == got.tags["id"]
    await alice.sync()
    assert not [m for m in alice.of("PRIVMSG") if m.nick == "alice"]  # not echoed to the sender
    assert sim.record.message(got.tags["id"])["text"] == got.params[1]
    await anon.send("PRIVMSG #sim_alpha :anonymous cannot talk")
    await anon.sync()
    assert not any("anonymous cannot" in m.raw for c in (alice, bob) for m in c.messages)


async def test_caps_gate_tags_and_commands(sim: Simulator, clients) -> None:
    bare = await connect(sim, caps=None)
    tags_only = await connect(sim, nick="justinfan2", caps="twitch.tv/tags")
    full = await connect(sim, nick="justinfan3")
    clients += [bare, tags_only, full]
    for client in (bare, tags_only, full):
        await client.send("JOIN #sim_alpha")
        await client.expect("366")
    for kind in ("privmsg", "sub", "join", "ban", "roomstate"):
        await sim.emit("sim_alpha", kind)
    for client in (bare, tags_only, full):
        await client.sync()
    assert all(not m.tags for m in bare.messages)
    assert {m.command for m in bare.messages} >= {"PRIVMSG"}
    for client in (bare, tags_only):
        assert not {m.command for m in client.messages} & {"USERNOTICE", "ROOMSTATE", "USERSTATE", "CLEARCHAT"}
        assert [m.nick for m in client.of("JOIN")] == [client.of("001")[0].params[0]]
    assert tags_only.of("PRIVMSG")[0].tags["id"]
    assert {"USERNOTICE", "ROOMSTATE", "USERSTATE", "CLEARCHAT"} <= {m.command for m in full.messages}
    assert len(full.of("JOIN")) > 1


async def test_join_rate_limit_drops_silently(clock: FakeClock, clients) -> None:
    async with Simulator(traffic=False, clock=clock, users=200, channels=5, join_rate=(3, 10.0)) as sim:
        client = await connect(sim)
        clients.append(client)
        await client.send("JOIN #sim_alpha,#sim_bravo", "JOIN #sim_charlie,#sim_delta,#sim_echo")
        await client.sync("after-burst")
        assert [m.channel for m in client.of("JOIN")] == ["sim_alpha", "sim_bravo", "sim_charlie"]
        assert not client.of("NOTICE")
        clock.advance(9.9)
        await client.send("JOIN #sim_delta")
        await client.sync("still-limited")
        assert len(client.of("JOIN")) == 3
        clock.advance(0.2)
        await client.send("JOIN #sim_delta,#sim_echo")
        await client.sync("window-passed")
        assert [m.channel for m in client.of("JOIN")][3:] == ["sim_delta", "sim_echo"]
        # the limit is per account: another nick has its own window
        other = await connect(sim, nick="justinfan77")
        clients.append(other)
        await other.send("JOIN #sim_alpha")
        await other.expect("ROOMSTATE")
