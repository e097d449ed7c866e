"""``recorder forget`` and ``recorder prune``: the privacy commands (registered by recorder.cli).

    recorder forget --user LOGIN | --user-id ID [--db ...] [--keep-forgetting] [--actor WHO]
    recorder prune --older-than DAYS [--db ...] [--batch N]

Both validate their input first and fail with one line (:class:`recorder.cli.CLIError`).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re

__all__ = ["add_forget", "add_prune", "validate_login", "validate_user_id", "positive_days"]

LOGIN_RE = re.compile(r"^[a-z0-9_]{1,25}$")
USER_ID_RE = re.compile(r"^[0-9]{1,30}$")


def _error(message: str) -> Exception:
    """A :class:`recorder.cli.CLIError` that is also a ValueError, so that ``main`` prints it as
    one line even when the CLI runs as ``python -m recorder.cli`` (a second copy of the module)."""
    from recorder.cli import CLIError

    class InputError(CLIError, ValueError):
        pass

    return InputError(message)


def validate_login(text: str) -> str:
    """A Twitch login (``@`` and case tolerated) or a one-line error."""
    login = text.strip().lstrip("@").lower()
    if not LOGIN_RE.match(login):
        raise _error(f"invalid login {text!r}: use 1-25 letters, digits or _")
    return login


def validate_user_id(text: str) -> str:
    """A numeric Twitch user id (kept as text) or a one-line error."""
    user_id = text.strip()
    if not USER_ID_RE.match(user_id):
        raise _error(f"invalid user id {text!r}: Twitch user ids are digits")
    return user_id


def positive_days(text: str, option: str = "--older-than") -> float:
    """A positive number of days (``30``, ``0.5``) or a one-line error."""
    try:
        days = float(text)
    except (TypeError, ValueError):
        raise _error(f"{option} needs a number of days, not {text!r}") from None
    if not days > 0 or days == float("inf"):
        raise _error(f"{option} must be a positive number of days, not {text!r}")
    return days


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=os.environ.get("RECORDER_DB", "chat.db"),
                        help="SQLite path or SQLAlchemy URL (env RECORDER_DB; default ./chat.db)")


def add_forget(sub) -> None:
    p = sub.add_parser("forget", help="hard-delete everything of one user, raw log included")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", help="the user's login (older logins of the same id go too)")
    who.add_argument("--user-id", help="the user's numeric Twitch id")
    _db_arg(p)
    p.add_argument("--keep-forgetting", action="store_true",
                   help="also make `recorder run` drop this user's lines from now on")
    p.add_argument("--actor", help="who asked for it, for the audit row (default: user@host)")
    p.set_defaults(func=_cmd_forget)


def _cmd_forget(args: argparse.Namespace) -> int:
    from recorder.privacy import forget, summarize
    from recorder.store.db import normalize_url, redact_url

    login = validate_login(args.user) if args.user else None
    user_id = validate_user_id(args.user_id) if args.user_id else None
    url = normalize_url(args.db)
    result = asyncio.run(forget(url, login=login, user_id=user_id,
                                keep_forgetting=args.keep_forgetting, actor=args.actor))
    who = login or user_id
    total = sum(result.counts.values())
    print(f"{redact_url(url)}: forgot {who} ({len(result.identity.ids)} id(s), "
          f"{len(result.identity.logins)} login(s)): {total} rows deleted; audit #{result.audit_id}")
    for line in summarize(result.counts):
        print(f"  {line}")
    if args.keep_forgetting:
        print("  future recordings drop this user's lines (forgotten_users)")
    return 0


def add_prune(sub) -> None:
    p = sub.add_parser("prune", help="delete raw lines and their rows older than N days")
    p.add_argument("--older-than", required=True, metavar="DAYS",
                   help="delete what was received more than DAYS days ago")
    _db_arg(p)
    p.add_argument("--batch", type=int, default=1000, help="raw lines per transaction")
    p.set_defaults(func=_cmd_prune)


def _cmd_prune(args: argparse.Namespace) -> int:
    from recorder.retention import prune
    from recorder.store.db import normalize_url, redact_url

    days = positive_days(args.older_than)
    if args.batch < 1:
        raise _error("--batch must be at least 1")
    url = normalize_url(args.db)
    result = asyncio.run(prune(url, days, batch=args.batch))
    print(f"{redact_url(url)}: deleted {result.raw_lines} raw lines received before "
          f"{result.cutoff.isoformat(timespec='seconds')} in {result.batches} batch(es)")
    for name, n in sorted(result.counts.items()):
        if n and name != "raw_lines":
            print(f"  {name}: {n}")
    return 0
