"""``recorder forget``: hard deletion of one user's data, the raw log included, with an audit row.

What belongs to a user (the rule, applied the same way to stored lines and, with
``--keep-forgetting``, to lines a running recorder receives) is any line in which the user is
an *identity*, not merely a word of someone's text:

- the author: the ``user-id`` tag (or, without one, the prefix nick / the ``login`` tag);
- a target: CLEARCHAT ``target-user-id`` or its trailing login, CLEARMSG ``login``;
- a subject of someone else's line: ``reply-parent-user-id``/``-login`` (the reply carries the
  user's words in ``reply-parent-msg-body``), ``msg-param-recipient-id``/``-user-name`` (gifts),
  ``msg-param-sender-login``, ``msg-param-login``, a WHISPER thread or recipient, a JOIN/PART
  nick, a NAMES (353) list;
- a line that did not parse: the login or id as a whole word anywhere in it.

A plain ``@login`` inside another user's chat text is *not* an identity and is kept.

Deleting a raw line deletes every projection row made from it (same ``raw_line_id``); rows
found by identity columns without such a line, the Helix ``users`` row and the
``user_name_history`` rows go as well. Work is done in batches of small transactions so a
running recorder is not blocked; running ``forget`` again finishes an interrupted run. The audit
row (``forget_audit``) holds who ran it, when, the user and row counts per table, never content.
"""
from __future__ import annotations

import getpass
import re
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

import sqlalchemy as sa

from recorder.client.irc import IRCMessage, ParseError, parse_line
from recorder.store import schema

__all__ = ["Identity", "line_concerns", "resolve", "forget", "load_forgotten", "ForgetResult"]

_ID_TAGS = ("user-id", "target-user-id", "reply-parent-user-id", "msg-param-recipient-id")
_LOGIN_TAGS = ("reply-parent-user-login", "msg-param-recipient-user-name",
               "msg-param-sender-login", "msg-param-login", "reply-thread-parent-user-login")
BATCH = 500


@dataclass
class Identity:
    """Every id and login one person has had in the archive."""

    ids: set[str] = field(default_factory=set)
    logins: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.ids or self.logins)

    def word_pattern(self) -> re.Pattern[str] | None:
        words = sorted(self.ids | self.logins)
        if not words:
            return None
        alternatives = "|".join(re.escape(w) for w in words)
        return re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_])", re.IGNORECASE)


def _author(msg: IRCMessage, who: Identity) -> bool:
    tags = msg.tags
    user_id = tags.get("user-id")
    if user_id:
        return user_id in who.ids
    login = tags.get("login") or msg.nick
    return bool(login) and login.lower() in who.logins


def _subjects(msg: IRCMessage, who: Identity) -> bool:
    tags = msg.tags
    if any(tags.get(t) in who.ids for t in _ID_TAGS[1:] if tags.get(t)):
        return True
    if any(tags.get(t, "").lower() in who.logins for t in _LOGIN_TAGS if tags.get(t)):
        return True
    command, params = msg.command, msg.params
    if command == "CLEARCHAT" and len(params) >= 2 and not tags.get("target-user-id"):
        return params[-1].lower() in who.logins
    if command == "CLEARMSG":
        return tags.get("login", "").lower() in who.logins
    if command == "WHISPER":
        thread = tags.get("thread-id", "")
        return bool(params and params[0].lower() in who.logins) or bool(
            set(thread.split("_")) & who.ids)
    if command == "353" and params:
        return bool({n.lower() for n in params[-1].split()} & who.logins)
    return False


def line_concerns(line: str, who: Identity, message: IRCMessage | None = None,
                  pattern: re.Pattern[str] | None = None) -> bool:
    """True when ``line`` (parsed already as ``message``, or not parseable) belongs to ``who``."""
    if not who:
        return False
    if message is None:
        try:
            message = parse_line(line)
        except ParseError:
            pattern = pattern or who.word_pattern()
            return bool(pattern and pattern.search(line))
    return _author(message, who) or _subjects(message, who)


# --- resolution --------------------------------------------------------------------------

_ID_LOGIN_PAIRS = (("messages", "user_id", "login"), ("usernotices", "user_id", "login"),
                   ("users", "id", "login"), ("user_name_history", "user_id", "login"),
                   ("moderation_events", "target_user_id", "target_login"),
                   ("whispers", "from_user_id", "from_login"), ("user_states", "user_id", "login"))


async def resolve(conn: Any, *, login: str | None = None, user_id: str | None = None) -> Identity:
    """Login -> ids (and id -> logins, for renamed users) through the archive's own rows."""
    who = Identity(ids={user_id} if user_id else set(), logins={login.lower()} if login else set())
    for _ in range(2):  # logins -> ids, then ids -> the other logins of those ids
        for name, id_col, login_col in _ID_LOGIN_PAIRS:
            t = schema.metadata.tables[name]
            cond = []
            if who.logins:
                cond.append(sa.func.lower(t.c[login_col]).in_(sorted(who.logins)))
            if who.ids:
                cond.append(t.c[id_col].in_(sorted(who.ids)))
            if not cond:
                continue
            rows = await conn.execute(sa.select(t.c[id_col], t.c[login_col]).where(
                sa.or_(*cond)).distinct())
            for found_id, found_login in rows:
                if found_id and (not user_id or login):  # --user-id: never widen to other ids
                    who.ids.add(str(found_id))
                if found_login and (found_id in who.ids or not found_id):
                    who.logins.add(found_login.lower())
    return who


async def load_forgotten(conn: Any) -> Identity:
    """Every id and login in ``forgotten_users`` (what ``--keep-forgetting`` drops)."""
    who = Identity()
    for user_id, login in await conn.execute(
            sa.select(schema.forgotten_users.c.user_id, schema.forgotten_users.c.login)):
        if user_id:
            who.ids.add(user_id)
        if login:
            who.logins.add(login.lower())
    return who


