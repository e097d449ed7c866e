"""Helix + OAuth over aiohttp: tokens, the rate-limit bucket, retries, pagination, id batching.

One :class:`HelixHTTP` (one bucket) per client id is meant to be shared by everything in a process
that uses that client id: the Client's ``fetch_*`` methods and the enrichment jobs call the same
object, so they draw from the same :class:`~recorder.client.ratelimit.HelixBucket`.

Every request goes through the same loop (:meth:`HelixHTTP.request_body`):

1. a point is reserved from the bucket (waiting first when it is empty);
2. the request is sent with ``Client-Id`` and ``Authorization: Bearer <token>``;
3. 429 -> wait until ``Ratelimit-Reset`` and retry; 5xx and connection errors -> exponential
   backoff with full jitter and retry (at most ``max_retries`` retries in all);
   401 with an invalid/expired token -> ``token_expired_hook`` (a new token, or None to use client
   credentials) and ONE retry; any other error -> :class:`HTTPException` (status, Twitch's message).

Secrets (tokens, the client secret) are sent only in headers and form bodies, never logged, never
put in exception messages (they are redacted if a server echoes them) and never in ``repr``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json as jsonlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from recorder.client.errors import (AuthenticationError, HTTPException, NoClientID, NoToken,
                                    TwitchIOException, Unauthorized)
from recorder.client.ratelimit import Clock, HelixBucket, Sleep

__all__ = ["HelixHTTP", "HelixStats", "TokenHook", "Params"]

logger = logging.getLogger("recorder.client.http")

TokenHook = Callable[[], Awaitable[str | None]]
Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None
_TOKEN_FAILURES = ("invalid oauth token", "token is missing", "invalid access token", "expired")


@dataclass
class HelixStats:
    """Counters of one :class:`HelixHTTP`."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    connection_errors: int = 0
    token_refreshes: int = 0
    tokens_generated: int = 0
    validations: int = 0


def query_pairs(params: Params) -> list[tuple[str, str]]:
    """``params`` as query pairs: lists expanded, None dropped, booleans as ``true``/``false``."""
    items = params.items() if isinstance(params, Mapping) else (params or [])
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        values = value if isinstance(value, (list, tuple, set)) else [value]
        for one in values:
            if one is not None:
                pairs.append((key, ("true" if one else "false") if isinstance(one, bool) else str(one)))
    return pairs


def _message(body: Any, fallback: str) -> str:
    """Twitch's error message from an error body (``{"message": ...}``), else ``fallback``."""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or fallback)[:500]
    return str(body or fallback)[:500]  # a proxy's HTML page is not a message worth keeping whole


async def _decode(resp: aiohttp.ClientResponse) -> Any:
    """The body as JSON when it parses, else as text (a proxy's HTML error page), None if empty."""
    text = await resp.text()
    try:
        return jsonlib.loads(text) if text else None
    except ValueError:
        return text


def _strip(token: str | None) -> str | None:
    return token[len("oauth:"):] if token and token.startswith("oauth:") else token


