"""Helix enrichment: users, channels, streams and games recorded beside the chat.

The :class:`Enricher` watches the events the recorder sees (``observe``), and in its loop, by
priority: polls the recorded channels' streams (one snapshot row per channel per poll, live or
offline), then fetches users it has never fetched (100 ids a request), then channel information,
then games it has met, then refreshes users older than the TTL. Every Helix call goes through the
client's own :class:`~recorder.client.http.HelixHTTP`, so the enrichment shares the client's
rate-limit bucket. Failures are retried with backoff and nothing pending is dropped.

Memory stays bounded over weeks: the users fetched are remembered for the TTL in a cache of the
``USER_CACHE`` most recent (beyond it, and after a restart, the ``users`` table answers: a user
fetched within the TTL, by this run or an earlier one, is not asked for again), and at most
``PENDING_MAX`` users wait for Helix (past that, during a long Helix outage, further new users are
counted in ``stats["deferred"]`` and logged; ``recorder enrich`` fetches them later).

Rows: ``users`` (latest state) + ``user_name_history`` (login / display name changes),
``channels`` (latest) + ``channel_history`` (each change), ``stream_snapshots`` (a time series),
``games`` (fetched once).
"""
from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import random
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from recorder.client.errors import HTTPException
from recorder.client.events import ClearChat, Event, PrivMsg, UserNotice
from recorder.store import schema
from recorder.store.upsert import upsert

log = logging.getLogger("recorder.enrich")
BATCH = 100
#: Users remembered as fetched (id -> when), most recent first out of memory; the rest: the DB.
USER_CACHE = 50_000
#: Users waiting to be fetched, at most.
PENDING_MAX = 100_000
#: Seconds a batch of fewer than BATCH users waits for more before it is fetched anyway.
USER_BATCH_WAIT = 2.0
#: Seconds before a stream or channel poll that failed is tried again (users go meanwhile).
POLL_RETRY = 10.0


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _is_id(value: str) -> bool:
    """A Twitch user id: ASCII digits (anything else would only earn a 400 from Helix)."""
    return value.isascii() and value.isdigit()


def user_ids_of(event: Event) -> list[str]:
    """Every user id an event mentions: chatters, gift recipients, raiders, ban targets."""
    if isinstance(event, PrivMsg):
        return [i for i in (event.user_id, event.reply_parent_user_id) if i]
    if isinstance(event, UserNotice):
        ids = [event.user_id, event.params.get("recipient-id")]
        return [i for i in ids if i]
    if isinstance(event, ClearChat):
        return [event.target_user_id] if event.target_user_id else []
    return []


