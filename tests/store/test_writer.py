"""The single writer on SQLite and PostgreSQL: order, ids, rows, dedup, batches, errors."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from recorder.store import schema
from recorder.store.db import make_engine, upgrade_to_head
from recorder.store.projections import project_line
from recorder.store.writer import RawRecord, Writer

from .helpers import T0, message_record, rows, scalar, wait_for


@pytest.fixture
async def engine(writer_db):
    url, _ = writer_db
    await upgrade_to_head(url)
    engine = make_engine(url)
    yield engine
    await engine.dispose()


@pytest.fixture
def make_writer(engine, writer_db):
    """``make_writer(...)`` on the path under test (on SQLite: in-process or child)."""
    return lambda **options: Writer(engine, process=writer_db[1], **options)


async def test_lines_in_order_rows_point_at_their_line(engine, make_writer):
    writer = make_writer(max_batch_lines=100)
    await writer.start()
    session = await writer.start_session(server_url="ws://sim", nick="justinfan1", version="t")
    records = [message_record(i, session) for i in range(1000)]
    records.insert(500, message_record(10, session))  # a reconnect overlap: same message id
    for record in records:
        writer.submit(record)
    await writer.flush()
    stored = await rows(engine, "SELECT id, line, session_id FROM raw_lines ORDER BY id")
    assert [r.line for r in stored] == [r.line for r in records]
    ids = [r.id for r in stored]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert {r.session_id for r in stored} == {session}
    assert await scalar(engine, "SELECT count(*) FROM messages") == 1000
    assert await scalar(engine, "SELECT count(*) FROM emote_usages") == 1000
    # every row points at the raw line it came from (the first copy for the duplicate)
    joined = await rows(engine, "SELECT m.id, r.line FROM messages m "
                                "JOIN raw_lines r ON r.id = m.raw_line_id")
    assert len(joined) == 1000 and all(f"@id={mid} " in line for mid, line in joined)
    first_copy = await scalar(engine, "SELECT min(id) FROM raw_lines WHERE line LIKE '@id=msg-10 %'")
    assert await scalar(engine, "SELECT raw_line_id FROM messages WHERE id='msg-10'") == first_copy
    stats = writer.stats
    assert stats.max_batch_items <= 100 and stats.batches >= 11
    assert stats.lines_written == 1001 and stats.queue_depth == 0
    await writer.end_session(session)
    await writer.close()
    assert await scalar(engine, "SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL") == 1


async def test_json_and_times_round_trip(engine, make_writer):
    writer = make_writer()
    await writer.start()
    writer.submit(message_record(1))
    await writer.close()
    async with engine.connect() as conn:
        row = (await conn.execute(select(schema.messages))).one()
        raw = (await conn.execute(select(schema.raw_lines))).one()
    assert row.badges == {"subscriber": "12"}
    assert row.emotes == [{"id": "25", "start": 0, "end": 4}]
    assert row.tags == {"id": "msg-1", "n": "1"}
    for value in (row.sent_at, row.received_at, raw.received_at):
        assert value.tzinfo is not None and value.utcoffset().total_seconds() == 0
    assert raw.received_at == T0.replace(microsecond=1000)


async def test_real_lines_through_the_projection(engine, make_writer):
    lines = [
        "@badge-info=;badges=;color=#0000FF;display-name=Ronni;emotes=25:0-4;id=b34ccfc7-4977-403a-8a94-33c6bac34fb8;mod=0;room-id=1337;subscriber=0;tmi-sent-ts=1507246572675;turbo=1;user-id=1337;user-type=global_mod :ronni!ronni@ronni.tmi.twitch.tv PRIVMSG #ronni :Kappa Keepo Kappa",
        "@ban-duration=350;room-id=12345678;target-user-id=87654321;tmi-sent-ts=1642719320727 :tmi.twitch.tv CLEARCHAT #dallas :ronni",
        ":ronni!ronni@ronni.tmi.twitch.tv JOIN #dallas",
        "@emote-only=0;followers-only=-1;r9k=0;room-id=12345678;slow=0;subs-only=0 :tmi.twitch.tv ROOMSTATE #dallas",
        "this is not an irc line \x01",
    ]
    writer = make_writer()
    await writer.start()
    for line in lines:
        channel, command, error, projected = project_line(line, T0)
        writer.submit(RawRecord(T0, line, channel, command, None, error, projected))
    await writer.close()
    assert [r.line for r in await rows(engine, "SELECT line FROM raw_lines ORDER BY id")] == lines
    assert await scalar(engine, "SELECT count(*) FROM messages") == 1
    assert await scalar(engine, "SELECT kind FROM moderation_events") == "timeout"
    assert await scalar(engine, "SELECT count(*) FROM membership_events") == 1
    assert await scalar(engine, "SELECT followers_only FROM room_states") == -1
    orphans = await scalar(engine, "SELECT count(*) FROM messages m LEFT JOIN raw_lines r "
                                   "ON r.id = m.raw_line_id WHERE r.id IS NULL")
    assert orphans == 0


async def test_batch_by_delay_without_flush(engine, make_writer):
    writer = make_writer(max_batch_delay=0.05)
    await writer.start()
    writer.submit(message_record(1))
    await wait_for(lambda: writer.stats.lines_written == 1)
    assert await scalar(engine, "SELECT count(*) FROM raw_lines") == 1
    await writer.close()


async def test_flush_waits_for_everything_and_close_refuses_more(engine, make_writer):
    writer = make_writer(max_batch_lines=7, max_batch_delay=60)
    await writer.start()
    for i in range(50):
        writer.submit(message_record(i))
    writer.connection_event(None, "connected", detail="ws://sim")
    await writer.flush()  # does not wait the 60 s delay
    assert await scalar(engine, "SELECT count(*) FROM raw_lines") == 50
    assert await scalar(engine, "SELECT kind FROM connection_events") == "connected"
    assert writer.stats.max_batch_items <= 7
    await writer.close()
    with pytest.raises(RuntimeError):
        writer.submit(message_record(99))


async def test_bad_rows_keep_their_raw_line_and_the_rest_goes_on(engine, make_writer):
    errors = []
    writer = make_writer(on_error=lambda exc, detail: errors.append(detail))
    await writer.start()
    records = [message_record(i) for i in range(20)]
    records[7].rows[0][1]["channel"] = None  # NOT NULL: the database refuses the row
    records[12].rows.append(("no_such_table", {"x": 1}))
    records[15].rows[0][1]["no_such_column"] = 1
    records[3].session_id = 424242  # no such session: foreign key
    for record in records:
        writer.submit(record)
    await asyncio.wait_for(writer.flush(), 60)
    stored = await rows(engine, "SELECT line, parse_error, session_id FROM raw_lines ORDER BY id")
    assert [r.line for r in stored] == [r.line for r in records]
    noted = [i for i, r in enumerate(stored) if r.parse_error]
    assert noted == [3, 7, 12, 15]
    assert all("not projected" in stored[i].parse_error for i in noted)
    assert await scalar(engine, "SELECT count(*) FROM messages") == 16
    assert writer.stats.data_errors == 4 and writer.stats.dropped == 0 and len(errors) >= 4
    await writer.close()


async def test_line_the_database_cannot_hold_is_stored_escaped(engine, make_writer):
    writer = make_writer()
    await writer.start()
    writer.submit(RawRecord(T0, "PRIVMSG #a :nul\x00byte", "a", "PRIVMSG", None))
    writer.submit(RawRecord(T0, "PRIVMSG #a :after", "a", "PRIVMSG", None))
    await writer.close()
    stored = [r.line for r in await rows(engine, "SELECT line FROM raw_lines ORDER BY id")]
    assert stored[0] in ("PRIVMSG #a :nul\x00byte", "PRIVMSG #a :nul\\x00byte")
    assert stored[1] == "PRIVMSG #a :after"
    assert writer.stats.dropped == 0


async def test_a_bad_record_in_a_later_batch_costs_only_its_own_rows(engine, make_writer):
    # several batches queued at once: with the child process, the next batch is packed while
    # the one before commits; a record that cannot be packed must not fail (and repeat) the
    # batch before it
    writer = make_writer(max_batch_lines=1000)
    await writer.start()
    records = [message_record(i) for i in range(3000)]
    records[2500].rows.append(("no_such_table", {"x": 1}))
    for record in records:
        writer.submit(record)
    await asyncio.wait_for(writer.flush(), 60)
    stored = await rows(engine, "SELECT line, parse_error FROM raw_lines ORDER BY id")
    assert [r.line for r in stored] == [r.line for r in records]
    assert [i for i, r in enumerate(stored) if r.parse_error] == [2500]
    assert await scalar(engine, "SELECT count(*) FROM messages") == 2999
    assert writer.stats.data_errors == 1 and writer.stats.lines_written == 3000
    await writer.close()


async def _child_writer(tmp_path, **options):
    """A started writer with a SQLite child process on a new chat.db, and its engine."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    await upgrade_to_head(url)
    engine = make_engine(url)
    writer = Writer(engine, process=True, **options)
    await writer.start()
    return engine, writer


