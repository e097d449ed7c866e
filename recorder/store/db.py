"""Engines, connection settings and migrations.

- :func:`normalize_url` turns what a user types (``chat.db``, ``postgresql://...``) into an async
  SQLAlchemy URL; :func:`redact_url` makes any URL safe to log.
- :func:`make_engine` gives an :class:`AsyncEngine` with the pragmas (SQLite: WAL,
  ``synchronous=NORMAL``, ``busy_timeout``, foreign keys) or pool settings (PostgreSQL/asyncpg).
- :func:`upgrade_to_head` runs ``alembic upgrade head`` in-process on a new or old database;
  :func:`current_revision` and :func:`head_revision` say where a database and the code are.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from recorder.store.sqlite_child import sqlite_pragmas

_REPO_ROOT = Path(__file__).resolve().parents[2]
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")
#: Held while migrating PostgreSQL so that two recorders starting together do not race.
_PG_MIGRATION_LOCK = 0x7265636F7264  # "record"


def normalize_url(db: str) -> str:
    """A path or URL as typed by a user -> an async SQLAlchemy URL.

    A plain path becomes ``sqlite+aiosqlite:///<absolute path>``; ``sqlite://`` and
    ``postgresql://`` (or ``postgres://``) get their async drivers; other URLs are returned as
    given. Raises :class:`ValueError` with a one-line reason for anything unusable.
    """
    if not isinstance(db, str) or not db.strip() or "\x00" in db:
        raise ValueError(f"not a database path or URL: {db!r}")
    db = db.strip()
    if "://" not in db:
        match = _SCHEME.match(db)
        if match:  # "postgresql:/x", "sqlite:x": a URL typed wrong, not a file name
            raise ValueError(f"malformed database URL (expected {match.group(1)}://...): {redact_url(db)}")
        path = Path(db).expanduser().resolve()
        if path.is_dir():
            raise ValueError(f"database path is a directory: {path}")
        return f"sqlite+aiosqlite:///{path}"
    try:
        url = make_url(db)
    except ArgumentError as exc:
        raise ValueError(f"malformed database URL: {redact_url(db)}") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+asyncpg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    try:
        url.get_dialect()
    except NoSuchModuleError as exc:
        raise ValueError(f"unknown database kind {url.drivername!r} in {redact_url(db)}") from exc
    return url.render_as_string(hide_password=False)


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, safe for logs and error messages."""
    try:
        parsed = make_url(url)
    except Exception:  # not a URL we can parse: redact by pattern
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(url))
    if parsed.password is not None:
        parsed = parsed.set(password="***")
    query = {k: ("***" if "pass" in k.lower() or "secret" in k.lower() else v)
             for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An :class:`AsyncEngine` for ``url`` (a path or URL) with the project's settings."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        create_private_file(make_url(url).database)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    if url.startswith("postgresql+asyncpg"):
        options: dict[str, Any] = {
            "pool_size": 5, "max_overflow": 5, "pool_pre_ping": True, "pool_recycle": 1800,
            "connect_args": {"timeout": 10, "command_timeout": 120},
        }
        options.update(kwargs)
        return create_async_engine(url, **options)
    return create_async_engine(url, **kwargs)


def _is_file(path: str | os.PathLike | None) -> bool:
    """A SQLite database path that names a file (not in memory, not a ``file:`` URI)."""
    return bool(path) and str(path) != ":memory:" and not str(path).startswith("file:")


def sqlite_file(engine: AsyncEngine) -> str | None:
    """The file of a SQLite engine (None: another database, or SQLite in memory)."""
    path = engine.url.database
    return path if engine.dialect.name == "sqlite" and _is_file(path) else None


def create_private_file(path: str | os.PathLike | None) -> None:
    """Create ``path`` empty and readable by its owner only (0600) if it does not exist yet.

    SQLite gives its ``-wal`` and ``-shm`` files the permissions of the database file, so the
    whole archive stays owner-only. An existing file keeps the permissions its owner chose.
    """
    if not _is_file(path):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:  # a missing directory and the like: SQLite itself reports it
        pass


# --- migrations ------------------------------------------------------------------------------


def alembic_config(url: str | None = None) -> Any:
    """The Alembic :class:`Config` of this checkout, with ``script_location`` made absolute."""
    from alembic.config import Config

    ini, scripts = _REPO_ROOT / "alembic.ini", _REPO_ROOT / "migrations"
    if not (scripts / "env.py").is_file():
        raise RuntimeError(
            f"Alembic migrations not found at {scripts}: install recorder from its source "
            "checkout (pip install -e .) so that migrations/ sits next to the package"
        )
    config = Config(str(ini)) if ini.is_file() else Config()
    config.set_main_option("script_location", str(scripts))
    if url is not None:
        config.attributes["url"] = normalize_url(url)
    return config


def head_revision() -> str | None:
    """The newest migration this code ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade_to_head(url: str) -> None:
    """Bring the database at ``url`` to the newest revision (a no-op when it is already there)."""
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            await conn.run_sync(_run_upgrade, config)
    finally:
        await engine.dispose()


def _run_upgrade(connection: Connection, config: Any) -> None:
    from alembic import command

    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None for a database never migrated)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_current)
    finally:
        await engine.dispose()


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