class Enricher:
    """Background enrichment of what the recorder saw; see the module docstring."""

    def __init__(self, api: Any, engine: AsyncEngine, *, channels: Iterable[str] = (),
                 user_ttl: float = 7 * 86400.0, stream_interval: float = 60.0,
                 channel_interval: float = 600.0, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Any] = asyncio.sleep, retry_max: float = 60.0) -> None:
        self.api, self.engine = api, engine
        self.channels = [c.lower().lstrip("#") for c in channels]
        self.user_ttl, self.stream_interval = user_ttl, stream_interval
        self.channel_interval, self.clock, self.sleep = channel_interval, clock, sleep
        self.retry_max = retry_max
        self.pending_users: dict[str, None] = {}  # an ordered set: fetched first come, first served
        #: id -> when fetched, oldest first (a bounded cache; the ``users`` table has them all)
        self.fetched_users: collections.OrderedDict[str, float] = collections.OrderedDict()
        self.pending_games: set[str] = set()
        self.known_games: set[str] = set()
        self.broadcasters: dict[str, str] = {}  # login -> user id
        self._next_streams = 0.0
        self._next_channels = 0.0
        self.stats = {"users": 0, "streams": 0, "channels": 0, "games": 0, "errors": 0,
                      "deferred": 0, "refused": 0}
        self._pending_since = 0.0  # when the oldest user now pending was queued
        self._wake = asyncio.Event()

    # --- input ---------------------------------------------------------------------------
    def observe(self, event: Event) -> None:
        for user_id in user_ids_of(event):
            if user_id in self.pending_users or not _is_id(user_id):
                continue
            fetched = self.fetched_users.get(user_id)
            if fetched is not None and self.clock() - fetched < self.user_ttl:
                continue
            if len(self.pending_users) >= PENDING_MAX:
                if self.stats["deferred"] % 10_000 == 0:
                    log.warning("enrichment is behind (%d users waiting for Helix): new users are "
                                "not queued; `recorder enrich` fetches them later",
                                len(self.pending_users))
                self.stats["deferred"] += 1
                continue
            if not self.pending_users:
                self._pending_since = self.clock()
            self.pending_users[user_id] = None
            if len(self.pending_users) >= BATCH:
                self._wake.set()

    def add_users(self, ids: Iterable[str]) -> None:
        """Queue these users (all of them: an explicit request is not capped)."""
        if not self.pending_users:
            self._pending_since = self.clock()
        self.pending_users.update((i, None) for i in ids if _is_id(i) and i not in self.fetched_users)

    # --- the loop ------------------------------------------------------------------------
    async def run(self) -> None:
        """Enrich forever (cancel to stop); errors back off and retry, losing nothing."""
        delay = 1.0
        while True:
            try:
                worked = await self.step()
                delay = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Helix or database trouble: keep the work, retry later
                self.stats["errors"] += 1
                log.warning("enrichment step failed (%s: %s); retrying in %.0f s",
                            type(exc).__name__, exc, delay)
                await self.sleep(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, self.retry_max)
                continue
            if not worked:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=1.0)
                except asyncio.TimeoutError:
                    pass

    async def step(self, *, flush: bool = False) -> bool:
        """One unit of work by priority; False when there was nothing to do. Fewer than
        ``BATCH`` pending users wait up to ``USER_BATCH_WAIT`` s for more (``flush``: not)."""
        now = self.clock()
        if self.channels and now >= self._next_streams:
            self._next_streams = now + POLL_RETRY  # failing, it does not starve the users
            await self.poll_streams()
            self._next_streams = now + self.stream_interval
            return True
        pending = self.pending_users
        if pending and (flush or len(pending) >= BATCH
                        or now - self._pending_since >= USER_BATCH_WAIT):
            await self.fetch_users(list(itertools.islice(pending, BATCH)))
            self._pending_since = now
            return True
        if self.channels and now >= self._next_channels:
            self._next_channels = now + POLL_RETRY
            await self.poll_channels()
            self._next_channels = now + self.channel_interval
            return True
        if self.pending_games:
            await self.fetch_games(sorted(self.pending_games)[:BATCH])
            return True
        stale = list(itertools.takewhile(lambda i: now - self.fetched_users[i] >= self.user_ttl,
                                         itertools.islice(self.fetched_users, BATCH)))
        if stale:  # the cache is oldest first: only its head can be stale
            await self.fetch_users(stale)
            return True
        return False

    async def drain(self, max_steps: int = 1_000_000) -> None:
        """Do every pending unit of work now (for ``recorder enrich`` and tests)."""
        for _ in range(max_steps):
            if not await self.step(flush=True):
                return

    # --- units of work -------------------------------------------------------------------
    async def fetch_users(self, ids: list[str]) -> None:
        """Fetch these users from Helix and record them, but for those the ``users`` table
        already holds as fetched within the TTL (by this run or an earlier one)."""
        fresh = await self._fresh_in_db(ids)
        for user_id, at in fresh.items():
            self._fetched(user_id, at)
        ids = [i for i in ids if i not in fresh]
        if not ids:
            return
        try:
            users = await self.api.fetch_users(ids=ids)
        except HTTPException as exc:  # Helix refuses the batch itself: find who, go on
            if exc.status != 400:
                raise  # not about the ids (a 403, 404, 5xx...): retried with backoff by the loop
            if len(ids) > 1:
                await self.fetch_users(ids[:len(ids) // 2])
                await self.fetch_users(ids[len(ids) // 2:])
                return
            log.warning("Helix refuses user id %r (%s); it is not asked for again", ids[0], exc)
            self.stats["refused"] += 1
            self._fetched(ids[0], self.clock())
            return
        fetched_at = _utc(self.clock())
        rows = [self._user_row(u.raw, fetched_at) for u in users]
        async with self.engine.begin() as conn:
            await self._record_names(conn, rows, fetched_at)
            await upsert(conn, schema.users, rows, ("id",))
        now = self.clock()
        for user_id in ids:  # ids Helix does not know (deleted, banned) are not asked again
            self._fetched(user_id, now)
        self.stats["users"] += len(rows)

    def _fetched(self, user_id: str, at: float) -> None:
        # the newest end of the cache, even when ``at`` (from the table) is older: its TTL
        # refresh in the background may then come later, but seen again it is refreshed on time
        self.pending_users.pop(user_id, None)
        cache = self.fetched_users
        cache[user_id] = at
        cache.move_to_end(user_id)
        if len(cache) > USER_CACHE:
            cache.popitem(last=False)

    async def _fresh_in_db(self, ids: list[str]) -> dict[str, float]:
        """The users among ``ids`` that the ``users`` table holds as fetched within the TTL
        (and not already known so here): id -> when fetched."""
        now = self.clock()
        unknown = [i for i in ids if now - self.fetched_users.get(i, -float("inf")) >= self.user_ttl]
        if not unknown:
            return {}
        u = schema.users
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(u.c.id, u.c.fetched_at).where(
                u.c.id.in_(unknown), u.c.fetched_at > _utc(now - self.user_ttl)))).all()
        return {user_id: at.timestamp() for user_id, at in rows if at is not None}

    @staticmethod
    def _user_row(raw: dict, fetched_at: datetime) -> dict:
        return {
            "id": str(raw.get("id")), "login": raw.get("login"),
            "display_name": raw.get("display_name"), "type": raw.get("type"),
            "broadcaster_type": raw.get("broadcaster_type"), "description": raw.get("description"),
            "profile_image_url": raw.get("profile_image_url"),
            "offline_image_url": raw.get("offline_image_url"),
            "created_at": _parse_time(raw.get("created_at")), "fetched_at": fetched_at,
        }

    async def _record_names(self, conn: Any, rows: list[dict], fetched_at: datetime) -> None:
        """Keep login / display-name history: a new row when a user's names change."""
        if not rows:
            return
        h = schema.user_name_history
        ids = [r["id"] for r in rows]
        latest: dict[str, tuple[int, str, str]] = {}
        result = await conn.execute(sa.select(h.c.id, h.c.user_id, h.c.login, h.c.display_name)
                                    .where(h.c.user_id.in_(ids)).order_by(h.c.id))
        for hid, user_id, login, display in result:
            latest[user_id] = (hid, login, display)
        new, seen = [], []
        for row in rows:
            last = latest.get(row["id"])
            if last and (last[1], last[2]) == (row["login"], row["display_name"]):
                seen.append(last[0])
            else:
                new.append({"user_id": row["id"], "login": row["login"],
                            "display_name": row["display_name"],
                            "first_seen_at": fetched_at, "last_seen_at": fetched_at})
        if seen:
            await conn.execute(sa.update(h).where(h.c.id.in_(seen)).values(last_seen_at=fetched_at))
        if new:
            await conn.execute(sa.insert(h), new)

    async def _broadcaster_ids(self) -> dict[str, str]:
        missing = [c for c in self.channels if c not in self.broadcasters]
        if missing:
            for user in await self.api.fetch_users(names=missing):
                self.broadcasters[str(user.raw.get("login", "")).lower()] = str(user.raw.get("id"))
        return self.broadcasters

    async def poll_streams(self) -> None:
        """One ``stream_snapshots`` row per recorded channel: live (with viewers) or offline."""
        streams = await self.api.fetch_streams(user_logins=self.channels)
        fetched_at = _utc(self.clock())
        live = {str(s.raw.get("user_login", "")).lower(): s.raw for s in streams}
        ids = await self._broadcaster_ids() if len(live) < len(self.channels) else self.broadcasters
        rows = []
        for channel in self.channels:
            raw = live.get(channel)
            rows.append({
                "channel": channel, "user_id": str(raw["user_id"]) if raw else ids.get(channel),
                "stream_id": raw.get("id") if raw else None, "live": raw is not None,
                "viewer_count": raw.get("viewer_count") if raw else None,
                "game_id": raw.get("game_id") if raw else None,
                "game_name": raw.get("game_name") if raw else None,
                "title": raw.get("title") if raw else None,
                "started_at": _parse_time(raw.get("started_at")) if raw else None,
                "language": raw.get("language") if raw else None, "fetched_at": fetched_at,
            })
            if raw and raw.get("game_id") and raw["game_id"] not in self.known_games:
                self.pending_games.add(str(raw["game_id"]))
        async with self.engine.begin() as conn:
            await conn.execute(sa.insert(schema.stream_snapshots), rows)
        self.stats["streams"] += len(rows)

    async def poll_channels(self) -> None:
        """Latest channel info, plus a ``channel_history`` row whenever it changed."""
        ids = await self._broadcaster_ids()
        infos = await self.api.fetch_channels([ids[c] for c in self.channels if c in ids])
        fetched_at = _utc(self.clock())
        rows = [{
            "broadcaster_id": str(i.raw.get("broadcaster_id")),
            "login": i.raw.get("broadcaster_login"), "title": i.raw.get("title"),
            "game_id": i.raw.get("game_id") or None, "game_name": i.raw.get("game_name"),
            "language": i.raw.get("broadcaster_language"), "tags": list(i.raw.get("tags") or []),
            "fetched_at": fetched_at,
        } for i in infos]
        c, hist = schema.channels, schema.channel_history
        keys = ("title", "game_id", "game_name", "language", "tags")
        async with self.engine.begin() as conn:
            old = {r.broadcaster_id: r for r in (await conn.execute(
                sa.select(c).where(c.c.broadcaster_id.in_([r["broadcaster_id"] for r in rows])))).all()}
            changed = [{k: r[k] for k in ("broadcaster_id", *keys, "fetched_at")} for r in rows
                       if r["broadcaster_id"] not in old
                       or any(getattr(old[r["broadcaster_id"]], k) != r[k] for k in keys)]
            if changed:
                await conn.execute(sa.insert(hist), changed)
            await upsert(conn, c, rows, ("broadcaster_id",))
        for row in rows:
            if row["game_id"] and row["game_id"] not in self.known_games:
                self.pending_games.add(row["game_id"])
        self.stats["channels"] += len(rows)

    async def fetch_games(self, ids: list[str]) -> None:
        games = await self.api.fetch_games(ids=ids)
        fetched_at = _utc(self.clock())
        rows = [{"id": str(g.raw.get("id")), "name": g.raw.get("name"),
                 "box_art_url": g.raw.get("box_art_url"),
                 "igdb_id": str(g.raw["igdb_id"]) if g.raw.get("igdb_id") else None,
                 "fetched_at": fetched_at} for g in games]
        async with self.engine.begin() as conn:
            await upsert(conn, schema.games, rows, ("id",))
        for game_id in ids:
            self.pending_games.discard(game_id)
            self.known_games.add(game_id)
        self.stats["games"] += len(rows)
