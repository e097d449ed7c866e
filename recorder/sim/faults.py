"""Fault injection on the IRC side: RECONNECT, dropped connections, half-open, junk, slowness.

The functions act on an :class:`~recorder.sim.ircserver.IRCServer`; :class:`FaultSchedule` repeats
them on a timer for the command line (``--reconnect-every`` and friends).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from recorder.sim.ircserver import IRCServer

__all__ = ["send_reconnect", "close_connections", "go_silent", "send_malformed", "slow_down",
           "DEFAULT_MALFORMED", "FaultSchedule"]

DEFAULT_MALFORMED = [
    "@",                                   # tags marker with nothing after it
    ":tmi.twitch.tv",                      # a prefix and no command
    "@badges=;color= :tmi.twitch.tv",      # tags and prefix, no command
    "@a=b",                                # tags only
    "PRIVMSG #x :\x00nul inside",          # NUL byte
    ":tmi.twitch.tv 12345 * :a five-digit numeric",
    "   ",
    "\ufeffPING :tmi.twitch.tv",           # byte-order mark before the command
]


async def send_reconnect(server: IRCServer, channel: str | None = None, *,
                         close_after: float = 0.5) -> int:
    """Send ``:tmi.twitch.tv RECONNECT`` to the connections in ``channel`` (all when None), then
    close them ``close_after`` seconds later, as Twitch does. Returns how many were told."""
    targets = [c for c in server.connections
               if c.logged_in and (channel is None or channel.lstrip("#").lower() in c.channels)]
    for conn in targets:
        if conn.wants("RECONNECT"):
            conn.send([":tmi.twitch.tv RECONNECT"])
    if targets:
        await asyncio.sleep(close_after)
        await asyncio.gather(*(conn.close(code=1000) for conn in targets))
    return len(targets)


async def close_connections(server: IRCServer, code: int = 1000, *, abnormal: bool | None = None) -> int:
    """Close every connection: a close frame with ``code``, or for 1006 (or ``abnormal``) a TCP
    drop without any close frame. Returns how many were closed."""
    drop = code == 1006 if abnormal is None else abnormal
    targets = list(server.connections)
    await asyncio.gather(*(conn.close(code=code, abnormal=drop) for conn in targets))
    await server.notify()
    return len(targets)


def go_silent(server: IRCServer, on: bool = True, *, include_new: bool = False) -> None:
    """Half-open: the current connections (and new ones when ``include_new``) stop sending
    anything at all, PONGs included, and ignore what they receive, without closing."""
    for conn in server.connections:
        conn.silent = on
    server.silent_new = on and include_new


async def send_malformed(server: IRCServer, lines: list[str] | None = None) -> int:
    """Send raw junk lines (unchanged, each with CRLF) to every logged-in connection."""
    junk = list(DEFAULT_MALFORMED if lines is None else lines)
    targets = [c for c in server.connections if c.logged_in]
    for conn in targets:
        conn.send(junk)
    return len(targets)


def slow_down(server: IRCServer, delay_per_line: float) -> None:
    """Send every line on its own frame after ``delay_per_line`` seconds (0 turns it off)."""
    server.line_delay = delay_per_line
    for conn in server.connections:
        conn.line_delay = delay_per_line


@dataclass
class FaultSchedule:
    """Periodic faults for long demo runs; every period is in seconds, None disables it."""

    reconnect_every: float | None = None
    drop_every: float | None = None
    malformed_every: float | None = None

    def start(self, server: IRCServer) -> list[asyncio.Task[None]]:
        """Start one task per enabled fault; cancel the returned tasks to stop."""
        jobs = [(self.reconnect_every, lambda: send_reconnect(server)),
                (self.drop_every, lambda: close_connections(server, 1006)),
                (self.malformed_every, lambda: send_malformed(server))]
        return [asyncio.create_task(self._repeat(period, job)) for period, job in jobs if period]

    @staticmethod
    async def _repeat(period: float, job) -> None:  # type: ignore[no-untyped-def]
        while True:
            await asyncio.sleep(period)
            await job()
