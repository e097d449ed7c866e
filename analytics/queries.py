"""Questions asked of the archive: each function takes a DuckDB connection from
:func:`analytics.connection.open_archive` and the filters ``channel``, ``since``, ``until``
(``since`` inclusive, ``until`` exclusive, aware datetimes) and returns a pandas DataFrame.

An event's time is when Twitch sent it (``sent_at``, ``at``) and, where that is missing, when it
was received. Every frame is sorted, so equal inputs give equal frames.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import duckdb
import pandas as pd

from analytics.connection import META_TABLE, MINUTE_ROLLUP
from recorder.coverage import intervals

Con = duckdb.DuckDBPyConnection
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: USERNOTICE kinds counted as subscriptions, gifts and raids (anonymous variants folded in).
SUPPORT_KINDS = {
    "sub": "sub", "resub": "resub", "subgift": "subgift", "anonsubgift": "subgift",
    "submysterygift": "submysterygift", "anonsubmysterygift": "submysterygift", "raid": "raid",
}


def _where(time_sql: str, channel: str | None, since: datetime | None,
           until: datetime | None, channel_sql: str = "channel") -> tuple[str, list[Any]]:
    clauses, args = ["TRUE"], []
    if channel:
        clauses.append(f"{channel_sql} = ?")
        args.append(channel.lstrip("#").lower())
    if since is not None:
        clauses.append(f"{time_sql} >= ?")
        args.append(since)
    if until is not None:
        clauses.append(f"{time_sql} < ?")
        args.append(until)
    return " AND ".join(clauses), args


def _df(con: Con, sql: str, args: list[Any]) -> pd.DataFrame:
    return con.execute(sql, args).df()


_MSG_TIME = "coalesce(sent_at, received_at)"
_P_TIME = "coalesce(p.sent_at, p.received_at)"


def channel_overview(con: Con, channel: str | None = None, since: datetime | None = None,
                     until: datetime | None = None) -> pd.DataFrame:
    """Per channel: messages, chatters (distinct logins), first_message, last_message."""
    where, args = _where(_MSG_TIME, channel, since, until)
    return _df(con, f"""
        SELECT channel, count(*) AS messages, count(DISTINCT login) AS chatters,
               min({_MSG_TIME}) AS first_message, max({_MSG_TIME}) AS last_message
        FROM messages WHERE {where} GROUP BY channel ORDER BY channel""", args)


def messages_per_minute(con: Con, channel: str | None = None, since: datetime | None = None,
                        until: datetime | None = None) -> pd.DataFrame:
    """channel, minute, messages, chatters: minutes with at least one message. Read from the
    copy's per-minute rollup when it is current and the window falls on whole minutes."""
    first, last = _minute_of(since), _minute_of(until)
    if first is not False and last is not False and _rollup_current(con):
        where, args = ["TRUE"], []
        for sql, value in (("channel = ?", channel.lstrip("#").lower() if channel else None),
                           ("minute >= ?", first), ("minute < ?", last)):
            if value is not None:
                where.append(sql)
                args.append(value)
        return _df(con, f"""SELECT channel, {_from_minute('minute')} AS minute, messages, chatters
            FROM {MINUTE_ROLLUP} WHERE {' AND '.join(where)} ORDER BY channel, minute""", args)
    where, args = _where(_MSG_TIME, channel, since, until)
    return _df(con, f"""
        SELECT channel, {_from_minute('m')} AS minute, messages, chatters FROM (
            SELECT channel, {_minute(_MSG_TIME)} AS m, count(*) AS messages,
                   count(DISTINCT login) AS chatters
            FROM messages WHERE {where} GROUP BY ALL)
        ORDER BY channel, minute""", args)


