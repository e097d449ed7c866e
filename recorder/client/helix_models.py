"""Typed models built from Helix JSON, with the attribute names of TwitchIO 2.10's models.

Every model keeps the dict it was built from as ``.raw`` (the enrichment tables store it), and
tolerates missing fields: an absent key gives None (or an empty string / list / 0 where TwitchIO's
attribute is a plain value). Times become aware UTC datetimes. Ids follow TwitchIO's types
(``User.id``, ``Game.id``, ``Video.id`` are ints); ``.raw`` keeps Helix's strings.

Differences from TwitchIO 2.10, on purpose: ``User.view_count`` is an int (not a 1-tuple);
``WebhookSubscription.expires_at`` reads Helix's ``expires_at`` (TwitchIO reads ``expired_at``);
``GlobalEmote.template`` is filled from the response.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recorder.client.api import HelixAPI

__all__ = [
    "parse_time", "BroadcasterTypeEnum", "UserTypeEnum", "HelixModel", "PartialUser", "User",
    "SearchUser", "ChatterColor", "ChannelInfo", "Stream", "Game", "Video", "Clip",
    "CheerEmoteTier", "CheerEmote", "GlobalEmote", "ChatBadge", "ChatBadgeVersions", "Team",
    "Tag", "WebhookSubscription", "EventSubSubscription",
]

Raw = dict[str, Any]


def parse_time(value: Any) -> datetime | None:
    """A Helix time (``2021-03-10T15:04:21Z``, with fractions, or ``2019-02-11 12:09:22 +0000
    UTC`` as /teams writes it) as an aware UTC datetime; None for empty or unparseable values."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().removesuffix(" UTC").replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def to_int(value: Any) -> int | None:
    """``value`` as an int, or None when absent or not a number."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class BroadcasterTypeEnum(enum.Enum):
    """``broadcaster_type`` of a user (unknown values become ``none``)."""

    partner = "partner"
    affiliate = "affiliate"
    none = ""


class UserTypeEnum(enum.Enum):
    """``type`` of a user (unknown values become ``none``)."""

    staff = "staff"
    admin = "admin"
    global_mod = "global_mod"
    none = ""


def _enum(kind: type[enum.Enum], value: Any) -> Any:
    try:
        return kind(value or "")
    except ValueError:
        return kind("")


class HelixModel:
    """Base of the models: ``raw`` is the Helix dict the model was built from."""

    __slots__ = ("raw",)

    def __init__(self, data: Raw | None) -> None:
        self.raw: Raw = dict(data or {})

    def __repr__(self) -> str:
        shown = {k: getattr(self, k) for k in ("id", "name", "title") if hasattr(self, k)}
        return f"<{type(self).__name__} " + " ".join(f"{k}={v!r}" for k, v in shown.items()) + ">"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and getattr(other, "raw") == self.raw

    __hash__ = None  # type: ignore[assignment]


class PartialUser:
    """A user known by id and name; fetch helpers call back into the API when given one."""

    __slots__ = ("id", "name", "_api")

    def __init__(self, api: HelixAPI | None, id: int | str | None, name: str | None) -> None:
        self.id: int | None = to_int(id)
        self.name = name
        self._api = api

    def __repr__(self) -> str:
        return f"<PartialUser id={self.id}, name={self.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartialUser) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def _need_api(self) -> HelixAPI:
        if self._api is None:
            raise RuntimeError("this PartialUser was built without an API to fetch with")
        return self._api

    async def fetch(self, token: str | None = None, force: bool = False) -> User:
        """The full :class:`User` behind this partial user."""
        users = await self._need_api().fetch_users(ids=[self.id], token=token, force=force)
        if not users:
            raise LookupError(f"user {self.id} not found")
        return users[0]

    async def fetch_clips(self, started_at: datetime | None = None, ended_at: datetime | None = None,
                          is_featured: bool | None = None) -> list[Clip]:
        """This user's clips (by broadcaster id)."""
        return await self._need_api().fetch_user_clips(self.id, started_at=started_at,
                                                       ended_at=ended_at, is_featured=is_featured)

    async def fetch_videos(self, period: str = "all", sort: str = "time", type: str = "all",
                           language: str | None = None) -> list[Video]:
        """This user's videos."""
        return await self._need_api().fetch_videos(user_id=self.id, period=period, sort=sort,
                                                   type=type, language=language)


