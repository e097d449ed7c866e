"""The simulator's ``id.twitch.tv``: app and user tokens that expire, served under ``/oauth2/``.

Routes (shapes as Twitch answers them):

- ``POST /oauth2/token``: ``grant_type=client_credentials`` (client_id, client_secret) gives
  ``{"access_token", "expires_in", "token_type": "bearer"}``; ``grant_type=refresh_token``
  (client_id, client_secret, refresh_token) gives a new user token and refresh token.
  Parameters are read from the query string (as TwitchIO sends them) and from a form body.
- ``GET /oauth2/validate`` with ``Authorization: OAuth <token>``: client_id, login, scopes,
  user_id, expires_in (app tokens carry no login/user_id); 401 for unknown or expired tokens.
- ``POST /oauth2/revoke`` (client_id, token).

:class:`OAuthState` is the Python side for tests and for the IRC server (which accepts the user
tokens issued here on PASS). Time comes from an injected clock. Tokens are never logged and are
left out of ``repr``.
"""

from __future__ import annotations

import math
import secrets
import string
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

DEFAULT_CLIENT_ID = "simclientid0000000000000000000"
DEFAULT_CLIENT_SECRET = "simclientsecret000000000000000"

_ALPHABET = string.ascii_lowercase + string.digits


class _WorldLike(Protocol):
    def ensure_user(self, login: str) -> Any: ...


@dataclass
class TokenInfo:
    """What the server knows about one access token."""

    token: str = field(repr=False)
    client_id: str
    login: str | None
    user_id: str | None
    scopes: tuple[str, ...]
    expires_at: float
    refresh_token: str | None = field(default=None, repr=False)

    @property
    def is_app_token(self) -> bool:
        """True for client-credentials tokens (no user behind them)."""
        return self.user_id is None


def _new_token() -> str:
    """A random 30-character token in Twitch's alphabet."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(30))


def _error(status: int, message: str) -> web.Response:
    """Twitch's id.twitch.tv error shape: ``{"status": ..., "message": ...}``."""
    return web.json_response({"status": status, "message": message}, status=status)


