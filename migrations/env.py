"""Alembic environment for the recorder store (async engines, SQLite batch mode).

The database comes from, in order: a connection handed over by ``recorder.store.db``
(``config.attributes["connection"]``), ``config.attributes["url"]``, ``alembic -x db=...``,
``sqlalchemy.url`` in the ini file, or the ``RECORDER_DB`` environment variable. It is never
hard-coded here.
"""
from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from recorder.store.db import make_engine, normalize_url, redact_url
from recorder.store.schema import UTCDateTime, metadata

config = context.config
target_metadata = metadata

if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    url = (
        config.attributes.get("url")
        or context.get_x_argument(as_dictionary=True).get("db")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("RECORDER_DB")
    )
    if not url:
        raise SystemExit("no database given: use `alembic -x db=PATH_OR_URL ...` or set RECORDER_DB")
    return normalize_url(url)


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our own column types as plain SQLAlchemy types, so migrations never import us."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def _run_migrations(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run_migrations)
            await conn.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    url = _database_url()
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"), render_item=_render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed over by recorder.store.db.upgrade_to_head
        _run_migrations(connection)
        return
    url = _database_url()
    try:
        asyncio.run(_run_async(url))
    except OSError as exc:
        raise SystemExit(f"cannot reach the database {redact_url(url)}: {exc}") from None


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