# --- deletion ----------------------------------------------------------------------------

@dataclass
class ForgetResult:
    identity: Identity
    counts: dict[str, int]
    audit_id: int | None = None


def _candidates(who: Identity) -> sa.ColumnElement[bool]:
    line = schema.raw_lines.c.line
    words = sorted(who.ids) + sorted(who.logins)
    return sa.or_(*(sa.func.lower(line).like(f"%{w.lower()}%") for w in words))


async def _delete_raw(conn: Any, raw_ids: list[int], counts: dict[str, int]) -> None:
    for name in schema.PROJECTION_TABLES:
        t = schema.metadata.tables[name]
        result = await conn.execute(sa.delete(t).where(t.c.raw_line_id.in_(raw_ids)))
        counts[name] = counts.get(name, 0) + (result.rowcount or 0)
    result = await conn.execute(sa.delete(schema.raw_lines).where(schema.raw_lines.c.id.in_(raw_ids)))
    counts["raw_lines"] = counts.get("raw_lines", 0) + (result.rowcount or 0)


async def _scan_raw(engine: Any, who: Identity, counts: dict[str, int], batch: int) -> None:
    """Delete matching raw lines (and their projection rows), one small transaction per batch."""
    raw, after, pattern = schema.raw_lines, 0, who.word_pattern()
    while True:
        async with engine.begin() as conn:
            rows = (await conn.execute(sa.select(raw.c.id, raw.c.line).where(
                raw.c.id > after, _candidates(who)).order_by(raw.c.id).limit(batch))).all()
            if not rows:
                return
            after = rows[-1][0]
            doomed = [rid for rid, line in rows if line_concerns(line, who, pattern=pattern)]
            if doomed:
                await _delete_raw(conn, doomed, counts)


_LEFTOVERS = (("messages", ("user_id",), ("login",)), ("usernotices", ("user_id",), ("login",)),
              ("moderation_events", ("target_user_id",), ("target_login",)),
              ("membership_events", (), ("login",)), ("notices", ("target_user_id",), ()),
              ("user_states", ("user_id",), ("login",)),
              ("whispers", ("from_user_id",), ("from_login", "to_login")),
              ("users", ("id",), ("login",)), ("user_name_history", ("user_id",), ("login",)))


async def _delete_leftovers(conn: Any, who: Identity, counts: dict[str, int]) -> None:
    """Rows found by identity columns (enrichment, or rows whose line was already gone)."""
    for name, id_cols, login_cols in _LEFTOVERS:
        t = schema.metadata.tables[name]
        cond = [t.c[c].in_(sorted(who.ids)) for c in id_cols if who.ids]
        cond += [sa.func.lower(t.c[c]).in_(sorted(who.logins)) for c in login_cols if who.logins]
        if not cond:
            continue
        if name == "messages":  # their emote usages first
            ids = sa.select(t.c.id).where(sa.or_(*cond)).scalar_subquery()
            eu = schema.emote_usages
            result = await conn.execute(sa.delete(eu).where(eu.c.message_id.in_(ids)))
            counts["emote_usages"] = counts.get("emote_usages", 0) + (result.rowcount or 0)
        result = await conn.execute(sa.delete(t).where(sa.or_(*cond)))
        counts[name] = counts.get(name, 0) + (result.rowcount or 0)


async def _remember(conn: Any, who: Identity, login: str | None, user_id: str | None) -> None:
    fu, now = schema.forgotten_users, datetime.now(timezone.utc)
    pairs = {(i, None) for i in who.ids} | {(None, l) for l in who.logins}
    if login or user_id:
        pairs.add((user_id, login.lower() if login else None))
    existing = set((await conn.execute(sa.select(fu.c.user_id, fu.c.login))).all())
    new = [{"user_id": i, "login": l, "forgotten_at": now} for i, l in sorted(
        pairs - existing, key=str)]
    if new:
        await conn.execute(sa.insert(fu), new)


def default_actor() -> str:
    """``user@host`` of whoever runs the command."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name (containers)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


async def forget(url: str, *, login: str | None = None, user_id: str | None = None,
                 keep_forgetting: bool = False, actor: str | None = None,
                 batch: int = BATCH) -> ForgetResult:
    """Hard-delete everything of one user (see the module docstring); the audit row's counts."""
    from recorder.store.db import make_engine, upgrade_to_head

    if not (login or user_id):
        raise ValueError("forget needs a login or a user id")
    await upgrade_to_head(url)
    engine = make_engine(url)
    counts: dict[str, int] = {}
    try:
        async with engine.begin() as conn:
            who = await resolve(conn, login=login, user_id=user_id)
            if keep_forgetting:  # first, so a running recorder stops storing new lines soon
                await _remember(conn, who, login, user_id)
        await _scan_raw(engine, who, counts, batch)
        async with engine.begin() as conn:
            await _delete_leftovers(conn, who, counts)
            audit = await conn.execute(sa.insert(schema.forget_audit).values(
                at=datetime.now(timezone.utc), actor=actor or default_actor(),
                user_id=user_id, login=login.lower() if login else None,
                counts={k: v for k, v in sorted(counts.items())},
                keep_forgetting=keep_forgetting).returning(schema.forget_audit.c.id))
            audit_id = audit.scalar_one()
    finally:
        await engine.dispose()
    return ForgetResult(who, counts, audit_id)


def summarize(counts: dict[str, int]) -> Iterable[str]:
    """``table: n`` lines for the rows deleted (zero counts left out)."""
    return [f"{name}: {n}" for name, n in sorted(counts.items()) if n]