class OAuthState:
    """Registered clients and issued tokens, with expiry by the injected clock."""

    def __init__(self, world: _WorldLike, *, token_ttl: float = 3600.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.world = world
        self.token_ttl = token_ttl
        self.clock = clock
        self.clients: dict[str, str] = {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
        self._tokens: dict[str, TokenInfo] = {}
        self._refresh: dict[str, TokenInfo] = {}
        self.issued: Counter[str] = Counter()
        self.validations = 0

    @property
    def tokens_issued(self) -> int:
        """How many access tokens were issued so far, by any grant."""
        return sum(self.issued.values())

    def register_client(self, client_id: str, client_secret: str) -> None:
        """Accept ``client_id`` / ``client_secret`` on the token endpoint."""
        self.clients[client_id] = client_secret

    def _store(self, info: TokenInfo, grant: str) -> TokenInfo:
        self._tokens[info.token] = info
        if info.refresh_token:
            self._refresh[info.refresh_token] = info
        self.issued[grant] += 1
        return info

    def issue_app_token(self, client_id: str = DEFAULT_CLIENT_ID) -> TokenInfo:
        """A client-credentials token for ``client_id``."""
        info = TokenInfo(_new_token(), client_id, None, None, (),
                         self.clock() + self.token_ttl)
        return self._store(info, "client_credentials")

    def issue_user_token(self, login: str, scopes: Iterable[str] = (),
                         client_id: str = DEFAULT_CLIENT_ID) -> str:
        """A user token for ``login`` (created in the world if new), with a refresh token."""
        return self._issue_user(login, tuple(scopes), client_id, "user").token

    def _issue_user(self, login: str, scopes: tuple[str, ...], client_id: str,
                    grant: str) -> TokenInfo:
        user = self.world.ensure_user(login)
        info = TokenInfo(_new_token(), client_id, user.login, user.id, scopes,
                         self.clock() + self.token_ttl, refresh_token=_new_token() + "rt")
        return self._store(info, grant)

    def refresh(self, refresh_token: str, client_id: str) -> TokenInfo | None:
        """A new user token (and refresh token) for a known refresh token of ``client_id``."""
        old = self._refresh.get(refresh_token)
        if old is None or old.client_id != client_id or old.login is None:
            return None
        del self._refresh[refresh_token]
        return self._issue_user(old.login, old.scopes, client_id, "refresh_token")

    def info(self, token: str) -> TokenInfo | None:
        """The record of ``token`` even when expired (``oauth:`` prefix allowed), or None."""
        if token.startswith("oauth:"):
            token = token[len("oauth:"):]
        return self._tokens.get(token)

    def validate(self, token: str) -> TokenInfo | None:
        """The record of a live ``token`` (``oauth:`` prefix allowed); None if unknown/expired."""
        info = self.info(token)
        if info is None or self.clock() >= info.expires_at:
            return None
        return info

    def expire(self, token: str) -> None:
        """Make ``token`` expired now (it stays known, as an expired token)."""
        info = self.info(token)
        if info is not None:
            info.expires_at = min(info.expires_at, self.clock())

    def expire_all(self) -> None:
        """Expire every token issued so far."""
        now = self.clock()
        for info in self._tokens.values():
            info.expires_at = min(info.expires_at, now)

    def revoke(self, token: str) -> bool:
        """Forget ``token``; True if it was known."""
        info = self._tokens.pop(token, None)
        if info is not None and info.refresh_token:
            self._refresh.pop(info.refresh_token, None)
        return info is not None

    def expires_in(self, info: TokenInfo) -> int:
        """Whole seconds ``info`` has left (0 when expired)."""
        return max(0, int(math.floor(info.expires_at - self.clock())))


async def _params(request: web.Request) -> dict[str, str]:
    """Query-string parameters overlaid with form-body parameters."""
    params = {k: v for k, v in request.query.items()}
    if request.can_read_body:
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _check_client(state: OAuthState, params: dict[str, str]) -> web.Response | None:
    """None if client_id/client_secret are right, else Twitch's error response."""
    client_id = params.get("client_id", "")
    if not client_id:
        return _error(400, "missing client id")
    if client_id not in state.clients:
        return _error(400, "invalid client")
    if params.get("client_secret") != state.clients[client_id]:
        return _error(403, "invalid client secret")
    return None


def _token_handler(state: OAuthState) -> Callable[[web.Request], Any]:
    async def token(request: web.Request) -> web.Response:
        params = await _params(request)
        grant = params.get("grant_type", "")
        if grant not in ("client_credentials", "refresh_token"):
            return _error(400, "missing grant_type" if not grant else "unsupported grant type")
        failure = _check_client(state, params)
        if failure is not None:
            return failure
        if grant == "client_credentials":
            info = state.issue_app_token(params["client_id"])
            return web.json_response({"access_token": info.token, "expires_in": state.expires_in(info),
                                      "token_type": "bearer"})
        refreshed = state.refresh(params.get("refresh_token", ""), params["client_id"])
        if refreshed is None:
            return _error(400, "Invalid refresh token")
        return web.json_response({
            "access_token": refreshed.token, "refresh_token": refreshed.refresh_token,
            "expires_in": state.expires_in(refreshed), "scope": list(refreshed.scopes),
            "token_type": "bearer"})
    return token


def _validate_handler(state: OAuthState) -> Callable[[web.Request], Any]:
    async def validate(request: web.Request) -> web.Response:
        state.validations += 1
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not token or scheme.lower() not in ("oauth", "bearer"):
            return _error(401, "missing authorization token")
        info = state.validate(token.strip())
        if info is None:
            return _error(401, "invalid access token")
        body: dict[str, Any] = {"client_id": info.client_id, "scopes": list(info.scopes)}
        if not info.is_app_token:
            body.update(login=info.login, user_id=info.user_id)
        body["expires_in"] = state.expires_in(info)
        return web.json_response(body)
    return validate


def _revoke_handler(state: OAuthState) -> Callable[[web.Request], Any]:
    async def revoke(request: web.Request) -> web.Response:
        params = await _params(request)
        info = state.info(params.get("token", ""))
        if info is None:
            return _error(400, "Invalid token")
        if info.client_id != params.get("client_id"):
            return _error(404, "client does not exist")
        state.revoke(info.token)
        return web.Response(status=200)
    return revoke


def add_oauth_routes(app: web.Application, world: _WorldLike, *, token_ttl: float = 3600.0,
                     clock: Callable[[], float] = time.time) -> OAuthState:
    """Mount ``/oauth2/token``, ``/oauth2/validate`` and ``/oauth2/revoke`` on ``app``."""
    state = OAuthState(world, token_ttl=token_ttl, clock=clock)
    app.router.add_post("/oauth2/token", _token_handler(state))
    app.router.add_get("/oauth2/validate", _validate_handler(state))
    app.router.add_post("/oauth2/revoke", _revoke_handler(state))
    return state
