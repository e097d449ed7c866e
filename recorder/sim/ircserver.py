"""The simulated Twitch IRC server over websocket (aiohttp), as PROTOCOL.md describes it.

Login (CAP, PASS, NICK), welcome numerics, JOIN/PART with NAMES, USERSTATE and ROOMSTATE, the
per-account JOIN rate limit (excess joins dropped silently), PING/PONG both ways, relay of client
PRIVMSGs with the tags Twitch adds, capability gating, and the broadcast of traffic facts.
Fault injection lives in :mod:`recorder.sim.faults`.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import defaultdict, deque
from typing import Any, Callable

from aiohttp import WSMsgType, web

from recorder.sim.chat import privmsg_fact, user_badges
from recorder.sim.connection import ClientLine, SimConnection, parse_client_line
from recorder.sim.record import RoomState, SentRecord
from recorder.sim.wire import build_line, seeded_uuid, user_prefix
from recorder.sim.world import World

__all__ = ["IRCServer", "ANON_NICK"]

ANON_NICK = re.compile(r"^justinfan\d+$")
KNOWN_CAPS = ("twitch.tv/tags", "twitch.tv/commands", "twitch.tv/membership")
_HOST = "tmi.twitch.tv"
_WELCOME = [("001", "Welcome, GLHF!"), ("002", "Your host is tmi.twitch.tv"),
            ("003", "This server is rather new"), ("004", "-"), ("375", "-"),
            ("372", "You are in a maze of twisty passages, all alike."), ("376", ">")]
_NAMES_LINE_BYTES = 400


class IRCServer:
    """State and protocol of the IRC side; ``handle`` is the aiohttp websocket handler."""

    def __init__(self, world: World, record: SentRecord, *,
                 validate_token: Callable[[str], str | None] = lambda token: None,
                 ping_interval: float = 300.0, pong_timeout: float = 10.0,
                 join_rate: tuple[int, float] = (20, 10.0), seed: int = 1,
                 clock: Callable[[], float] = time.time, transcripts: bool = False) -> None:
        self.world, self.record, self.validate_token = world, record, validate_token
        self.transcripts = transcripts
        #: every connection ever accepted, kept only when ``transcripts`` is on (tests)
        self.history: list[SimConnection] = []
        self.ping_interval, self.pong_timeout = ping_interval, pong_timeout
        self.join_rate, self.clock = join_rate, clock
        self.rooms: dict[str, RoomState] = {
            name: RoomState(room_id=chan.broadcaster.id) for name, chan in world.channels.items()}
        self.connections: list[SimConnection] = []
        self.changed = asyncio.Condition()
        self.silent_new = False
        self.line_delay = 0.0
        self._joins: dict[str, deque[float]] = defaultdict(deque)
        #: ``hook(conn, channel)`` after each successful JOIN (e.g. serving a recorded archive)
        self.join_hooks: list[Callable[[SimConnection, str], None]] = []
        self._rng = random.Random(seed ^ 0x1DC)

    # -- state changes and waiting ------------------------------------------------------------
    async def notify(self) -> None:
        """Wake everyone waiting in :meth:`wait_for`."""
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds (re-checked on every connection change)."""
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(predicate), timeout)

    # -- the websocket handler ----------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = SimConnection(ws, request, silent=self.silent_new, line_delay=self.line_delay,
                             transcript=[] if self.transcripts else None)
        self.connections.append(conn)
        if self.transcripts:
            self.history.append(conn)
        writer = conn.writer_task = asyncio.create_task(conn.writer())
        keepalive = asyncio.create_task(self._keepalive(conn))
        await self.notify()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                for line in conn.feed(msg.data):
                    conn.lines_received += 1
                    if not conn.silent:  # half-open: what the client says is lost
                        await self._on_line(conn, line)
                await self.notify()
                if conn.closed:
                    break
        finally:
            conn.closed = True
            conn.stop_writer()
            keepalive.cancel()
            await asyncio.gather(writer, keepalive, return_exceptions=True)
            if conn in self.connections:
                self.connections.remove(conn)
            await self.notify()
        return ws

    async def _keepalive(self, conn: SimConnection) -> None:
        """Send ``PING :tmi.twitch.tv`` every interval; close when no PONG comes back in time."""
        while not conn.closed:
            await asyncio.sleep(self.ping_interval)
            if conn.silent or not conn.logged_in:
                continue
            conn.pong.clear()
            conn.send([f"PING :{_HOST}"])
            try:
                await asyncio.wait_for(conn.pong.wait(), self.pong_timeout)
            except asyncio.TimeoutError:
                if not conn.silent:
                    await conn.close(code=1000)
                    return

    # -- client lines -------------------------------------------------------------------------
    async def _on_line(self, conn: SimConnection, line: str) -> None:
        msg = parse_client_line(line)
        if msg is None:
            return
        handler = getattr(self, f"_cmd_{msg.command.lower()}", None)
        if handler is not None:
            await handler(conn, msg)
        elif conn.logged_in:
            conn.send([f":{_HOST} 421 {conn.nick} {msg.command} :Unknown command"])

    async def _cmd_cap(self, conn: SimConnection, msg: ClientLine) -> None:
        sub = msg.params[0].upper() if msg.params else ""
        if sub == "LS":
            conn.send([f":{_HOST} CAP * LS :{' '.join(KNOWN_CAPS)}"])
        elif sub == "REQ" and len(msg.params) > 1:
            wanted = msg.params[-1].split()
            ok = all(cap in KNOWN_CAPS for cap in wanted)
            if ok:
                conn.caps.update(wanted)
            conn.send([f":{_HOST} CAP * {'ACK' if ok else 'NAK'} :{' '.join(wanted)}"])

    async def _cmd_pass(self, conn: SimConnection, msg: ClientLine) -> None:
        conn.password = msg.params[0] if msg.params else ""

    async def _cmd_nick(self, conn: SimConnection, msg: ClientLine) -> None:
        nick = (msg.params[0] if msg.params else "").lower()
        if conn.logged_in:
            return
        if ANON_NICK.match(nick):
            conn.nick, conn.anonymous = nick, True
        else:
            failure = self._check_token(conn)
            if failure:
                conn.send([f":{_HOST} NOTICE * :{failure}"])
                await conn.close(code=1000)
                await self.notify()
                return
        lines = [f":{_HOST} {num} {conn.nick} :{text}" for num, text in _WELCOME]
        if not conn.anonymous and conn.wants("GLOBALUSERSTATE"):
            lines.append(conn.shape(self._globaluserstate(conn)))
        conn.send(lines)
        await self.notify()

    def _check_token(self, conn: SimConnection) -> str | None:
        """Log ``conn`` in with its PASS token; the failure NOTICE text when that fails."""
        password = conn.password or ""
        if not password.startswith("oauth:"):
            return "Improperly formatted auth" if password else "Login authentication failed"
        login = self.validate_token(password[len("oauth:"):])
        if not login:
            return "Login authentication failed"
        user = self.world.ensure_user(login)
        conn.nick, conn.user_id, conn.anonymous = user.login, user.id, False
        return None

    def _globaluserstate(self, conn: SimConnection) -> str:
        user = self.world.ensure_user(conn.nick or "")
        tags = {"badge-info": "", "badges": "", "color": user.color, "display-name": user.display_name,
                "emote-sets": "0,300374282", "turbo": "0", "user-id": user.id, "user-type": user.type}
        return build_line("GLOBALUSERSTATE", tags=tags, prefix=_HOST)

    async def _cmd_ping(self, conn: SimConnection, msg: ClientLine) -> None:
        arg = msg.params[-1] if msg.params else _HOST
        conn.send([f":{_HOST} PONG {_HOST} :{arg}"])

    async def _cmd_pong(self, conn: SimConnection, msg: ClientLine) -> None:
        conn.pong.set()

    # -- JOIN / PART --------------------------------------------------------------------------
    def _join_allowed(self, account: str) -> bool:
        limit, window = self.join_rate
        now, times = self.clock(), self._joins[account]
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= limit:
            return False
        times.append(now)
        return True

    async def _cmd_join(self, conn: SimConnection, msg: ClientLine) -> None:
        if not conn.logged_in or not msg.params:
            return
        for name in msg.params[0].split(","):
            channel = name.strip().lstrip("#").lower()
            if not channel or not self._join_allowed(conn.nick or ""):
                continue  # Twitch drops joins over the rate limit without a word
            room = self._room(channel)
            if room is None:
                conn.send([f"@msg-id=msg_channel_suspended :{_HOST} NOTICE #{channel} "
                           ":This channel does not exist or has been suspended."])
                continue
            conn.channels.add(channel)
            conn.send(self._join_lines(conn, channel, room))
            self._tell_members(conn, channel, "JOIN")
            for hook in self.join_hooks:
                hook(conn, channel)
        await self.notify()

    def _room(self, channel: str) -> RoomState | None:
        if channel in self.world.suspended:
            return None
        if channel not in self.rooms:
            user = self.world.users_by_login.get(channel)
            if user is None:
                return None
            self.rooms[channel] = RoomState(room_id=user.id)
        return self.rooms[channel]

    def _join_lines(self, conn: SimConnection, channel: str, room: RoomState) -> list[str]:
        nick = conn.nick or ""
        lines = [f":{user_prefix(nick)} JOIN #{channel}"]
        names = [nick]
        if "twitch.tv/membership" in conn.caps:
            others = {c.nick for c in self.connections if channel in c.channels and c.nick}
            names += sorted(others - {nick}) + [p for p in room.present if p not in others]
        head = f":{nick}.tmi.twitch.tv 353 {nick} = #{channel} :"
        chunk: list[str] = []
        for name in names:
            if chunk and len(head) + len(" ".join(chunk + [name])) > _NAMES_LINE_BYTES:
                lines.append(head + " ".join(chunk))
                chunk = []
            chunk.append(name)
        lines.append(head + " ".join(chunk))
        lines.append(f":{nick}.tmi.twitch.tv 366 {nick} #{channel} :End of /NAMES list")
        roomstate = build_line("ROOMSTATE", [f"#{channel}"],
                               tags={**room.settings, "room-id": room.room_id}, prefix=_HOST)
        for command, line in (("USERSTATE", self._userstate(conn, channel)), ("ROOMSTATE", roomstate)):
            if conn.wants(command):
                lines.append(conn.shape(line))
        return lines

    def _userstate(self, conn: SimConnection, channel: str, msg_id: str | None = None) -> str:
        user = self.world.ensure_user(conn.nick or "")
        chan = self.world.channels.get(channel)
        info, badges, is_mod, is_sub = user_badges(chan, user) if chan else ("", "", False, False)
        tags = {"badge-info": info, "badges": badges, "color": user.color,
                "display-name": user.display_name, "emote-sets": "0,300374282",
                "mod": "1" if is_mod else "0", "subscriber": "1" if is_sub else "0",
                "turbo": "0", "user-type": user.type}
        if msg_id:
            tags["id"] = msg_id
        return build_line("USERSTATE", [f"#{channel}"], tags=tags, prefix=_HOST)

    def _tell_members(self, conn: SimConnection, channel: str, command: str) -> None:
        line = f":{user_prefix(conn.nick or '')} {command} #{channel}"
        for other in self.connections:
            if other is not conn and channel in other.channels and other.wants(command, membership=True):
                other.send([line])

    async def _cmd_part(self, conn: SimConnection, msg: ClientLine) -> None:
        if not conn.logged_in or not msg.params:
            return
        for name in msg.params[0].split(","):
            channel = name.strip().lstrip("#").lower()
            if channel in conn.channels:
                conn.channels.discard(channel)
                conn.send([f":{user_prefix(conn.nick or '')} PART #{channel}"])
                self._tell_members(conn, channel, "PART")
        await self.notify()

    # -- PRIVMSG ------------------------------------------------------------------------------
    async def _cmd_privmsg(self, conn: SimConnection, msg: ClientLine) -> None:
        if conn.anonymous or len(msg.params) < 2:
            return  # anonymous connections cannot chat; Twitch ignores them
        channel, text = msg.params[0].lstrip("#").lower(), msg.params[1][:500]
        chan = self.world.channels.get(channel)
        if chan is None or channel not in conn.channels:
            return
        is_action = text.startswith("\x01ACTION ") and text.endswith("\x01")
        if is_action:
            text = text[len("\x01ACTION "):-1]
        elif text.startswith("/me "):
            text, is_action = text[4:], True
        parent = self.record.message(msg.tags.get("reply-parent-msg-id", ""))
        reply_to = None
        if parent is not None and parent["kind"] == "privmsg":
            reply_to = {k: parent[k] for k in ("id", "login", "user_id", "display_name", "text")}
        extra = {"client-nonce": msg.tags["client-nonce"]} if "client-nonce" in msg.tags else None
        msg_id = seeded_uuid(self._rng)
        fact = privmsg_fact(chan, self.world.ensure_user(conn.nick or ""), text, msg_id=msg_id,
                            sent_at=int(self.clock() * 1000), is_action=is_action,
                            reply_to=reply_to, extra_tags=extra)
        fact["relayed_from"] = conn.id
        self.broadcast([fact], exclude=conn)
        if conn.wants("USERSTATE"):
            conn.send([conn.shape(self._userstate(conn, channel, msg_id))])

    # -- traffic ------------------------------------------------------------------------------
    def broadcast(self, facts: list[dict[str, Any]], *, exclude: SimConnection | None = None) -> None:
        """Record ``facts`` and send each line to every connection joined to its channel."""
        batches: dict[int, tuple[SimConnection, list[str]]] = {}
        for fact in facts:
            membership = fact["kind"] in ("join", "part")
            fact["delivered"] = 0
            for conn in self.connections:
                if (conn is exclude or fact["channel"] not in conn.channels
                        or not conn.wants(fact["command"], membership=membership)):
                    continue
                batches.setdefault(conn.id, (conn, []))[1].append(conn.shape(fact["line"]))
                fact["delivered"] += 0 if conn.silent else 1
            self.record.add(fact)
        for conn, lines in batches.values():
            conn.send(lines)