class HelixHTTP:
    """The Helix and OAuth transport of one client id (see the module docstring)."""

    def __init__(self, *, client_id: str | None = None, token: str | None = None,
                 client_secret: str | None = None, helix_url: str = "https://api.twitch.tv/helix",
                 auth_url: str = "https://id.twitch.tv/oauth2",
                 session: aiohttp.ClientSession | None = None,
                 token_expired_hook: TokenHook | None = None, clock: Clock = time.time,
                 sleep: Sleep = asyncio.sleep, max_retries: int = 5, backoff_base: float = 1.0,
                 backoff_max: float = 30.0, rng: random.Random | None = None) -> None:
        self.client_id = client_id
        self._token = _strip(token)
        self._client_secret = client_secret
        self.helix_url = helix_url.rstrip("/")
        self.auth_url = auth_url.rstrip("/")
        self._session = session
        self._owns_session = session is None
        self.token_expired_hook = token_expired_hook
        self._clock, self._sleep = clock, sleep
        self.max_retries = max_retries
        self._backoff = (backoff_base, backoff_max, rng or random.Random())
        self.bucket = HelixBucket(clock=clock, sleep=sleep)
        self._user_buckets: dict[str, HelixBucket] = {}
        self.stats = HelixStats()
        self.login: str | None = None
        self.user_id: str | None = None
        self.scopes: list[str] = []
        self.expires_in: int | None = None
        self._token_lock = asyncio.Lock()
        self._validator: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return (f"<HelixHTTP client_id={self.client_id!r} token={'set' if self._token else 'none'} "
                f"remaining={self.remaining}>")

    # -- state --------------------------------------------------------------------------------
    @property
    def token(self) -> str | None:
        """The access token in use (never shown in ``repr`` or logs)."""
        return self._token

    @property
    def remaining(self) -> int | None:
        """Points the client believes are left in its bucket (None before the first response)."""
        return self.bucket.remaining

    def _redact(self, text: str) -> str:
        for secret in (self._token, self._client_secret):
            if secret:
                text = text.replace(secret, "<redacted>")
        return text

    async def session(self) -> aiohttp.ClientSession:
        """The aiohttp session (created on first use unless one was given)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        """Stop the validation task and close the session if this object created it."""
        if self._validator is not None:
            self._validator.cancel()
            await asyncio.gather(self._validator, return_exceptions=True)
            self._validator = None
        if self._owns_session and self._session is not None:
            await self._session.close()

    # -- OAuth --------------------------------------------------------------------------------
    async def generate_token(self) -> str:
        """An app access token by client credentials (``POST {auth_url}/token``); it is kept."""
        if not self.client_id:
            raise NoClientID("a client id is needed to generate an app access token")
        if not self._client_secret:
            raise NoToken("no token, and no client secret to generate one")
        form = {"client_id": self.client_id, "client_secret": self._client_secret,
                "grant_type": "client_credentials"}
        async with (await self.session()).post(f"{self.auth_url}/token", data=form) as resp:
            body = await _decode(resp)
            if resp.status != 200 or not isinstance(body, dict) or "access_token" not in body:
                message = self._redact(_message(body, resp.reason or ""))
                raise AuthenticationError(f"could not get an app access token: {resp.status} {message}")
        self._token = str(body["access_token"])
        self.expires_in = body.get("expires_in")
        self.stats.tokens_generated += 1
        logger.info("generated an app access token for client id %s", self.client_id)
        return self._token

    async def validate(self, token: str | None = None) -> dict[str, Any]:
        """``GET {auth_url}/validate``: client_id, login, user_id, scopes, expires_in of a token.

        Without ``token`` the client's own token is validated and its facts are kept (and the
        client id learnt if none was given). An invalid token raises AuthenticationError.
        """
        own = token is None
        token = _strip(token) if token is not None else self._token
        if not token:
            raise NoToken("there is no token to validate")
        headers = {"Authorization": f"OAuth {token}"}
        self.stats.validations += 1
        async with (await self.session()).get(f"{self.auth_url}/validate", headers=headers) as resp:
            body = await _decode(resp)
        if resp.status == 401:
            raise AuthenticationError("invalid or expired access token")
        if resp.status != 200 or not isinstance(body, dict):
            raise HTTPException(resp.status, self._redact(_message(body, "validation failed")))
        if own:
            self.login, self.user_id = body.get("login"), body.get("user_id")
            self.scopes, self.expires_in = list(body.get("scopes") or []), body.get("expires_in")
            self.client_id = self.client_id or body.get("client_id")
        return body

    async def authenticate(self) -> None:
        """Be ready for Helix: validate the given token, or generate an app token."""
        if self._token:
            await self.validate()
        elif self._client_secret and self.client_id:
            await self.generate_token()
        if not self.client_id:
            raise NoClientID("a client id is required to use the Twitch API")

    def start_validation(self, interval: float = 3600.0) -> asyncio.Task[None]:
        """Validate the token every ``interval`` seconds (Twitch asks for hourly) in a task."""
        if self._validator is None or self._validator.done():
            self._validator = asyncio.get_running_loop().create_task(self._validate_forever(interval))
        return self._validator

    async def _validate_forever(self, interval: float) -> None:
        while True:
            await self._sleep(interval)
            try:
                await self.validate()
            except AuthenticationError:
                logger.warning("the Helix token is no longer valid; getting a new one")
                try:
                    await self.refresh_token(self._token)
                except TwitchIOException as exc:
                    logger.warning("could not replace the Helix token: %s", self._redact(str(exc)))
            except (TwitchIOException, aiohttp.ClientError, asyncio.TimeoutError) as exc:
                logger.warning("token validation failed: %s", type(exc).__name__)

    async def refresh_token(self, failed: str | None) -> str:
        """Replace the token ``failed`` (once, however many requests saw it fail)."""
        async with self._token_lock:
            if self._token and self._token != failed:
                return self._token  # another request already replaced it
            new = await self.token_expired_hook() if self.token_expired_hook else None
            if new is None:
                if not (self._client_secret and self.client_id):
                    raise Unauthorized("the token expired and there is no way to get a new one")
                new = await self.generate_token()
            self._token = _strip(new)
            self.stats.token_refreshes += 1
            return self._token or ""

    # -- Helix --------------------------------------------------------------------------------
    async def _ready_token(self, override: str | None) -> str:
        if not self.client_id:
            if self._token:
                await self.validate()
            if not self.client_id:
                raise NoClientID("a client id is required to use the Twitch API")
        if override:
            return _strip(override) or ""
        if not self._token:
            if not self._client_secret:
                raise NoToken("Helix needs a token, or a client id and secret to generate one")
            async with self._token_lock:
                if not self._token:
                    await self.generate_token()
        return self._token or ""

    def _bucket_for(self, override: str | None) -> HelixBucket:
        if not override:
            return self.bucket
        key = hashlib.sha256(override.encode()).hexdigest()[:16]
        return self._user_buckets.setdefault(key, HelixBucket(clock=self._clock, sleep=self._sleep))

    async def _send(self, method: str, url: str, query: list[tuple[str, str]], json: Any,
                    token: str, bucket: HelixBucket, priority: int) -> tuple[int, Mapping[str, str], Any]:
        headers = {"Client-Id": self.client_id or "", "Authorization": f"Bearer {token}"}
        await bucket.acquire(priority)
        self.stats.requests += 1
        try:
            async with (await self.session()).request(method, url, params=query, json=json,
                                                      headers=headers) as resp:
                body = await _decode(resp)
        except BaseException:
            bucket.release(None)
            raise
        bucket.release(resp.headers)
        logger.debug("%s %s -> %s", method, url, resp.status)
        return resp.status, resp.headers, body

    async def _retry_or_raise(self, retries: int, error: HTTPException) -> int:
        """Count a retry and back off; raise ``error`` when retries are used up."""
        if retries >= self.max_retries:
            raise error
        base, maximum, rng = self._backoff
        self.stats.retries += 1
        await self._sleep(rng.uniform(0.0, min(maximum, base * 2 ** min(retries, 62))))  # full jitter
        return retries + 1

    async def request_body(self, method: str, path: str, params: Params = None, json: Any = None,
                           token: str | None = None, priority: int = 0) -> Any:
        """One Helix request (with the retries of the module docstring); the decoded body.
        ``priority`` orders it among requests waiting for the bucket (lower goes first)."""
        url, query = f"{self.helix_url}/{path.strip('/')}", query_pairs(params)
        bucket, retries, refreshed = self._bucket_for(token), 0, False
        while True:
            used = await self._ready_token(token)
            try:
                status, headers, body = await self._send(method, url, query, json, used, bucket, priority)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                self.stats.connection_errors += 1
                error = HTTPException(0, f"could not reach Helix: {type(exc).__name__}")
                retries = await self._retry_or_raise(retries, error)
                continue
            if status < 400:
                return body
            message = self._redact(_message(body, ""))
            if status == 429:
                self.stats.rate_limited += 1
                if retries >= self.max_retries:
                    raise HTTPException(429, message)
                retries, self.stats.retries = retries + 1, self.stats.retries + 1
                await bucket.wait_for_reset(headers)
            elif status >= 500:
                self.stats.server_errors += 1
                retries = await self._retry_or_raise(retries, HTTPException(status, message))
            elif status == 401 and not token and not refreshed and self._token_failed(message):
                refreshed = True
                await self.refresh_token(used)
            else:
                raise Unauthorized(message) if status == 401 else HTTPException(status, message)

    @staticmethod
    def _token_failed(message: str) -> bool:
        lowered = message.lower()
        return not lowered or any(word in lowered for word in _TOKEN_FAILURES)

    async def request(self, method: str, path: str, params: Params = None, json: Any = None,
                      paginate: bool = False, limit: int | None = None,
                      token: str | None = None, priority: int = 0) -> list[dict[str, Any]]:
        """The ``data`` items of a Helix call, following ``pagination.cursor`` when ``paginate``.

        With ``limit``, pages ask for ``first=min(100, still wanted)`` and at most ``limit``
        items come back; ``paginate`` without a limit follows cursors to the end.
        """
        base, items, cursor = query_pairs(params), [], None
        while True:
            page = list(base)
            if paginate or limit is not None:
                wanted = 100 if limit is None else min(100, limit - len(items))
                page.append(("first", str(wanted)))
            if cursor:
                page.append(("after", cursor))
            body = await self.request_body(method, path, page, json=json, token=token, priority=priority)
            data = (body.get("data") or []) if isinstance(body, dict) else []
            items.extend(data)
            cursor = ((body.get("pagination") or {}).get("cursor")) if isinstance(body, dict) else None
            if not paginate or not cursor or not data or (limit is not None and len(items) >= limit):
                return items[:limit] if limit is not None else items

    async def request_batched(self, path: str, key: str, values: Iterable[Any] | None, *,
                              more: Mapping[str, Iterable[Any] | None] | None = None,
                              params: Params = None, size: int = 100, paginate: bool = False,
                              token: str | None = None, method: str = "GET",
                              priority: int = 0) -> list[dict[str, Any]]:
        """Ask for ``values`` of ``key`` (and of the keys in ``more``, which count together with
        it, as ``id`` and ``login`` do on ``/users``) in requests of at most ``size``; merged."""
        pairs = [(key, v) for v in values or ()]
        pairs += [(k, v) for k, vs in (more or {}).items() for v in vs or ()]
        unique = list(dict.fromkeys(query_pairs(pairs)))
        merged: list[dict[str, Any]] = []
        for start in range(0, len(unique), size):
            chunk = query_pairs(params) + unique[start:start + size]
            merged += await self.request(method, path, chunk, paginate=paginate, token=token,
                                         priority=priority)
        if merged and all(isinstance(i, dict) and i.get("id") for i in merged):
            merged = list({i["id"]: i for i in merged}.values())
        return merged