class User(PartialUser):
    """A user of ``/users``."""

    __slots__ = ("raw", "display_name", "type", "broadcaster_type", "description", "profile_image",
                 "offline_image", "view_count", "created_at", "email")

    def __init__(self, api: HelixAPI | None, data: Raw) -> None:
        super().__init__(api, data.get("id"), data.get("login"))
        self.raw: Raw = dict(data)
        self.display_name: str = data.get("display_name") or ""
        self.type = _enum(UserTypeEnum, data.get("type"))
        self.broadcaster_type = _enum(BroadcasterTypeEnum, data.get("broadcaster_type"))
        self.description: str = data.get("description") or ""
        self.profile_image: str = data.get("profile_image_url") or ""
        self.offline_image: str = data.get("offline_image_url") or ""
        self.view_count: int = to_int(data.get("view_count")) or 0
        self.created_at = parse_time(data.get("created_at"))
        self.email: str | None = data.get("email")

    def __repr__(self) -> str:
        return f"<User id={self.id} name={self.name} display_name={self.display_name}>"


class SearchUser(PartialUser):
    """A channel of ``/search/channels``."""

    __slots__ = ("raw", "display_name", "game_id", "title", "thumbnail_url", "language", "live",
                 "started_at", "tag_ids", "tags")

    def __init__(self, api: HelixAPI | None, data: Raw) -> None:
        super().__init__(api, data.get("id"), data.get("broadcaster_login"))
        self.raw: Raw = dict(data)
        self.display_name: str = data.get("display_name") or ""
        self.game_id: str = data.get("game_id") or ""
        self.title: str = data.get("title") or ""
        self.thumbnail_url: str = data.get("thumbnail_url") or ""
        self.language: str = data.get("broadcaster_language") or ""
        self.live: bool = bool(data.get("is_live"))
        self.started_at = parse_time(data.get("started_at")) if self.live else None
        self.tag_ids: list[str] = list(data.get("tag_ids") or [])
        self.tags: list[str] = list(data.get("tags") or [])


class ChatterColor(HelixModel):
    """A user's chat colour (``/chat/color``)."""

    __slots__ = ("user", "color")

    def __init__(self, api: HelixAPI | None, data: Raw) -> None:
        super().__init__(data)
        self.user = PartialUser(api, data.get("user_id"), data.get("user_login"))
        self.color: str = data.get("color") or ""


class ChannelInfo(HelixModel):
    """A channel of ``/channels``."""

    __slots__ = ("user", "game_id", "game_name", "title", "language", "delay", "tags",
                 "content_classification_labels", "is_branded_content")

    def __init__(self, api: HelixAPI | None, data: Raw) -> None:
        super().__init__(data)
        self.user = PartialUser(api, data.get("broadcaster_id"),
                                data.get("broadcaster_name") or data.get("broadcaster_login"))
        self.game_id: str = data.get("game_id") or ""
        self.game_name: str = data.get("game_name") or ""
        self.title: str = data.get("title") or ""
        self.language: str = data.get("broadcaster_language") or ""
        self.delay: int = to_int(data.get("delay")) or 0
        self.tags: list[str] = list(data.get("tags") or [])
        self.content_classification_labels: list[str] = list(data.get("content_classification_labels") or [])
        self.is_branded_content: bool = bool(data.get("is_branded_content"))


class Stream(HelixModel):
    """A live stream of ``/streams``."""

    __slots__ = ("id", "user", "game_id", "game_name", "type", "title", "viewer_count",
                 "started_at", "language", "thumbnail_url", "tag_ids", "is_mature", "tags")

    def __init__(self, api: HelixAPI | None, data: Raw) -> None:
        super().__init__(data)
        self.id: str = data.get("id") or ""
        self.user = PartialUser(api, data.get("user_id"), data.get("user_name") or data.get("user_login"))
        self.game_id: str = data.get("game_id") or ""
        self.game_name: str = data.get("game_name") or ""
        self.type: str = data.get("type") or ""
        self.title: str = data.get("title") or ""
        self.viewer_count: int = to_int(data.get("viewer_count")) or 0
        self.started_at = parse_time(data.get("started_at"))
        self.language: str = data.get("language") or ""
        self.thumbnail_url: str = data.get("thumbnail_url") or ""
        self.tag_ids: list[str] = list(data.get("tag_ids") or [])
        self.is_mature: bool = bool(data.get("is_mature"))
        self.tags: list[str] = list(data.get("tags") or [])


