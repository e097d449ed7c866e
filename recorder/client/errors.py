"""The exception hierarchy of the client (the names of the client reference).

::

    TwitchIOException                 base of everything the client raises
    ├── AuthenticationError           fatal login failure (bad/expired token, invalid NICK)
    ├── InvalidContent                a message that Twitch would reject (empty, > 500 characters)
    ├── IRCCooldownError              sending while the send limiter forbids it (only if asked to raise)
    ├── EchoMessageWarning            an operation not allowed on an echo message
    ├── NoClientID                    a Helix call without a client id
    ├── NoToken                       a Helix or IRC operation that needs a token, without one
    ├── JoinFailed                    a channel could not be joined (suspended, timeout)
    └── HTTPException(status, message)  a Helix / OAuth call failed
        └── Unauthorized              HTTP 401 (expired or revoked token)

Every class keeps the name used by the reference so code written against it catches the same
exceptions from this client.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "TwitchIOException",
    "AuthenticationError",
    "InvalidContent",
    "IRCCooldownError",
    "EchoMessageWarning",
    "NoClientID",
    "NoToken",
    "JoinFailed",
    "HTTPException",
    "Unauthorized",
]


class TwitchIOException(Exception):
    """Base class of every exception the client raises."""


class AuthenticationError(TwitchIOException):
    """The server refused the login (one of the fatal login NOTICEs) or the token is invalid."""


class InvalidContent(TwitchIOException):
    """Content that Twitch would reject: empty, or over the 500 character limit."""


class IRCCooldownError(TwitchIOException):
    """The send rate limit is exhausted (only raised when the caller asks not to queue)."""


class EchoMessageWarning(TwitchIOException):
    """An operation that makes no sense on a message the client itself sent."""


class NoClientID(TwitchIOException):
    """A Helix call needs a client id and none was given or could be validated."""


class NoToken(TwitchIOException):
    """An operation needs an OAuth token and none was given."""


class JoinFailed(TwitchIOException):
    """A channel could not be joined: suspended / unknown, or no JOIN echo before the timeout."""

    def __init__(self, channel: str, reason: str) -> None:
        self.channel = channel
        self.reason = reason
        super().__init__(f"joining #{channel} failed: {reason}")


class HTTPException(TwitchIOException):
    """A Helix or OAuth request failed with HTTP ``status``; ``message`` is Twitch's message."""

    def __init__(
        self,
        status: int,
        message: str = "",
        *,
        reason: str | None = None,
        extra: Any = None,
    ) -> None:
        self.status = status
        self.message = message
        self.reason = reason
        self.extra = extra
        text = f"{status}: {message}" if message else str(status)
        super().__init__(f"{text}: {reason}" if reason else text)


class Unauthorized(HTTPException):
    """HTTP 401: the token expired or was revoked."""

    def __init__(self, message: str = "", **kwargs: Any) -> None:
        kwargs.pop("status", None)
        super().__init__(401, message, **kwargs)
