"""Shared fixtures: a fresh SQLite file and a fresh, real PostgreSQL database per test.

PostgreSQL is taken from RECORDER_TEST_PG_URL (default: the local server at 127.0.0.1:5432,
database `test`). Each test that asks for `pg_url` gets its own throw-away database, created
and dropped through asyncpg. When RECORDER_REQUIRE_PG=1 (set by .ci/run) an unreachable server
fails the test instead of skipping it.
"""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import AsyncIterator

import pytest

PG_URL = os.environ.get(
    "RECORDER_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("RECORDER_REQUIRE_PG") == "1"


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@contextlib.asynccontextmanager
async def fresh_pg_database() -> AsyncIterator[str]:
    """Create a throw-away database on the test server; yield its SQLAlchemy URL; drop it."""
    import asyncpg

    try:
        admin = await asyncpg.connect(_dsn(PG_URL), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    name = f"rec_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_URL.rpartition("/")[0]
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with fresh_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request, tmp_path: Path) -> AsyncIterator[str]:
    """Both backends: a test using it runs on SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    else:
        async with fresh_pg_database() as url:
            yield url


@pytest.fixture(params=["sqlite", "sqlite-process", "postgresql"])
async def writer_db(request, tmp_path: Path) -> AsyncIterator[tuple[str, bool]]:
    """The writer's three paths: SQLite in-process, SQLite through its child process (as
    ``recorder run`` writes), PostgreSQL. Yields (url, process)."""
    if request.param.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", request.param == "sqlite-process"
    else:
        async with fresh_pg_database() as url:
            yield url, False
