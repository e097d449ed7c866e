"""Helix endpoints about people and streams: users, channels, streams, games, search, chat colour.

Each endpoint takes a :class:`~recorder.sim.helix.Call` (already authenticated and rate limited)
and returns a body dict in Twitch's shape, or raises :class:`~recorder.sim.helix.HelixError`.
Data comes from the world, so ids, logins and games agree with the IRC side.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from recorder.sim.helix import Call, HelixError, HelixState, endpoint, paginate, snapshot_of
from recorder.sim.helix_catalog import rfc3339

NAMED_COLORS = {
    "blue": "#0000FF", "blue_violet": "#8A2BE2", "cadet_blue": "#5F9EA0", "chocolate": "#D2691E",
    "coral": "#FF7F50", "dodger_blue": "#1E90FF", "firebrick": "#B22222", "golden_rod": "#DAA520",
    "green": "#008000", "hot_pink": "#FF69B4", "orange_red": "#FF4500", "red": "#FF0000",
    "sea_green": "#2E8B57", "spring_green": "#00FF7F", "yellow_green": "#9ACD32",
}
_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def at_most(call: Call, names: tuple[str, ...], limit: int = 100) -> None:
    """400 when the parameters ``names`` together carry more than ``limit`` values."""
    if sum(len(call.values(n)) for n in names) > limit:
        joined = " and ".join(names)
        raise HelixError(400, f"The sum of the {joined} parameters must not exceed {limit}")


def visible_user(call: Call, user_id: str | None = None, login: str | None = None) -> Any:
    """The world's user by id or login, or None (suspended users are invisible, as on Twitch)."""
    world = call.state.world
    user = world.users_by_id.get(user_id) if user_id else world.users_by_login.get((login or "").lower())
    return None if user is None or user.login in world.suspended else user


def user_json(user: Any, call: Call) -> dict[str, Any]:
    """The ``/users`` shape (email only for the token's own user with user:read:email)."""
    body = {"id": user.id, "login": user.login, "display_name": user.display_name,
            "type": user.type, "broadcaster_type": user.broadcaster_type,
            "description": user.description, "profile_image_url": user.profile_image_url,
            "offline_image_url": user.offline_image_url, "view_count": user.view_count,
            "created_at": rfc3339(user.created_at)}
    if call.token.user_id == user.id and "user:read:email" in call.token.scopes:
        body["email"] = f"{user.login}@example.invalid"
    return body


def game_json(game: Any) -> dict[str, Any]:
    """The ``/games`` shape."""
    return {"id": game.id, "name": game.name, "box_art_url": game.box_art_url, "igdb_id": game.igdb_id}


def _game_name(call: Call, game_id: str) -> str:
    game = call.state.world.games.get(game_id)
    return game.name if game else ""


def channel_json(user: Any, call: Call) -> dict[str, Any]:
    """The ``/channels`` shape; users without a simulated channel have an empty one."""
    chan = call.state.world.channels.get(user.login)
    game_id = chan.game_id if chan else ""
    return {"broadcaster_id": user.id, "broadcaster_login": user.login,
            "broadcaster_name": user.display_name,
            "broadcaster_language": chan.language if chan else "en",
            "game_id": game_id, "game_name": _game_name(call, game_id),
            "title": chan.title if chan else "", "delay": 0,
            "tags": list(chan.tags) if chan else [], "content_classification_labels": [],
            "is_branded_content": False}


def stream_json(chan: Any, call: Call) -> dict[str, Any]:
    """The ``/streams`` shape, with the viewer count of this moment."""
    user = chan.broadcaster
    return {"id": chan.stream_id, "user_id": user.id, "user_login": user.login,
            "user_name": user.display_name, "game_id": chan.game_id,
            "game_name": _game_name(call, chan.game_id), "type": "live", "title": chan.title,
            "tags": list(chan.tags), "viewer_count": call.state.world.viewer_count(chan.login, call.now),
            "started_at": rfc3339(chan.started_at), "language": chan.language,
            "thumbnail_url": "https://static-cdn.jtvnw.net/previews-ttv/"
                             f"live_user_{user.login}-{{width}}x{{height}}.jpg",
            "tag_ids": [], "is_mature": False}