async def test_the_sqlite_child_process_killed_is_replaced_and_nothing_is_lost(tmp_path):
    import os
    import signal

    errors = []
    engine, writer = await _child_writer(tmp_path, retry_initial=0.05,
                                         on_error=lambda exc, detail: errors.append(detail))
    first = writer._proc._proc.pid
    for i in range(100):
        writer.submit(message_record(i))
    await writer.flush()
    os.kill(first, signal.SIGKILL)
    for i in range(100, 200):
        writer.submit(message_record(i))
    await asyncio.wait_for(writer.flush(), 60)
    assert writer._proc._proc.pid != first  # a new child
    assert errors  # the loss was noticed (and retried)
    lines = [r.line for r in await rows(engine, "SELECT line FROM raw_lines ORDER BY id")]
    assert lines == [message_record(i).line for i in range(200)]
    assert await scalar(engine, "SELECT count(*) FROM messages") == 200
    await writer.close()
    await engine.dispose()


async def test_a_batch_the_child_committed_before_dying_is_not_written_twice(tmp_path, monkeypatch):
    import os
    import signal

    from recorder.store import sqlite_proc

    engine, writer = await _child_writer(tmp_path, retry_initial=0.05)
    real_commit = sqlite_proc.SQLiteProcess.commit
    state = {"killed": False}

    def commit_then_die(self, blob):  # the COMMIT lands, then the child dies unheard
        async def answer(future):
            result = await future
            if not state["killed"] and result is not None:
                state["killed"] = True
                os.kill(self._proc.pid, signal.SIGKILL)
                raise sqlite_proc._lost(EOFError("killed by the test"))
            return result
        return asyncio.ensure_future(answer(real_commit(self, blob)))

    monkeypatch.setattr(sqlite_proc.SQLiteProcess, "commit", commit_then_die)
    for i in range(300):
        writer.submit(message_record(i))
    await asyncio.wait_for(writer.flush(), 60)
    assert state["killed"] and writer.stats.retries >= 1
    lines = [r.line for r in await rows(engine, "SELECT line FROM raw_lines ORDER BY id")]
    assert lines == [message_record(i).line for i in range(300)]  # once each, in order
    assert await scalar(engine, "SELECT count(*) FROM messages") == 300
    await writer.close()
    await engine.dispose()