class Game(HelixModel):
    """A category of ``/games``, ``/games/top`` or ``/search/categories``."""

    __slots__ = ("id", "name", "box_art_url", "igdb_id")

    def __init__(self, data: Raw) -> None:
        super().__init__(data)
        self.id: int | None = to_int(data.get("id"))
        self.name: str = data.get("name") or ""
        self.box_art_url: str = data.get("box_art_url") or ""
        self.igdb_id: int | None = to_int(data.get("igdb_id"))

    def art_url(self, width: int, height: int) -> str:
        """The box art URL at ``width`` x ``height``."""
        return self.box_art_url.format(width=width, height=height)


class Video(HelixModel):
    """A video of ``/videos``."""

    __slots__ = ("_api", "id", "user", "title", "description", "created_at", "published_at", "url",
                 "thumbnail_url", "viewable", "view_count", "language", "type", "duration")

    def __init__(self, api: HelixAPI | None, data: Raw, user: PartialUser | None = None) -> None:
        super().__init__(data)
        self._api = api
        self.id: int | None = to_int(data.get("id"))
        self.user = user or PartialUser(api, data.get("user_id"), data.get("user_name") or data.get("user_login"))
        for name in ("title", "description", "url", "thumbnail_url", "viewable", "language", "type", "duration"):
            setattr(self, name, data.get(name) or "")
        self.created_at = parse_time(data.get("created_at"))
        self.published_at = parse_time(data.get("published_at"))
        self.view_count: int = to_int(data.get("view_count")) or 0

    async def delete(self, token: str) -> None:
        """Delete this video (a token with ``channel:manage:videos``)."""
        if self._api is None:
            raise RuntimeError("this Video was built without an API")
        await self._api.delete_videos(token, [self.id])


class Clip(HelixModel):
    """A clip of ``/clips``."""

    __slots__ = ("id", "url", "embed_url", "broadcaster", "creator", "video_id", "game_id",
                 "language", "title", "views", "created_at", "thumbnail_url", "duration",
                 "vod_offset", "is_featured")

    def __init__(self, api: HelixAPI | None, data: Raw) -> None:
        super().__init__(data)
        for name in ("id", "url", "embed_url", "video_id", "game_id", "language", "title", "thumbnail_url"):
            setattr(self, name, data.get(name) or "")
        self.broadcaster = PartialUser(api, data.get("broadcaster_id"), data.get("broadcaster_name"))
        self.creator = PartialUser(api, data.get("creator_id"), data.get("creator_name"))
        self.views: int = to_int(data.get("view_count")) or 0
        self.created_at = parse_time(data.get("created_at"))
        self.duration: float = float(data.get("duration") or 0.0)
        self.vod_offset: int | None = to_int(data.get("vod_offset"))
        self.is_featured: bool = bool(data.get("is_featured"))


class CheerEmoteTier(HelixModel):
    """One tier of a cheermote."""

    __slots__ = ("min_bits", "id", "color", "images", "can_cheer", "show_in_bits_card")

    def __init__(self, data: Raw) -> None:
        super().__init__(data)
        self.min_bits: int = to_int(data.get("min_bits")) or 0
        self.id: str = data.get("id") or ""
        self.color: str = data.get("color") or ""
        self.images: dict[str, Any] = data.get("images") or {}
        self.can_cheer: bool = bool(data.get("can_cheer"))
        self.show_in_bits_card: bool = bool(data.get("show_in_bits_card"))


class CheerEmote(HelixModel):
    """A cheermote of ``/bits/cheermotes``."""

    __slots__ = ("prefix", "tiers", "type", "order", "last_updated", "charitable")

    def __init__(self, api: HelixAPI | None, data: Raw) -> None:
        super().__init__(data)
        self.prefix: str = data.get("prefix") or ""
        self.tiers = [CheerEmoteTier(t) for t in data.get("tiers") or []]
        self.type: str = data.get("type") or ""
        self.order: int | None = to_int(data.get("order"))
        self.last_updated = parse_time(data.get("last_updated"))
        self.charitable: bool = bool(data.get("is_charitable"))


