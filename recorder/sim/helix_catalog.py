"""Data Helix serves beyond the World: emotes, badges, cheermotes, tags, teams, videos, clips.

Everything is derived deterministically from the world (its seed, channels and audiences), so two
simulators built alike serve the same catalog, and ids agree with the IRC side (the global emote
ids include every emote the IRC traffic uses; cheermote prefixes include ``Cheer``).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

CDN = "https://static-cdn.jtvnw.net"

# (id, code) in the style of Twitch's global emotes; a superset of the IRC side's table.
GLOBAL_EMOTES: list[tuple[str, str]] = [
    ("25", "Kappa"), ("1902", "Keepo"), ("305954156", "PogChamp"), ("425618", "LUL"),
    ("354", "4Head"), ("86", "BibleThump"), ("30259", "HeyGuys"), ("64138", "SeemsGood"),
    ("81274", "VoHiYo"), ("58765", "NotLikeThis"), ("245", "ResidentSleeper"), ("41", "Kreygasm"),
    ("62835", "bleedPurple"), ("58127", "CoolCat"), ("120232", "TriHard"), ("33", "DansGame"),
    ("360", "FailFish"), ("55338", "KappaPride"), ("65", "FrankerZ"),
    ("114836", "Jebaited"), ("123171", "CoolStoryBob"), ("52", "SMOrc"), ("1", ":)"), ("2", ":("),
    ("3", ":D"), ("9", "<3"),
]

# (set id, versions, title) of global chat badges.
GLOBAL_BADGES: list[tuple[str, list[str], str]] = [
    ("broadcaster", ["1"], "Broadcaster"), ("moderator", ["1"], "Moderator"),
    ("vip", ["1"], "VIP"), ("staff", ["1"], "Staff"), ("admin", ["1"], "Admin"),
    ("global_mod", ["1"], "Global Moderator"), ("partner", ["1"], "Verified"),
    ("premium", ["1"], "Prime Gaming"), ("turbo", ["1"], "Turbo"),
    ("subscriber", ["0", "1", "2", "3", "6", "9", "12", "24"], "Subscriber"),
    ("founder", ["0"], "Founder"), ("artist-badge", ["1"], "Artist"),
    ("bits", ["1", "100", "1000", "5000", "10000", "100000"], "cheer"),
    ("sub-gifter", ["1", "5", "10", "25", "50", "100"], "Sub Gifter"),
    ("predictions", ["blue-1", "blue-2", "pink-1", "pink-2"], "Predicted"),
    ("no_audio", ["1"], "Watching without audio"), ("no_video", ["1"], "Listening only"),
    ("glhf-pledge", ["1"], "GLHF Pledge"),
]

# (prefix, type, order) of global cheermotes.
GLOBAL_CHEERMOTES: list[tuple[str, str]] = [
    ("Cheer", "global_first_party"), ("DoodleCheer", "global_first_party"),
    ("BibleThump", "global_first_party"), ("cheerwhal", "global_first_party"),
    ("Corgo", "global_first_party"), ("Scoops", "global_first_party"),
    ("uni", "global_first_party"), ("ShowLove", "global_first_party"),
    ("Party", "global_first_party"), ("SeemsGood", "global_first_party"),
    ("Pride", "global_first_party"), ("Kappa", "global_first_party"),
    ("FrankerZ", "global_first_party"), ("HeyGuys", "global_first_party"),
    ("Kreygasm", "global_first_party"), ("SwiftRage", "global_first_party"),
    ("NotLikeThis", "global_first_party"), ("FailFish", "global_first_party"),
    ("PJSalt", "global_first_party"), ("MrDestructoid", "global_first_party"),
    ("RIPCheer", "global_first_party"), ("Charity", "global_third_party"),
]
CHEER_TIERS: list[tuple[int, str]] = [
    (1, "#979797"), (100, "#9c3ee8"), (1000, "#1db2a5"), (5000, "#0099fe"), (10000, "#f43021"),
]

STREAM_TAGS: list[str] = ["English", "Speedrun", "Chill", "Competitive", "Cozy", "Variety",
                          "Casual", "FPS", "RPG", "DropsEnabled", "Deutsch", "Japanese"]


def rfc3339(moment: datetime) -> str:
    """``2021-03-10T15:04:21Z``, as Helix writes times."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def stable_int(text: str) -> int:
    """A run-independent hash of ``text``."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def emote_json(emote_id: str, name: str) -> dict[str, Any]:
    """One emote of ``chat/emotes/global``."""
    base = f"{CDN}/emoticons/v2/{emote_id}/static/light"
    return {"id": emote_id, "name": name,
            "images": {"url_1x": f"{base}/1.0", "url_2x": f"{base}/2.0", "url_4x": f"{base}/3.0"},
            "format": ["static"], "scale": ["1.0", "2.0", "3.0"], "theme_mode": ["light", "dark"]}


def badge_set_json(set_id: str, versions: list[str], title: str) -> dict[str, Any]:
    """One badge set of ``chat/badges/global``."""
    out = []
    for version in versions:
        image = str(uuid.UUID(int=stable_int(f"badge:{set_id}/{version}") << 64 | 1))
        base = f"{CDN}/badges/v1/{image}"
        out.append({"id": version, "image_url_1x": f"{base}/1", "image_url_2x": f"{base}/2",
                    "image_url_4x": f"{base}/3", "title": title, "description": title,
                    "click_action": None, "click_url": None})
    return {"set_id": set_id, "versions": out}


def cheermote_json(prefix: str, kind: str, order: int) -> dict[str, Any]:
    """One cheermote of ``bits/cheermotes`` with Twitch's five tiers."""
    tiers = []
    for min_bits, color in CHEER_TIERS:
        images: dict[str, Any] = {}
        for theme in ("dark", "light"):
            images[theme] = {
                kind_: {scale: f"https://d3aqoihi2n8ty8.cloudfront.net/actions/{prefix.lower()}/"
                               f"{theme}/{kind_}/{min_bits}/{scale}.{'gif' if kind_ == 'animated' else 'png'}"
                        for scale in ("1", "1.5", "2", "3", "4")}
                for kind_ in ("animated", "static")}
        tiers.append({"min_bits": min_bits, "id": str(min_bits), "color": color, "images": images,
                      "can_cheer": True, "show_in_bits_card": True})
    return {"prefix": prefix, "tiers": tiers, "type": kind, "order": order,
            "last_updated": "2018-05-22T00:06:04Z", "is_charitable": kind == "global_third_party"}


