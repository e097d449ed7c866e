"""Synthetic chat traffic per channel, deterministic for a seed, recorded as facts.

:class:`ChannelTraffic` is a pure generator: ``next_event()`` returns the facts (each carrying its
raw ``line``) of the next event in one channel, drawn from a ``random.Random`` seeded by the seed
and the channel name, so the same seed gives the same lines (given the same clock). ``make(kind)``
builds one event of a chosen kind for tests. :class:`TrafficRunner` paces the generators at
``rate`` events per second per channel (with bursts) and hands each batch to a ``send`` callable.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import itertools
import random
from collections import deque
from typing import Any, Awaitable, Callable

from recorder.sim.chat import privmsg_fact, random_text
from recorder.sim.record import RoomState
from recorder.sim.usernotices import USERNOTICE_KINDS, build_usernotice
from recorder.sim.wire import build_line, seeded_uuid, user_prefix
from recorder.sim.world import SimChannel, SimUser, World

__all__ = ["ChannelTraffic", "TrafficRunner", "EVENT_KINDS"]

Fact = dict[str, Any]
EVENT_KINDS: dict[str, float] = {
    "privmsg": 0.84, "usernotice": 0.05, "clearchat": 0.012, "clearmsg": 0.015,
    "roomstate": 0.008, "membership": 0.05, "odd": 0.025,
}
_ROOM_CHANGES = {
    "slow": (["0", "3", "30", "120"], "slow_on", "slow_off", "This room is now in slow mode.",
             "This room is no longer in slow mode."),
    "emote-only": (["0", "1"], "emote_only_on", "emote_only_off",
                   "This room is now in emote-only mode.", "This room is no longer in emote-only mode."),
    "followers-only": (["-1", "0", "10", "30"], "followers_on", "followers_off",
                       "This room is now in followers-only mode.", "This room is no longer in followers-only mode."),
    "subs-only": (["0", "1"], "subs_on", "subs_off", "This room is now in subscribers-only mode.",
                  "This room is no longer in subscribers-only mode."),
    "r9k": (["0", "1"], "r9k_on", "r9k_off", "This room is now in unique-chat mode.",
            "This room is no longer in unique-chat mode."),
}


def _seed_for(seed: int, channel: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}/{channel}".encode()).digest()[:8], "big")


class ChannelTraffic:
    """The event generator of one channel."""

    def __init__(self, world: World, channel: SimChannel, room: RoomState, *, seed: int,
                 clock: Callable[[], float]) -> None:
        self.world, self.channel, self.room, self.clock = world, channel, room, clock
        self.rng = random.Random(_seed_for(seed, channel.login))
        audience = channel.audience or [channel.broadcaster]
        self._audience = audience
        self._cum = list(itertools.accumulate(u.activity for u in audience))
        self.recent: deque[Fact] = deque(maxlen=300)   # messages that can be replied to / deleted
        self.chatted: dict[str, SimUser] = {}          # user id -> user, who has spoken here
        self.banned: set[str] = set()
        self.deleted: set[str] = set()
        if not room.present:
            room.present.extend(u.login for u in audience[: max(1, len(audience) // 2)])

    # -- helpers ------------------------------------------------------------------------------
    def now_ms(self) -> int:
        """``tmi-sent-ts`` for the next line: the injected clock in epoch milliseconds."""
        return int(self.clock() * 1000)

    def pick_user(self) -> SimUser:
        """An audience member, weighted by activity (a few heavy chatters, a long tail)."""
        for _ in range(8):
            x = self.rng.random() * self._cum[-1]
            user = self._audience[min(bisect.bisect_left(self._cum, x), len(self._audience) - 1)]
            if user.id not in self.banned:
                return user
        return self.channel.broadcaster

    def _ctx(self) -> dict[str, Any]:
        return {"rng": self.rng, "channel": self.channel, "pick": self.pick_user, "now": self.now_ms}

    def _simple(self, kind: str, command: str, line: str, **fields: Any) -> Fact:
        return {"kind": kind, "command": command, "channel": self.channel.login, "line": line, **fields}

    # -- events -------------------------------------------------------------------------------
    def next_event(self) -> list[Fact]:
        """Facts of the next event, kind drawn by weight."""
        kind = self.rng.choices(list(EVENT_KINDS), weights=list(EVENT_KINDS.values()))[0]
        return self.make(kind)

    def make(self, kind: str, **options: Any) -> list[Fact]:
        """Facts of one event of ``kind`` (an EVENT_KINDS key, or a USERNOTICE msg-id, or
        ``ban``/``timeout``/``delete``/``unknown``/``hosttarget``/``join``/``part``)."""
        if kind in USERNOTICE_KINDS:
            return build_usernotice(self._ctx(), kind)
        maker = getattr(self, f"_make_{kind}", None)
        if maker is None:
            raise ValueError(f"unknown traffic kind {kind!r}")
        return maker(**options)

    def _make_privmsg(self, *, user: SimUser | None = None, text: str | None = None,
                      extra_tags: dict[str, str] | None = None) -> list[Fact]:
        rng, user = self.rng, user or self.pick_user()
        roll = rng.random()
        is_action = roll < 0.05
        bits = rng.choice([1, 100, 500, 1000]) if 0.05 <= roll < 0.08 else 0
        reward = seeded_uuid(rng) if 0.08 <= roll < 0.10 else ""
        parents = [m for m in self.recent if m["id"] not in self.deleted]
        reply_to = rng.choice(parents) if parents and 0.10 <= roll < 0.18 else None
        body = text if text is not None else random_text(rng)
        if bits:
            body = f"Cheer{bits} {body}"
        first = user.id not in self.chatted and rng.random() < 0.3
        fact = privmsg_fact(self.channel, user, body, msg_id=seeded_uuid(rng), sent_at=self.now_ms(),
                            is_action=is_action, first_msg=first, bits=bits, reply_to=reply_to,
                            custom_reward_id=reward, extra_tags=extra_tags)
        self.chatted[user.id] = user
        if not is_action:
            thread = (reply_to.get("thread") or reply_to) if reply_to else None
            self.recent.append({**{k: fact[k] for k in ("id", "login", "user_id", "display_name", "text")},
                                "thread": thread})
        return [fact]

    def _make_usernotice(self) -> list[Fact]:
        return build_usernotice(self._ctx())

    def _make_clearchat(self) -> list[Fact]:
        roll = self.rng.random()
        if roll < 0.05 or not self.chatted:
            tags = {"room-id": self.channel.broadcaster.id, "tmi-sent-ts": str(self.now_ms())}
            line = build_line("CLEARCHAT", [f"#{self.channel.login}"], tags=tags, prefix="tmi.twitch.tv")
            return [self._simple("clearchat", "CLEARCHAT", line, action="clear", target_user_id=None,
                                 target_login=None, duration=None, sent_at=int(tags["tmi-sent-ts"]))]
        return self._make_timeout() if roll < 0.6 else self._make_ban()

    def _moderate(self, duration: int | None) -> list[Fact]:
        candidates = [u for u in self.chatted.values() if u.id not in self.banned]
        if not candidates:
            return self._make_privmsg()
        target = self.rng.choice(sorted(candidates, key=lambda u: u.id))
        sent_at = self.now_ms()
        tags = {"room-id": self.channel.broadcaster.id, "target-user-id": target.id,
                "tmi-sent-ts": str(sent_at)}
        if duration is not None:
            tags["ban-duration"] = str(duration)
        else:
            self.banned.add(target.id)
        line = build_line("CLEARCHAT", [f"#{self.channel.login}"], tags=tags, prefix="tmi.twitch.tv",
                          trailing=target.login)
        return [self._simple("clearchat", "CLEARCHAT", line, action="timeout" if duration else "ban",
                             target_user_id=target.id, target_login=target.login, duration=duration,
                             sent_at=sent_at)]

    def _make_ban(self) -> list[Fact]:
        return self._moderate(None)

    def _make_timeout(self) -> list[Fact]:
        return self._moderate(self.rng.choice([1, 10, 60, 600, 3600, 86400]))

    def _make_clearmsg(self) -> list[Fact]:
        return self._make_delete()

    def _make_delete(self) -> list[Fact]:
        candidates = [m for m in self.recent if m["id"] not in self.deleted]
        if not candidates:
            return self._make_privmsg()
        target = self.rng.choice(candidates)
        self.deleted.add(target["id"])
        sent_at = self.now_ms()
        tags = {"login": target["login"], "room-id": "", "target-msg-id": target["id"],
                "tmi-sent-ts": str(sent_at)}
        line = build_line("CLEARMSG", [f"#{self.channel.login}"], tags=tags, prefix="tmi.twitch.tv",
                          trailing=target["text"])
        return [self._simple("clearmsg", "CLEARMSG", line, target_msg_id=target["id"],
                             login=target["login"], text=target["text"], sent_at=sent_at)]

    def _make_roomstate(self) -> list[Fact]:
        key = self.rng.choice(sorted(_ROOM_CHANGES))
        values, on_id, off_id, on_text, off_text = _ROOM_CHANGES[key]
        value = self.rng.choice([v for v in values if v != self.room.settings[key]])
        self.room.settings[key] = value
        chan = f"#{self.channel.login}"
        line = build_line("ROOMSTATE", [chan], tags={key: value, "room-id": self.channel.broadcaster.id},
                          prefix="tmi.twitch.tv")
        off = value in ("0", "-1")
        notice = build_line("NOTICE", [chan], tags={"msg-id": off_id if off else on_id},
                            prefix="tmi.twitch.tv", trailing=off_text if off else on_text)
        return [self._simple("roomstate", "ROOMSTATE", line, settings={key: value}),
                self._simple("notice", "NOTICE", notice, msg_id=off_id if off else on_id,
                             text=off_text if off else on_text)]

    def _make_membership(self) -> list[Fact]:
        return self._make_join() if self.rng.random() < 0.5 else self._make_part()

    def _member_lines(self, kind: str, logins: list[str]) -> list[Fact]:
        command = kind.upper()
        return [self._simple(kind, command, build_line(command, [f"#{self.channel.login}"],
                                                       prefix=user_prefix(login)), login=login)
                for login in logins]

    def _make_join(self) -> list[Fact]:
        present = set(self.room.present)
        absent = [u.login for u in self._audience if u.login not in present]
        logins = self.rng.sample(absent, min(len(absent), self.rng.randint(1, 12)))
        self.room.present.extend(logins)
        return self._member_lines("join", logins)

    def _make_part(self) -> list[Fact]:
        logins = self.rng.sample(self.room.present, min(len(self.room.present), self.rng.randint(1, 12)))
        gone = set(logins)
        self.room.present[:] = [p for p in self.room.present if p not in gone]
        return self._member_lines("part", logins)

    def _make_odd(self) -> list[Fact]:
        roll = self.rng.random()
        if roll < 0.3:
            return self._make_unknown()
        if roll < 0.45:
            return self._make_hosttarget()
        extra = {"badges": "predictions/Day 53/53 vs Day 54/54,premium/1",
                 "client-nonce": f"{self.rng.getrandbits(32):08x}==x=y", "flags": "0-6:S.7"}
        return self._make_privmsg(text="odd; tag \\ values = fine :) " + random_text(self.rng),
                                  extra_tags=extra)

    def _make_unknown(self) -> list[Fact]:
        line = build_line("FOO", [f"#{self.channel.login}"], prefix="tmi.twitch.tv", trailing="bar")
        return [self._simple("unknown", "FOO", line)]

    def _make_hosttarget(self) -> list[Fact]:
        target = self.rng.choice(["-", self.pick_user().login])
        viewers = 0 if target == "-" else self.rng.randint(1, 500)
        line = build_line("HOSTTARGET", [f"#{self.channel.login}"], prefix="tmi.twitch.tv",
                          trailing=f"{target} {viewers}")
        return [self._simple("hosttarget", "HOSTTARGET", line, target=target, viewers=viewers)]


class TrafficRunner:
    """Paces every channel's generator at ``rate`` events/s (Poisson, with bursts)."""

    def __init__(self, generators: dict[str, ChannelTraffic], send: Callable[[list[Fact]], Awaitable[None]],
                 *, rate: float, seed: int) -> None:
        self.generators, self.send, self.rate = generators, send, rate
        self._rng = random.Random(seed ^ 0x5EED)
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return any(not t.done() for t in self._tasks)

    def start(self) -> None:
        """Start one pacing task per channel (no-op when running or when rate <= 0)."""
        if self.running or self.rate <= 0:
            return
        self._tasks = [asyncio.create_task(self._run(gen), name=f"sim-traffic-{name}")
                       for name, gen in self.generators.items()]

    async def stop(self) -> None:
        """Cancel the pacing tasks and wait for them to end."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _run(self, gen: ChannelTraffic) -> None:
        burst_left = 0
        while True:
            if burst_left == 0 and self._rng.random() < 0.01:
                burst_left = self._rng.randint(10, 60)
            speed = self.rate * (8 if burst_left else 1)
            burst_left = max(0, burst_left - 1)
            await asyncio.sleep(self._rng.expovariate(speed))
            await self.send(gen.next_event())
