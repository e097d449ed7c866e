"""HelixBucket on its own: the probe, reservations, out-of-order responses, refill and reset."""

from __future__ import annotations

import asyncio

from recorder.client.ratelimit import HelixBucket

from .test_http import FakeClock, Sleeper


def headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {"Ratelimit-Limit": str(limit), "Ratelimit-Remaining": str(remaining),
            "Ratelimit-Reset": str(int(reset))}


def make() -> tuple[HelixBucket, FakeClock, Sleeper]:
    clock = FakeClock()
    sleeper = Sleeper(clock)
    return HelixBucket(clock=clock, sleep=sleeper), clock, sleeper


async def test_one_probe_until_the_size_is_known() -> None:
    bucket, clock, _ = make()
    await bucket.acquire()
    second = asyncio.create_task(bucket.acquire())
    await asyncio.sleep(0)
    assert not second.done() and bucket.in_flight == 1  # waits for the probe's headers
    bucket.release(headers(800, 799, clock() + 1))
    await second
    assert bucket.in_flight == 1 and bucket.remaining == 798


async def test_a_failed_probe_lets_the_next_request_probe() -> None:
    bucket, _, _ = make()
    await bucket.acquire()
    bucket.release(None)  # connection error: no headers
    await asyncio.wait_for(bucket.acquire(), timeout=5)
    assert bucket.limit is None and bucket.in_flight == 1


async def test_responses_out_of_order_never_raise_the_estimate() -> None:
    bucket, clock, sleeper = make()
    await bucket.acquire()
    bucket.release(headers(5, 4, clock() + 12))
    for _ in range(4):
        await bucket.acquire()
    assert bucket.remaining == 0
    for remaining in (0, 3, 1, 2):  # the server's answers, arriving out of order
        bucket.release(headers(5, remaining, clock() + 60))
    assert bucket.remaining == 0
    await bucket.acquire()  # must wait for one point: 60 s / 5 points
    assert sleeper.waits == [12.0]
    assert (bucket.waited, bucket.waited_seconds) == (1, 12.0)  # counted, not kept one by one


async def test_remote_use_of_the_same_bucket_lowers_the_estimate() -> None:
    bucket, clock, _ = make()
    await bucket.acquire()
    bucket.release(headers(800, 799, clock() + 1))
    await bucket.acquire()
    bucket.release(headers(800, 10, clock() + 60))  # someone else spent most of it
    assert bucket.remaining == 10


async def test_points_come_back_with_time_and_at_the_reset() -> None:
    bucket, clock, _ = make()
    await bucket.acquire()
    bucket.release(headers(60, 0, clock() + 60))
    assert bucket.remaining == 0
    clock.advance(10)
    assert bucket.remaining == 10  # 60 per 60 s
    clock.advance(50)
    assert bucket.remaining == 60


async def test_wait_for_reset_uses_the_reset_header() -> None:
    bucket, clock, sleeper = make()
    await bucket.acquire()
    bucket.release(headers(800, 0, clock() + 42))
    assert await bucket.wait_for_reset(headers(800, 0, clock() + 42)) == 42.0
    assert sleeper.waits == [42.0] and bucket.remaining == 800
    assert await bucket.wait_for_reset({}) == 1.0  # nothing said: a default pause


async def test_waiters_go_in_priority_order_then_arrival() -> None:
    bucket, clock, sleeper = make()
    await bucket.acquire()
    bucket.release(headers(60, 0, clock() + 60))  # empty: one point a second
    done: list[str] = []

    async def take(name: str, priority: int) -> None:
        await bucket.acquire(priority)
        done.append(name)
        bucket.release()

    tasks = [asyncio.create_task(take(n, p)) for n, p in [("a", 5), ("b", 2), ("c", 1), ("d", 2)]]
    await asyncio.gather(*tasks)
    assert done == ["a", "c", "b", "d"]  # "a" already held the turn when the others came
    assert sleeper.waits == [1.0, 1.0, 1.0, 1.0]


async def test_a_cancelled_waiter_does_not_block_the_others() -> None:
    bucket, clock, _ = make()
    await bucket.acquire()
    bucket.release(headers(60, 0, clock() + 60))
    first = asyncio.create_task(bucket.acquire())
    doomed = asyncio.create_task(bucket.acquire())
    last = asyncio.create_task(bucket.acquire())
    await asyncio.sleep(0)
    doomed.cancel()
    await asyncio.wait_for(asyncio.gather(first, last), timeout=5)
    assert doomed.cancelled() and bucket.in_flight == 2