def tag_json(name: str) -> dict[str, Any]:
    """One legacy stream tag of ``tags/streams``."""
    tag_id = str(uuid.UUID(int=stable_int(f"tag:{name}") << 64 | stable_int(name)))
    return {"tag_id": tag_id, "is_auto": name in ("English", "Deutsch", "Japanese"),
            "localization_names": {"en-us": name},
            "localization_descriptions": {"en-us": f"For streams tagged {name}."}}


@dataclass(frozen=True)
class SimVideo:
    """A VOD, upload or highlight of a channel."""

    id: str
    user_id: str
    user_login: str
    user_name: str
    game_id: str
    stream_id: str | None
    title: str
    created_at: datetime
    view_count: int
    language: str
    type: str
    duration_s: int

    def to_json(self) -> dict[str, Any]:
        """The ``/videos`` shape."""
        h, rest = divmod(self.duration_s, 3600)
        m, s = divmod(rest, 60)
        return {
            "id": self.id, "stream_id": self.stream_id, "user_id": self.user_id,
            "user_login": self.user_login, "user_name": self.user_name, "title": self.title,
            "description": "", "created_at": rfc3339(self.created_at),
            "published_at": rfc3339(self.created_at), "url": f"https://www.twitch.tv/videos/{self.id}",
            "thumbnail_url": f"{CDN}/cf_vods/d2nvs31859zcd8/{self.id}/thumb/thumb0-%{{width}}x%{{height}}.jpg",
            "viewable": "public", "view_count": self.view_count, "language": self.language,
            "type": self.type, "duration": f"{h}h{m}m{s}s" if h else (f"{m}m{s}s" if m else f"{s}s"),
            "muted_segments": None}


@dataclass(frozen=True)
class SimClip:
    """A clip of a channel, made by someone in its audience."""

    id: str
    broadcaster_id: str
    broadcaster_name: str
    creator_id: str
    creator_name: str
    video_id: str
    game_id: str
    language: str
    title: str
    view_count: int
    created_at: datetime
    duration: float
    vod_offset: int | None
    is_featured: bool

    def to_json(self) -> dict[str, Any]:
        """The ``/clips`` shape."""
        return {
            "id": self.id, "url": f"https://clips.twitch.tv/{self.id}",
            "embed_url": f"https://clips.twitch.tv/embed?clip={self.id}",
            "broadcaster_id": self.broadcaster_id, "broadcaster_name": self.broadcaster_name,
            "creator_id": self.creator_id, "creator_name": self.creator_name,
            "video_id": self.video_id, "game_id": self.game_id, "language": self.language,
            "title": self.title, "view_count": self.view_count, "created_at": rfc3339(self.created_at),
            "thumbnail_url": f"{CDN}/twitch-clips-thumbnails-prod/{self.id}/preview-480x272.jpg",
            "duration": self.duration, "vod_offset": self.vod_offset, "is_featured": self.is_featured}


