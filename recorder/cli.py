"""The ``recorder`` command. Errors become one-line messages here, at the edge, never tracebacks.

    recorder run --channels a,b [--db chat.db] [...]     record chat into SQL
    recorder simulate [--port 8080] [...]                a Twitch-compatible server on localhost
    recorder db upgrade|current [--db ...]               migrations
    recorder coverage [--db ...] [--channel X]           when each channel was (not) recorded
    recorder summary [--db ...]                          rows per table and channel, top chatters
    recorder enrich [--db ...]                           backfill Helix data for an archive
    recorder report [--db ...] [--out DIR]               tables, plots, an HTML report
    recorder query [--db ...] "SELECT ..."               read-only DuckDB SQL
    recorder export [--db ...] --format parquet --out D   partitioned, incremental export
    recorder forget --user LOGIN [--db ...]              hard-delete a user everywhere
    recorder prune --older-than DAYS [--db ...]          retention
    recorder replay [--db ...] module:handler            stored chat into any handler, as if live
    recorder rebuild [--db ...]                          every projection table from raw_lines
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Callable, Sequence

from recorder import __version__

CHANNEL_RE = re.compile(r"^[a-z0-9_]{1,25}$")
DEFAULT_DB = "chat.db"


class CLIError(Exception):
    """A user mistake: printed as ``recorder: error: <message>`` with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + traceback
        raise CLIError(f"{message} (see `{self.prog} --help`)")


def parse_channels(text: str) -> list[str]:
    """``"a, #B ,c"`` -> ``["a", "b", "c"]``; a clear error for a name Twitch cannot have."""
    channels: list[str] = []
    for item in text.replace("\n", ",").split(","):
        name = item.strip().lstrip("#").lower()
        if not name:
            continue
        if not CHANNEL_RE.match(name):
            raise CLIError(f"invalid channel name {item.strip()!r}: use 1-25 letters, digits or _")
        if name not in channels:
            channels.append(name)
    return channels


def _channels_from_args(args: argparse.Namespace) -> list[str]:
    channels: list[str] = []
    if args.channels:
        channels += parse_channels(args.channels)
    if args.channels_file:
        path = Path(args.channels_file)
        if not path.is_file():
            raise CLIError(f"channels file not found: {path}")
        # one channel per line; "# a comment" (hash and space) and blank lines are skipped
        lines = [l for l in path.read_text().splitlines() if not l.strip().startswith("# ")]
        channels += [c for c in parse_channels("\n".join(lines)) if c not in channels]
    if not channels:
        raise CLIError("no channels given: use --channels a,b or --channels-file FILE")
    return channels


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=os.environ.get("RECORDER_DB", DEFAULT_DB),
                        help="SQLite path or SQLAlchemy URL (env RECORDER_DB; default ./chat.db)")


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="record chat of channels into the database")
    p.add_argument("--channels", help="comma-separated channel logins")
    p.add_argument("--channels-file", help="a file with one channel per line")
    _db_arg(p)
    p.add_argument("--irc-url", default="wss://irc-ws.chat.twitch.tv:443")
    p.add_argument("--helix-url", default="https://api.twitch.tv/helix")
    p.add_argument("--auth-url", default="https://id.twitch.tv/oauth2")
    p.add_argument("--token", default=os.environ.get("TWITCH_TOKEN"),
                   help="OAuth token (env TWITCH_TOKEN); anonymous read-only login without one")
    p.add_argument("--client-id", default=os.environ.get("TWITCH_CLIENT_ID"))
    p.add_argument("--client-secret", default=os.environ.get("TWITCH_CLIENT_SECRET"))
    p.add_argument("--duration", type=float, help="stop after SECONDS (default: run until stopped)")
    p.add_argument("--no-enrich", action="store_true", help="do not call Helix")
    p.add_argument("--spool", help="spool file for a database outage (default: next to the db)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.add_argument("--retain-days", metavar="N",
                   help="delete raw lines and their rows older than N days, hourly, while running")
    p.add_argument("--keep-forgetting", action=argparse.BooleanOptionalAction, default=True,
                   help="drop lines of users in forgotten_users (recorder forget "
                        "--keep-forgetting) before storing them (default: on)")
    p.set_defaults(func=_cmd_run)


def _check_url(value: str, option: str, schemes: tuple[str, ...]) -> str:
    """A one-line error for an endpoint URL that cannot work (no secrets in the message)."""
    from urllib.parse import urlsplit

    parts = urlsplit(value or "")
    if parts.scheme not in schemes or not parts.hostname:
        shown = f"{parts.scheme}://{parts.hostname}" if parts.hostname else "the value given"
        raise CLIError(f"{option} must be a {' or '.join(schemes)} URL with a host, "
                       f"not {shown}")
    return value


