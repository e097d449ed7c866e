"""recorder forget: every trace of one user is gone from every table and the raw log (so a
rebuild cannot bring it back), other people's lines stay, and an audit row says what was done."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from recorder.privacy import Identity, forget, line_concerns
from recorder.store import schema
from recorder.store.db import make_engine

from .archive import count, dump, fetch, store_lines
from .lines import KEPT_LINES, MENTION, VICTIM_LINES

ROOT = Path(__file__).resolve().parents[2]
TRACES = ("4242", "victim_x", "old_vic", "secret words", "secret\\swords")
PRIVACY_TABLES = {"forget_audit", "forgotten_users"}


async def _archive(url: str) -> None:
    await store_lines(url, VICTIM_LINES[:6] + KEPT_LINES[:3] + VICTIM_LINES[6:] + KEPT_LINES[3:])
    now = datetime.now(timezone.utc)
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(sa.insert(schema.users), [
            {"id": "4242", "login": "victim_x", "display_name": "Victim_X", "fetched_at": now},
            {"id": "777", "login": "bystander", "display_name": "Bystander", "fetched_at": now}])
        await conn.execute(sa.insert(schema.user_name_history), [
            {"user_id": "4242", "login": "old_vic", "display_name": "old_vic",
             "first_seen_at": now, "last_seen_at": now}])
    await engine.dispose()


async def _assert_forgotten(url: str) -> None:
    stored = [r[0] for r in await fetch(url, sa.select(schema.raw_lines.c.line))]
    assert sorted(stored) == sorted(KEPT_LINES)
    for table, rows in (await dump(url)).items():
        if table in PRIVACY_TABLES:
            continue
        for row in rows:
            hits = [t for t in TRACES if t in row.lower()]
            # the only trace left: a bystander's "@victim_x" inside their own chat text
            assert not hits or (table in ("raw_lines", "messages") and "m-k2" in row
                                and hits == ["victim_x"]), (table, row)
    assert await count(url, "messages") == 2
    for table in ("usernotices", "moderation_events", "notices", "whispers", "emote_usages",
                  "user_name_history"):
        assert await count(url, table) == 0, table
    assert await count(url, "membership_events") == 1  # the bystander's JOIN
    assert [r.id for r in await fetch(url, sa.select(schema.users))] == ["777"]


@pytest.mark.parametrize("by", ["login", "id"])
async def test_forget_removes_the_user_from_every_table(db_url, by):
    await _archive(url := db_url)
    assert await count(url, "moderation_events") == 3 and await count(url, "emote_usages") == 1
    who = {"login": "Victim_X"} if by == "login" else {"user_id": "4242"}
    result = await forget(url, **who, actor="dpo@example")
    assert {"4242"} == result.identity.ids
    assert {"victim_x", "old_vic"} <= result.identity.logins
    await _assert_forgotten(url)
    assert result.counts["raw_lines"] == len(VICTIM_LINES)
    assert result.counts["messages"] == 3 and result.counts["emote_usages"] == 1
    assert result.counts["users"] == 1 and result.counts["user_name_history"] == 1

    audit = await fetch(url, sa.select(schema.forget_audit))
    assert len(audit) == 1
    row = audit[0]
    assert row.actor == "dpo@example" and row.at is not None and row.keep_forgetting is False
    assert row.counts == {k: v for k, v in result.counts.items()}
    text = json.dumps(row.counts)
    assert "secret" not in text and all(isinstance(v, int) for v in row.counts.values())
    assert await count(url, "forgotten_users") == 0  # not asked to keep forgetting

    again = await forget(url, **who)  # idempotent: nothing left to delete
    assert sum(again.counts.values()) == 0


async def test_forget_in_small_batches_and_keep_forgetting(sqlite_url):
    await _archive(sqlite_url)
    result = await forget(sqlite_url, login="victim_x", keep_forgetting=True, batch=2)
    assert result.counts["raw_lines"] == len(VICTIM_LINES)
    await _assert_forgotten(sqlite_url)
    rows = await fetch(sqlite_url, sa.select(schema.forgotten_users))
    assert {r.user_id for r in rows if r.user_id} == {"4242"}
    assert {r.login for r in rows if r.login} >= {"victim_x", "old_vic"}


def test_the_identity_rule_on_single_lines():
    who = Identity(ids={"4242"}, logins={"victim_x", "old_vic"})
    for line in VICTIM_LINES:
        assert line_concerns(line, who), line
    for line in KEPT_LINES:
        assert not line_concerns(line, who), line
    # a login reused by someone else later: the line's user-id decides, not the name
    other = VICTIM_LINES[0].replace("user-id=4242", "user-id=999")
    assert not line_concerns(other, who)
    assert not line_concerns(MENTION, Identity())


def _rebuild_cli() -> list[str] | None:
    if not (ROOT / "recorder" / "rebuild.py").is_file():
        return None
    return [sys.executable, "-m", "recorder.cli", "rebuild"]


async def test_forgotten_user_stays_gone_after_rebuild(tmp_path):
    command = _rebuild_cli()
    if command is None:
        pytest.skip("recorder rebuild is not there yet")
    db = tmp_path / "chat.db"
    url = f"sqlite+aiosqlite:///{db}"
    await _archive(url)
    await forget(url, login="victim_x")
    proc = subprocess.run([*command, "--db", str(db)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    await _assert_forgotten(url)
    assert await count(url, "messages") == 2  # the rebuild did run: the bystander is back
