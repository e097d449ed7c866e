"""Alembic upgrade head on an empty database gives exactly the models, on both backends."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from recorder.store import schema
from recorder.store.db import current_revision, head_revision, make_engine, upgrade_to_head


def _diff(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, schema.metadata)


async def test_upgrade_empty_database_matches_models(db_url):
    assert await current_revision(db_url) is None
    await upgrade_to_head(db_url)
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert set(schema.metadata.tables) <= tables
    for name in ("sessions", "connection_events", "raw_lines", "messages", "usernotices",
                 "moderation_events", "membership_events", "notices", "room_states",
                 "user_states", "whispers", "emote_usages", "users", "user_name_history",
                 "channels", "channel_history", "stream_snapshots", "games", "projection_state"):
        assert name in tables


async def test_upgrade_is_idempotent_and_reports_head(db_url):
    head = head_revision()
    assert head is not None
    await upgrade_to_head(db_url)
    assert await current_revision(db_url) == head
    await upgrade_to_head(db_url)  # an existing database: nothing to do, nothing breaks
    assert await current_revision(db_url) == head


def test_every_projection_table_points_at_raw_lines():
    for name in schema.PROJECTION_TABLES:
        column = schema.metadata.tables[name].c.raw_line_id
        assert not column.nullable
        assert {fk.column.table.name for fk in column.foreign_keys} == {"raw_lines"}
        assert column.index


def test_conflict_keys_are_unique_keys():
    for name, keys in schema.CONFLICT_KEYS.items():
        table = schema.metadata.tables[name]
        unique_sets = [tuple(c.name for c in table.primary_key.columns)]
        unique_sets += [tuple(c.name for c in uq.columns) for uq in table.constraints
                        if uq.__class__.__name__ == "UniqueConstraint"]
        assert keys in unique_sets, name
