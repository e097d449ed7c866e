"""``recorder summary``: rows per table and channel, and the top chatters, straight from SQL."""
from __future__ import annotations

import sqlalchemy as sa

CHANNEL_TABLES = ("raw_lines", "messages", "usernotices", "moderation_events",
                  "membership_events", "notices", "room_states", "user_states", "emote_usages")
OTHER_TABLES = ("sessions", "connection_events", "whispers", "users", "channels",
                "stream_snapshots", "games")


async def collect_summary(db: str, top: int = 10) -> dict:
    from recorder.store import schema
    from recorder.store.db import make_engine, normalize_url

    engine = make_engine(normalize_url(db))
    out: dict = {"per_channel": {}, "totals": {}, "top_chatters": {}}
    try:
        async with engine.connect() as conn:
            for name in CHANNEL_TABLES:
                table = schema.metadata.tables[name]
                rows = await conn.execute(
                    sa.select(table.c.channel, sa.func.count()).group_by(table.c.channel))
                for channel, count in rows:
                    out["per_channel"].setdefault(channel or "(none)", {})[name] = count
                    out["totals"][name] = out["totals"].get(name, 0) + count
            for name in OTHER_TABLES:
                table = schema.metadata.tables[name]
                out["totals"][name] = (await conn.execute(
                    sa.select(sa.func.count()).select_from(table))).scalar_one()
            m = schema.messages
            for channel in [c for c in out["per_channel"] if c != "(none)"]:
                rows = await conn.execute(
                    sa.select(m.c.login, sa.func.count().label("n")).where(m.c.channel == channel)
                    .group_by(m.c.login).order_by(sa.desc("n"), m.c.login).limit(top))
                out["top_chatters"][channel] = [(login, n) for login, n in rows]
    finally:
        await engine.dispose()
    return out


async def print_summary(db: str) -> int:
    summary = await collect_summary(db)
    print("rows per table:")
    for name, count in sorted(summary["totals"].items()):
        print(f"  {name:<20} {count:>10,}")
    print("\nrows per channel:")
    for channel, counts in sorted(summary["per_channel"].items()):
        detail = ", ".join(f"{k}={v:,}" for k, v in sorted(counts.items()))
        print(f"  #{channel}: {detail}")
    print("\ntop chatters:")
    for channel, chatters in sorted(summary["top_chatters"].items()):
        print(f"  #{channel}: " + ", ".join(f"{login} ({n})" for login, n in chatters))
    return 0
