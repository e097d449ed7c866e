"""The report's queries on a big archive: DuckDB (``analytics``) against plain SQL on the store
itself (SQLite) and against pandas, in the same run; and the Parquet export's size.

The archive (``BENCH_ANALYTICS_MESSAGES`` messages, default 10,000,000, over 20 channels and
200,000 chatters at ~330,000 messages a day) is made by a fast bulk path, not by the recorder:

1. DuckDB generates every row in SQL (deterministic hashes of the row number): the PRIVMSG raw
   line exactly as Twitch would send it, and its ``messages`` row with the same fields (tags
   JSON, badges, emotes, bits), plus ``emote_usages``, ~1% ``usernotices`` (subs, resubs, gifts,
   gift bombs, raids), ~0.5% ``moderation_events`` and 5-minute ``stream_snapshots``.
2. The store is created by the project's own migrations (``upgrade_to_head``), its secondary
   indexes are dropped, the rows are streamed from DuckDB into it with ``sqlite3`` executemany
   in big transactions, and the indexes are created again: the same schema the recorder writes.

Then: ``open_archive`` builds the DuckDB copy (timed: a one-off cost, incremental afterwards);
each report query runs best of ``REPEAT`` in DuckDB (the real ``analytics.queries`` function),
in SQLite (hand-written equivalent SQL on the store, using its indexes) and in pandas (frames
loaded once from the copy; the load is timed apart). Targets: each DuckDB query under 1 s and at
least 10x faster than on the store. Last, ``export_archive`` writes Parquet (zstd) and its bytes
per message are set against the raw lines' bytes (target: at least 15x smaller).

Env: BENCH_ANALYTICS_MESSAGES (size), BENCH_ANALYTICS_DIR (work directory, default a temporary
one, removed), BENCH_ANALYTICS_REPEAT (default 3), BENCH_ANALYTICS_REUSE=1 (keep a store of that
size already built in BENCH_ANALYTICS_DIR by an earlier run; the DuckDB copy and the export are
always made again).
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd

from analytics import queries as q
from analytics.connection import open_archive
from analytics.export import export_archive
from bench.common import save
from recorder.store.db import upgrade_to_head

MESSAGES = int(os.environ.get("BENCH_ANALYTICS_MESSAGES", "10000000"))
REPEAT = int(os.environ.get("BENCH_ANALYTICS_REPEAT", "3"))
PER_DAY = 333_333
TARGET_SECONDS, TARGET_VS_STORE, TARGET_EXPORT = 1.0, 10.0, 15.0
BATCH = 100_000
T0 = "TIMESTAMPTZ '2024-01-01 00:00:00+00'"
WORDS = ("hello chat lol KEKW this is so good what did he just do pog no way gg wp the stream "
         "lagging again can we get some hype in today omg clip it nice play bro wow LUL").split()
EMOTES = [("25", "Kappa"), ("88", "PogChamp"), ("1902", "Keepo"), ("425618", "LUL"),
          ("emotesv2_e02650d7", "catJAM")]

#: Report section -> the DuckDB query (the ones ``recorder report`` runs).
DUCK: dict[str, Callable[[duckdb.DuckDBPyConnection], pd.DataFrame]] = {
    "overview": q.channel_overview, "messages_per_minute": q.messages_per_minute,
    "top_chatters": q.top_chatters, "emote_leaderboard": q.emote_leaderboard,
    "subs_and_gifts": q.subs_and_gifts_summary, "moderation": q.moderation,
    "hype_moments": q.hype_moments, "chat_vs_viewers": q.chat_vs_viewers,
}


def _u(i: str, salt: int) -> str:
    """A deterministic uniform number in [0, 1) from row number ``i``."""
    return f"((hash({i}, {salt}) % 1000003) / 1000003.0)"


def generate(duck: duckdb.DuckDBPyConnection, n: int) -> None:
    """Create the tables ``gen_*`` in ``duck``, shaped as the store's, for ``n`` messages."""
    span_us = max(1, n * 86_400_000_000 // PER_DAY)
    words = "[" + ", ".join(f"'{w}'" for w in WORDS) + "]"
    emote_names = "[" + ", ".join(f"'{name}'" for _, name in EMOTES) + "]"
    emote_ids = "[" + ", ".join(f"'{eid}'" for eid, _ in EMOTES) + "]"
    duck.execute(f"""CREATE TABLE base AS SELECT i + 1 AS raw_line_id,
        'channel' || floor(20 * pow({_u('i', 1)}, 2))::INT AS channel,
        floor(200000 * pow({_u('i', 2)}, 3))::INT AS u,
        {T0} + to_microseconds((i::HUGEINT * {span_us} // {n})::BIGINT) AS sent_at,
        gen_random_uuid()::VARCHAR AS id,
        CASE WHEN hash(i, 3) % 100 = 0 THEN [1, 100, 500][1 + (hash(i, 4) % 3)::INT] END AS bits,
        CASE WHEN hash(i, 5) % 10 < 3 THEN 1 + (hash(i, 6) % 5)::INT END AS emote,
        hash(i, 7) % 10 < 4 AS sub,
        array_to_string(list_transform(range(1 + (hash(i, 8) % 14)::INT),
            lambda x: {words}[1 + (hash(i, x, 9) % {len(WORDS)})::INT]), ' ') AS words
        FROM range({n}) r(i)""")
    duck.execute(f"""CREATE TABLE gen_messages AS SELECT *,
        CASE WHEN emote IS NULL THEN words ELSE {emote_names}[emote] || ' ' || words END AS text,
        CASE WHEN emote IS NULL THEN '' ELSE {emote_ids}[emote] || ':0-' ||
             (length({emote_names}[emote]) - 1) END AS emote_tag,
        'viewer_' || u AS login, (10000000 + u)::VARCHAR AS user_id,
        (1000 + replace(channel, 'channel', '')::INT)::VARCHAR AS room_id,
        printf('#%06X', hash(u) % 16777215) AS color,
        epoch_ms(sent_at)::VARCHAR AS ts FROM base""")
    duck.execute("DROP TABLE base")
    duck.execute("""CREATE TABLE gen_lines AS SELECT raw_line_id,
        '@badge-info=' || CASE WHEN sub THEN 'subscriber/14' ELSE '' END || ';badges=' ||
        CASE WHEN sub THEN 'subscriber/12,premium/1' ELSE '' END || CASE WHEN bits IS NULL THEN ''
        ELSE ';bits=' || bits END || ';color=' || color || ';display-name=' || login ||
        ';emotes=' || emote_tag || ';first-msg=0;flags=;id=' || id ||
        ';mod=0;returning-chatter=0;room-id=' || room_id || ';subscriber=' || sub::INT ||
        ';tmi-sent-ts=' || ts || ';turbo=0;user-id=' || user_id || ';user-type= :' || login ||
        '!' || login || '@' || login || '.tmi.twitch.tv PRIVMSG #' || channel || ' :' || text AS line
        FROM gen_messages""")
    _generate_events(duck, n, span_us)


def _generate_events(duck: duckdb.DuckDBPyConnection, n: int, span_us: int) -> None:
    notices, mods = max(1, n // 100), max(1, n // 200)
    duck.execute(f"""CREATE TABLE gen_usernotices AS SELECT {n} + j + 1 AS raw_line_id,
        'n' || j AS id, 'channel' || floor(20 * pow({_u('j', 11)}, 2))::INT AS channel,
        ['sub', 'resub', 'subgift', 'submysterygift', 'raid'][1 + (hash(j, 12) % 5)::INT] AS msg_id,
        'viewer_' || (hash(j, 13) % 200000) AS login,
        {T0} + to_microseconds((j::HUGEINT * {span_us} // {notices})::BIGINT) AS sent_at,
        1 + (hash(j, 14) % 50)::INT AS amount FROM range({notices}) r(j)""")
    duck.execute(f"""CREATE TABLE gen_moderation AS SELECT {n + notices} + k + 1 AS raw_line_id,
        m.channel, ['delete', 'timeout', 'ban'][1 + (hash(k, 21) % 3)::INT] AS kind, m.login,
        m.user_id, m.id AS message_id, m.text, m.sent_at + INTERVAL 20 SECOND AS "at"
        FROM range({mods}) r(k) JOIN gen_messages m ON m.raw_line_id = 1 + (hash(k, 22) % {n})::BIGINT""")
    duck.execute(f"""CREATE TABLE gen_snapshots AS SELECT c.channel, 's' || c.i || '-' ||
        (t // 86400) AS stream_id, 100 + (hash(c.i, t) % 10000)::INT AS viewer_count,
        {T0} + to_seconds(t) AS fetched_at
        FROM (SELECT i, 'channel' || i AS channel FROM range(20) r(i)) c,
             range(0, {span_us // 1_000_000 + 1}, 300) s(t)""")


def _ts(column: str) -> str:
    """A DuckDB time as the store's SQLite text (SQLAlchemy's format, UTC wall time)."""
    return f"strftime({column}, '%Y-%m-%d %H:%M:%S.%f')"


#: Store table -> (its columns, the SELECT over the generated tables giving them).
TRANSFERS: dict[str, tuple[str, str]] = {
    "raw_lines": ("id, session_id, received_at, channel, command, line", f"""
        SELECT l.raw_line_id, 1, {_ts('m.sent_at')}, m.channel, 'PRIVMSG', l.line
        FROM gen_lines l JOIN gen_messages m USING (raw_line_id)
        UNION ALL SELECT raw_line_id, 1, {_ts('sent_at')}, channel, 'USERNOTICE',
            '@id=' || id || ';msg-id=' || msg_id || ' :tmi.twitch.tv USERNOTICE #' || channel
        FROM gen_usernotices
        UNION ALL SELECT raw_line_id, 1, {_ts('"at"')}, channel, 'CLEARCHAT',
            ':tmi.twitch.tv CLEARCHAT #' || channel || ' :' || login FROM gen_moderation
        ORDER BY 1"""),
    "messages": ("id, raw_line_id, channel, room_id, user_id, login, display_name, text, is_action, "
                 "sent_at, received_at, bits, color, badges, badge_info, emotes, is_first_msg, "
                 "is_mod, is_subscriber, tags", f"""
        SELECT id, raw_line_id, channel, room_id, user_id, login, login, text, 0, {_ts('sent_at')},
            {_ts('sent_at')}, bits, color,
            CASE WHEN sub THEN '{{"subscriber": "12", "premium": "1"}}' ELSE '{{}}' END,
            CASE WHEN sub THEN '{{"subscriber": "14"}}' ELSE '{{}}' END,
            CASE WHEN emote_tag = '' THEN '[]' ELSE '[{{"id": "' || split_part(emote_tag, ':', 1) ||
                 '", "start": 0, "end": ' || split_part(emote_tag, '-', 2) || '}}]' END,
            0, 0, sub::INT, json_object('badge-info', CASE WHEN sub THEN 'subscriber/14' ELSE '' END,
                'badges', CASE WHEN sub THEN 'subscriber/12,premium/1' ELSE '' END,
                'color', color, 'display-name', login, 'emotes', emote_tag, 'first-msg', '0',
                'flags', '', 'id', id, 'mod', '0', 'returning-chatter', '0', 'room-id', room_id,
                'subscriber', sub::INT::VARCHAR, 'tmi-sent-ts', ts, 'turbo', '0',
                'user-id', user_id, 'user-type', '')::VARCHAR
        FROM gen_messages ORDER BY raw_line_id"""),
    "emote_usages": ("message_id, emote_id, raw_line_id, channel, emote_name, sent_at, count", f"""
        SELECT id, split_part(emote_tag, ':', 1), raw_line_id, channel, split_part(text, ' ', 1),
            {_ts('sent_at')}, 1 FROM gen_messages WHERE emote IS NOT NULL ORDER BY raw_line_id"""),
    "usernotices": ("id, raw_line_id, channel, room_id, msg_id, user_id, login, display_name, "
                    "system_msg, text, sent_at, received_at, params, tags", f"""
        SELECT id, raw_line_id, channel, '1', msg_id, 'u' || login, login, login, msg_id, NULL,
            {_ts('sent_at')}, {_ts('sent_at')}, CASE msg_id
              WHEN 'submysterygift' THEN json_object('mass-gift-count', amount::VARCHAR)
              WHEN 'raid' THEN json_object('viewerCount', (amount * 20)::VARCHAR)
              WHEN 'subgift' THEN json_object('recipient-user-name', 'viewer_' || amount)
              ELSE json_object('cumulative-months', amount::VARCHAR) END::VARCHAR, '{{}}'
        FROM gen_usernotices ORDER BY raw_line_id"""),
    "moderation_events": ("raw_line_id, channel, room_id, kind, target_user_id, target_login, "
                          "duration_s, target_message_id, target_text, at, received_at", f"""
        SELECT raw_line_id, channel, '1', kind, user_id, login,
            CASE kind WHEN 'timeout' THEN 600 END, CASE kind WHEN 'delete' THEN message_id END,
            CASE kind WHEN 'delete' THEN text END, {_ts('"at"')}, {_ts('"at"')}
        FROM gen_moderation ORDER BY raw_line_id"""),
    "stream_snapshots": ("channel, user_id, stream_id, live, viewer_count, started_at, fetched_at", f"""
        SELECT channel, '1', stream_id, 1, viewer_count, NULL, {_ts('fetched_at')}
        FROM gen_snapshots ORDER BY fetched_at, channel"""),
}


def build_store(path: Path, n: int) -> dict[str, float]:
    """The store at ``path`` (migrated schema) holding a generated archive of ``n`` messages."""
    asyncio.run(upgrade_to_head(f"sqlite+aiosqlite:///{path}"))
    started = time.perf_counter()
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    generate(duck, n)
    generated = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                     "PRAGMA cache_size = -1000000;")
    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                         "AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')
    db.execute("INSERT INTO sessions (id, started_at, server_url, nick) VALUES "
               "(1, '2024-01-01 00:00:00.000000', 'bench', 'justinfan1')")
    for table, (columns, select) in TRANSFERS.items():
        cursor = duck.execute(select)
        marks = ", ".join("?" * len(columns.split(",")))
        while rows := cursor.fetchmany(BATCH):
            db.execute("BEGIN")
            db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            db.execute("COMMIT")
    loaded = time.perf_counter()
    for _, sql in indexes:
        db.execute(sql)
    db.execute("ANALYZE")
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    duck.close()
    return {"generate_s": generated - started, "load_s": loaded - generated,
            "index_s": time.perf_counter() - loaded}


_T = "coalesce(sent_at, received_at)"
#: The same questions in plain SQL on the store (SQLite), using its indexes.
SQLITE: dict[str, str] = {
    "overview": f"""SELECT channel, count(*), count(DISTINCT login), min({_T}), max({_T})
        FROM messages GROUP BY channel ORDER BY channel""",
    "messages_per_minute": f"""SELECT channel, substr({_T}, 1, 16) AS minute, count(*),
        count(DISTINCT login) FROM messages GROUP BY channel, minute ORDER BY channel, minute""",
    "top_chatters": f"""SELECT login, count(*) AS n, min({_T}), max({_T}) FROM messages
        WHERE login IS NOT NULL GROUP BY login ORDER BY n DESC, login LIMIT 10""",
    "emote_leaderboard": """SELECT e.emote_name, sum(e.count) AS uses, count(*),
        count(DISTINCT m.login) FROM emote_usages e LEFT JOIN messages m ON m.id = e.message_id
        GROUP BY e.emote_name ORDER BY uses DESC, e.emote_name LIMIT 20""",
    "subs_and_gifts": """SELECT channel, sum(msg_id = 'sub'), sum(msg_id = 'resub'),
        sum(CASE WHEN msg_id = 'submysterygift' THEN json_extract(params, '$."mass-gift-count"')
                 WHEN msg_id = 'subgift' AND json_extract(params, '$."community-gift-id"') IS NULL
                 THEN 1 ELSE 0 END),
        sum(msg_id = 'raid'), sum(CASE WHEN msg_id = 'raid' THEN json_extract(params, '$.viewerCount') END),
        (SELECT sum(bits) FROM messages m WHERE m.channel = u.channel AND bits > 0)
        FROM usernotices u GROUP BY channel ORDER BY channel""",
    "moderation": """SELECT e.channel, coalesce(e.at, e.received_at) AS t, e.kind, m.login, m.text,
        CASE WHEN e.kind IN ('ban', 'timeout') THEN (SELECT count(*) FROM messages p
            WHERE p.login = e.target_login AND p.channel = e.channel
              AND p.sent_at <= coalesce(e.at, e.received_at)
              AND p.sent_at > strftime('%Y-%m-%d %H:%M:%f', coalesce(e.at, e.received_at), '-10 minutes'))
        ELSE m.id IS NOT NULL END
        FROM moderation_events e LEFT JOIN messages m ON m.id = e.target_message_id
        ORDER BY e.channel, t, e.kind""",
    "hype_moments": f"""WITH p AS (SELECT channel, substr({_T}, 1, 16) AS minute, count(*) AS n
            FROM messages GROUP BY channel, minute),
        s AS (SELECT channel, avg(n) AS mean, (sum(n * n) - sum(n) * avg(n)) / (count(*) - 1) AS var
            FROM p GROUP BY channel)
        SELECT p.channel, p.minute, p.n FROM p JOIN s USING (channel)
        WHERE p.n > s.mean AND (p.n - s.mean) * (p.n - s.mean) > 9 * s.var AND p.n >= 5
        ORDER BY p.channel, p.minute""",
    "chat_vs_viewers": f"""WITH p AS (SELECT channel, substr({_T}, 1, 16) || ':00.000000' AS minute,
            count(*) AS n FROM messages GROUP BY channel, substr({_T}, 1, 16))
        SELECT * FROM (SELECT p.channel, p.minute, p.n, (SELECT viewer_count FROM stream_snapshots s
            WHERE s.channel = p.channel AND s.live AND s.viewer_count > 0 AND s.fetched_at <= p.minute
              AND s.fetched_at > strftime('%Y-%m-%d %H:%M:%f', p.minute, '-15 minutes')
            ORDER BY s.fetched_at DESC LIMIT 1) AS viewers FROM p)
        WHERE viewers IS NOT NULL ORDER BY channel, minute""",
}


def load_frames(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The columns the pandas versions need, from the DuckDB copy."""
    return {
        "m": con.execute(f"SELECT id, channel, login, {_T} AS t, bits FROM messages").df(),
        "e": con.execute("SELECT message_id, emote_name, count FROM emote_usages").df(),
        "u": con.execute("SELECT channel, msg_id, params::VARCHAR AS params FROM usernotices").df(),
        "mod": con.execute("SELECT channel, kind, target_login, target_message_id, "
                           "coalesce(\"at\", received_at) AS t FROM moderation_events").df(),
        "s": con.execute("SELECT channel, fetched_at, viewer_count FROM stream_snapshots "
                         "WHERE live AND viewer_count > 0").df(),
    }


def _per_minute(f: dict[str, pd.DataFrame]) -> pd.DataFrame:
    m = f["m"]
    return m.groupby(["channel", m["t"].dt.floor("min")]).agg(
        messages=("login", "size"), chatters=("login", "nunique")).reset_index()


def _pd_support(f: dict[str, pd.DataFrame]) -> pd.DataFrame:
    u = f["u"].copy()
    params = pd.json_normalize(u["params"].map(json.loads))
    u["amount"] = pd.to_numeric(params.get("mass-gift-count"), errors="coerce").fillna(1)
    kinds = u.pivot_table(index="channel", columns="msg_id", values="amount", aggfunc="sum", fill_value=0)
    bits = f["m"][f["m"]["bits"] > 0].groupby("channel")["bits"].sum()
    return kinds.join(bits)


def _pd_moderation(f: dict[str, pd.DataFrame]) -> pd.DataFrame:
    m, mod = f["m"], f["mod"]
    linked = mod.merge(m[["id", "login"]], how="left", left_on="target_message_id", right_on="id")
    hits = m[["channel", "login", "t"]].sort_values("t")
    hits["n"] = hits.groupby(["channel", "login"]).cumcount() + 1
    bans = mod[mod["kind"].isin(["ban", "timeout"])].rename(columns={"target_login": "login"})
    counts = []
    for shift in (pd.Timedelta(0), pd.Timedelta(minutes=10)):
        probe = bans.assign(t=(bans["t"] - shift).astype(hits["t"].dtype)).sort_values("t")
        counts.append(pd.merge_asof(probe, hits, on="t", by=["channel", "login"])["n"].fillna(0))
    return linked.assign(removed=(counts[0].to_numpy() - counts[1].to_numpy()).sum())


def _pd_hype(f: dict[str, pd.DataFrame]) -> pd.DataFrame:
    p = _per_minute(f)
    stats = p.groupby("channel")["messages"].agg(["mean", "std"])
    p = p.join(stats, on="channel")
    return p[(p["messages"] > p["mean"] + 3 * p["std"]) & (p["messages"] >= 5)]


def _pd_viewers(f: dict[str, pd.DataFrame]) -> pd.DataFrame:
    p = _per_minute(f).sort_values("t")
    s = f["s"].sort_values("fetched_at")
    return pd.merge_asof(p, s, left_on="t", right_on="fetched_at", by="channel",
                         tolerance=pd.Timedelta(minutes=15)).dropna(subset=["viewer_count"])


#: The same questions in pandas, on frames loaded once.
PANDAS: dict[str, Callable[[dict[str, pd.DataFrame]], object]] = {
    "overview": lambda f: f["m"].groupby("channel").agg(
        messages=("login", "size"), chatters=("login", "nunique"), first=("t", "min"), last=("t", "max")),
    "messages_per_minute": _per_minute,
    "top_chatters": lambda f: f["m"]["login"].value_counts().head(10),
    "emote_leaderboard": lambda f: f["e"].merge(f["m"][["id", "login"]], how="left",
                                                left_on="message_id", right_on="id").groupby(
        "emote_name").agg(uses=("count", "sum"), messages=("id", "size"),
                          chatters=("login", "nunique")).nlargest(20, "uses"),
    "subs_and_gifts": _pd_support,
    "moderation": _pd_moderation,
    "hype_moments": _pd_hype,
    "chat_vs_viewers": _pd_viewers,
}


def best(func: Callable[[], object], repeat: int) -> float:
    """Seconds of the best of ``repeat`` runs (one run when a run takes over 10 s)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
        if times[-1] > 10:
            break
    return min(times)


def _export_figures(store: Path, work: Path, cache: Path) -> dict[str, float]:
    started = time.perf_counter()
    result = export_archive(str(store), work / "export", "parquet", cache=cache)
    seconds = time.perf_counter() - started
    message_bytes = sum(p.stat().st_size for p in result.files if p.parts[-4] == "messages")
    with sqlite3.connect(store) as db:
        raw = db.execute("SELECT sum(length(CAST(line AS BLOB)) + 2) FROM raw_lines "
                         "WHERE command = 'PRIVMSG'").fetchone()[0]
        all_raw = db.execute("SELECT sum(length(CAST(line AS BLOB)) + 2) FROM raw_lines").fetchone()[0]
    n = result.rows["messages"]
    files = [str(p) for p in result.files if p.parts[-4] == "messages" and p.suffix == ".parquet"]
    with duckdb.connect() as meta:  # where the bytes go: compressed size of each column
        columns = {name: round(size / n, 2) for name, size in meta.execute(
            "SELECT path_in_schema, sum(total_compressed_size) FROM parquet_metadata(?) "
            "GROUP BY 1 ORDER BY 2 DESC", [files]).fetchall()}
    return {"export_s": round(seconds, 2), "files": len(result.files),
            "parquet_messages_column_bytes_per_message": columns,
            "raw_line_bytes_per_message": round(raw / n, 1),
            "parquet_messages_bytes_per_message": round(message_bytes / n, 1),
            "ratio_raw_vs_parquet_messages": round(raw / message_bytes, 2),
            "parquet_all_tables_bytes": result.bytes, "raw_lines_bytes_with_crlf": all_raw,
            "ratio_raw_vs_parquet_all_tables": round(all_raw / result.bytes, 2)}


def _messages_in(store: Path) -> int | None:
    """How many messages the store at ``store`` holds (``None``: no usable store)."""
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM messages").fetchone()[0]
    except sqlite3.Error:
        return None


def main() -> int:
    n = MESSAGES
    work = Path(os.environ.get("BENCH_ANALYTICS_DIR") or tempfile.mkdtemp(prefix="bench-analytics-"))
    keep = "BENCH_ANALYTICS_DIR" in os.environ
    work.mkdir(parents=True, exist_ok=True)
    store, cache = work / "store.db", work / "cache.duckdb"
    reuse = keep and os.environ.get("BENCH_ANALYTICS_REUSE") == "1" and _messages_in(store) == n
    for stale in ((cache, work / "export") if reuse else (store, cache, work / "export")):
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    try:
        if reuse:
            print(f"reusing the store of {n:,} messages in {work}", flush=True)
            build: dict[str, float] = {}
        else:
            print(f"building a store of {n:,} messages in {work} ...", flush=True)
            build = build_store(store, n)
            print("  " + ", ".join(f"{k} {v:.1f}" for k, v in build.items()), flush=True)
        started = time.perf_counter()
        con = open_archive(str(store), cache=cache)
        build["duckdb_copy_s"] = time.perf_counter() - started
        started = time.perf_counter()
        frames = load_frames(con)
        build["pandas_load_s"] = time.perf_counter() - started
        print(f"  DuckDB copy {build['duckdb_copy_s']:.1f} s, pandas load {build['pandas_load_s']:.1f} s")
        rows, store_db = {}, sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        print(f"{'query':<22}{'duckdb s':>10}{'sqlite s':>10}{'pandas s':>10}{'x store':>9}{'x pandas':>10}")
        for name, query in DUCK.items():
            duck_s = best(lambda: query(con), REPEAT)
            sqlite_s = best(lambda: store_db.execute(SQLITE[name]).fetchall(), REPEAT)
            pandas_s = best(lambda: PANDAS[name](frames), REPEAT)
            rows[name] = {"duckdb_s": round(duck_s, 4), "sqlite_store_s": round(sqlite_s, 4),
                          "pandas_s": round(pandas_s, 4), "x_vs_store": round(sqlite_s / duck_s, 1),
                          "x_vs_pandas": round(pandas_s / duck_s, 1),
                          "met": duck_s < TARGET_SECONDS and sqlite_s / duck_s >= TARGET_VS_STORE}
            print(f"{name:<22}{duck_s:>10.3f}{sqlite_s:>10.3f}{pandas_s:>10.3f}"
                  f"{sqlite_s / duck_s:>8.1f}x{pandas_s / duck_s:>9.1f}x  "
                  f"{'MET' if rows[name]['met'] else 'NOT MET'}", flush=True)
        store_db.close()
        con.close()
        del frames
        export = _export_figures(store, work, cache)
        ratio = export["ratio_raw_vs_parquet_messages"]
        print(f"export: {export['parquet_messages_bytes_per_message']} bytes/message in Parquet "
              f"against {export['raw_line_bytes_per_message']} raw line bytes: {ratio}x smaller "
              f"(target >= {TARGET_EXPORT}x {'MET' if ratio >= TARGET_EXPORT else 'NOT MET'}); "
              f"all tables {export['ratio_raw_vs_parquet_all_tables']}x; {export['export_s']} s")
        columns = export["parquet_messages_column_bytes_per_message"]
        print(f"  the target leaves {export['raw_line_bytes_per_message'] / TARGET_EXPORT:.1f} bytes/"
              f"message; the random message ids (UUIDs) and the text alone take "
              f"{columns.get('id', 0) + columns.get('text', 0):.1f}; by column (compressed "
              f"bytes/message): " + ", ".join(f"{name} {size}" for name, size in list(columns.items())[:8]))
        met = all(r["met"] for r in rows.values())
        print(f"targets (each query < {TARGET_SECONDS} s in DuckDB and >= {TARGET_VS_STORE}x the "
              f"store): {'MET' if met else 'NOT MET'}")
        result = {"messages": n, "repeat": REPEAT, "build": {k: round(v, 2) for k, v in build.items()},
                  "queries": rows, "export": export, "targets_met": met and ratio >= TARGET_EXPORT}
        print(f"  results: {save('analytics', result)}")
        return 0
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
