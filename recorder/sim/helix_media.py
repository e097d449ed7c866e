"""Helix endpoints about content and catalogs: videos, clips, cheermotes, emotes, badges, teams,
tags, and (EventSub / legacy webhook) subscriptions.

Same contract as :mod:`recorder.sim.helix_routes`: ``fn(call) -> body`` or a ``HelixError``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from recorder.sim.helix import Call, HelixError, paginate
from recorder.sim.helix_catalog import (GLOBAL_BADGES, GLOBAL_CHEERMOTES, GLOBAL_EMOTES,
                                        STREAM_TAGS, SimClip, SimVideo, badge_set_json,
                                        cheermote_json, emote_json, rfc3339, tag_json)
from recorder.sim.helix_routes import at_most

_PERIODS = {"all": None, "day": timedelta(days=1), "week": timedelta(days=7),
            "month": timedelta(days=30)}
_VIDEO_TYPES = ("all", "upload", "archive", "highlight")
_EMOTE_TEMPLATE = "https://static-cdn.jtvnw.net/emoticons/v2/{{id}}/{{format}}/{{theme_mode}}/{{scale}}"


def _one_of(call: Call, names: tuple[str, ...]) -> str:
    """The single filter among ``names`` present in the query; 400 if none or several."""
    present = [n for n in names if call.values(n)]
    if len(present) != 1:
        listed = ", ".join(f'"{n}"' for n in names)
        raise HelixError(400, f"Exactly one of the parameters {listed} must be given")
    return present[0]


def _now(call: Call) -> datetime:
    return datetime.fromtimestamp(call.now, timezone.utc)


def _sort_videos(videos: list[SimVideo], sort: str, now: datetime) -> list[SimVideo]:
    if sort == "views":
        return sorted(videos, key=lambda v: (-v.view_count, v.id))
    if sort == "trending":
        def heat(v: SimVideo) -> float:
            return v.view_count / max(1.0, (now - v.created_at).total_seconds() / 3600)
        return sorted(videos, key=lambda v: (-heat(v), v.id))
    return sorted(videos, key=lambda v: (v.created_at, v.id), reverse=True)


async def get_videos(call: Call) -> dict[str, Any]:
    by = _one_of(call, ("id", "user_id", "game_id"))
    state = call.state
    alive = [v for v in state.videos if v.id not in state.deleted_videos]
    if by == "id":
        at_most(call, ("id",))
        wanted = set(call.values("id"))
        return {"data": [v.to_json() for v in alive if v.id in wanted]}
    value = call.value(by)
    videos = [v for v in alive if getattr(v, by) == value]
    kind, period = call.value("type", "all"), call.value("period", "all")
    sort = call.value("sort", "time")
    if kind not in _VIDEO_TYPES or period not in _PERIODS or sort not in ("time", "trending", "views"):
        raise HelixError(400, 'Invalid value of "type", "period" or "sort"')
    language = call.value("language") or call.value("lanaguage")  # TwitchIO 2.10 misspells it
    now = _now(call)
    if kind != "all":
        videos = [v for v in videos if v.type == kind]
    if _PERIODS[period] is not None:
        videos = [v for v in videos if now - v.created_at <= _PERIODS[period]]
    if language:
        videos = [v for v in videos if v.language == language]
    body = paginate(_sort_videos(videos, sort, now), call)
    body["data"] = [v.to_json() for v in body["data"]]
    return body


async def delete_videos(call: Call) -> dict[str, Any]:
    token = call.require_user("channel:manage:videos")
    ids = call.values("id")
    if not ids:
        raise HelixError(400, 'Missing required parameter "id"')
    if len(ids) > 5:
        raise HelixError(400, "The id parameter exceeds the maximum of 5")
    state = call.state
    own = {v.id for v in state.videos if v.user_id == token.user_id} - state.deleted_videos
    deleted = [i for i in dict.fromkeys(ids) if i in own]
    state.deleted_videos.update(deleted)
    return {"data": deleted}


def _time_param(call: Call, name: str) -> datetime | None:
    raw = call.value(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        raise HelixError(400, f'The parameter "{name}" must be an RFC3339 time') from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def get_clips(call: Call) -> dict[str, Any]:
    by = _one_of(call, ("id", "broadcaster_id", "game_id"))
    if by == "id":
        at_most(call, ("id",))
        wanted = set(call.values("id"))
        return {"data": [c.to_json() for c in call.state.clips if c.id in wanted]}
    value = call.value(by)
    clips: list[SimClip] = [c for c in call.state.clips if getattr(c, by) == value]
    started, ended = _time_param(call, "started_at"), _time_param(call, "ended_at")
    if started is not None:
        ended = ended or started + timedelta(days=7)
        clips = [c for c in clips if started <= c.created_at <= ended]
    featured = call.value("is_featured")
    if featured is not None:
        clips = [c for c in clips if c.is_featured == (featured.lower() == "true")]
    clips.sort(key=lambda c: (-c.view_count, c.id))
    body = paginate(clips, call)
    body["data"] = [c.to_json() for c in body["data"]]
    return body


async def get_cheermotes(call: Call) -> dict[str, Any]:
    motes = [cheermote_json(prefix, kind, order + 1)
             for order, (prefix, kind) in enumerate(GLOBAL_CHEERMOTES)]
    broadcaster = call.state.world.users_by_id.get(call.value("broadcaster_id") or "")
    if broadcaster is not None and broadcaster.broadcaster_type in ("partner", "affiliate"):
        prefix = broadcaster.login.replace("_", "")[:10] + "Cheer"
        motes.insert(0, cheermote_json(prefix, "channel_custom", 1))
    return {"data": motes}


async def get_global_emotes(call: Call) -> dict[str, Any]:
    return {"data": [emote_json(i, name) for i, name in GLOBAL_EMOTES], "template": _EMOTE_TEMPLATE}


async def get_global_badges(call: Call) -> dict[str, Any]:
    return {"data": [badge_set_json(*entry) for entry in GLOBAL_BADGES]}


async def get_teams(call: Call) -> dict[str, Any]:
    name, team_id = call.value("name"), call.value("id")
    if not (name or team_id):
        raise HelixError(400, 'Missing required parameter "name" or "id"')
    found = [t for t in call.state.teams
             if (name and t["team_name"] == name.lower()) or (team_id and t["id"] == team_id)]
    if not found:
        raise HelixError(404, "Team not found")
    return {"data": found[:1]}


async def get_stream_tags(call: Call) -> dict[str, Any]:
    at_most(call, ("tag_id",))
    tags = [tag_json(name) for name in STREAM_TAGS]
    wanted = set(call.values("tag_id"))
    if wanted:
        return {"data": [t for t in tags if t["tag_id"] in wanted], "pagination": {}}
    return paginate(tags, call)


def _eventsub_totals(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    subs = call.state.eventsub_subscriptions
    body.update(total=len(subs), total_cost=sum(s["cost"] for s in subs), max_total_cost=10000)
    return body


async def get_eventsub(call: Call) -> dict[str, Any]:
    subs = call.state.eventsub_subscriptions
    status, kind = call.value("status"), call.value("type")
    chosen = [s for s in subs if (not status or s["status"] == status) and (not kind or s["type"] == kind)]
    return _eventsub_totals(call, paginate(chosen, call, default=100))


async def post_eventsub(call: Call) -> web.Response:
    try:
        payload = await call.request.json()
        kind, version = payload["type"], payload["version"]
        condition, transport = payload["condition"], payload["transport"]
    except (ValueError, KeyError, TypeError):
        raise HelixError(400, "Invalid request body") from None
    webhook = transport.get("method") == "webhook"
    if webhook:
        call.require_app()
    sub = {"id": str(uuid.uuid4()), "status": "enabled", "type": kind, "version": version,
           "condition": condition, "created_at": rfc3339(_now(call)), "cost": 1,
           "transport": {k: v for k, v in transport.items() if k != "secret"}}
    call.state.eventsub_subscriptions.append(sub)
    return web.json_response(_eventsub_totals(call, {"data": [sub]}), status=202)


async def delete_eventsub(call: Call) -> web.Response:
    sub_id = call.value("id")
    subs = call.state.eventsub_subscriptions
    kept = [s for s in subs if s["id"] != sub_id]
    if not sub_id or len(kept) == len(subs):
        raise HelixError(404, "subscription not found")
    subs[:] = kept
    return web.Response(status=204)


async def get_webhook_subscriptions(call: Call) -> dict[str, Any]:
    call.require_app()
    body = paginate(call.state.webhook_subscriptions, call)
    body["total"] = len(call.state.webhook_subscriptions)
    return body


MEDIA_ROUTES = [
    ("GET", "/videos", get_videos), ("DELETE", "/videos", delete_videos),
    ("GET", "/clips", get_clips), ("GET", "/bits/cheermotes", get_cheermotes),
    ("GET", "/chat/emotes/global", get_global_emotes), ("GET", "/chat/badges/global", get_global_badges),
    ("GET", "/teams", get_teams), ("GET", "/tags/streams", get_stream_tags),
    ("GET", "/eventsub/subscriptions", get_eventsub), ("POST", "/eventsub/subscriptions", post_eventsub),
    ("DELETE", "/eventsub/subscriptions", delete_eventsub),
    ("GET", "/webhooks/subscriptions", get_webhook_subscriptions),
]
