"""Exponential backoff with full jitter, for reconnecting forever without a thundering herd.

    backoff = ExponentialBackoff(base=1.0, maximum=60.0)
    delay = backoff.next_delay()   # uniform in [0, min(maximum, base * 2**attempt)]
    backoff.reset()                # after a connection stayed up

It never gives up: after enough failures every delay is drawn from ``[0, maximum]``.
"""

from __future__ import annotations

import random

__all__ = ["ExponentialBackoff"]


class ExponentialBackoff:
    """Full-jitter exponential backoff (see the AWS architecture blog's "Exponential Backoff And
    Jitter"). ``rng`` is injectable so tests can make it deterministic."""

    def __init__(self, base: float = 1.0, maximum: float = 60.0, *,
                 rng: random.Random | None = None) -> None:
        if base < 0 or maximum < 0:
            raise ValueError("backoff base and maximum must not be negative")
        self.base = base
        self.maximum = maximum
        self.attempts = 0
        self._rng = rng or random.Random()

    def ceiling(self) -> float:
        """The upper bound of the next delay."""
        exponent = min(self.attempts, 62)
        return min(self.maximum, self.base * (2 ** exponent))

    def next_delay(self) -> float:
        """The delay before the next attempt; each call counts one more failed attempt."""
        delay = self._rng.uniform(0.0, self.ceiling())
        self.attempts += 1
        return delay

    def reset(self) -> None:
        """Start again from ``base`` (call once a connection is established)."""
        self.attempts = 0