def _cmd_run(args: argparse.Namespace) -> int:
    from recorder.recording import RecorderConfig, run_recorder

    if args.duration is not None and args.duration <= 0:
        raise CLIError("--duration must be positive")
    from recorder.privacy_cli import positive_days

    retain = positive_days(args.retain_days, "--retain-days") if args.retain_days else None
    _check_url(args.irc_url, "--irc-url", ("ws", "wss"))
    _check_url(args.helix_url, "--helix-url", ("http", "https"))
    _check_url(args.auth_url, "--auth-url", ("http", "https"))
    config = RecorderConfig(
        channels=_channels_from_args(args), db=args.db, irc_url=args.irc_url,
        helix_url=args.helix_url, auth_url=args.auth_url, token=args.token,
        client_id=args.client_id, client_secret=args.client_secret, duration=args.duration,
        enrich=not args.no_enrich, spool=args.spool, log_level=args.log_level,
        retain_days=retain, keep_forgetting=args.keep_forgetting,
    )
    return run_recorder(config)


def _add_simulate(sub) -> None:
    p = sub.add_parser("simulate", help="run the Twitch-compatible simulator on localhost")
    from recorder.sim import cli as sim_cli

    sim_cli.add_arguments(p)
    p.set_defaults(func=sim_cli.run)


def _add_db(sub) -> None:
    p = sub.add_parser("db", help="database migrations")
    dbsub = p.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    up = dbsub.add_parser("upgrade", help="bring the database to the newest schema")
    _db_arg(up)
    up.set_defaults(func=_cmd_db_upgrade)
    cur = dbsub.add_parser("current", help="print the schema revision of the database")
    _db_arg(cur)
    cur.set_defaults(func=_cmd_db_current)


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from recorder.store.db import normalize_url, redact_url, upgrade_to_head

    url = normalize_url(args.db)
    asyncio.run(upgrade_to_head(url))
    print(f"{redact_url(url)}: at head")
    return 0


def _cmd_db_current(args: argparse.Namespace) -> int:
    from recorder.store.db import current_revision, normalize_url

    print(asyncio.run(current_revision(normalize_url(args.db))) or "(empty: no revision)")
    return 0


def _add_coverage(sub) -> None:
    p = sub.add_parser("coverage", help="when each channel was and was not being recorded")
    _db_arg(p)
    p.add_argument("--channel", action="append", help="only this channel (repeatable)")
    p.set_defaults(func=_cmd_coverage)


def _cmd_coverage(args: argparse.Namespace) -> int:
    from recorder.coverage import print_coverage

    return asyncio.run(print_coverage(args.db, args.channel))


def _add_summary(sub) -> None:
    p = sub.add_parser("summary", help="rows per table and channel, and top chatters")
    _db_arg(p)
    p.set_defaults(func=_cmd_summary)


def _cmd_summary(args: argparse.Namespace) -> int:
    from recorder.summary import print_summary

    return asyncio.run(print_summary(args.db))


def _add_enrich(sub) -> None:
    p = sub.add_parser("enrich", help="backfill Helix users, channels, streams, games of an archive")
    _db_arg(p)
    p.add_argument("--helix-url", default="https://api.twitch.tv/helix")
    p.add_argument("--auth-url", default="https://id.twitch.tv/oauth2")
    p.add_argument("--token", default=os.environ.get("TWITCH_TOKEN"))
    p.add_argument("--client-id", default=os.environ.get("TWITCH_CLIENT_ID"))
    p.add_argument("--client-secret", default=os.environ.get("TWITCH_CLIENT_SECRET"))
    p.set_defaults(func=_cmd_enrich)


def _cmd_enrich(args: argparse.Namespace) -> int:
    from recorder.backfill import backfill

    if not args.client_id or not (args.client_secret or args.token):
        raise CLIError("enrichment needs --client-id and --client-secret (or --token)")
    return asyncio.run(backfill(args.db, helix_url=args.helix_url, auth_url=args.auth_url,
                                token=args.token, client_id=args.client_id,
                                client_secret=args.client_secret))


def _add_report(sub) -> None:
    from analytics.cli import add_report_arguments, run_report

    p = sub.add_parser("report", help="tables, PNG plots and one HTML report of an archive")
    _db_arg(p)
    add_report_arguments(p)
    p.set_defaults(func=run_report)


def _add_query(sub) -> None:
    from analytics.cli import add_query_arguments, run_query

    p = sub.add_parser("query", help="read-only DuckDB SQL over the archive's tables")
    _db_arg(p)
    add_query_arguments(p)
    p.set_defaults(func=run_query)


def _add_export(sub) -> None:
    from analytics.cli import add_export_arguments, run_export

    p = sub.add_parser("export", help="Parquet/JSONL/CSV partitioned by channel and day, incremental")
    _db_arg(p)
    add_export_arguments(p)
    p.set_defaults(func=run_export)


def _add_privacy(sub) -> None:
    from recorder.privacy_cli import add_forget, add_prune

    add_forget(sub)
    add_prune(sub)


def _add_replay_rebuild(sub) -> None:
    from recorder.replay_cli import add_rebuild, add_replay

    add_replay(sub)
    add_rebuild(sub)


COMMANDS: list[Callable] = [_add_run, _add_simulate, _add_db, _add_coverage, _add_summary,
                            _add_enrich, _add_report, _add_query, _add_export, _add_privacy,
                            _add_replay_rebuild]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="recorder", description="Twitch chat recorder and analytics.")
    parser.add_argument("--version", action="version", version=f"recorder {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"recorder: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # bad URLs and the like, raised by the layers below
        print(f"recorder: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