class GlobalEmote(HelixModel):
    """An emote of ``/chat/emotes/global``."""

    __slots__ = ("id", "name", "images", "format", "scale", "theme_mode", "template")

    def __init__(self, api: HelixAPI | None, data: Raw, template: str | None = None) -> None:
        super().__init__(data)
        self.id: str = data.get("id") or ""
        self.name: str = data.get("name") or ""
        self.images: dict[str, str] = data.get("images") or {}
        self.format: list[str] = list(data.get("format") or [])
        self.scale: list[str] = list(data.get("scale") or [])
        self.theme_mode: list[str] = list(data.get("theme_mode") or [])
        self.template = template


class ChatBadgeVersions(HelixModel):
    """One version of a chat badge."""

    __slots__ = ("id", "image_url_1x", "image_url_2x", "image_url_4x", "title", "description",
                 "click_action", "click_url")

    def __init__(self, data: Raw) -> None:
        super().__init__(data)
        for name in ("id", "image_url_1x", "image_url_2x", "image_url_4x", "title", "description"):
            setattr(self, name, data.get(name) or "")
        self.click_action: str | None = data.get("click_action")
        self.click_url: str | None = data.get("click_url")


class ChatBadge(HelixModel):
    """A badge set of ``/chat/badges/global``."""

    __slots__ = ("set_id", "versions")

    def __init__(self, data: Raw) -> None:
        super().__init__(data)
        self.set_id: str = data.get("set_id") or ""
        self.versions = [ChatBadgeVersions(v) for v in data.get("versions") or []]


class Team(HelixModel):
    """A team of ``/teams``."""

    __slots__ = ("users", "background_image_url", "banner", "created_at", "updated_at", "info",
                 "thumbnail_url", "team_name", "team_display_name", "id")

    def __init__(self, api: HelixAPI | None, data: Raw) -> None:
        super().__init__(data)
        self.users = [PartialUser(api, u.get("user_id"), u.get("user_login")) for u in data.get("users") or []]
        self.background_image_url: str | None = data.get("background_image_url")
        self.banner: str | None = data.get("banner")
        self.created_at = parse_time(data.get("created_at"))
        self.updated_at = parse_time(data.get("updated_at"))
        for name in ("info", "thumbnail_url", "team_name", "team_display_name", "id"):
            setattr(self, name, data.get(name) or "")


class Tag(HelixModel):
    """A (legacy) stream tag of ``/tags/streams``."""

    __slots__ = ("id", "auto", "localization_names", "localization_descriptions")

    def __init__(self, data: Raw) -> None:
        super().__init__(data)
        self.id: str = data.get("tag_id") or data.get("id") or ""
        self.auto: bool = bool(data.get("is_auto"))
        self.localization_names: dict[str, str] = data.get("localization_names") or {}
        self.localization_descriptions: dict[str, str] = data.get("localization_descriptions") or {}


class WebhookSubscription(HelixModel):
    """A legacy webhook subscription of ``/webhooks/subscriptions``."""

    __slots__ = ("callback", "expires_at", "topic")

    def __init__(self, data: Raw) -> None:
        super().__init__(data)
        self.callback: str = data.get("callback") or ""
        self.expires_at = parse_time(data.get("expires_at") or data.get("expired_at"))
        self.topic: str = data.get("topic") or ""


class EventSubSubscription(HelixModel):
    """An EventSub subscription of ``/eventsub/subscriptions``."""

    __slots__ = ("id", "status", "type", "version", "condition", "transport", "created_at", "cost")

    def __init__(self, data: Raw) -> None:
        super().__init__(data)
        for name in ("id", "status", "type", "version"):
            setattr(self, name, data.get(name) or "")
        self.condition: dict[str, Any] = data.get("condition") or {}
        self.transport: dict[str, Any] = data.get("transport") or {}
        self.created_at = parse_time(data.get("created_at"))
        self.cost: int = to_int(data.get("cost")) or 0
