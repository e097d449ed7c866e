"""normalize_url, redact_url and the engine settings."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from recorder.store.db import make_engine, normalize_url, redact_url


def test_plain_path_becomes_absolute_sqlite_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert normalize_url("chat.db") == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'chat.db'}"
    assert normalize_url(str(tmp_path / "x.db")) == f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"


def test_home_is_expanded():
    assert normalize_url("~/a.db") == f"sqlite+aiosqlite:///{Path.home() / 'a.db'}"


@pytest.mark.parametrize("given, expected", [
    ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
    ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
    ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ("sqlite:////tmp/a.db", "sqlite+aiosqlite:////tmp/a.db"),
    ("sqlite+aiosqlite:////tmp/a.db", "sqlite+aiosqlite:////tmp/a.db"),
])
def test_urls(given, expected):
    assert normalize_url(given) == expected


@pytest.mark.parametrize("junk", ["", "   ", "postgresql:/h/db", "nosuchdb://x/y", "a\x00b",
                                  "http://example.com/", "://x"])
def test_junk_is_a_clear_value_error(junk, tmp_path):
    with pytest.raises(ValueError):
        normalize_url(junk)


def test_directory_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        normalize_url(str(tmp_path))


def test_junk_error_does_not_show_password():
    with pytest.raises(ValueError) as info:
        normalize_url("nosuchdb://user:hunter2@h/db")
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("url", [
    "postgresql+asyncpg://user:hunter2@db.example:5432/chat",
    "postgresql://user:hunter2@h/db?sslmode=require",
    "postgresql://user@h/db?password=hunter2",
    "garbage://user:hunter2@",
])
def test_redact_hides_password(url):
    redacted = redact_url(url)
    assert "hunter2" not in redacted
    assert "user" in redacted


def test_redact_keeps_url_without_password():
    assert redact_url("sqlite+aiosqlite:////tmp/a.db") == "sqlite+aiosqlite:////tmp/a.db"


async def test_sqlite_pragmas(sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 1  # NORMAL
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() > 0
            assert (await conn.execute(text("PRAGMA page_size"))).scalar() == 16384  # a new file
            assert (await conn.execute(text("PRAGMA journal_size_limit"))).scalar() == 64 << 20
    finally:
        await engine.dispose()
