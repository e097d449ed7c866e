"""The simulator's ``api.twitch.tv/helix``: auth, rate limit, faults, pagination, then endpoints.

Every request under ``/helix/`` passes the same steps (:func:`_serve`), in this order:

1. it is logged in :attr:`HelixState.requests` (method, path, query, client id; never the token);
2. an injected delay (:meth:`HelixState.slow`) and an injected fault (:meth:`HelixState.fail_next`);
3. ``Authorization: Bearer <token>`` must be a live token of the simulated OAuth, and ``Client-Id``
   the token's client (401 in Twitch's shape otherwise);
4. one point is taken from the bucket of the client id (and user, for user tokens), or 429;
5. the endpoint runs (``helix_routes``); a :class:`HelixError` becomes Twitch's JSON error.

Every response carries ``Ratelimit-Limit``, ``Ratelimit-Remaining`` and ``Ratelimit-Reset`` when
the client id is known. Cursors are opaque base64 JSON, like Twitch's.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from http import HTTPStatus
from typing import Any, NamedTuple

from aiohttp import web

from recorder.sim.helix_catalog import SimClip, SimVideo, make_clips, make_teams, make_videos
from recorder.sim.oauth import DEFAULT_CLIENT_ID, OAuthState, TokenInfo
from recorder.sim.ratelimit import RateLimiter, TokenBucket, too_many_requests_body

Clock = Callable[[], float]
Handler = Callable[["Call"], Awaitable[Any]]


class HelixError(Exception):
    """An error answer: ``{"error": <reason>, "status": <status>, "message": <message>}``."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message

    def response(self, headers: dict[str, str] | None = None) -> web.Response:
        """This error as Twitch's JSON response."""
        body = {"error": HTTPStatus(self.status).phrase, "status": self.status, "message": self.message}
        if self.status == 429:
            body = too_many_requests_body()
        return web.json_response(body, status=self.status, headers=headers)


class HelixRequest(NamedTuple):
    """One logged request: ``query`` maps each key to all its values, in order."""

    method: str
    path: str
    query: dict[str, list[str]]
    client_id: str | None


@dataclass
class Fault:
    """An injected failure for the next request."""

    status: int
    retry_after: float | None


