"""TokenBucket / RateLimiter: counts, refusal when empty and refill, on a fake clock."""

from __future__ import annotations

import pytest

from recorder.sim.ratelimit import RateLimiter, TokenBucket, too_many_requests_body
from fakes import FakeClock


def test_bucket_counts_down_and_refuses_when_empty() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5, 60.0, clock)
    seen = []
    for _ in range(5):
        assert bucket.try_take()
        seen.append(bucket.remaining())
    assert seen == [4, 3, 2, 1, 0]
    assert not bucket.try_take()
    assert bucket.refused == 1 and bucket.taken == 5
    assert bucket.remaining() == 0


def test_bucket_refills_continuously_and_reset_is_when_full() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, 60.0, clock)  # one point per second
    for _ in range(60):
        assert bucket.try_take()
    assert bucket.reset_at() == int(clock.now) + 60
    clock.advance(1.0)
    assert bucket.remaining() == 1
    assert bucket.try_take()
    assert not bucket.try_take()
    clock.advance(bucket.reset_at() - clock.now)
    assert bucket.remaining() == 60
    assert bucket.reset_at() == int(clock.now)
    clock.advance(1000)
    assert bucket.remaining() == 60  # never above capacity


def test_headers_describe_the_bucket() -> None:
    clock = FakeClock(1000.0)
    bucket = TokenBucket(800, 60.0, clock)
    bucket.try_take()
    headers = bucket.headers()
    assert headers["Ratelimit-Limit"] == "800"
    assert headers["Ratelimit-Remaining"] == "799"
    assert int(headers["Ratelimit-Reset"]) == 1001  # 1 point at 800/60 per s is 0.075 s away


def test_drain_empties() -> None:
    bucket = TokenBucket(10, 60.0, FakeClock())
    bucket.drain()
    assert not bucket.try_take()


def test_limiter_keeps_one_bucket_per_client_and_user() -> None:
    limiter = RateLimiter(points_per_minute=3, clock=FakeClock())
    a = limiter.bucket("client-a")
    assert limiter.bucket("client-a") is a
    assert limiter.bucket("client-a", "42") is not a
    assert limiter.bucket("client-b") is not a
    for _ in range(3):
        assert a.try_take()
    assert not a.try_take()
    assert limiter.bucket("client-b").try_take()
    assert set(limiter.keys()) == {("client-a", ""), ("client-a", "42"), ("client-b", "")}
    limiter.reset()
    assert limiter.bucket("client-a").remaining() == 3


def test_invalid_bucket_rejected_and_error_body() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)
    assert too_many_requests_body() == {"error": "Too Many Requests", "status": 429,
                                        "message": "Too Many Requests"}
