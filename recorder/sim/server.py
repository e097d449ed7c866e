"""The simulator facade: IRC (websocket), Helix and OAuth on one local port.

    async with Simulator(channels=3, rate=5.0, seed=1) as sim:
        sim.irc_url     # ws://127.0.0.1:<port>/
        sim.helix_url   # http://127.0.0.1:<port>/helix
        sim.auth_url    # http://127.0.0.1:<port>/oauth2
        await sim.emit("sim_alpha", "submysterygift")
        await sim.send_reconnect()
        sim.record      # every fact the traffic generator and the relays sent

One aiohttp ``web.Application`` serves the IRC websocket at ``/`` and mounts the OAuth routes
(``/oauth2/...``) and the Helix sub-application (``/helix/...``).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from aiohttp import web

from recorder.sim import faults
from recorder.sim.connection import SimConnection
from recorder.sim.helix import HelixState, add_helix_routes
from recorder.sim.ircserver import IRCServer
from recorder.sim.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OAuthState, add_oauth_routes
from recorder.sim.record import SentRecord
from recorder.sim.traffic import ChannelTraffic, TrafficRunner
from recorder.sim.wire import build_line, find_emotes, format_emotes, user_prefix
from recorder.sim.world import World

__all__ = ["Simulator"]


class Simulator:
    """A Twitch-compatible server for tests, demos and benchmarks (an async context manager)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, channels: int = 3,
                 channel_names: list[str] | None = None, rate: float = 5.0, seed: int = 1,
                 traffic: bool = True, ping_interval: float = 300.0, pong_timeout: float = 10.0,
                 join_rate: tuple[int, float] = (20, 10.0), token_ttl: float = 3600.0,
                 users: int = 2000, clock: Callable[[], float] = time.time,
                 client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
                 transcripts: bool = False) -> None:
        self.host, self.port, self.rate, self.seed = host, port, rate, seed
        self.traffic_enabled, self.clock = traffic, clock
        self.client_id, self.client_secret = client_id, client_secret
        self.world = World(seed=seed, channels=channels, users=users, channel_names=channel_names,
                           clock=clock)
        self.record = SentRecord()
        self.app = web.Application()
        self.oauth: OAuthState = add_oauth_routes(self.app, self.world, token_ttl=token_ttl, clock=clock)
        self.oauth.register_client(client_id, client_secret)
        self.helix: HelixState = add_helix_routes(self.app, self.world, self.oauth, clock=clock)
        self.irc = IRCServer(self.world, self.record, validate_token=self._token_login,
                             ping_interval=ping_interval, pong_timeout=pong_timeout,
                             join_rate=join_rate, seed=seed, clock=clock,
                             transcripts=transcripts)
        self.app.router.add_get("/", self.irc.handle)
        self.helix.on_whisper = self._deliver_whisper
        self.generators = {name: ChannelTraffic(self.world, chan, self.irc.rooms[name], seed=seed, clock=clock)
                           for name, chan in self.world.channels.items()}
        self.traffic = TrafficRunner(self.generators, self._send_facts, rate=rate, seed=seed)
        self._runner: web.AppRunner | None = None

    async def _deliver_whisper(self, whisper: dict[str, Any]) -> None:
        """A whisper sent through Helix reaches the recipient's IRC connections as WHISPER."""
        sender = self.world.users_by_id.get(whisper["from_user_id"])
        self._whisper_ids = getattr(self, "_whisper_ids", 0) + 1
        low, high = sorted([whisper["from_user_id"], whisper["to_user_id"]], key=int)
        tags = {"badges": "", "color": sender.color if sender else "",
                "display-name": sender.display_name if sender else whisper["from_login"],
                "emotes": format_emotes(find_emotes(whisper["message"])),
                "message-id": str(self._whisper_ids), "thread-id": f"{low}_{high}", "turbo": "0",
                "user-id": whisper["from_user_id"], "user-type": ""}
        line = build_line("WHISPER", [whisper["to_login"]], tags=tags,
                          prefix=user_prefix(whisper["from_login"]), trailing=whisper["message"])
        for conn in self.irc.connections:
            if conn.nick == whisper["to_login"] and conn.wants("WHISPER"):
                conn.send([conn.shape(line)])

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 picks a free one) and start the traffic if enabled."""
        self._runner = web.AppRunner(self.app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # the asyncio server: the only place the bound port is known
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        if self.traffic_enabled:
            self.start_traffic()

    async def stop(self) -> None:
        """Stop the traffic, close every connection and the listening socket."""
        await self.traffic.stop()
        await faults.close_connections(self.irc, 1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "Simulator":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def irc_url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    @property
    def helix_url(self) -> str:
        return f"http://{self.host}:{self.port}/helix"

    @property
    def auth_url(self) -> str:
        return f"http://{self.host}:{self.port}/oauth2"

    # -- tokens -------------------------------------------------------------------------------
    def _token_login(self, token: str) -> str | None:
        info = self.oauth.validate(token)
        return info.login if info is not None else None

    def issue_token(self, login: str, scopes: tuple[str, ...] = ("chat:read", "chat:edit")) -> str:
        """A user token for ``login`` that the IRC side accepts as ``PASS oauth:<token>``."""
        return self.oauth.issue_user_token(login, scopes, client_id=self.client_id)

    # -- traffic ------------------------------------------------------------------------------
    async def _send_facts(self, facts: list[dict[str, Any]]) -> None:
        self.irc.broadcast(facts)
        await self.irc.notify()

    def start_traffic(self) -> None:
        """Start the per-channel traffic at ``rate`` events/s."""
        self.traffic.start()

    async def stop_traffic(self) -> None:
        """Stop the traffic (what was sent stays in ``record``)."""
        await self.traffic.stop()

    async def emit(self, channel: str, kind: str = "privmsg", **options: Any) -> list[dict[str, Any]]:
        """Send one event of ``kind`` in ``channel`` now (see ``ChannelTraffic.make``); its facts."""
        facts = self.generators[channel.lstrip("#").lower()].make(kind, **options)
        self.irc.broadcast(facts)
        await self.irc.notify()
        return facts

    # -- connections and waiting --------------------------------------------------------------
    @property
    def connections(self) -> list[SimConnection]:
        """The live client connections (nick, caps, channels, ...)."""
        return [c for c in self.irc.connections if not c.closed]

    def transcripts(self) -> list[list[str]]:
        """Every line written to each connection ever accepted, in order (``transcripts=True``)."""
        return [list(conn.transcript or []) for conn in self.irc.history]

    def joined(self, channel: str) -> list[SimConnection]:
        """The live connections joined to ``channel``."""
        return [c for c in self.connections if channel.lstrip("#").lower() in c.channels]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` is true; re-checked whenever a connection changes or
        traffic is sent."""
        await self.irc.wait_for(predicate, timeout)

    # -- faults -------------------------------------------------------------------------------
    async def send_reconnect(self, channel: str | None = None, *, close_after: float = 0.5) -> int:
        """RECONNECT to the connections in ``channel`` (all if None), closed ``close_after`` later."""
        return await faults.send_reconnect(self.irc, channel, close_after=close_after)

    async def close_connections(self, code: int = 1000, *, abnormal: bool | None = None) -> int:
        """Close all connections (1006 or ``abnormal``: drop TCP without a close frame)."""
        return await faults.close_connections(self.irc, code, abnormal=abnormal)

    def go_silent(self, on: bool = True, *, include_new: bool = False) -> None:
        """Half-open: current connections (and new ones if ``include_new``) go quiet."""
        faults.go_silent(self.irc, on, include_new=include_new)

    async def send_malformed(self, lines: list[str] | None = None) -> int:
        """Send junk lines to every logged-in connection."""
        return await faults.send_malformed(self.irc, lines)

    def slow_down(self, delay_per_line: float) -> None:
        """Delay every outgoing line by ``delay_per_line`` seconds (0 to stop)."""
        faults.slow_down(self.irc, delay_per_line)
