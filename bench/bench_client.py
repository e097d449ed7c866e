"""Messages per second into ``event_message`` and memory after 200,000 distinct chatters:
our Client against TwitchIO 2.10's Client, both connected to the same local websocket server
in the same run.

The server (a small aiohttp app in this module) logs any NICK in, answers a JOIN with the JOIN
echo, NAMES end and ROOMSTATE, then blasts prebuilt PRIVMSG lines (``bench.common``'s realistic
ones, rewritten to the joined channel) in frames of 100 lines. Targets: at least 2x TwitchIO's
rate; at most a third of its memory (tracemalloc peak) after 200,000 distinct chatters.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import re
import time
import tracemalloc
from typing import Any, Callable

import aiohttp
from aiohttp import WSMsgType, web

from bench.common import realistic_lines, save

RATE_LINES = 50_000
CHATTERS = 200_000
FRAME = 100
TARGET_RATIO = 2.0
TARGET_MEMORY = 1 / 3
_CHANNEL = re.compile(r" PRIVMSG #\S+ ")


def rate_lines() -> list[str]:
    lines = [line for line in realistic_lines(RATE_LINES * 12 // 10) if " PRIVMSG #" in line]
    return [_CHANNEL.sub(" PRIVMSG #bench ", line, count=1) for line in lines[:RATE_LINES]]


def chatter_lines() -> list[str]:
    return [f"@badge-info=;badges=;color=#1E90FF;display-name=Chatter{i};emotes=;first-msg=0;"
            f"flags=;id=00000000-0000-0000-0000-{i:012d};mod=0;returning-chatter=0;room-id=1000;"
            f"subscriber=0;tmi-sent-ts={1_700_000_000_000 + i};turbo=0;user-id={10_000_000 + i};"
            f"user-type= :chatter{i}!chatter{i}@chatter{i}.tmi.twitch.tv PRIVMSG #bench :hello {i}"
            for i in range(CHATTERS)]


class BlastServer:
    """Logs anyone in, and sends ``lines`` to every connection that joins a channel."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> "BlastServer":
        app = web.Application()
        app.router.add_get("/", self.handle)
        self.runner = web.AppRunner(app, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"ws://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/"  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        nick = "justinfan1"
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            for line in msg.data.split("\r\n"):
                if line.startswith("NICK "):
                    nick = line[5:].strip()
                    await ws.send_str("".join(f":tmi.twitch.tv {n} {nick} :-\r\n"
                                              for n in ("001", "002", "003", "004", "375", "372", "376")))
                elif line.startswith("JOIN "):
                    await self._joined(ws, nick, line[5:].strip())
                elif line.startswith("PING"):
                    await ws.send_str(":tmi.twitch.tv PONG tmi.twitch.tv :tmi.twitch.tv\r\n")
        return ws

    async def _joined(self, ws: web.WebSocketResponse, nick: str, channel: str) -> None:
        await ws.send_str(f":{nick}!{nick}@{nick}.tmi.twitch.tv JOIN {channel}\r\n"
                          f":{nick}.tmi.twitch.tv 353 {nick} = {channel} :{nick}\r\n"
                          f":{nick}.tmi.twitch.tv 366 {nick} {channel} :End of /NAMES list\r\n"
                          f"@room-id=1000;slow=0 :tmi.twitch.tv ROOMSTATE {channel}\r\n")
        for start in range(0, len(self.lines), FRAME):
            await ws.send_str("".join(line + "\r\n" for line in self.lines[start:start + FRAME]))


async def run_ours(url: str, expected: int) -> float:
    from recorder.client import Client

    done = asyncio.Event()
    count = 0
    client = Client(irc_url=url, initial_channels=["bench"], heartbeat=None)

    @client.event()
    async def event_message(message: Any) -> None:
        nonlocal count
        count += 1
        if count >= expected:
            done.set()

    started = time.perf_counter()
    task = asyncio.create_task(client.start())
    await asyncio.wait_for(done.wait(), 300)
    elapsed = time.perf_counter() - started
    await client.close()
    await asyncio.gather(task, return_exceptions=True)
    return elapsed


async def run_twitchio(url: str, expected: int) -> float:
    import twitchio
    import twitchio.websocket

    twitchio.websocket.HOST = url
    logging.getLogger("twitchio").setLevel(logging.CRITICAL)
    done = asyncio.Event()
    count = 0

    class Bot(twitchio.Client):
        async def event_message(self, message: Any) -> None:
            nonlocal count
            count += 1
            if count >= expected:
                done.set()

    bot = Bot("benchtoken", initial_channels=["bench"])
    bot._http.nick = "justinfan123"  # skip token validation against id.twitch.tv ...
    bot._http.session = aiohttp.ClientSession()  # ... which is what would create the session
    started = time.perf_counter()
    task = asyncio.create_task(bot.start())
    await asyncio.wait_for(done.wait(), 300)
    elapsed = time.perf_counter() - started
    await bot.close()
    await bot._http.session.close()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return elapsed


async def measure(lines: list[str], runner: Callable[[str, int], Any], memory: bool) -> tuple[float, int]:
    """Seconds to receive ``lines`` into event_message, and the tracemalloc peak (bytes)."""
    async with BlastServer(lines) as server:
        gc.collect()
        if memory:
            tracemalloc.start()
        elapsed = await runner(server.url, len(lines))
        peak = 0
        if memory:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return elapsed, peak


def main() -> int:
    lines, chatters = rate_lines(), chatter_lines()

    async def run() -> dict[str, float]:
        ours = min([(await measure(lines, run_ours, False))[0] for _ in range(3)])
        theirs = min([(await measure(lines, run_twitchio, False))[0] for _ in range(3)])
        _, ours_mem = await measure(chatters, run_ours, True)
        _, theirs_mem = await measure(chatters, run_twitchio, True)
        return {"ours_s": ours, "twitchio_s": theirs, "ours_mem": ours_mem, "twitchio_mem": theirs_mem}

    r = asyncio.run(run())
    ours_rate, theirs_rate = len(lines) / r["ours_s"], len(lines) / r["twitchio_s"]
    ratio, mem_ratio = ours_rate / theirs_rate, r["ours_mem"] / r["twitchio_mem"]
    result = {
        "messages": len(lines), "ours_messages_per_s": round(ours_rate),
        "twitchio_2_10_messages_per_s": round(theirs_rate), "ratio_rate": round(ratio, 2),
        "chatters": CHATTERS, "ours_peak_bytes": r["ours_mem"],
        "twitchio_2_10_peak_bytes": r["twitchio_mem"], "ratio_memory": round(mem_ratio, 3),
        "target_ratio": TARGET_RATIO, "target_memory_ratio": round(TARGET_MEMORY, 3),
        "target_met": ratio >= TARGET_RATIO and mem_ratio <= TARGET_MEMORY,
    }
    print(f"{len(lines)} realistic PRIVMSGs from a local websocket server into event_message")
    print(f"  ours                {ours_rate:>12,.0f} msg/s")
    print(f"  twitchio 2.10       {theirs_rate:>12,.0f} msg/s")
    print(f"  ratio               {ratio:>12.2f}x   target >= {TARGET_RATIO}x "
          f"{'MET' if ratio >= TARGET_RATIO else 'NOT MET'}")
    print(f"{CHATTERS:,} distinct chatters, tracemalloc peak")
    print(f"  ours                {r['ours_mem'] / 2**20:>12.1f} MiB")
    print(f"  twitchio 2.10       {r['twitchio_mem'] / 2**20:>12.1f} MiB")
    print(f"  ratio               {mem_ratio:>12.3f}    target <= {TARGET_MEMORY:.3f} "
          f"{'MET' if mem_ratio <= TARGET_MEMORY else 'NOT MET'}")
    print(f"  results: {save('client', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
