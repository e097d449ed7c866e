"""``recorder simulate``: run the simulator on a local port until SIGINT/SIGTERM.

Prints where to point a client (IRC websocket, Helix, OAuth), a client id/secret registered in
the simulator, a ready user token, and the channel names. Fault flags repeat faults on a timer;
lines typed on stdin trigger faults by hand (``reconnect``, ``drop``, ``close``, ``silent``,
``wake``, ``malformed``, ``slow <seconds>``, ``emit <channel> <kind>``, ``helix <status> [count]``
(the next Helix requests answer 429, 500, 503 or 401), ``expire`` (every OAuth token expires),
``status``). ``--helix-fault STATUS:SECONDS`` repeats a Helix fault on a timer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import TextIO

from recorder.sim.faults import FaultSchedule
from recorder.sim.server import Simulator

__all__ = ["add_arguments", "run", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``simulate`` options to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default %(default)s)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one (default %(default)s)")
    parser.add_argument("--channels", type=int, default=3, help="number of channels (default %(default)s)")
    parser.add_argument("--channel-names", default=None, help="comma-separated channel logins")
    parser.add_argument("--rate", type=float, default=5.0, help="events per second per channel (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
    parser.add_argument("--users", type=int, default=2000, help="simulated users (default %(default)s)")
    parser.add_argument("--ping-interval", type=float, default=300.0, help="server PING period, s")
    parser.add_argument("--token-ttl", type=float, default=3600.0, help="OAuth token lifetime, s")
    parser.add_argument("--bot", default="simbot", help="login of the ready-made user token")
    parser.add_argument("--reconnect-every", type=float, default=None, metavar="SECONDS",
                        help="send RECONNECT (then close) to every connection this often")
    parser.add_argument("--drop-every", type=float, default=None, metavar="SECONDS",
                        help="drop every connection without a close frame this often")
    parser.add_argument("--malformed-every", type=float, default=None, metavar="SECONDS",
                        help="send junk lines to every connection this often")
    parser.add_argument("--helix-fault", action="append", default=[], type=helix_fault,
                        metavar="STATUS:SECONDS",
                        help="answer one Helix request with STATUS (429, 500, 503, 401) every "
                             "SECONDS; repeatable")
    parser.add_argument("--no-stdin", action="store_true", help="do not read fault commands from stdin")
    from recorder.replay_cli import add_from_db_arguments

    add_from_db_arguments(parser)  # --from-db, --channel, --speed: serve a recorded archive


def helix_fault(text: str) -> tuple[int, float]:
    """``"429:30"`` -> (429, 30.0): argparse type of ``--helix-fault``."""
    status, _, every = text.partition(":")
    try:
        code, period = int(status), float(every)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected STATUS:SECONDS, got {text!r}") from None
    if code not in (401, 429, 500, 502, 503) or period <= 0:
        raise argparse.ArgumentTypeError(f"expected a status of 401/429/500/502/503 and a positive "
                                         f"period, got {text!r}")
    return code, period


async def _repeat_helix_fault(sim: Simulator, status: int, period: float) -> None:
    while True:
        await asyncio.sleep(period)
        sim.helix.fail_next(status, 1)


def banner(sim: Simulator, token: str) -> str:
    """The text telling a user where to point a client."""
    chans = ", ".join(sim.world.channels)
    return "\n".join([
        f"IRC websocket : {sim.irc_url}",
        f"Helix base    : {sim.helix_url}",
        f"OAuth base    : {sim.auth_url}   (token, validate, revoke)",
        f"client id     : {sim.client_id}",
        f"client secret : {sim.client_secret}",
        f"user token    : {token}   (login {sim.oauth.validate(token).login}; IRC: PASS oauth:<token>)",
        f"channels      : {chans}   (offline: "
        f"{', '.join(c for c, ch in sim.world.channels.items() if not ch.live) or '-'}; "
        f"suspended: {', '.join(sorted(sim.world.suspended))})",
        "anonymous     : NICK justinfan12345 works too",
        "Ctrl-C to stop.",
    ])


async def handle_command(sim: Simulator, line: str, out: TextIO) -> None:
    """Run one stdin fault command."""
    words = line.split()
    if not words:
        return
    cmd, args = words[0].lower(), words[1:]
    if cmd == "reconnect":
        out.write(f"RECONNECT sent to {await sim.send_reconnect(args[0] if args else None)}\n")
    elif cmd in ("drop", "close"):
        out.write(f"closed {await sim.close_connections(1006 if cmd == 'drop' else 1000)}\n")
    elif cmd in ("silent", "wake"):
        sim.go_silent(cmd == "silent")
    elif cmd == "malformed":
        await sim.send_malformed()
    elif cmd == "slow":
        sim.slow_down(float(args[0]) if args else 0.0)
    elif cmd == "emit" and len(args) >= 2:
        await sim.emit(args[0], args[1])
    elif cmd == "helix" and args:
        count = int(args[1]) if len(args) > 1 else 1
        sim.helix.fail_next(int(args[0]), count)
        out.write(f"the next {count} Helix request(s) answer {int(args[0])}\n")
    elif cmd == "expire":
        sim.oauth.expire_all()
        out.write("every OAuth token expired\n")
    elif cmd == "status":
        for conn in sim.connections:
            out.write(f"{conn.describe()}\n")
        out.write(f"{len(sim.record)} facts sent\n")
    else:
        out.write(f"unknown command: {line.strip()}\n")
    out.flush()


async def _read_stdin(sim: Simulator, out: TextIO) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        try:
            await handle_command(sim, line, out)
        except (ValueError, KeyError) as exc:
            out.write(f"error: {exc}\n")


async def serve(args: argparse.Namespace, out: TextIO = sys.stdout) -> None:
    """Run the simulator until SIGINT/SIGTERM (or cancellation)."""
    names = [n.strip() for n in args.channel_names.split(",")] if args.channel_names else None
    sim = Simulator(host=args.host, port=args.port, channels=args.channels, channel_names=names,
                    rate=args.rate, seed=args.seed, users=args.users,
                    ping_interval=args.ping_interval, token_ttl=args.token_ttl)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with sim:
        token = sim.issue_token(args.bot)
        out.write(banner(sim, token) + "\n")
        out.flush()
        tasks = FaultSchedule(args.reconnect_every, args.drop_every, args.malformed_every).start(sim.irc)
        tasks += [asyncio.create_task(_repeat_helix_fault(sim, status, period))
                  for status, period in getattr(args, "helix_fault", [])]
        if not args.no_stdin and sys.stdin is not None and sys.stdin.isatty():
            tasks.append(asyncio.create_task(_read_stdin(sim, out)))
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def run(args: argparse.Namespace) -> int:
    """Blocking entry point for ``recorder simulate``; returns the exit status."""
    if getattr(args, "from_db", None):
        from recorder.replay_cli import run_from_db

        return run_from_db(args)
    try:
        asyncio.run(serve(args))
    except OSError as exc:
        print(f"recorder simulate: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m recorder.sim``."""
    parser = argparse.ArgumentParser(prog="python -m recorder.sim", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
