"""Database files (and their -wal/-shm) and the spool are created readable by the owner only."""
from __future__ import annotations

import os
import stat
from datetime import datetime, timezone

import pytest

from recorder.store.db import make_engine, upgrade_to_head
from recorder.store.spool import Spool

from .archive import store_lines
from .lines import KEPT_LINES


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # what most systems use: files would be world-readable by default
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_sqlite_database_and_wal_files_are_owner_only(tmp_path, loose_umask):
    db = tmp_path / "chat.db"
    url = f"sqlite+aiosqlite:///{db}"
    await store_lines(url, KEPT_LINES)
    engine = make_engine(url)  # holds the file open: -wal and -shm exist while connected
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("DELETE FROM notices")
            names = {p.name for p in tmp_path.iterdir()}
            assert {"chat.db", "chat.db-wal", "chat.db-shm"} <= names
            for name in ("chat.db", "chat.db-wal", "chat.db-shm"):
                assert _mode(tmp_path / name) == 0o600, name
    finally:
        await engine.dispose()


async def test_an_existing_database_keeps_the_mode_its_owner_chose(tmp_path, loose_umask):
    db = tmp_path / "shared.db"
    db.touch(mode=0o640)
    await upgrade_to_head(f"sqlite+aiosqlite:///{db}")
    assert _mode(db) == 0o640


def test_spool_files_are_owner_only(tmp_path, loose_umask):
    spool = Spool(tmp_path / "chat.db.spool", sync_every=1)
    for i in range(3):
        spool.append(f'{{"n": {i}}}')
    assert _mode(tmp_path / "chat.db.spool") == 0o600
    _, offset = spool.read(1)
    spool.commit(offset, 1)
    assert _mode(tmp_path / "chat.db.spool.pos") == 0o600
    spool.rewrite_front(['{"n": -1}'])
    assert _mode(tmp_path / "chat.db.spool") == 0o600
    spool.close()
