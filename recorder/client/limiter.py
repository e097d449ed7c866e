"""Per-account rate limiters that queue instead of raising.

Twitch counts JOINs and chat messages per account in a sliding window (JOIN: 20 per 10 s, 2,000
for verified bots; messages: 20 per 30 s, 100 per 30 s where the account is moderator or
broadcaster) and silently drops or locks out what goes over. :class:`SlidingWindowLimiter`
never lets more than ``limit`` acquisitions happen within any ``per`` (+ ``margin``) seconds;
callers wait their turn in FIFO order. The clock is injectable.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Callable

__all__ = ["SlidingWindowLimiter", "JoinLimiter", "SendLimiter"]


class SlidingWindowLimiter:
    """At most ``limit`` acquisitions per ``per`` seconds; ``acquire`` waits (FIFO) for a slot.

    ``margin`` widens the window a little so that network jitter between us and the server never
    makes the server's count exceed ``limit`` in its own window.
    """

    def __init__(self, limit: int, per: float, *, margin: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or per <= 0:
            raise ValueError("a rate limit needs limit >= 1 and per > 0")
        self.limit = limit
        self.per = per
        self.window = per + (0.05 * per if margin is None else margin)
        self._clock = clock
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _prune(self, now: float) -> None:
        times = self._times
        while times and times[0] <= now - self.window:
            times.popleft()

    def wait_time(self, limit: int | None = None) -> float:
        """Seconds until an acquisition would be allowed now (0 when one is free)."""
        limit = limit or self.limit
        now = self._clock()
        self._prune(now)
        if len(self._times) < limit:
            return 0.0
        return self._times[len(self._times) - limit] + self.window - now

    def try_acquire(self, limit: int | None = None) -> bool:
        """Take a slot if one is free now, without waiting."""
        if self._lock.locked() or self.wait_time(limit) > 0:
            return False
        self._times.append(self._clock())
        return True

    async def acquire(self, limit: int | None = None) -> None:
        """Wait (in FIFO order with other callers) until a slot is free, then take it.

        ``limit`` overrides the limit for this acquisition (e.g. the moderator allowance)."""
        async with self._lock:
            while (delay := self.wait_time(limit)) > 0:
                await asyncio.sleep(delay)
            self._times.append(self._clock())

    @property
    def used(self) -> int:
        """Acquisitions inside the current window."""
        self._prune(self._clock())
        return len(self._times)


class JoinLimiter(SlidingWindowLimiter):
    """The account's JOIN budget (default 20 per 10 s), shared by every connection and by
    initial joins, later joins and rejoins alike."""

    def __init__(self, limit: int = 20, per: float = 10.0, **kwargs: object) -> None:
        super().__init__(limit, per, **kwargs)  # type: ignore[arg-type]


class SendLimiter(SlidingWindowLimiter):
    """The account's chat budget: ``limit`` (20) per ``per`` (30 s), ``moderator_limit`` (100)
    when sending to a channel where the account is moderator or broadcaster."""

    def __init__(self, limit: int = 20, per: float = 30.0, *, moderator_limit: int = 100,
                 **kwargs: object) -> None:
        super().__init__(max(limit, moderator_limit), per, **kwargs)  # type: ignore[arg-type]
        self.normal_limit = limit
        self.moderator_limit = moderator_limit

    async def acquire_for(self, moderator: bool) -> None:
        """Wait for a slot under the allowance that applies to the target channel."""
        await self.acquire(self.moderator_limit if moderator else self.normal_limit)