async def get_users(call: Call) -> dict[str, Any]:
    at_most(call, ("id", "login"))
    ids, logins = call.values("id"), call.values("login")
    if not ids and not logins:
        if call.token.is_app_token:
            raise HelixError(400, "Must provide an ID, Login or OAuth Token.")
        ids = [call.token.user_id or ""]
    found = [visible_user(call, user_id=i) for i in ids] + [visible_user(call, login=n) for n in logins]
    unique = {u.id: u for u in found if u is not None}
    return {"data": [user_json(u, call) for u in unique.values()]}


async def get_channels(call: Call) -> dict[str, Any]:
    ids = call.values("broadcaster_id")
    if not ids:
        raise HelixError(400, 'Missing required parameter "broadcaster_id"')
    at_most(call, ("broadcaster_id",))
    found = [visible_user(call, user_id=i) for i in ids]
    unique = {u.id: u for u in found if u is not None}
    return {"data": [channel_json(u, call) for u in unique.values()]}


async def get_streams(call: Call) -> dict[str, Any]:
    at_most(call, ("user_id", "user_login"))
    for name in ("game_id", "language"):
        at_most(call, (name,))
    if call.value("type", "all") not in ("all", "live"):
        raise HelixError(400, 'The parameter "type" must be "all" or "live"')
    ids, logins = set(call.values("user_id")), {v.lower() for v in call.values("user_login")}
    games, languages = set(call.values("game_id")), set(call.values("language"))
    live = [c for c in call.state.world.channels.values() if c.live
            and (not (ids or logins) or c.broadcaster.id in ids or c.login in logins)
            and (not games or c.game_id in games) and (not languages or c.language in languages)]
    snapshot = snapshot_of(call)
    world = call.state.world
    live.sort(key=lambda c: (-world.viewer_count(c.login, snapshot), c.login))
    body = paginate(live, call, snapshot=snapshot)
    body["data"] = [stream_json(c, call) for c in body["data"]]
    return body


async def get_games(call: Call) -> dict[str, Any]:
    at_most(call, ("id", "name", "igdb_id"))
    ids, names, igdb = set(call.values("id")), call.values("name"), set(call.values("igdb_id"))
    if not (ids or names or igdb):
        raise HelixError(400, 'Missing required parameter "id", "name" or "igdb_id"')
    lowered = {n.lower() for n in names}
    games = [g for g in call.state.world.games.values()
             if g.id in ids or g.name.lower() in lowered or g.igdb_id in igdb]
    return {"data": [game_json(g) for g in games]}


async def get_top_games(call: Call) -> dict[str, Any]:
    world = call.state.world
    viewers: dict[str, int] = {}
    for chan in world.channels.values():
        if chan.live:
            viewers[chan.game_id] = viewers.get(chan.game_id, 0) + chan.base_viewers
    games = sorted(world.games.values(), key=lambda g: (-viewers.get(g.id, 0), g.name, g.id))
    body = paginate(games, call)
    body["data"] = [game_json(g) for g in body["data"]]
    return body


async def search_categories(call: Call) -> dict[str, Any]:
    query = (call.value("query") or "").lower()
    if not query:
        raise HelixError(400, 'Missing required parameter "query"')
    games = sorted((g for g in call.state.world.games.values() if query in g.name.lower()),
                   key=lambda g: (not g.name.lower().startswith(query), g.name, g.id))
    body = paginate(games, call)
    body["data"] = [{"id": g.id, "name": g.name, "box_art_url": g.box_art_url} for g in body["data"]]
    return body


def search_channel_json(user: Any, call: Call) -> dict[str, Any]:
    """The ``/search/channels`` shape."""
    chan = call.state.world.channels.get(user.login)
    info = channel_json(user, call)
    live = bool(chan and chan.live)
    return {"broadcaster_language": info["broadcaster_language"], "broadcaster_login": user.login,
            "display_name": user.display_name, "game_id": info["game_id"],
            "game_name": info["game_name"], "id": user.id, "is_live": live, "tag_ids": [],
            "tags": info["tags"], "thumbnail_url": user.profile_image_url, "title": info["title"],
            "started_at": rfc3339(chan.started_at) if live else ""}


