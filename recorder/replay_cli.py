"""The CLI edge of replay and rebuild: ``recorder replay``, ``recorder rebuild`` and
``recorder simulate --from-db``. Errors become one-line :class:`recorder.cli.CLIError` here.

    recorder replay --db chat.db [--channel X ...] [--since ISO] [--until ISO]
                    [--speed max|realtime|N] module:handler
    recorder rebuild --db chat.db [--from-scratch] [--batch N] [--workers N]
    recorder simulate --from-db chat.db [--channel X ...] [--speed N]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import importlib.util
import os
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

__all__ = ["add_replay", "add_rebuild", "add_from_db_arguments", "load_handler", "run_replay",
           "run_rebuild", "run_from_db"]


def _cli_error(message: str) -> Exception:
    from recorder.cli import CLIError

    return CLIError(message)


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=os.environ.get("RECORDER_DB", "chat.db"),
                        help="SQLite path or SQLAlchemy URL (env RECORDER_DB; default ./chat.db)")


def add_replay(sub: Any) -> None:
    """Register ``recorder replay``."""
    p = sub.add_parser("replay", help="dispatch recorded chat into a handler, as if live")
    _db_arg(p)
    p.add_argument("--channel", action="append", default=[], help="only this channel (repeatable)")
    p.add_argument("--since", help="from this time (ISO 8601, UTC if no offset)")
    p.add_argument("--until", help="up to this time, excluded (ISO 8601)")
    p.add_argument("--speed", default="max", help="max (default), realtime, or N times real time")
    p.add_argument("handler", help="module:attribute or path/file.py:attribute: a Client "
                   "subclass or instance, or an object or module with event_* coroutines")
    p.set_defaults(func=run_replay)


def add_rebuild(sub: Any) -> None:
    """Register ``recorder rebuild``."""
    p = sub.add_parser("rebuild", help="rebuild every projection table from raw_lines (resumable)")
    _db_arg(p)
    p.add_argument("--from-scratch", action="store_true",
                   help="start over even if an earlier rebuild was interrupted")
    p.add_argument("--batch", type=int, default=5000, help="raw lines per transaction (default 5000)")
    p.add_argument("--workers", type=int, default=None,
                   help="processes projecting batches while this one inserts (default: 1 when "
                        "the machine has more than 2 CPUs, else 0)")
    p.set_defaults(func=run_rebuild)


def add_from_db_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--from-db``, ``--channel`` and ``--speed`` to ``recorder simulate``."""
    parser.add_argument("--from-db", default=None, metavar="DB",
                        help="serve this recorded archive instead of generated traffic")
    parser.add_argument("--channel", action="append", default=[],
                        help="with --from-db: only this recorded channel (repeatable)")
    parser.add_argument("--speed", default=None,
                        help="with --from-db: N times the recorded pace, realtime, or max "
                             "(default: as fast as possible)")


def load_handler(spec: str) -> Any:
    """``pkg.module:attr``, ``path/to/file.py:attr``, or a module / file alone -> the object."""
    target, sep, attr = spec.rpartition(":") if ":" in spec else (spec, "", "")
    if sep and (not target or not attr):
        raise _cli_error(f"bad handler {spec!r}: expected module:attribute or file.py:attribute")
    try:
        if target.endswith(".py") or os.sep in target:
            path = Path(target)
            if not path.is_file():
                raise _cli_error(f"handler file not found: {path}")
            module_spec = importlib.util.spec_from_file_location(path.stem, path)
            assert module_spec is not None and module_spec.loader is not None
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
    except ImportError as exc:
        raise _cli_error(f"cannot import handler module {target!r}: {exc}") from None
    except SyntaxError as exc:
        raise _cli_error(f"handler {target!r} has a syntax error: {exc}") from None
    if not attr:
        return module
    try:
        return getattr(module, attr)
    except AttributeError:
        raise _cli_error(f"{target!r} has no attribute {attr!r}") from None


def run_replay(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """``recorder replay``: load the handler, replay, print a one-line summary."""
    from recorder.cli import parse_channels
    from recorder.gctune import tune_gc
    from recorder.replay import Replayer, as_client

    tune_gc()
    handler = load_handler(args.handler)
    try:
        client = as_client(handler)
        replayer = Replayer(args.db, channels=parse_channels(",".join(args.channel)) or None,
                            since=args.since, until=args.until, speed=args.speed)
    except (TypeError, ValueError) as exc:
        raise _cli_error(str(exc)) from None
    _require_archive(args.db)
    stats = asyncio.run(replayer.run(client))
    out.write(stats.summary() + "\n")
    return 0


def _require_archive(db: str) -> None:
    """A plain path that does not exist is a mistake, not a new empty archive."""
    if "://" not in db and not Path(db).expanduser().is_file():
        raise _cli_error(f"no archive at {db}")


def run_rebuild(args: argparse.Namespace, console: Any = None) -> int:
    """``recorder rebuild`` with a rich progress bar (off when not on a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from recorder.rebuild import auto_workers, rebuild
    from recorder.gctune import tune_gc

    tune_gc()
    if args.batch < 1:
        raise _cli_error("--batch must be at least 1")
    workers = auto_workers() if args.workers is None else args.workers
    if workers < 0:
        raise _cli_error("--workers must be 0 or more")
    _require_archive(args.db)
    console = console or Console()
    columns = (TextColumn("rebuild"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("rebuild", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        stats = asyncio.run(rebuild(args.db, from_scratch=args.from_scratch,
                                    batch_size=args.batch, progress=progress, workers=workers))
    console.print(stats.summary(), highlight=False)
    return 0


def run_from_db(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """``recorder simulate --from-db``: serve the archive until SIGINT/SIGTERM."""
    from recorder.replay import parse_speed

    try:
        speed = parse_speed(args.speed)
    except ValueError as exc:
        raise _cli_error(str(exc)) from None
    _require_archive(args.from_db)
    try:
        asyncio.run(serve_archive(args, speed, out))
    except OSError as exc:
        out.write(f"recorder simulate: cannot listen on {args.host}:{args.port}: "
                  f"{exc.strerror or exc}\n")
        return 1
    except KeyboardInterrupt:
        pass
    return 0


async def serve_archive(args: argparse.Namespace, speed: float | None, out: TextIO,
                        stop: asyncio.Event | None = None) -> None:
    """Run the simulator serving ``args.from_db`` until ``stop`` is set (or a signal)."""
    from recorder.cli import parse_channels
    from recorder.sim.archive import ArchivePlayer
    from recorder.sim.cli import banner
    from recorder.sim.server import Simulator

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    channels = parse_channels(",".join(args.channel)) or None
    try:
        player = await ArchivePlayer(args.from_db, channels=channels, speed=speed).__aenter__()
    except ValueError as exc:
        raise _cli_error(str(exc)) from None
    try:
        sim = Simulator(host=args.host, port=args.port, channel_names=player.channels or None,
                        channels=max(1, len(player.channels)), traffic=False,
                        ping_interval=args.ping_interval, token_ttl=args.token_ttl)
        player.attach(sim)
        async with sim:
            out.write(banner(sim, sim.issue_token(args.bot)) + "\n")
            out.write(f"archive       : {args.from_db}: {', '.join(player.channels) or 'no channels'}"
                      f" at {'full speed' if speed is None else f'{speed:g}x'}\n")
            out.flush()
            await stop.wait()
    finally:
        await player.__aexit__(None, None, None)