def _minute_of(when: datetime | None) -> int | None | bool:
    """``when`` as an integer minute (None: no bound; False: not on a whole minute)."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)  # the session's time zone
    micros = (when - _EPOCH) // timedelta(microseconds=1)
    return False if micros % 60_000_000 else micros // 60_000_000


def _rollup_current(con: Con) -> bool:
    """Is the per-minute rollup made from every message of this copy?"""
    try:
        marks = dict(con.execute(f"SELECT key, value FROM {META_TABLE} WHERE key IN "
                                 "('watermark:messages', 'rollup:messages')").fetchall())
    except duckdb.Error:  # not a copy made by open_archive
        return False
    return marks.get("rollup:messages") is not None and \
        marks.get("rollup:messages") == marks.get("watermark:messages")


def _minute(time_sql: str) -> str:
    """A time's minute as an integer (minutes since the epoch, UTC). Integer arithmetic on the
    stored microseconds: ``date_trunc`` on a TIMESTAMPTZ goes through ICU's calendar, several
    times slower on every row."""
    return f"(epoch_us({time_sql}) // 60000000)"


def _from_minute(minute_sql: str) -> str:
    """The TIMESTAMPTZ of an integer minute from :func:`_minute`."""
    return f"make_timestamptz({minute_sql} * 60000000)"


def _minute_counts_sql(where: str) -> str:
    """channel, minute (TIMESTAMPTZ), messages: the minutes with messages, as a subquery."""
    return f"""(SELECT channel, {_from_minute('m')} AS minute, messages FROM (
        SELECT channel, {_minute(_MSG_TIME)} AS m, count(*) AS messages
        FROM messages WHERE {where} GROUP BY ALL))"""


def unique_chatters_over_time(con: Con, channel: str | None = None, since: datetime | None = None,
                              until: datetime | None = None, bucket: str = "1 hour") -> pd.DataFrame:
    """channel, bucket_start, chatters (distinct logins), messages per ``bucket`` (an interval)."""
    where, args = _where(_MSG_TIME, channel, since, until)
    return _df(con, f"""
        SELECT channel, time_bucket(INTERVAL '{_interval(bucket)}', {_MSG_TIME}) AS bucket_start,
               count(DISTINCT login) AS chatters, count(*) AS messages
        FROM messages WHERE {where} GROUP BY ALL ORDER BY channel, bucket_start""", args)


def _interval(text: str) -> str:
    if not all(ch.isalnum() or ch == " " for ch in text):
        raise ValueError(f"not an interval: {text!r}")
    return text


def top_chatters(con: Con, channel: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, limit: int = 10) -> pd.DataFrame:
    """login, display_name (the latest), messages, share (of all messages in the filter),
    first/last seen."""
    where, args = _where(_MSG_TIME, channel, since, until)
    return _df(con, f"""
        SELECT login, arg_max(display_name, {_MSG_TIME}) AS display_name,
               count(*) AS messages, count(*) / sum(count(*)) OVER () AS share,
               min({_MSG_TIME}) AS first_seen, max({_MSG_TIME}) AS last_seen
        FROM messages WHERE {where} AND login IS NOT NULL
        GROUP BY login ORDER BY messages DESC, login LIMIT {int(limit)}""", args)


def new_vs_returning(con: Con, channel: str | None = None, since: datetime | None = None,
                     until: datetime | None = None, bucket: str = "1 day") -> pd.DataFrame:
    """channel, bucket_start, new_chatters, returning_chatters: a chatter is new in the bucket
    holding their first message in that channel in the whole archive (filters do not move it)."""
    where, args = _where("m.t", channel, since, until, channel_sql="m.channel")
    size = _interval(bucket)
    return _df(con, f"""
        WITH m AS (SELECT channel, login, {_MSG_TIME} AS t FROM messages WHERE login IS NOT NULL),
        firsts AS (SELECT channel, login, min(t) AS first_t FROM m GROUP BY ALL),
        active AS (
            SELECT DISTINCT m.channel, m.login, time_bucket(INTERVAL '{size}', m.t) AS bucket_start,
                   time_bucket(INTERVAL '{size}', f.first_t) AS first_bucket
            FROM m JOIN firsts f USING (channel, login) WHERE {where})
        SELECT channel, bucket_start,
               count(*) FILTER (WHERE first_bucket = bucket_start) AS new_chatters,
               count(*) FILTER (WHERE first_bucket < bucket_start) AS returning_chatters
        FROM active GROUP BY ALL ORDER BY channel, bucket_start""", args)


def emote_leaderboard(con: Con, channel: str | None = None, since: datetime | None = None,
                      until: datetime | None = None, limit: int = 20) -> pd.DataFrame:
    """emote_name, uses (every occurrence), messages (containing it), chatters, emote_ids."""
    where, args = _where("coalesce(e.sent_at, m.received_at)", channel, since, until,
                         channel_sql="e.channel")
    return _df(con, f"""
        SELECT e.emote_name, sum(e.count)::BIGINT AS uses, count(*) AS messages,
               count(DISTINCT m.login) AS chatters, string_agg(DISTINCT e.emote_id, ',') AS emote_ids
        FROM emote_usages e LEFT JOIN messages m ON m.raw_line_id = e.raw_line_id
        WHERE {where} GROUP BY e.emote_name ORDER BY uses DESC, e.emote_name
        LIMIT {int(limit)}""", args)


def _param(name: str) -> str:
    return f"""json_extract_string(params, '$."{name}"')"""


def subs_and_gifts(con: Con, channel: str | None = None, since: datetime | None = None,
                   until: datetime | None = None) -> pd.DataFrame:
    """One row per sub, resub, gift, gift bomb, raid and cheer: channel, at, kind, login,
    amount (1 a sub; mass-gift-count for a ``submysterygift``; viewers for a raid; bits for a
    cheer), recipient, months, in_gift_bomb (a ``subgift`` that is one of a bomb's gifts)."""
    t = "coalesce(sent_at, received_at)"
    where, args = _where(t, channel, since, until)
    kinds = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in SUPPORT_KINDS.items())
    names = ", ".join(f"'{k}'" for k in SUPPORT_KINDS)
    return _df(con, f"""
        SELECT * FROM (
          SELECT channel, {t} AS "at", CASE msg_id {kinds} END AS kind, login,
                 CASE WHEN msg_id LIKE '%submysterygift' THEN TRY_CAST({_param('mass-gift-count')} AS BIGINT)
                      WHEN msg_id = 'raid' THEN TRY_CAST({_param('viewerCount')} AS BIGINT)
                      ELSE 1 END AS amount,
                 {_param('recipient-user-name')} AS recipient,
                 TRY_CAST(coalesce({_param('cumulative-months')}, {_param('months')}) AS BIGINT) AS months,
                 msg_id LIKE '%subgift' AND {_param('community-gift-id')} IS NOT NULL AS in_gift_bomb
          FROM usernotices WHERE msg_id IN ({names}) AND {where}
          UNION ALL
          SELECT channel, {t}, 'bits', login, bits, NULL, NULL, FALSE
          FROM messages WHERE bits > 0 AND {where})
        ORDER BY channel, "at", kind, login""", args + args)


