"""The simulated Twitch world: users, games and channels, deterministic for a seed.

Everything the IRC side and the Helix side of the simulator say about a user or a channel comes
from one :class:`World`, so the two halves agree (same ids, same logins, same live streams).
Randomness comes only from ``random.Random(seed)`` (never the global generator), and time from an
injectable clock, so two worlds built with the same arguments are identical.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

__all__ = ["SimUser", "SimGame", "SimChannel", "World", "DEFAULT_CHANNEL_NAMES"]

DEFAULT_CHANNEL_NAMES = [
    "sim_alpha", "sim_bravo", "sim_charlie", "sim_delta", "sim_echo", "sim_foxtrot", "sim_golf",
    "sim_hotel", "sim_india", "sim_juliett", "sim_kilo", "sim_lima", "sim_mike", "sim_november",
    "sim_oscar", "sim_papa", "sim_quebec", "sim_romeo", "sim_sierra", "sim_tango", "sim_uniform",
    "sim_victor", "sim_whiskey", "sim_xray", "sim_yankee", "sim_zulu",
]
SUSPENDED_CHANNEL = "sim_suspended"

_SYLLABLES = ["ka", "zu", "mi", "ro", "te", "no", "shi", "va", "lo", "rek", "bo", "gar", "xen",
              "qua", "pi", "dro", "fy", "nex", "tor", "ly", "sam", "kid", "pro", "gg", "owo"]
_SUFFIXES = ["", "", "", "_", "tv", "ttv", "_live", "gaming", "99", "2000", "x", "_"]
_CJK_NAMES = ["ゆうき", "사쿠라", "小龍", "ねこまる", "한별", "星空"]
_GAME_NAMES = [
    "Just Chatting", "Minecraft", "Fortnite", "League of Legends", "Grand Theft Auto V",
    "VALORANT", "Counter-Strike", "Dota 2", "Apex Legends", "World of Warcraft", "Elden Ring",
    "Hearthstone", "Overwatch 2", "Rocket League", "Dead by Daylight", "Genshin Impact",
    "Teamfight Tactics", "Old School RuneScape", "Chess", "Art", "Music", "Software and Game Development",
    "Pokémon Scarlet/Violet", "The Legend of Zelda: Tears of the Kingdom", "Stardew Valley",
    "Slots", "Escape from Tarkov", "Rust", "Among Us", "Baldur's Gate 3",
]
_LANGUAGES = ["en", "en", "en", "de", "ja", "es", "fr", "ko", "pt"]
_TAGS = ["English", "Deutsch", "日本語", "Chill", "Competitive", "Speedrun", "Cozy", "Variety",
         "NoBackseating", "FPS", "RPG", "Casual", "DropsEnabled", "LGBTQIAPlus"]
_TITLES = ["!drops road to rank 1", "chill stream, come hang", "first playthrough | no spoilers",
           "speedrun practice (PB attempts)", "ranked grind until I win", "24h stream for charity",
           "just vibing 🎵", "new patch day! | !socials"]


@dataclass(frozen=True)
class SimUser:
    """A Twitch user as both IRC tags and Helix ``/users`` describe it."""

    id: str
    login: str
    display_name: str
    color: str
    created_at: datetime
    broadcaster_type: str
    type: str
    description: str
    profile_image_url: str
    offline_image_url: str
    view_count: int
    activity: float


@dataclass(frozen=True)
class SimGame:
    """A category (game) as Helix ``/games`` describes it."""

    id: str
    name: str
    box_art_url: str
    igdb_id: str


@dataclass
class SimChannel:
    """A channel: its broadcaster, stream state and the audience that chats there."""

    login: str
    broadcaster: SimUser
    title: str
    game_id: str
    language: str
    tags: list[str]
    live: bool
    stream_id: str
    started_at: datetime
    base_viewers: int
    audience: list[SimUser] = field(default_factory=list)


def _stable_hash(text: str) -> int:
    """A hash of ``text`` that does not change between runs (unlike ``hash``)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class World:
    """Users, games and channels generated from a seed; viewer counts as a function of time."""

    def __init__(self, seed: int = 1, channels: int = 3, users: int = 2000,
                 channel_names: list[str] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.seed = seed
        self.clock = clock
        self._rng = random.Random(seed)
        self.users_by_id: dict[str, SimUser] = {}
        self.users_by_login: dict[str, SimUser] = {}
        self.games: dict[str, SimGame] = {}
        self.channels: dict[str, SimChannel] = {}
        self.suspended: set[str] = {SUSPENDED_CHANNEL}
        self._make_games()
        self._make_viewers(users)
        names = list(channel_names) if channel_names else self._default_names(channels)
        for index, name in enumerate(names):
            self.channels[name.lower()] = self._make_channel(name.lower(), index, len(names))
        self._add(self._make_user(SUSPENDED_CHANNEL, str(900000000 + seed), broadcaster=True))

    # -- construction -------------------------------------------------------------------------
    @staticmethod
    def _default_names(count: int) -> list[str]:
        names = DEFAULT_CHANNEL_NAMES[:count]
        names += [f"sim_channel{i}" for i in range(len(names), count)]
        return names

    def _add(self, user: SimUser) -> SimUser:
        self.users_by_id[user.id] = user
        self.users_by_login[user.login] = user
        return user

    def _make_games(self) -> None:
        for name in _GAME_NAMES:
            game_id = str(self._rng.randint(10_000, 999_999))
            box = f"https://static-cdn.jtvnw.net/ttv-boxart/{game_id}-{{width}}x{{height}}.jpg"
            self.games[game_id] = SimGame(game_id, name, box, str(self._rng.randint(1, 300_000)))

    def _random_login(self) -> str:
        while True:
            parts = [self._rng.choice(_SYLLABLES) for _ in range(self._rng.randint(2, 4))]
            login = "".join(parts) + self._rng.choice(_SUFFIXES)
            if len(login) >= 4 and login not in self.users_by_login:
                return login[:25]

    def _display_name(self, login: str) -> str:
        roll = self._rng.random()
        if roll < 0.02:
            return self._rng.choice(_CJK_NAMES)
        styled = login.capitalize() if roll < 0.5 else login
        if roll > 0.97:
            styled = login.upper()
        return styled

    def _make_user(self, login: str, user_id: str, *, activity: float = 1.0,
                   broadcaster: bool = False) -> SimUser:
        rng = self._rng
        created = datetime(2012, 1, 1, tzinfo=timezone.utc) + timedelta(
            seconds=rng.randint(0, 12 * 365 * 86400))
        color = "" if rng.random() < 0.15 else f"#{rng.randrange(0x1000000):06X}"
        btype = rng.choice(["affiliate", "partner"]) if broadcaster else (
            "affiliate" if rng.random() < 0.05 else "")
        utype = rng.choice(["", "", "", "staff", "admin", "global_mod"]) if rng.random() < 0.01 else ""
        return SimUser(
            id=user_id, login=login, display_name=self._display_name(login), color=color,
            created_at=created, broadcaster_type=btype, type=utype,
            description=rng.choice(["", "just here for the memes", "variety streamer",
                                    "Bot developer. He/him.", "🎮 gamer"]),
            profile_image_url=f"https://static-cdn.jtvnw.net/jtv_user_pictures/{login}-profile_image-300x300.png",
            offline_image_url="" if not broadcaster else
            f"https://static-cdn.jtvnw.net/jtv_user_pictures/{login}-channel_offline_image-1920x1080.png",
            view_count=rng.randint(0, 5_000_000 if broadcaster else 5_000),
            activity=activity)

    def _make_viewers(self, count: int) -> None:
        big_ids = {self._rng.randrange(count) for _ in range(max(3, count // 400))} if count else set()
        for i in range(count):
            login = self._random_login()
            if i in big_ids:
                user_id = str(2**63 + self._rng.randint(1, 2**62))
            else:
                user_id = str(self._rng.randint(10_000, 1_200_000_000))
            activity = self._rng.paretovariate(1.16)  # 80/20-like skew
            user = self._make_user(login, user_id, activity=activity)
            if i == 1:  # one display name with a trailing space, as seen in real traffic
                user = SimUser(**{**user.__dict__, "display_name": user.login + " "})
            self._add(user)

    def _make_channel(self, login: str, index: int, total: int) -> SimChannel:
        rng = self._rng
        broadcaster = self._add(self._make_user(
            login, str(rng.randint(20_000_000, 999_999_999)), activity=5.0, broadcaster=True))
        viewers = list(self.users_by_id.values())
        audience_size = min(len(viewers), rng.randint(40, 400))
        audience = rng.sample(viewers, audience_size) if viewers else []
        live = not (total > 1 and index == total - 1)  # the last channel is offline
        started = datetime.fromtimestamp(self.clock(), timezone.utc) - timedelta(
            seconds=rng.randint(300, 6 * 3600))
        return SimChannel(
            login=login, broadcaster=broadcaster, title=rng.choice(_TITLES),
            game_id=rng.choice(list(self.games)), language=rng.choice(_LANGUAGES),
            tags=rng.sample(_TAGS, 3), live=live,
            stream_id=str(rng.randint(40_000_000_000, 49_999_999_999)) if live else "",
            started_at=started.replace(microsecond=0), base_viewers=rng.randint(50, 20_000),
            audience=[u for u in audience if u.id != broadcaster.id])

    # -- queries ------------------------------------------------------------------------------
    def viewer_count(self, channel: str, now: float | None = None) -> int:
        """Viewers of ``channel`` at ``now``: smooth waves plus noise, 0 when offline."""
        chan = self.channels.get(channel.lower().lstrip("#"))
        if chan is None or not chan.live:
            return 0
        t = self.clock() if now is None else now
        h = _stable_hash(f"{self.seed}:{chan.login}")
        phase1, phase2 = (h % 1000) / 1000 * 2 * math.pi, (h // 1000 % 1000) / 1000 * 2 * math.pi
        wave = 0.25 * math.sin(t / 900 + phase1) + 0.1 * math.sin(t / 97 + phase2)
        tick = int(t // 10)
        noise = (_stable_hash(f"{h}:{tick}") % 1000) / 1000 - 0.5
        return max(1, int(chan.base_viewers * (1 + wave + 0.04 * noise)))

    def ensure_user(self, login: str) -> SimUser:
        """The user called ``login``, created (with an id derived from the login) if unknown."""
        login = login.lower()
        user = self.users_by_login.get(login)
        if user is None:
            user_id = str(100_000_000 + _stable_hash(f"user:{login}") % 900_000_000)
            while user_id in self.users_by_id:
                user_id = str(int(user_id) + 1)
            saved, self._rng = self._rng, random.Random(_stable_hash(f"{self.seed}:{login}"))
            try:
                user = self._add(self._make_user(login, user_id))
            finally:
                self._rng = saved
        return user

    def channel(self, login: str) -> SimChannel | None:
        """The channel called ``login`` (with or without ``#``), or None."""
        return self.channels.get(login.lower().lstrip("#"))

    def game(self, game_id: str) -> SimGame | None:
        """The game with id ``game_id``, or None."""
        return self.games.get(game_id)