class HelixState:
    """The Helix side of the simulator: log, faults, rate limits and mutable server data."""

    def __init__(self, world: Any, oauth: OAuthState, *, clock: Clock = time.time,
                 points_per_minute: int = 800,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.world = world
        self.oauth = oauth
        self.clock = clock
        self.limiter = RateLimiter(points_per_minute, clock)
        self.requests: list[HelixRequest] = []
        self.delay_s = 0.0
        self.sleep = sleep  # replaceable, so tests of slow() need not wait
        self._faults: deque[Fault] = deque()
        self.colors: dict[str, str] = {}
        self.deleted_videos: set[str] = set()
        self.eventsub_subscriptions: list[dict[str, Any]] = []
        self.webhook_subscriptions: list[dict[str, Any]] = []
        self.whispers: list[dict[str, Any]] = []  # POST /whispers, in order
        #: async callback(whisper dict), set by the facade to deliver whispers over IRC
        self.on_whisper: Callable[[dict[str, Any]], Awaitable[None]] | None = None

    # -- test controls ----------------------------------------------------------------------
    def fail_next(self, status: int, count: int = 1, retry_after: float | None = None) -> None:
        """Answer the next ``count`` requests with ``status`` (429, 500, 503, 401, ...)."""
        self._faults.extend(Fault(status, retry_after) for _ in range(count))

    def slow(self, delay_s: float) -> None:
        """Delay every following request by ``delay_s`` seconds (0 to stop)."""
        self.delay_s = max(0.0, delay_s)

    def bucket(self, client_id: str = DEFAULT_CLIENT_ID, user_id: str | None = None) -> TokenBucket:
        """The rate-limit bucket of ``client_id`` (and ``user_id`` for user tokens)."""
        return self.limiter.bucket(client_id, user_id)

    def calls(self, path: str, method: str = "GET") -> int:
        """How many ``method`` requests reached ``/helix/<path>``."""
        full = "/helix/" + path.strip("/")
        return sum(1 for r in self.requests if r.path.rstrip("/") == full and r.method == method)

    # -- server data ------------------------------------------------------------------------
    def chat_color(self, user_id: str) -> str:
        """The chat colour of ``user_id``: set through ``PUT chat/color`` or the world's."""
        if user_id in self.colors:
            return self.colors[user_id]
        user = self.world.users_by_id.get(user_id)
        return user.color if user else ""

    @cached_property
    def videos(self) -> list[SimVideo]:
        """Every video ever made in the world (deleted ones included; see deleted_videos)."""
        return make_videos(self.world)

    @cached_property
    def clips(self) -> list[SimClip]:
        """Every clip in the world."""
        return make_clips(self.world, self.videos)

    @cached_property
    def teams(self) -> list[dict[str, Any]]:
        """The world's teams in ``/teams`` shape."""
        return make_teams(self.world)

    def take_fault(self) -> Fault | None:
        """The next injected fault, if any."""
        return self._faults.popleft() if self._faults else None

    async def pause(self) -> None:
        """Wait the injected delay, if any."""
        if self.delay_s > 0:
            await self.sleep(self.delay_s)


@dataclass
class Call:
    """One authenticated Helix request as an endpoint sees it."""

    request: web.Request
    state: HelixState
    token: TokenInfo
    now: float

    def values(self, name: str) -> list[str]:
        """Every value of query parameter ``name`` (empty ones dropped)."""
        return [v for v in self.request.query.getall(name, []) if v != ""]

    def value(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``."""
        found = self.values(name)
        return found[0] if found else default

    def require_user(self, scope: str | None = None) -> TokenInfo:
        """The token's user, or 401 when it is an app token or lacks ``scope``."""
        if self.token.is_app_token:
            raise HelixError(401, "Missing User OAUTH Token")
        if scope and scope not in self.token.scopes:
            raise HelixError(401, f"Missing scope: {scope}")
        return self.token

    def require_app(self) -> None:
        """401 unless the token is an app access token."""
        if not self.token.is_app_token:
            raise HelixError(401, "Must use an app access token")


def encode_cursor(offset: int, snapshot: float | None = None) -> str:
    """An opaque cursor, base64 of JSON like Twitch's ``{"b":null,"a":{"Offset":20}}``."""
    payload: dict[str, Any] = {"b": None, "a": {"Offset": offset}}
    if snapshot is not None:
        payload["t"] = snapshot
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, float | None]:
    """(offset, snapshot time) of a cursor made by :func:`encode_cursor`; 400 if malformed."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = int(payload["a"]["Offset"])
        snapshot = payload.get("t")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise HelixError(400, "Invalid cursor") from None
    if offset < 0:
        raise HelixError(400, "Invalid cursor")
    return offset, (float(snapshot) if snapshot is not None else None)


def snapshot_of(call: Call) -> float:
    """The time a paginated listing is ordered by: from the ``after`` cursor, else now."""
    after = call.value("after")
    snapshot = decode_cursor(after)[1] if after else None
    return call.now if snapshot is None else snapshot


def first_of(call: Call, default: int = 20, maximum: int = 100) -> int:
    """The ``first`` parameter, checked against 1..maximum."""
    raw = call.value("first", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise HelixError(400, f'The parameter "first" was malformed: the value must be between 1 and {maximum}')
    return int(raw)


def paginate(items: list[Any], call: Call, *, default: int = 20,
             snapshot: float | None = None) -> dict[str, Any]:
    """``{"data": page, "pagination": {"cursor": ...}}``; no cursor on the last page."""
    first = first_of(call, default)
    after = call.value("after")
    offset = decode_cursor(after)[0] if after else 0
    page = items[offset:offset + first]
    following = offset + len(page)
    pagination = {"cursor": encode_cursor(following, snapshot)} if following < len(items) else {}
    return {"data": page, "pagination": pagination}


def _log(state: HelixState, request: web.Request) -> None:
    query: dict[str, list[str]] = {}
    for key, val in request.query.items():
        query.setdefault(key, []).append(val)
    state.requests.append(HelixRequest(request.method, request.path, query,
                                       request.headers.get("Client-Id")))


def _fault_response(state: HelixState, fault: Fault, client_id: str | None) -> web.Response:
    headers = state.bucket(client_id).headers() if client_id else {}
    if fault.status == 429:
        wait = 1.0 if fault.retry_after is None else fault.retry_after
        headers.update({"Ratelimit-Remaining": "0",
                        "Ratelimit-Reset": str(int(math.ceil(state.clock() + wait)))})
        if fault.retry_after is not None:
            headers["Retry-After"] = str(int(math.ceil(fault.retry_after)))
    message = "Invalid OAuth token" if fault.status == 401 else ""
    return HelixError(fault.status, message).response(headers)


def _authenticate(state: HelixState, request: web.Request) -> TokenInfo:
    """The live token of the request, or a 401 HelixError like Twitch's."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HelixError(401, "OAuth token is missing")
    info = state.oauth.validate(token.strip())
    if info is None:
        raise HelixError(401, "Invalid OAuth token")
    client_id = request.headers.get("Client-Id")
    if not client_id:
        raise HelixError(401, "Client-Id header required")
    if client_id != info.client_id:
        raise HelixError(401, "Client ID and OAuth token do not match")
    return info


async def _serve(state: HelixState, request: web.Request, fn: Handler) -> web.StreamResponse:
    """Log, delay, fault, authenticate, rate-limit, then run ``fn`` (see the module docstring)."""
    _log(state, request)
    await state.pause()
    client_id = request.headers.get("Client-Id")
    fault = state.take_fault()
    if fault is not None:
        return _fault_response(state, fault, client_id)
    try:
        token = _authenticate(state, request)
    except HelixError as error:
        return error.response(state.bucket(client_id).headers() if client_id else None)
    bucket = state.bucket(token.client_id, token.user_id)
    if not bucket.try_take():
        return HelixError(429).response(bucket.headers())
    try:
        result = await fn(Call(request, state, token, state.clock()))
    except HelixError as error:
        result = error.response()
    response = result if isinstance(result, web.StreamResponse) else web.json_response(result)
    response.headers.update(bucket.headers())
    return response


def endpoint(state: HelixState, fn: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """An aiohttp handler serving ``fn(call) -> body dict | Response`` through :func:`_serve`."""
    async def handler(request: web.Request) -> web.StreamResponse:
        return await _serve(state, request, fn)
    handler.__name__ = getattr(fn, "__name__", "helix_endpoint")
    return handler


def add_helix_routes(app: web.Application, world: Any, oauth: OAuthState, *,
                     clock: Clock = time.time, points_per_minute: int = 800) -> HelixState:
    """Mount every Helix endpoint under ``/helix/`` on ``app`` (a sub-application)."""
    from recorder.sim.helix_routes import register

    state = HelixState(world, oauth, clock=clock, points_per_minute=points_per_minute)
    helix = web.Application()
    register(helix, state)
    app.add_subapp("/helix", helix)
    return state