def subs_and_gifts_summary(con: Con, channel: str | None = None, since: datetime | None = None,
                           until: datetime | None = None) -> pd.DataFrame:
    """Per channel: subs, resubs, gifted_subs (single gifts plus every bomb's count), gift_bombs,
    raids, raid_viewers, bits, cheers."""
    events = subs_and_gifts(con, channel, since, until)  # noqa: F841 (scanned by DuckDB)
    return con.execute("""
        SELECT channel,
               count(*) FILTER (WHERE kind = 'sub') AS subs,
               count(*) FILTER (WHERE kind = 'resub') AS resubs,
               coalesce(sum(amount) FILTER (WHERE kind = 'submysterygift'
                        OR (kind = 'subgift' AND NOT in_gift_bomb)), 0)::BIGINT AS gifted_subs,
               count(*) FILTER (WHERE kind = 'submysterygift') AS gift_bombs,
               count(*) FILTER (WHERE kind = 'raid') AS raids,
               coalesce(sum(amount) FILTER (WHERE kind = 'raid'), 0)::BIGINT AS raid_viewers,
               coalesce(sum(amount) FILTER (WHERE kind = 'bits'), 0)::BIGINT AS bits,
               count(*) FILTER (WHERE kind = 'bits') AS cheers
        FROM events GROUP BY channel ORDER BY channel""").df()


def moderation(con: Con, channel: str | None = None, since: datetime | None = None,
               until: datetime | None = None, lookback: str = "10 minutes") -> pd.DataFrame:
    """Bans, timeouts, deletions and clears, linked to the messages they removed: a deletion to
    its message's row (message_login, message_text, message_sent_at, message_raw_line_id); a ban
    or timeout to the count of the target's messages (same user id or same login, same channel)
    in the ``lookback`` before it.

    The counts are two equi-joins of the bans with the messages (by user id, then by login for
    the messages the first did not match), not a subquery per ban: DuckDB hashes the few bans
    once and streams the messages past them (each join reads ``messages`` itself: a shared CTE
    would be materialized first, a third pass)."""
    where, args = _where('coalesce("at", received_at)', channel, since, until)
    return _df(con, f"""
        WITH e AS (SELECT rowid AS k, *, coalesce("at", received_at) AS t
                   FROM moderation_events WHERE {where}),
        bans AS (SELECT k, channel, target_user_id, target_login, t AS hi,
                        t - INTERVAL '{_interval(lookback)}' AS lo
                 FROM e WHERE kind IN ('ban', 'timeout')),
        removed AS (
            SELECT k, count(*) AS n FROM (
                SELECT b.k FROM bans b JOIN messages p ON p.channel = b.channel
                   AND p.user_id = b.target_user_id AND {_P_TIME} <= b.hi AND {_P_TIME} > b.lo
                UNION ALL
                SELECT b.k FROM bans b JOIN messages p ON p.channel = b.channel
                   AND p.login = b.target_login AND {_P_TIME} <= b.hi AND {_P_TIME} > b.lo
                   AND (p.user_id = b.target_user_id) IS NOT TRUE)
            GROUP BY k)
        SELECT e.channel, e.t AS "at", e.kind, coalesce(e.target_login, m.login) AS target_login,
               coalesce(e.target_user_id, m.user_id) AS target_user_id, e.duration_s,
               e.target_message_id, m.login AS message_login,
               coalesce(m.text, e.target_text) AS message_text, m.sent_at AS message_sent_at,
               m.raw_line_id AS message_raw_line_id,
               CASE WHEN e.kind = 'delete' THEN (m.id IS NOT NULL)::BIGINT
                    WHEN e.kind IN ('ban', 'timeout') THEN coalesce(r.n, 0)
               END AS removed_messages
        FROM e LEFT JOIN messages m ON m.id = e.target_message_id
        LEFT JOIN removed r ON r.k = e.k
        ORDER BY e.channel, "at", e.kind""", args)


