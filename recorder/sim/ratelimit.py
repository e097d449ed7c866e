"""Helix rate limiting for the simulator: one token bucket per client id (and user).

Twitch gives every client id (and, for user tokens, every client id + user pair) a bucket
of 800 points per minute. The bucket refills continuously; every Helix response carries

- ``Ratelimit-Limit``: the bucket size,
- ``Ratelimit-Remaining``: whole points left after this request,
- ``Ratelimit-Reset``: epoch seconds at which the bucket is full again,

and a request that finds the bucket empty is answered ``429`` with Twitch's JSON error. Each
request costs one point here (nearly every Helix endpoint costs one point on Twitch).

Time comes from an injected ``clock`` (a callable returning epoch seconds), so tests move it
forward instead of sleeping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

Clock = Callable[[], float]

TOO_MANY_REQUESTS: dict[str, Any] = {
    "error": "Too Many Requests",
    "status": 429,
    "message": "Too Many Requests",
}


class TokenBucket:
    """A bucket of ``capacity`` points refilled continuously over ``period`` seconds."""

    def __init__(self, capacity: int = 800, period: float = 60.0, clock: Clock = time.time) -> None:
        if capacity <= 0 or period <= 0:
            raise ValueError("capacity and period must be positive")
        self.capacity = capacity
        self.period = period
        self._clock = clock
        self._points = float(capacity)
        self._updated = clock()
        self.taken = 0
        self.refused = 0

    @property
    def rate(self) -> float:
        """Points added back per second."""
        return self.capacity / self.period

    def _refill(self) -> float:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._points = min(float(self.capacity), self._points + elapsed * self.rate)
        self._updated = now
        return now

    def try_take(self, cost: int = 1) -> bool:
        """Take ``cost`` points if the bucket holds them; False (and nothing taken) otherwise."""
        self._refill()
        if self._points + 1e-9 < cost:
            self.refused += 1
            return False
        self._points -= cost
        self.taken += 1
        return True

    def remaining(self) -> int:
        """Whole points left now."""
        self._refill()
        return int(math.floor(self._points + 1e-9))

    def reset_at(self) -> int:
        """Epoch seconds (rounded up) at which the bucket is full again."""
        now = self._refill()
        missing = self.capacity - self._points
        return int(math.ceil(now + missing / self.rate - 1e-9))

    def drain(self) -> None:
        """Empty the bucket now (a test helper: the next request gets a 429)."""
        self._refill()
        self._points = 0.0

    def headers(self) -> dict[str, str]:
        """The three ``Ratelimit-*`` headers describing the bucket now."""
        return {
            "Ratelimit-Limit": str(self.capacity),
            "Ratelimit-Remaining": str(self.remaining()),
            "Ratelimit-Reset": str(self.reset_at()),
        }


BucketKey = tuple[str, str]


class RateLimiter:
    """All buckets of one server, created on first use, keyed by (client id, user id or "")."""

    def __init__(self, points_per_minute: int = 800, clock: Clock = time.time) -> None:
        self.points_per_minute = points_per_minute
        self._clock = clock
        self._buckets: dict[BucketKey, TokenBucket] = {}

    def bucket(self, client_id: str, user_id: str | None = None) -> TokenBucket:
        """The bucket of ``client_id`` (with ``user_id`` for user tokens), created if new."""
        key = (client_id, user_id or "")
        found = self._buckets.get(key)
        if found is None:
            found = TokenBucket(self.points_per_minute, 60.0, self._clock)
            self._buckets[key] = found
        return found

    def keys(self) -> list[BucketKey]:
        """Every (client id, user id) that has a bucket so far."""
        return list(self._buckets)

    def reset(self) -> None:
        """Forget every bucket (all full again)."""
        self._buckets.clear()


def too_many_requests_body() -> dict[str, Any]:
    """Twitch's JSON body for a 429 (a fresh copy)."""
    return dict(TOO_MANY_REQUESTS)
