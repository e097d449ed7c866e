"""Mutated real lines through the live path (protocol -> Recorder.on_raw_line -> Writer ->
SQLite): every line is stored raw, in order, whether it parses or not."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from recorder.client.events import parse_event
from recorder.client.irc import IRCProtocol
from recorder.client.models import RawLine
from recorder.recording import Recorder, RecorderConfig
from recorder.store import schema
from recorder.store.db import make_engine, upgrade_to_head
from recorder.store.writer import Writer

from .mutations import PROFILE, mutated_line


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    asyncio.run(upgrade_to_head(url))
    return url


async def _record(url: str, frame: str) -> tuple[list[str], list[tuple]]:
    engine = make_engine(url)
    recorder = Recorder(RecorderConfig(channels=["x"], db=url))
    recorder.writer = Writer(engine, max_batch_lines=7)  # several batches per example
    await recorder.writer.start()
    raw = schema.raw_lines
    try:
        async with engine.connect() as conn:
            start = (await conn.execute(sa.select(sa.func.coalesce(sa.func.max(raw.c.id), 0)))).scalar()
        protocol = IRCProtocol(nick="justinfan1")
        protocol.receive_data(frame)
        now = datetime.now(timezone.utc)
        received = []
        for item in protocol.events_received():
            event = parse_event(item.message) if item.message is not None else None
            recorder.on_raw_line(RawLine(item.line, now, 1, item.message, item.error, event))
            received.append(item.line)
        await recorder.writer.flush()
        async with engine.connect() as conn:
            stored = (await conn.execute(sa.select(raw.c.line, raw.c.parse_error, raw.c.command)
                                         .where(raw.c.id > start).order_by(raw.c.id))).all()
    finally:
        await recorder.writer.close()
        await engine.dispose()
    return received, [tuple(r) for r in stored]


@PROFILE
@given(st.lists(mutated_line(control=True), min_size=1, max_size=20))
def test_every_mutated_line_is_stored_raw(archive, lines):
    frame = "".join(line + "\r\n" for line in lines)
    received, stored = asyncio.run(_record(archive, frame))
    assert [line for line, _, _ in stored] == received  # all, in order, byte for byte
    expected = [l[:-1] if l.endswith("\r") else l for l in frame.split("\n")[:-1]]
    assert received == [l for l in expected if l]
    for line, parse_error, command in stored:
        assert (parse_error is None) == (command is not None) or parse_error.startswith("not projected")