async def test_stopping_while_the_child_commits_does_not_spool_the_batch_again(tmp_path, monkeypatch):
    import sqlite3

    from recorder.store import sqlite_proc

    path = tmp_path / "chat.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_to_head(url)
    engine = make_engine(url)
    writer = Writer(engine, process=True, spool_path=tmp_path / "chat.spool")
    await writer.start()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the child's COMMIT waits for this lock
    real_close = sqlite_proc.SQLiteProcess.close

    async def release_then_close(self, final=False):  # the writer gave up waiting; now it lands
        if blocker.in_transaction:
            blocker.execute("ROLLBACK")
        await real_close(self, final)

    monkeypatch.setattr(sqlite_proc.SQLiteProcess, "close", release_then_close)
    for i in range(50):
        writer.submit(message_record(i))
    await wait_for(lambda: writer._inflight)  # the batch is in the child, which is blocked
    await writer.close(timeout=0.5)
    blocker.close()
    lines = [r.line for r in await rows(engine, "SELECT line FROM raw_lines ORDER BY id")]
    assert lines == [message_record(i).line for i in range(50)]
    # a restart finds nothing left to write: the batch is stored once
    again = Writer(engine, spool_path=tmp_path / "chat.spool")
    await again.start()
    await again.close()
    assert await scalar(engine, "SELECT count(*) FROM raw_lines") == 50
    await engine.dispose()


