"""Test helpers for the store: records, a store fixture body, waiting on conditions, a full disk."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from recorder.store.writer import RawRecord

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def message_record(i: int, session_id: int | None = None, message_id: str | None = None,
                   **extra) -> RawRecord:
    """A PRIVMSG-like record with one messages row and one emote_usages row."""
    mid = message_id or f"msg-{i}"
    at = T0 + timedelta(milliseconds=i)
    row = {"id": mid, "channel": "chan", "room_id": "1", "user_id": str(1000 + i % 7),
           "login": f"user{i % 7}", "text": f"Kappa hello {i}", "sent_at": at, "received_at": at,
           "badges": {"subscriber": "12"}, "emotes": [{"id": "25", "start": 0, "end": 4}],
           "tags": {"id": mid, "n": str(i)}, "is_action": False, **extra}
    emote = {"message_id": mid, "emote_id": "25", "channel": "chan", "emote_name": "Kappa",
             "sent_at": at, "count": 1}
    return RawRecord(at, f"@id={mid} :u!u@u.tmi.twitch.tv PRIVMSG #chan :Kappa hello {i}",
                     "chan", "PRIVMSG", session_id, rows=[("messages", row), ("emote_usages", emote)])


async def wait_for(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 30.0) -> None:
    """Wait until ``condition()`` holds (polling), or fail after ``timeout`` seconds."""
    async def poll() -> None:
        while True:
            result = condition()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.02)
    await asyncio.wait_for(poll(), timeout)


async def scalar(engine: AsyncEngine, sql: str, **params):
    async with engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def rows(engine: AsyncEngine, sql: str, **params) -> list:
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


class FullDisk:
    """``os.fsync`` (hence every spool sync) failing with ENOSPC while ``full`` is set."""

    def __init__(self, monkeypatch) -> None:
        import errno
        import os

        self.full = False
        real = os.fsync

        def fsync(fd: int) -> None:
            if self.full:
                raise OSError(errno.ENOSPC, "No space left on device")
            real(fd)
        monkeypatch.setattr("recorder.store.spool.os.fsync", fsync)
