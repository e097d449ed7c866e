"""Each fault of the simulator, observed from a raw websocket client."""

from __future__ import annotations

import argparse
import asyncio
import io
import re

from recorder.sim import cli as sim_cli
from recorder.sim.faults import DEFAULT_MALFORMED, FaultSchedule
from recorder.sim.server import Simulator
from tests.sim.conftest import connect


async def joined(sim: Simulator, clients, channel: str, **kwargs):
    client = await connect(sim, **kwargs)
    clients.append(client)
    await client.send(f"JOIN #{channel}")
    await client.expect("ROOMSTATE")
    return client


async def test_reconnect_in_one_channel(sim: Simulator, clients) -> None:
    alpha = await joined(sim, clients, "sim_alpha")
    bravo = await joined(sim, clients, "sim_bravo", nick="justinfan2")
    told = await sim.send_reconnect("sim_alpha", close_after=0.01)
    assert told == 1
    await alpha.closed.wait()
    assert alpha.raw[-1] == ":tmi.twitch.tv RECONNECT"
    assert alpha.ws.close_code == 1000
    await bravo.sync()
    assert not bravo.of("RECONNECT") and not bravo.closed.is_set()
    await sim.wait_for(lambda: [c.nick for c in sim.connections] == ["justinfan2"])


async def test_reconnect_everyone_then_client_rejoins(sim: Simulator, clients) -> None:
    first = await joined(sim, clients, "sim_alpha")
    await sim.send_reconnect(close_after=0.01)
    await first.closed.wait()
    await sim.wait_for(lambda: not sim.connections)
    second = await joined(sim, clients, "sim_alpha")
    await sim.wait_for(lambda: [c.channels for c in sim.connections] == [{"sim_alpha"}])
    fact = (await sim.emit("sim_alpha", "privmsg"))[0]
    await second.wait_for(lambda: any(m.tags.get("id") == fact["id"] for m in second.of("PRIVMSG")))


async def test_close_with_close_frame(sim: Simulator, clients) -> None:
    client = await joined(sim, clients, "sim_alpha")
    assert await sim.close_connections(4000) == 1
    await client.closed.wait()
    assert client.ws.close_code == 4000


async def test_abnormal_drop_without_close_frame(sim: Simulator, clients) -> None:
    client = await joined(sim, clients, "sim_alpha")
    await sim.close_connections(1006)
    await client.closed.wait()
    assert client.ws.close_code == 1006  # aiohttp's "abnormal closure": no close frame came
    await sim.wait_for(lambda: not sim.connections)


async def test_go_silent_is_half_open(sim: Simulator, clients) -> None:
    client = await joined(sim, clients, "sim_alpha")
    conn = sim.connections[0]
    sim.go_silent(True)
    before = conn.lines_received
    await client.send("PING :lost")
    await sim.wait_for(lambda: conn.lines_received > before)
    lost = (await sim.emit("sim_alpha", "privmsg"))[0]
    assert lost["delivered"] == 0 and not client.closed.is_set() and not conn.closed
    # a new connection is not affected (unless include_new=True)
    fresh = await joined(sim, clients, "sim_alpha", nick="justinfan5")
    sim.go_silent(True, include_new=True)
    quiet = await connect(sim, nick="justinfan6", login=False)
    clients.append(quiet)
    await sim.wait_for(lambda: len(sim.connections) == 3)
    assert sim.connections[-1].silent and sim.connections[1].silent
    sim.go_silent(False)
    await client.sync("back")
    await fresh.sync("fresh")
    assert not any(m.params[-1] == "lost" for m in client.of("PONG"))
    assert not any(m.tags.get("id") == lost["id"] for m in client.of("PRIVMSG"))


async def test_half_open_server_is_not_closed_by_its_keepalive(clock, clients) -> None:
    async with Simulator(traffic=False, clock=clock, users=200, ping_interval=0.01,
                         pong_timeout=0.01) as sim:
        client = await joined(sim, clients, "sim_alpha")
        sim.go_silent(True)
        conn = sim.connections[0]
        sent = conn.lines_sent
        for _ in range(3):  # several keepalive periods pass (observed through client traffic)
            before = conn.lines_received
            await client.send("PING :x")
            await sim.wait_for(lambda: conn.lines_received > before)
        assert not conn.closed and conn.lines_sent == sent


async def test_malformed_lines_arrive_verbatim(sim: Simulator, clients) -> None:
    client = await joined(sim, clients, "sim_alpha", strict=False)
    assert await sim.send_malformed() == 1
    await client.wait_for(lambda: client.raw[-len(DEFAULT_MALFORMED):] == DEFAULT_MALFORMED)
    assert await sim.send_malformed(["@@@ nonsense"]) == 1
    await client.wait_for(lambda: client.raw[-1] == "@@@ nonsense")


async def test_slow_down_sends_line_by_line(sim: Simulator, clients) -> None:
    sim.slow_down(0.001)
    client = await connect(sim)
    clients.append(client)
    frames_before = len(client.frames)
    await client.send("JOIN #sim_alpha")
    await client.expect("ROOMSTATE")
    new = client.frames[frames_before:]
    assert len(new) >= 5 and all(frame.count("\r\n") == 1 for frame in new)
    sim.slow_down(0)
    await client.send("PART #sim_alpha", "JOIN #sim_alpha")
    await client.expect("ROOMSTATE", 2)
    assert any(frame.count("\r\n") > 3 for frame in client.frames[len(client.frames) - 2:])


async def test_fault_schedule_repeats(sim: Simulator, clients) -> None:
    client = await joined(sim, clients, "sim_alpha", strict=False)
    tasks = FaultSchedule(malformed_every=0.01, reconnect_every=0.05).start(sim.irc)
    try:
        await client.closed.wait()  # the reconnect timer fires after the first junk timer
        assert DEFAULT_MALFORMED[0] in client.raw and ":tmi.twitch.tv RECONNECT" in client.raw
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _Out(io.StringIO):
    """Captured CLI output that tells when something was written."""

    def __init__(self) -> None:
        super().__init__()
        self.written = asyncio.Event()

    def write(self, text: str) -> int:
        self.written.set()
        return super().write(text)


async def test_cli_prints_urls_and_runs_fault_flags(clients) -> None:
    parser = argparse.ArgumentParser()
    sim_cli.add_arguments(parser)
    args = parser.parse_args(["--port", "0", "--rate", "0", "--users", "200", "--no-stdin",
                              "--reconnect-every", "0.02", "--channel-names", "foo,bar"])
    out = _Out()
    task = asyncio.create_task(sim_cli.serve(args, out))
    try:
        await asyncio.wait_for(out.written.wait(), 10)
        text = out.getvalue()
        url = re.search(r"IRC websocket : (ws://\S+)", text).group(1)
        assert re.search(r"Helix base    : http://127\.0\.0\.1:\d+/helix", text)
        assert "client secret : simclientsecret" in text and "channels      : foo, bar" in text
        token = re.search(r"user token    : (\S+)", text).group(1)
        stub = type("Stub", (), {"irc_url": url})()
        client = await connect(stub, nick="simbot", password=f"oauth:{token}", strict=False)
        clients.append(client)
        await client.send("JOIN #foo")
        await client.closed.wait()
        assert ":tmi.twitch.tv RECONNECT" in client.raw and client.of("GLOBALUSERSTATE")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
