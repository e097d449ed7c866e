"""A real third-party client, TwitchIO 2.10, against the simulator: IRC, OAuth validate and Helix.

Only URLs are redirected; TwitchIO's own code does the login, joins, parsing and HTTP:
- ``twitchio.websocket.HOST`` (the IRC websocket URL, a module constant in 2.10),
- ``twitchio.http.Route.BASE_URL`` (Helix) and ``TwitchHTTP.TOKEN_BASE`` (client credentials),
- the ``https://id.twitch.tv/oauth2/validate`` literal inside ``TwitchHTTP.validate`` (swapped in
  the function's code constants, so TwitchIO's own validate logic still runs).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

twitchio = pytest.importorskip("twitchio")

from twitchio import websocket as twitchio_ws  # noqa: E402
from twitchio.http import Route, TwitchHTTP  # noqa: E402

from recorder.sim.server import Simulator  # noqa: E402

VALIDATE_URL = "https://id.twitch.tv/oauth2/validate"


def point_twitchio_at(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twitchio_ws, "HOST", sim.irc_url)
    monkeypatch.setattr(Route, "BASE_URL", sim.helix_url)
    monkeypatch.setattr(TwitchHTTP, "TOKEN_BASE", sim.auth_url + "/token")
    code = TwitchHTTP.validate.__code__
    assert VALIDATE_URL in code.co_consts, "TwitchIO changed how it validates tokens"
    consts = tuple(sim.auth_url + "/validate" if c == VALIDATE_URL else c for c in code.co_consts)
    monkeypatch.setattr(TwitchHTTP.validate, "__code__", code.replace(co_consts=consts))


class Bot(twitchio.Client):
    """Collects what TwitchIO dispatches."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.messages: list[Any] = []
        self.usernotices: list[tuple[str, dict[str, str]]] = []
        self.changed = asyncio.Event()
        self.ready = asyncio.Event()

    async def event_ready(self) -> None:
        self.ready.set()

    async def event_message(self, message: Any) -> None:
        self.messages.append(message)
        self.changed.set()

    async def event_raw_usernotice(self, channel: Any, tags: dict[str, str]) -> None:
        self.usernotices.append((channel.name, tags))
        self.changed.set()

    async def until(self, predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
        async def loop() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(loop(), timeout)


async def test_twitchio_joins_receives_and_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    async with Simulator(traffic=False, seed=4, users=500) as sim:
        point_twitchio_at(sim, monkeypatch)
        token = sim.issue_token("simbot", scopes=("chat:read", "chat:edit"))
        bot = Bot(token=token, client_secret=sim.client_secret, initial_channels=["sim_alpha", "sim_bravo"])
        try:
            await bot.connect()
            await asyncio.wait_for(bot.ready.wait(), 20)
            await sim.wait_for(lambda: any(c.nick == "simbot" and c.channels == {"sim_alpha", "sim_bravo"}
                                           for c in sim.connections))
            conn = next(c for c in sim.connections if c.nick == "simbot")
            assert {"twitch.tv/tags", "twitch.tv/commands"} <= conn.caps and not conn.anonymous
            sent = [(await sim.emit(chan, "privmsg"))[0] for chan in ("sim_alpha", "sim_bravo", "sim_alpha")]
            gifts = await sim.emit("sim_bravo", "submysterygift")
            raid = (await sim.emit("sim_alpha", "raid"))[0]
            await bot.until(lambda: len(bot.messages) >= 3 and len(bot.usernotices) >= len(gifts) + 1)
            assert [(m.channel.name, m.id, m.author.name, m.content) for m in bot.messages] == [
                (f["channel"], f["id"], f["login"], f["text"]) for f in sent]
            assert int(bot.messages[0].author.id) == int(sent[0]["user_id"])
            notices = [(chan, tags["msg-id"], tags["id"]) for chan, tags in bot.usernotices]
            assert notices == [(f["channel"], f["msg_id"], f["id"]) for f in gifts + [raid]]

            chan = sim.world.channels["sim_alpha"]
            users = await bot.fetch_users(names=["sim_alpha", "sim_bravo"])
            assert sorted(u.name for u in users) == ["sim_alpha", "sim_bravo"]
            assert {u.id for u in users} >= {int(chan.broadcaster.id)}
            streams = await bot.fetch_streams(user_logins=["sim_alpha"])
            assert [s.user.name for s in streams] == ["sim_alpha"]
            assert streams[0].viewer_count > 0 and streams[0].title == chan.title
            assert sim.oauth.validations >= 1  # TwitchIO's startup validate reached the simulator
        finally:
            await bot.close()