_CLIP_WORDS = ["Awkward", "Helpless", "Brave", "Sleepy", "Tiny", "Fancy", "Cheerful", "Lazy",
               "Salamander", "Otter", "Penguin", "Walrus", "Badger", "Llama", "Falcon", "Moose"]
_CLIP_EMOTES = ["SwiftRage", "Kappa", "PogChamp", "BibleThump", "LUL", "ResidentSleeper"]
_VIDEO_TITLES = ["full stream VOD", "best moments", "highlight: clutch round", "speedrun PB",
                 "collab stream", "tutorial upload", "late night chill"]


def make_videos(world: Any) -> list[SimVideo]:
    """Every channel's videos, newest first per channel, ids unique and numeric."""
    videos: list[SimVideo] = []
    for index, chan in enumerate(sorted(world.channels.values(), key=lambda c: c.login)):
        rng = random.Random(stable_int(f"{world.seed}:videos:{chan.login}"))
        user = chan.broadcaster
        count = rng.randint(5, 60)
        for i in range(count):
            live_archive = chan.live and i == 0
            created = chan.started_at - timedelta(hours=0 if live_archive else 20 * i + rng.randint(1, 18))
            kind = "archive" if live_archive else rng.choice(["archive", "archive", "upload", "highlight"])
            videos.append(SimVideo(
                id=str(1_900_000_000 + index * 1000 + i), user_id=user.id, user_login=user.login,
                user_name=user.display_name, game_id=chan.game_id if rng.random() < 0.7 else
                rng.choice(sorted(world.games)), stream_id=(chan.stream_id if live_archive else
                str(rng.randint(39_000_000_000, 39_999_999_999)) if kind == "archive" else None),
                title=rng.choice(_VIDEO_TITLES), created_at=created.replace(microsecond=0),
                view_count=rng.randint(0, 50_000), language=chan.language, type=kind,
                duration_s=rng.randint(30, 10 * 3600)))
    return videos


def make_clips(world: Any, videos: list[SimVideo]) -> list[SimClip]:
    """Every channel's clips, created by members of its audience."""
    clips: list[SimClip] = []
    by_user: dict[str, list[SimVideo]] = {}
    for video in videos:
        by_user.setdefault(video.user_id, []).append(video)
    for chan in sorted(world.channels.values(), key=lambda c: c.login):
        rng = random.Random(stable_int(f"{world.seed}:clips:{chan.login}"))
        vods = [v for v in by_user.get(chan.broadcaster.id, []) if v.type == "archive"]
        creators = chan.audience or [chan.broadcaster]
        for i in range(rng.randint(3, 40)):
            vod = rng.choice(vods) if vods and rng.random() < 0.8 else None
            creator = rng.choice(creators)
            slug = "".join(rng.sample(_CLIP_WORDS, 3)) + rng.choice(_CLIP_EMOTES)
            slug += "-" + "".join(rng.choice("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789_")
                                  for _ in range(16))
            created = (vod.created_at if vod else chan.started_at) + timedelta(minutes=rng.randint(1, 120))
            clips.append(SimClip(
                id=slug, broadcaster_id=chan.broadcaster.id,
                broadcaster_name=chan.broadcaster.display_name, creator_id=creator.id,
                creator_name=creator.display_name, video_id=vod.id if vod else "",
                game_id=chan.game_id, language=chan.language, title=f"clip {i} of {chan.login}",
                view_count=rng.randint(1, 100_000), created_at=created.replace(microsecond=0),
                duration=round(rng.uniform(5, 60), 1), vod_offset=rng.randint(1, 3600) if vod else None,
                is_featured=rng.random() < 0.2))
    return clips


def make_teams(world: Any) -> list[dict[str, Any]]:
    """Two teams of the world's broadcasters, in ``/teams`` shape."""
    chans = sorted(world.channels.values(), key=lambda c: c.login)
    members = {"simsquad": chans, "simfriends": chans[: max(1, len(chans) // 2)]}
    teams = []
    for number, (name, group) in enumerate(members.items()):
        teams.append({
            "users": [{"user_id": c.broadcaster.id, "user_name": c.broadcaster.display_name,
                       "user_login": c.broadcaster.login} for c in group],
            "background_image_url": None, "banner": None,
            "created_at": "2019-02-11T12:09:22Z", "updated_at": "2023-11-20T09:00:00Z",
            "info": f"The {name} team of the simulator", "thumbnail_url":
            f"{CDN}/jtv_user_pictures/team-{name}-team_logo_image-600x600.png",
            "team_name": name, "team_display_name": name.capitalize(),
            "id": str(6358 + number + world.seed % 1000 * 10)})
    return teams
