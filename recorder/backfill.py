"""``recorder enrich --db ...``: enrich an existing archive (users it met, its channels' streams,
channel info and games) in one pass, with a progress bar."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rich.progress import Progress

from recorder.store import schema


async def archive_ids(conn: Any) -> tuple[list[str], list[str], set[str]]:
    """(channels, user ids, user ids already in ``users``) found in the archive."""
    m, u, me = schema.messages, schema.usernotices, schema.moderation_events
    channels = [r[0] for r in await conn.execute(
        sa.select(schema.raw_lines.c.channel).where(schema.raw_lines.c.channel.is_not(None)).distinct())]
    queries = [sa.select(m.c.user_id), sa.select(u.c.user_id), sa.select(me.c.target_user_id)]
    ids: set[str] = set()
    for query in queries:
        ids.update(r[0] for r in await conn.execute(query.distinct()) if r[0])
    gifts = await conn.execute(sa.select(u.c.params).where(u.c.msg_id.in_(["subgift", "anonsubgift"])))
    ids.update(p.get("recipient-id") for (p,) in gifts if p and p.get("recipient-id"))
    known = {r[0] for r in await conn.execute(sa.select(schema.users.c.id))}
    return sorted(channels), sorted(ids), known


async def backfill(db: str, *, helix_url: str, auth_url: str, token: str | None,
                   client_id: str | None, client_secret: str | None,
                   progress: Progress | None = None) -> int:
    from recorder.client.api import HelixAPI
    from recorder.enrich import BATCH, Enricher
    from recorder.store.db import make_engine, normalize_url, upgrade_to_head

    url = normalize_url(db)
    await upgrade_to_head(url)
    engine = make_engine(url)
    api = HelixAPI(token=token, client_id=client_id, client_secret=client_secret,
                   helix_url=helix_url, auth_url=auth_url)
    try:
        async with engine.connect() as conn:
            channels, ids, known = await archive_ids(conn)
        enricher = Enricher(api, engine, channels=channels)
        todo = [i for i in ids if i not in known]
        enricher.add_users(todo)
        progress = progress or Progress()
        with progress:
            task = progress.add_task("users", total=len(todo))
            while enricher.pending_users:
                batch = sorted(enricher.pending_users)[:BATCH]
                await enricher.fetch_users(batch)
                progress.advance(task, len(batch))
            await enricher.drain()  # streams, channel info and the games they name
        print(f"enriched: {enricher.stats['users']} users, {enricher.stats['channels']} channels, "
              f"{enricher.stats['streams']} stream snapshots, {enricher.stats['games']} games")
    finally:
        await api.http.close()
        await engine.dispose()
    return 0
