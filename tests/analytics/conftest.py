"""Fixtures: the known archive (tests/analytics/archive.py) on SQLite, and its DuckDB cache."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.analytics.archive import build_known_archive


@pytest.fixture
async def archive_url(sqlite_url: str) -> str:
    await build_known_archive(sqlite_url)
    return sqlite_url


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache.duckdb"
