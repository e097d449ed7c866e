"""Fixtures for the client tests: a simulator and clients wired to it, with recorded hooks.

``run_client(client)`` starts the client in a task and stops it at the end of the test; the
``Recorder`` collects what the raw and connection hooks saw. ``eventually`` waits for a
condition (re-checked as the loop runs) and fails after a timeout: nothing here sleeps for a
fixed time.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Callable

import pytest

from recorder.client import Client, ConnectionEvent, RawLine
from recorder.sim.server import Simulator

# Small intervals so that reconnect paths run quickly; never used as "waits" by the tests.
FAST = dict(join_rate=(50, 1.0), join_timeout=3.0, pong_timeout=1.0, backoff_base=0.01,
            backoff_max=0.05, login_timeout=5.0)


class Recorder:
    """What the client's hooks saw, in order."""

    def __init__(self) -> None:
        self.raw: list[RawLine] = []
        self.conn: list[ConnectionEvent] = []

    def on_raw(self, raw: RawLine) -> None:
        self.raw.append(raw)

    def on_conn(self, event: ConnectionEvent) -> None:
        self.conn.append(event)

    def kinds(self, kind: str) -> list[ConnectionEvent]:
        return [e for e in self.conn if e.kind == kind]

    def lines_of(self, connection_id: int) -> list[str]:
        return [r.line for r in self.raw if r.connection_id == connection_id]


async def eventually(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> None:
    """Wait until ``predicate()`` is truthy, checking after every few loop iterations."""
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.005)
    try:
        await asyncio.wait_for(poll(), timeout)
    except asyncio.TimeoutError:
        pytest.fail(f"condition not met within {timeout}s: {what or predicate}")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(port=0, channels=3, rate=20.0, seed=7, traffic=False) as simulator:
        yield simulator


@pytest.fixture
def make_client() -> Callable[..., tuple[Client, Recorder]]:
    """``make_client(sim, **options)`` -> (client, recorder) pointed at the simulator."""
    def make(simulator: Simulator, token: str | None = None, **options: Any) -> tuple[Client, Recorder]:
        settings = {**FAST, **options}
        settings.setdefault("initial_channels", sorted(simulator.world.channels))
        client = Client(token, irc_url=simulator.irc_url, helix_url=simulator.helix_url,
                        auth_url=simulator.auth_url, client_id=simulator.client_id, **settings)
        recorder = Recorder()
        client.add_raw_hook(recorder.on_raw)
        client.add_connection_hook(recorder.on_conn)
        return client, recorder
    return make


@pytest.fixture
async def run_client() -> AsyncIterator[Callable[[Client], asyncio.Task[None]]]:
    """Start clients with ``run_client(client)``; they are closed after the test."""
    started: list[tuple[Client, asyncio.Task[None]]] = []

    def run(client: Client) -> asyncio.Task[None]:
        task = asyncio.create_task(client.start())
        started.append((client, task))
        return task

    yield run
    for client, task in started:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)
