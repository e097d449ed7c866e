"""The client side of Helix's rate limit: a local model of the server's token bucket.

Twitch gives each client id (and client id + user) a bucket of points that refills continuously
(800 per minute by default) and describes it on every response::

    Ratelimit-Limit: 800            bucket size
    Ratelimit-Remaining: 799        whole points left after this request
    Ratelimit-Reset: 1700000060     epoch seconds at which the bucket is full again

:class:`HelixBucket` mirrors those headers and is obeyed *before* a request is sent:

- until the first response tells the size, one request at a time probes the server;
- every request reserves a point (``acquire``); with none left it waits for the refill of one
  point (or, with ``trickle=False``, until ``Ratelimit-Reset``), then goes; waiting requests go
  in order of ``priority`` (lower first), then of arrival, so a caller sharing the bucket can
  put urgent work (stream polling) before bulk work (user refreshes);
- a response (``release``) can only *lower* the local estimate to what the server says; points
  come back only through time (``limit / window`` per second), so responses that arrive out of
  order never make the client overestimate and cause a 429;
- after a 429, :meth:`wait_for_reset` sleeps until ``Ratelimit-Reset`` (or ``Retry-After``).

Time comes from an injected ``clock`` (epoch seconds) and waiting from an injected ``sleep``, so
tests drive it without real waiting.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable, Mapping

__all__ = ["HelixBucket", "Clock", "Sleep"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    """Header ``name`` as an int, or None when absent or malformed."""
    raw = headers.get(name)
    try:
        return int(float(raw)) if raw is not None else None
    except ValueError:
        return None


class HelixBucket:
    """Local estimate of one Helix rate-limit bucket, shared by every request that uses it."""

    def __init__(self, *, clock: Clock = time.time, sleep: Sleep = asyncio.sleep,
                 window: float = 60.0, trickle: bool = True) -> None:
        self._clock = clock
        self._sleep = sleep
        self.window = window
        self.trickle = trickle
        self.limit: int | None = None
        self.reset_at: float | None = None
        self._points = 0.0
        self._updated = clock()
        self.in_flight = 0
        self.waited = 0  # how many times a request waited for the bucket, in all
        self.waited_seconds = 0.0
        self._known = asyncio.Event()
        self._turns: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._busy = False

    def __repr__(self) -> str:
        return f"<HelixBucket limit={self.limit} remaining={self.remaining} in_flight={self.in_flight}>"

    @property
    def remaining(self) -> int | None:
        """Whole points the client believes are left (None until the server has said)."""
        if self.limit is None:
            return None
        self._refill()
        return int(self._points + 1e-9)

    @property
    def rate(self) -> float:
        """Points per second coming back (``limit / window``)."""
        return (self.limit or 0) / self.window

    def _refill(self) -> None:
        now = self._clock()
        if self.limit is not None:
            gained = max(0.0, now - self._updated) * self.rate
            self._points = min(float(self.limit), self._points + gained)
            if self.reset_at is not None and now >= self.reset_at:
                self._points = max(self._points, float(self.limit - self.in_flight))
        self._updated = now

    def _wait_needed(self) -> float:
        """Seconds until one point is free (0 if one is free now)."""
        self._refill()
        if self._points + 1e-9 >= 1.0:
            return 0.0
        until_reset = (self.reset_at - self._clock()) if self.reset_at is not None else None
        if not self.trickle and until_reset is not None and until_reset > 0:
            return until_reset
        by_rate = (1.0 - self._points) / self.rate if self.rate > 0 else 1.0
        return max(0.0, min(by_rate, until_reset) if until_reset and until_reset > 0 else by_rate)

    async def _pause(self, seconds: float) -> None:
        self.waited += 1  # counters, not a list: a weeks-long run waits millions of times
        self.waited_seconds += seconds
        await self._sleep(seconds)

    async def _take_turn(self, priority: int) -> None:
        """Wait until no other acquire runs and no waiter has a lower (priority, arrival)."""
        if not self._busy and not self._turns:
            self._busy = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._turns, (priority, next(self._order), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._pass_turn()  # it was handed to us just as we were cancelled
            raise

    def _pass_turn(self) -> None:
        while self._turns:
            turn = heapq.heappop(self._turns)[2]
            if not turn.done():
                turn.set_result(None)
                return
        self._busy = False

    async def acquire(self, priority: int = 0) -> None:
        """Reserve one point, waiting first if the bucket is (believed) empty."""
        await self._take_turn(priority)
        try:
            while self.limit is None and self.in_flight > 0:
                await self._known.wait()  # a probe is out: wait for the first headers
            if self.limit is not None:
                for _ in range(3):  # a clock that does not move must not block us forever
                    wait = self._wait_needed()
                    if wait <= 0:
                        break
                    await self._pause(wait)
                self._refill()
                self._points = max(0.0, self._points - 1.0)
            else:
                self._known.clear()  # this request is the probe
            self.in_flight += 1
        finally:
            self._pass_turn()

    def release(self, headers: Mapping[str, str] | None = None) -> None:
        """End one reserved request; ``headers`` (of its response, if any) update the estimate."""
        self.in_flight = max(0, self.in_flight - 1)
        limit = _header_int(headers or {}, "Ratelimit-Limit")
        remaining = _header_int(headers or {}, "Ratelimit-Remaining")
        reset = _header_int(headers or {}, "Ratelimit-Reset")
        if limit is not None and remaining is not None:
            self._refill()
            first = self.limit is None
            self.limit = limit
            self.reset_at = float(reset) if reset is not None else None
            server = float(max(0, remaining - (self.in_flight if first else 0)))
            self._points = server if first else min(self._points, server)
            self._updated = self._clock()
        self._known.set()

    async def wait_for_reset(self, headers: Mapping[str, str] | None = None,
                             default: float = 1.0) -> float:
        """After a 429: sleep until ``Ratelimit-Reset`` (or ``Retry-After``); the seconds waited."""
        headers = headers or {}
        reset = _header_int(headers, "Ratelimit-Reset")
        retry_after = _header_int(headers, "Retry-After")
        wait = reset - self._clock() if reset is not None else None
        if retry_after is not None:
            wait = max(wait or 0.0, float(retry_after))
        wait = default if wait is None else max(0.0, min(wait, self.window * 2))
        await self._pause(wait)
        if self.limit is not None:
            self._points = float(max(0, self.limit - self.in_flight))
            self._updated = self._clock()
        return wait
