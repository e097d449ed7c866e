"""The Helix half of the client reference: every ``fetch_*`` method and its siblings.

:class:`HelixAPI` is a mixin; ``Client`` inherits it and passes its token and endpoints on. It owns
one :class:`~recorder.client.http.HelixHTTP` (``self.http``), the transport the enrichment jobs
share. Arguments and return models follow the reference (TwitchIO 2.10), without its limits:
id lists longer than 100 are split into batches and merged instead of failing.

Differences from TwitchIO 2.10, on purpose: ``fetch_channel`` returns None for an unknown
channel; ``fetch_teams`` returns the one :class:`Team` found (as TwitchIO does, whatever its docs
say); ``delete_videos`` returns one flat list of the deleted ids; ``fetch_videos`` sends
``language`` (TwitchIO misspells it); ``fetch_users(force=...)`` is accepted, and there is no
user cache to bypass (every call asks Helix).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, Literal

from recorder.client.errors import HTTPException, InvalidContent
from recorder.client.helix_models import (ChannelInfo, ChatBadge, ChatterColor, CheerEmote, Clip,
                                          Game, GlobalEmote, PartialUser, SearchUser, Stream,
                                          Tag, Team, User, Video, WebhookSubscription)
from recorder.client.http import HelixHTTP, TokenHook

__all__ = ["HelixAPI"]

logger = logging.getLogger("recorder.client.api")
Id = int | str
LISTING_LIMIT = 100  # what TwitchIO returns of an unfiltered listing (one full page)


def _rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class HelixAPI:
    """Mixin with the Helix methods of the client reference, on ``self._http``."""

    def __init__(self, *, token: str | None = None, client_id: str | None = None,
                 client_secret: str | None = None, helix_url: str = "https://api.twitch.tv/helix",
                 auth_url: str = "https://id.twitch.tv/oauth2",
                 token_expired_hook: TokenHook | None = None, **http_options: Any) -> None:
        self._http = HelixHTTP(client_id=client_id, token=token, client_secret=client_secret,
                               helix_url=helix_url, auth_url=auth_url,
                               token_expired_hook=token_expired_hook or self._call_token_expired,
                               **http_options)

    @property
    def http(self) -> HelixHTTP:
        """The Helix transport (one rate-limit bucket) this client shares with enrichment."""
        return self._http

    async def event_token_expired(self) -> str | None:
        """Called when Helix says the token expired: return a new token, or None to have one
        generated from the client id and secret. Errors go to ``event_error`` when it exists."""
        return None

    async def _call_token_expired(self) -> str | None:
        try:
            return await self.event_token_expired()
        except Exception as exc:  # the hook is user code: report it, then fall back
            handler = getattr(self, "event_error", None)
            if handler is not None:
                await handler(exc)
            else:
                logger.warning("event_token_expired raised %s", type(exc).__name__)
            return None

    def create_user(self, user_id: int, user_name: str) -> PartialUser:
        """A :class:`PartialUser` from an id and a name (no request)."""
        return PartialUser(self, user_id, user_name)

    # -- users and channels --------------------------------------------------------------------
    async def fetch_users(self, names: Sequence[str] | None = None, ids: Sequence[Id] | None = None,
                          token: str | None = None, force: bool = False, *, priority: int = 0) -> list[User]:
        """Users by login and/or id, any number (100 per request, ids and logins together).
        With neither, the user of a user token. ``priority``: see :class:`HelixBucket`."""
        if not names and not ids:
            data = await self._http.request("GET", "users", token=token, priority=priority)
        else:
            data = await self._http.request_batched("users", "id", ids, token=token, priority=priority,
                                                    more={"login": [n.lower() for n in names or ()]})
        return [User(self, d) for d in data]

    async def fetch_channel(self, broadcaster: str, token: str | None = None) -> ChannelInfo | None:
        """One channel by login or id (None if it does not exist)."""
        broadcaster = str(broadcaster)
        if not broadcaster.isdigit():
            users = await self.fetch_users(names=[broadcaster.lower().lstrip("#")], token=token)
            if not users:
                return None
            broadcaster = str(users[0].id)
        found = await self.fetch_channels([broadcaster], token=token)
        return found[0] if found else None

    async def fetch_channels(self, broadcaster_ids: Sequence[Id], token: str | None = None, *,
                             priority: int = 0) -> list[ChannelInfo]:
        """Channel information of any number of broadcasters (100 per request)."""
        data = await self._http.request_batched("channels", "broadcaster_id", broadcaster_ids,
                                                token=token, priority=priority)
        return [ChannelInfo(self, d) for d in data]

    async def fetch_chatters_colors(self, user_ids: Sequence[Id], token: str | None = None) -> list[ChatterColor]:
        """Chat colours of any number of users (100 per request)."""
        data = await self._http.request_batched("chat/color", "user_id", user_ids, token=token)
        return [ChatterColor(self, d) for d in data]

    async def update_chatter_color(self, token: str, user_id: Id, color: str) -> None:
        """Set the chat colour of the token's user (``user:manage:chat_color``)."""
        await self._http.request_body("PUT", "chat/color", {"user_id": user_id, "color": color}, token=token)

    async def send_whisper(self, token: str, from_user_id: Id, to_user_id: Id, message: str) -> None:
        """Send a whisper the way Twitch takes them today: ``POST /helix/whispers`` with a user
        token (``user:manage:whispers``) of ``from_user_id`` (IRC ``/w`` no longer works)."""
        if not message:
            raise InvalidContent("a whisper needs a message")
        await self._http.request_body("POST", "whispers",
                                      {"from_user_id": from_user_id, "to_user_id": to_user_id},
                                      json={"message": message}, token=token)

    async def search_channels(self, query: str, *, live_only: bool = False) -> list[SearchUser]:
        """Channels matching ``query`` (live ones only with ``live_only``)."""
        data = await self._http.request("GET", "search/channels", {"query": query, "live_only": live_only},
                                        paginate=True, limit=LISTING_LIMIT)
        return [SearchUser(self, d) for d in data]

    # -- streams and games ---------------------------------------------------------------------
    async def fetch_streams(self, user_ids: Sequence[Id] | None = None, game_ids: Sequence[Id] | None = None,
                            user_logins: Sequence[str] | None = None, languages: Sequence[str] | None = None,
                            token: str | None = None, type: Literal["all", "live"] = "all", *,
                            priority: int = 0) -> list[Stream]:
        """Live streams: of any number of users (ids and logins together, 100 per request), or
        the first 100 of a listing filtered by games and languages."""
        params = {"type": type, "game_id": list(game_ids or []), "language": list(languages or [])}
        if user_ids or user_logins:
            data = await self._http.request_batched("streams", "user_id", user_ids, params=params,
                                                    more={"user_login": user_logins}, paginate=True,
                                                    token=token, priority=priority)
        else:
            data = await self._http.request("GET", "streams", params, paginate=True,
                                            limit=LISTING_LIMIT, token=token, priority=priority)
        return [Stream(self, d) for d in data]

    async def fetch_games(self, ids: Sequence[Id] | None = None, names: Sequence[str] | None = None,
                          igdb_ids: Sequence[Id] | None = None, *, priority: int = 0) -> list[Game]:
        """Games by id, name or IGDB id, any number (100 per request, all three together)."""
        if not (ids or names or igdb_ids):
            raise ValueError("At least one of game id, name or IGDB id must be provided.")
        data = await self._http.request_batched("games", "id", ids, priority=priority,
                                                more={"name": names, "igdb_id": igdb_ids})
        return [Game(d) for d in data]

    async def fetch_top_games(self) -> list[Game]:
        """The 100 most watched games."""
        data = await self._http.request("GET", "games/top", paginate=True, limit=LISTING_LIMIT)
        return [Game(d) for d in data]

    async def search_categories(self, query: str) -> list[Game]:
        """Categories (games) matching ``query``."""
        data = await self._http.request("GET", "search/categories", {"query": query},
                                        paginate=True, limit=LISTING_LIMIT)
        return [Game(d) for d in data]

    # -- videos and clips ----------------------------------------------------------------------
    async def fetch_videos(self, ids: Sequence[Id] | None = None, game_id: Id | None = None,
                           user_id: Id | None = None, period: str | None = None, sort: str | None = None,
                           type: str | None = None, language: str | None = None) -> list[Video]:
        """Videos by ids (any number), or the first 100 of a game's or a user's videos."""
        if ids:
            data = await self._http.request_batched("videos", "id", ids)
        else:
            params = {"game_id": game_id, "user_id": user_id, "period": period, "sort": sort,
                      "type": type, "language": language}
            data = await self._http.request("GET", "videos", params, paginate=True, limit=LISTING_LIMIT)
        return [Video(self, d) for d in data]

    async def delete_videos(self, token: str, ids: Sequence[Id]) -> list[int]:
        """Delete videos of the token's channel (5 per request); the ids deleted."""
        deleted: list[int] = []
        for start in range(0, len(ids), 5):
            body = await self._http.request_body("DELETE", "videos", {"id": list(ids[start:start + 5])},
                                                 token=token)
            deleted += [int(i) for i in (body or {}).get("data") or []]
        return deleted

    async def fetch_clips(self, ids: Sequence[str]) -> list[Clip]:
        """Clips by id, any number (100 per request)."""
        data = await self._http.request_batched("clips", "id", ids)
        return [Clip(self, d) for d in data]

    async def fetch_user_clips(self, broadcaster_id: Id | None, *, started_at: datetime | None = None,
                               ended_at: datetime | None = None, is_featured: bool | None = None,
                               limit: int = LISTING_LIMIT) -> list[Clip]:
        """The first ``limit`` clips of a broadcaster (what ``PartialUser.fetch_clips`` calls)."""
        params = {"broadcaster_id": broadcaster_id, "started_at": _rfc3339(started_at),
                  "ended_at": _rfc3339(ended_at), "is_featured": is_featured}
        data = await self._http.request("GET", "clips", params, paginate=True, limit=limit)
        return [Clip(self, d) for d in data]

    # -- catalogs ------------------------------------------------------------------------------
    async def fetch_cheermotes(self, user_id: Id | None = None) -> list[CheerEmote]:
        """Cheermotes, global and (with ``user_id``) of that channel."""
        data = await self._http.request("GET", "bits/cheermotes", {"broadcaster_id": user_id or None})
        return [CheerEmote(self, d) for d in data]

    async def fetch_global_emotes(self) -> list[GlobalEmote]:
        """Twitch's global emotes."""
        body = await self._http.request_body("GET", "chat/emotes/global")
        template = body.get("template") if isinstance(body, dict) else None
        return [GlobalEmote(self, d, template) for d in (body or {}).get("data") or []]

    async def fetch_global_chat_badges(self) -> list[ChatBadge]:
        """Twitch's global chat badge sets."""
        return [ChatBadge(d) for d in await self._http.request("GET", "chat/badges/global")]

    async def fetch_tags(self, ids: Sequence[str] | None = None) -> list[Tag]:
        """Stream tags by id (any number), or the first 100 of all."""
        if ids:
            data = await self._http.request_batched("tags/streams", "tag_id", ids)
        else:
            data = await self._http.request("GET", "tags/streams", paginate=True, limit=LISTING_LIMIT)
        return [Tag(d) for d in data]

    async def fetch_teams(self, team_name: str | None = None, team_id: str | None = None) -> Team:
        """The team called ``team_name`` or with id ``team_id``."""
        if not (team_name or team_id):
            raise ValueError("You need to provide a team name or id")
        params = {"name": team_name} if team_name else {"id": team_id}
        data = await self._http.request("GET", "teams", params)
        if not data:
            raise HTTPException(404, "Team not found")
        return Team(self, data[0])

    async def get_webhook_subscriptions(self) -> list[WebhookSubscription]:
        """The legacy webhook subscriptions of the app (needs an app access token)."""
        data = await self._http.request("GET", "webhooks/subscriptions", paginate=True)
        return [WebhookSubscription(d) for d in data]
