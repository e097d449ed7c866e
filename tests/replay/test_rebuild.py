"""``rebuild``: the projection tables rebuilt from raw_lines equal, row for row and id for id,
the tables the live recorder wrote (SQLite and PostgreSQL); an interrupted rebuild resumes."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from rich.console import Console

from recorder.rebuild import STATE, TARGET, rebuild
from recorder.replay_cli import add_rebuild
from recorder.store import schema
from recorder.store.db import make_engine
from tests.recording.helpers import fetch

from .conftest import projection_snapshot, record_archive


async def _tamper(db_url: str) -> None:
    """Damage the live tables so that only a real rebuild can make them equal again."""
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.update(schema.messages).values(text="tampered"))
            await conn.execute(sa.delete(schema.moderation_events))
            await conn.execute(sa.delete(schema.emote_usages).where(schema.emote_usages.c.count == 1))
    finally:
        await engine.dispose()


async def _state(db_url: str) -> dict[str, int]:
    t = schema.projection_state
    return dict(await fetch(db_url, sa.select(t.c.name, t.c.last_raw_line_id)))


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "worker-process"])
async def test_rebuild_gives_the_live_tables_row_for_row(db_url, workers):
    await record_archive(db_url, seed=11)
    live = await projection_snapshot(db_url)
    for name in ("messages", "usernotices", "moderation_events", "room_states", "user_states",
                 "emote_usages", "notices"):
        assert live[name], f"the recording has no {name}: the comparison would prove little"
    raw = schema.raw_lines
    dup = await fetch(db_url, sa.select(sa.func.count()).select_from(raw).where(
        raw.c.command == "PRIVMSG"))
    assert dup[0][0] > len(live["messages"]), "the recording should hold a duplicate message"

    await _tamper(db_url)
    stats = await rebuild(db_url, batch_size=37, workers=workers)
    assert await projection_snapshot(db_url) == live  # surrogate ids included
    assert stats.resumed_from == 0 and stats.batches > 3
    total = (await fetch(db_url, sa.select(sa.func.max(raw.c.id))))[0][0]
    assert await _state(db_url) == {STATE: total}  # finished: no target left

    again = await rebuild(db_url)  # a finished rebuild: the next run starts afresh
    assert again.resumed_from == 0 and again.lines == stats.lines
    assert await projection_snapshot(db_url) == live


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "worker-process"])
async def test_an_interrupted_rebuild_resumes_where_it_stopped(db_url, workers):
    await record_archive(db_url, seed=12)
    live = await projection_snapshot(db_url)
    calls = []

    def stop_after_three_batches(done: int, total: int) -> None:
        calls.append((done, total))
        if len(calls) == 4:  # the first call is before any batch
            raise Interrupt

    await _tamper(db_url)
    with pytest.raises(Interrupt):
        await rebuild(db_url, batch_size=40, progress=stop_after_three_batches, workers=workers)
    state = await _state(db_url)
    raw = schema.raw_lines
    ids = [r[0] for r in await fetch(db_url, sa.select(raw.c.id).order_by(raw.c.id))]
    assert state[STATE] == ids[119] and state[TARGET] == ids[-1]
    assert calls[-1] == (120, len(ids))
    for name in schema.PROJECTION_TABLES:  # rows exist exactly up to the committed mark
        t = schema.metadata.tables[name]
        top = (await fetch(db_url, sa.select(sa.func.max(t.c.raw_line_id))))[0][0]
        assert top is None or top <= state[STATE], name
    partial = await projection_snapshot(db_url)
    assert len(partial["messages"]) < len(live["messages"])

    seen: list[tuple[int, int]] = []
    stats = await rebuild(db_url, batch_size=40, progress=lambda d, t: seen.append((d, t)),
                          workers=workers)
    assert stats.resumed_from == state[STATE] and stats.lines == len(ids) - 120
    assert seen[0] == (120, len(ids)) and seen[-1] == (len(ids), len(ids))
    assert await projection_snapshot(db_url) == live

    await _tamper(db_url)
    with pytest.raises(Interrupt):
        calls.clear()
        await rebuild(db_url, batch_size=40, progress=stop_after_three_batches)
    fresh = await rebuild(db_url, from_scratch=True, batch_size=500)
    assert fresh.resumed_from == 0 and fresh.lines == len(ids)
    assert await projection_snapshot(db_url) == live


def test_rebuild_command(archive):
    import argparse
    import asyncio

    live = asyncio.run(projection_snapshot(archive))
    asyncio.run(_tamper(archive))
    parser = argparse.ArgumentParser(prog="recorder")
    add_rebuild(parser.add_subparsers())
    args = parser.parse_args(["rebuild", "--db", archive.split("///", 1)[1], "--batch", "100",
                              "--workers", "1"])
    out = io.StringIO()
    assert args.func(args, console=Console(file=out, width=200)) == 0
    assert out.getvalue().startswith("rebuilt ") and "raw lines (from scratch)" in out.getvalue()
    assert asyncio.run(projection_snapshot(archive)) == live