async def test_a_written_batch_is_freed_only_once_the_next_is_with_the_child(tmp_path, monkeypatch):
    # freeing 5,000 records took ~10 ms of the parent's time; done before the handover, the
    # child waited for it after every batch
    import gc
    import weakref

    from recorder.store import sqlite_proc

    engine, writer = await _child_writer(tmp_path, max_batch_lines=100)
    real_commit = sqlite_proc.SQLiteProcess.commit
    handovers: list[bool] = []  # at each handover: is a record of the batch before still alive?
    last: list[weakref.ref] = []

    def commit(self, blob):
        gc.collect()
        handovers.append(bool(last) and last[0]() is not None)
        last[:] = [weakref.ref(writer._inflight[0])]  # the batch handed over now
        return real_commit(self, blob)

    monkeypatch.setattr(sqlite_proc.SQLiteProcess, "commit", commit)
    for i in range(400):
        writer.submit(message_record(i))
    await writer.flush()
    gc.collect()
    assert len(handovers) >= 4 and all(handovers[1:])
    await wait_for(lambda: writer._spent is None)  # idle: the last batch is not kept either
    assert await scalar(engine, "SELECT count(*) FROM raw_lines") == 400
    await writer.close()
    await engine.dispose()


async def test_a_burst_pauses_reading_until_a_batch_leaves_memory_and_nothing_spills(
        engine, make_writer, tmp_path):
    writer = make_writer(max_queue=50, max_batch_lines=20, max_pause=3600,
                         spool_path=tmp_path / "burst.spool")
    for i in range(49):
        writer.submit(message_record(i))
    assert writer.reading.is_set()
    writer.submit(message_record(49))  # memory is full and the database is fine: a burst
    assert not writer.reading.is_set() and writer.stats.read_pauses == 1
    await writer.start()  # the writer takes a batch out of memory: reading goes on
    await asyncio.wait_for(writer.reading.wait(), 30)
    await writer.flush()
    assert writer.stats.spooled == 0 and writer.stats.lines_written == 50
    lines = [r.line for r in await rows(engine, "SELECT line FROM raw_lines ORDER BY id")]
    assert lines == [message_record(i).line for i in range(50)]
    await writer.close()


async def test_a_pause_ends_by_itself_when_the_database_does_not_take_a_batch(engine, make_writer):
    writer = make_writer(max_queue=10, max_pause=0.05)  # not started: nothing leaves memory
    for i in range(10):
        writer.submit(message_record(i))
    assert not writer.reading.is_set()
    await asyncio.wait_for(writer.reading.wait(), 30)  # max_pause later, reading goes on
    assert writer.stats.read_pauses == 1
    await writer.start()
    await writer.close()


async def test_reading_is_never_paused_while_the_database_fails(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'chat.db'}")  # no such dir
    writer = Writer(engine, max_queue=10, max_batch_lines=5, retry_initial=0.01, retry_max=0.05,
                    spool_path=tmp_path / "outage.spool", max_pause=3600)
    await writer.start()
    writer.submit(message_record(0))
    await wait_for(lambda: writer.stats.retries > 0)
    for i in range(1, 100):
        writer.submit(message_record(i))
        assert writer.reading.is_set()
    assert writer.stats.read_pauses == 0 and writer.stats.spooled > 0
    await writer.close(timeout=0.5)
    await engine.dispose()