def chat_vs_viewers(con: Con, channel: str | None = None, since: datetime | None = None,
                    until: datetime | None = None) -> pd.DataFrame:
    """Per minute with messages while live: channel, minute, messages, viewer_count (the latest
    live snapshot at or before the minute, at most 15 minutes old), messages_per_viewer."""
    where, args = _where(_MSG_TIME, channel, since, until)
    return _df(con, f"""
        SELECT p.channel, p.minute, p.messages, s.viewer_count,
               p.messages / s.viewer_count AS messages_per_viewer
        FROM {_minute_counts_sql(where)} p
        ASOF JOIN (SELECT channel, fetched_at, viewer_count FROM stream_snapshots
                   WHERE live AND viewer_count > 0) s
          ON p.channel = s.channel AND p.minute >= s.fetched_at
        WHERE p.minute - s.fetched_at <= INTERVAL '15 minutes'
        ORDER BY p.channel, p.minute""", args)


def hype_moments(con: Con, channel: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, sigma: float = 3.0, min_messages: int = 5) -> pd.DataFrame:
    """Minutes whose message count is above the channel's own baseline (the mean of its minutes
    with messages) by more than ``sigma`` standard deviations and at least ``min_messages``:
    channel, minute, messages, baseline, sd, z."""
    where, args = _where(_MSG_TIME, channel, since, until)
    return _df(con, f"""
        WITH per_minute AS {_minute_counts_sql(where)},
        stats AS (SELECT channel, avg(messages) AS baseline, stddev_samp(messages) AS sd
                  FROM per_minute GROUP BY channel)
        SELECT p.channel, p.minute, p.messages, s.baseline, s.sd,
               (p.messages - s.baseline) / s.sd AS z
        FROM per_minute p JOIN stats s USING (channel)
        WHERE s.sd > 0 AND p.messages > s.baseline + ? * s.sd AND p.messages >= ?
        ORDER BY p.channel, p.minute""", args + [sigma, min_messages])


def coverage(con: Con, channel: str | None = None, since: datetime | None = None,
             until: datetime | None = None) -> pd.DataFrame:
    """Recorded spans and the gaps between them per channel (``recorder.coverage`` logic):
    channel, state ('recorded' or 'gap'), start, end, seconds, session_id (None for a gap)."""
    events = con.execute("SELECT session_id, \"at\", kind, channel, detail FROM connection_events "
                         "ORDER BY \"at\", id").fetchall()
    ended = dict(con.execute("SELECT id, ended_at FROM sessions").fetchall())
    keys = ("session_id", "at", "kind", "channel", "detail")
    rows: list[dict[str, Any]] = []
    previous: dict[str, datetime] = {}
    for span in intervals([dict(zip(keys, e)) for e in events], ended):
        if channel and span.channel != channel.lstrip("#").lower():
            continue
        last = previous.get(span.channel)
        if last is not None and span.start > last:
            rows.append(_span(span.channel, "gap", last, span.start, None))
        rows.append(_span(span.channel, "recorded", span.start, span.end, span.session_id))
        previous[span.channel] = max(last, span.end) if last else span.end
    return _clip(pd.DataFrame(rows, columns=["channel", "state", "start", "end", "seconds",
                                             "session_id"]), since, until)


def _span(channel: str, state: str, start: datetime, end: datetime, sid: int | None) -> dict[str, Any]:
    return {"channel": channel, "state": state, "start": start, "end": end,
            "seconds": (end - start).total_seconds(), "session_id": sid}