async def search_channels(call: Call) -> dict[str, Any]:
    query = (call.value("query") or "").lower()
    if not query:
        raise HelixError(400, 'Missing required parameter "query"')
    live_only = (call.value("live_only", "false") or "").lower() == "true"
    world = call.state.world
    matches = [u for u in world.users_by_id.values() if u.login not in world.suspended
               and (query in u.login or query in u.display_name.lower())]

    def is_live(user: Any) -> bool:
        chan = world.channels.get(user.login)
        return bool(chan and chan.live)

    if live_only:
        matches = [u for u in matches if is_live(u)]
    matches.sort(key=lambda u: (not is_live(u), u.login != query, u.login, u.id))
    body = paginate(matches, call)
    body["data"] = [search_channel_json(u, call) for u in body["data"]]
    return body


async def get_chat_color(call: Call) -> dict[str, Any]:
    ids = call.values("user_id")
    if not ids:
        raise HelixError(400, 'Missing required parameter "user_id"')
    at_most(call, ("user_id",))
    users = {u.id: u for u in (visible_user(call, user_id=i) for i in ids) if u is not None}
    return {"data": [{"user_id": u.id, "user_login": u.login, "user_name": u.display_name,
                      "color": call.state.chat_color(u.id)} for u in users.values()]}


async def put_chat_color(call: Call) -> web.Response:
    token = call.require_user("user:manage:chat_color")
    user_id, color = call.value("user_id"), call.value("color") or ""
    if not user_id:
        raise HelixError(400, 'Missing required parameter "user_id"')
    if user_id != token.user_id:
        raise HelixError(401, "The ID in user_id must match the user ID found in the request's OAuth token.")
    if color.lower() in NAMED_COLORS:
        color = NAMED_COLORS[color.lower()]
    elif not _HEX_COLOR.match(color):
        raise HelixError(400, "invalid color")
    call.state.colors[user_id] = color.upper()
    return web.Response(status=204)


async def post_whisper(call: Call) -> web.Response:
    """``POST /whispers?from_user_id=&to_user_id=`` with ``{"message": ...}``: how whispers
    are sent today (IRC /w is gone). Delivered to the recipient's IRC connections as WHISPER."""
    token = call.require_user("user:manage:whispers")
    from_id, to_id = call.value("from_user_id"), call.value("to_user_id")
    if not from_id or not to_id:
        raise HelixError(400, 'Missing required parameter "from_user_id" or "to_user_id"')
    if from_id != token.user_id:
        raise HelixError(401, "The ID in from_user_id must match the user ID found in the request's OAuth token.")
    recipient = call.state.world.users_by_id.get(to_id)
    if recipient is None:
        raise HelixError(404, "The ID in to_user_id was not found.")
    try:
        payload = await call.request.json()
    except ValueError:
        raise HelixError(400, "The request body must be JSON") from None
    message = (payload or {}).get("message") if isinstance(payload, dict) else None
    if not message or not isinstance(message, str):
        raise HelixError(400, 'The "message" field is required')
    if len(message) > 10_000:
        raise HelixError(400, "The message is too long")
    sender = call.state.world.users_by_id.get(from_id)
    whisper = {"from_user_id": from_id, "from_login": sender.login if sender else token.login,
               "to_user_id": to_id, "to_login": recipient.login, "message": message}
    call.state.whispers.append(whisper)
    if call.state.on_whisper is not None:
        await call.state.on_whisper(whisper)
    return web.Response(status=204)


async def not_found(call: Call) -> dict[str, Any]:
    raise HelixError(404, "")


def register(app: web.Application, state: HelixState) -> None:
    """Add every Helix endpoint to the Helix sub-application ``app``."""
    from recorder.sim.helix_media import MEDIA_ROUTES

    routes = [
        ("GET", "/users", get_users), ("GET", "/channels", get_channels),
        ("GET", "/streams", get_streams), ("GET", "/games", get_games),
        ("GET", "/games/top", get_top_games), ("GET", "/search/categories", search_categories),
        ("GET", "/search/channels", search_channels), ("GET", "/chat/color", get_chat_color),
        ("PUT", "/chat/color", put_chat_color), ("POST", "/whispers", post_whisper), *MEDIA_ROUTES,
    ]
    for method, path, fn in routes:
        app.router.add_route(method, path, endpoint(state, fn))
    app.router.add_route("*", "/{tail:.*}", endpoint(state, not_found))