def _clip(frame: pd.DataFrame, since: datetime | None, until: datetime | None) -> pd.DataFrame:
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    frame["end"] = pd.to_datetime(frame["end"], utc=True)
    if since is not None:
        frame = frame[frame["end"] > pd.Timestamp(since)].copy()
        frame["start"] = frame["start"].clip(lower=pd.Timestamp(since))
    if until is not None:
        frame = frame[frame["start"] < pd.Timestamp(until)].copy()
        frame["end"] = frame["end"].clip(upper=pd.Timestamp(until))
    frame["seconds"] = (frame["end"] - frame["start"]).dt.total_seconds()
    frame["session_id"] = frame["session_id"].astype("Int64")
    return frame.sort_values(["channel", "start", "state"]).reset_index(drop=True)


def stream_sessions(con: Con, channel: str | None = None, since: datetime | None = None,
                    until: datetime | None = None) -> pd.DataFrame:
    """One row per stream session: a run of consecutive live ``stream_snapshots`` of a channel
    with the same ``stream_id`` (an offline snapshot or a new stream id ends the run).

    Columns: channel, stream_id, start (Helix's ``started_at``, else the first snapshot), end (the
    last live snapshot), duration_s, snapshots, peak_viewers, mean_viewers, and what happened in
    [start, end]: messages, chatters, messages_per_viewer (messages / mean_viewers), subs, resubs,
    gifted_subs (as in :func:`subs_and_gifts_summary`), raids, bits. ``since``/``until`` filter
    on the session's start."""
    where, args = _where("start", channel, since, until)
    streams = con.execute(f"""
        WITH w AS (
            SELECT channel, stream_id, live, viewer_count, started_at, fetched_at,
                   lag(live) OVER p AS prev_live, lag(stream_id) OVER p AS prev_stream
            FROM stream_snapshots WINDOW p AS (PARTITION BY channel ORDER BY fetched_at, id)),
        runs AS (
            SELECT *, sum(CASE WHEN live AND prev_live AND stream_id IS NOT DISTINCT FROM prev_stream
                               THEN 0 ELSE 1 END) OVER (PARTITION BY channel ORDER BY fetched_at
                               ROWS UNBOUNDED PRECEDING) AS run
            FROM w)
        SELECT * FROM (
            SELECT channel, any_value(stream_id) AS stream_id,
                   coalesce(min(started_at), min(fetched_at)) AS start, max(fetched_at) AS "end",
                   count(*) AS snapshots, max(viewer_count) AS peak_viewers,
                   avg(viewer_count) AS mean_viewers
            FROM runs WHERE live GROUP BY channel, run)
        WHERE {where}""", args).df()  # noqa: F841 (scanned below)
    events = subs_and_gifts(con, channel)  # noqa: F841 (scanned below)
    return con.execute(f"""
        WITH chat AS (
            SELECT s.channel, s.start, count(m.login) AS messages, count(DISTINCT m.login) AS chatters
            FROM streams s LEFT JOIN messages m ON m.channel = s.channel
             AND coalesce(m.sent_at, m.received_at)
                 BETWEEN s.start AND s."end"
            GROUP BY s.channel, s.start),
        support AS (
            SELECT s.channel, s.start,
                   count(*) FILTER (WHERE e.kind = 'sub') AS subs,
                   count(*) FILTER (WHERE e.kind = 'resub') AS resubs,
                   coalesce(sum(e.amount) FILTER (WHERE e.kind = 'submysterygift'
                            OR (e.kind = 'subgift' AND NOT e.in_gift_bomb)), 0)::BIGINT AS gifted_subs,
                   count(*) FILTER (WHERE e.kind = 'raid') AS raids,
                   coalesce(sum(e.amount) FILTER (WHERE e.kind = 'bits'), 0)::BIGINT AS bits
            FROM streams s LEFT JOIN events e ON e.channel = s.channel
             AND e."at" BETWEEN s.start AND s."end"
            GROUP BY s.channel, s.start)
        SELECT s.channel, s.stream_id, s.start, s."end",
               date_diff('millisecond', s.start, s."end") / 1000.0 AS duration_s,
               s.snapshots, s.peak_viewers, s.mean_viewers, c.messages, c.chatters,
               CASE WHEN s.mean_viewers > 0 THEN c.messages / s.mean_viewers END AS messages_per_viewer,
               p.subs, p.resubs, p.gifted_subs, p.raids, p.bits
        FROM streams s JOIN chat c USING (channel, start) JOIN support p USING (channel, start)
        ORDER BY s.channel, s.start""").df()
