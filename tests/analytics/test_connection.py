"""The DuckDB copy of the store: same tables, incremental refresh, rebuilt when the store is new."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from analytics import queries as q
from analytics.connection import open_archive, refresh, table_specs
from recorder.store import schema
from tests.analytics.archive import ArchiveBuilder, at, build_known_archive


def _count(con, table: str) -> int:
    return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def test_every_store_table_is_there_with_its_columns(archive_url, cache):
    with open_archive(archive_url, cache=cache) as con:
        for table in schema.metadata.sorted_tables:
            columns = [r[0] for r in con.execute(f'DESCRIBE "{table.name}"').fetchall()]
            assert columns == [c.name for c in table.columns]
        assert _count(con, "messages") == 12 and _count(con, "raw_lines") == 24
        assert _count(con, "usernotices") == 9 and _count(con, "emote_usages") == 4
        kinds = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'messages'").fetchall())
        assert kinds["sent_at"] == "TIMESTAMP WITH TIME ZONE" and kinds["tags"] == "JSON"
        assert con.execute("SELECT tags->>'id' FROM messages WHERE id = 'deleted-one'").fetchone() == ("deleted-one",)


async def test_refresh_copies_only_new_rows(archive_url, cache):
    with open_archive(archive_url, cache=cache) as con:
        assert refresh(con, archive_url)["messages"] == 0  # nothing new since the open
        con.execute("UPDATE messages SET text = 'marked' WHERE id = 'deleted-one'")
    more = ArchiveBuilder(first_line_id=25)
    more.message("alpha", "zed", 20.0, emotes={"25": ("Kappa", 2)})
    more.add("connection_events", session_id=1, at=at(25), kind="parted", channel="alpha", detail="conn=1")
    await more.insert(archive_url)
    with duckdb.connect(str(cache)) as con:
        copied = refresh(con, archive_url)
        assert (copied["messages"], copied["raw_lines"], copied["emote_usages"]) == (1, 1, 1)
        assert copied["connection_events"] == 1 and copied["usernotices"] == 0
        assert copied["sessions"] == 1  # small tables whose rows change are copied whole
        # the marked row survived: old rows were not copied again, only the new ones were added
        assert con.execute("SELECT text FROM messages WHERE id = 'deleted-one'").fetchone() == ("marked",)
        assert _count(con, "messages") == 13 and _count(con, "raw_lines") == 25
        assert q.top_chatters(con, "alpha", since=at(20))["login"].tolist() == ["zed"]
        assert q.emote_leaderboard(con, "alpha")["uses"].tolist() == [6, 2]
        assert q.coverage(con, "alpha")["end"].iloc[-1].to_pydatetime() == at(25)
        assert _count(con, "sessions") == 1  # copied whole each time, never doubled


async def test_a_replaced_store_rebuilds_the_cache(tmp_path: Path, cache):
    db = tmp_path / "demo.db"
    await build_known_archive(str(db))
    with open_archive(str(db), cache=cache) as con:
        assert _count(con, "messages") == 12
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    fresh = ArchiveBuilder()
    from recorder.store.db import upgrade_to_head
    await upgrade_to_head(str(db))
    fresh.add("sessions", id=1, started_at=at(0))
    fresh.message("gamma", "yuki", 1.0)
    await fresh.insert(str(db))
    with open_archive(str(db), cache=cache) as con:
        assert con.execute("SELECT channel, login FROM messages").fetchall() == [("gamma", "yuki")]


def test_watermarks_follow_the_contract():
    keys = {spec.name: spec.key for spec in table_specs()}
    assert keys["raw_lines"] == "id" and keys["messages"] == "raw_line_id"
    assert keys["emote_usages"] == "raw_line_id" and keys["stream_snapshots"] == "id"
    assert keys["sessions"] is None and keys["users"] is None


def test_missing_sqlite_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        open_archive(str(tmp_path / "nope.db"), cache=":memory:")


async def test_postgresql_store(pg_url, cache):
    await build_known_archive(pg_url)
    with open_archive(pg_url, cache=cache) as con:
        assert q.messages_per_minute(con, "alpha")["messages"].tolist() == [4, 3, 1, 2]
        assert q.subs_and_gifts_summary(con, "alpha")["gifted_subs"].tolist() == [4]
        assert q.moderation(con, "alpha")["message_text"].iloc[0] == "bob says 8"
    more = ArchiveBuilder(first_line_id=25)
    more.message("alpha", "zed", 20.0)
    await more.insert(pg_url)
    with open_archive(pg_url, cache=cache) as con:
        assert refresh(con, pg_url)["raw_lines"] == 0
        assert _count(con, "messages") == 13 and _count(con, "raw_lines") == 25


def _per_minute_by_scan(con) -> list[tuple]:
    return con.execute("""SELECT channel, epoch_us(coalesce(sent_at, received_at)) // 60000000 AS m,
        count(*), count(DISTINCT login) FROM messages GROUP BY ALL ORDER BY 1, 2""").fetchall()


async def test_the_per_minute_rollup_follows_new_messages(archive_url, cache):
    with open_archive(archive_url, cache=cache) as con:
        assert con.execute("SELECT channel, minute, messages, chatters FROM _minute_chatters "
                           "ORDER BY 1, 2").fetchall() == _per_minute_by_scan(con)
        before = q.messages_per_minute(con, "alpha")
    assert before["messages"].tolist() == [4, 3, 1, 2]
    more = ArchiveBuilder(first_line_id=25)
    more.message("alpha", "zed", 1.5)  # into minute 1, which has messages already
    more.message("alpha", "zed", 40.0)  # a minute of its own
    await more.insert(archive_url)
    with open_archive(archive_url, cache=cache) as con:
        rolled = con.execute("SELECT channel, minute, messages, chatters FROM _minute_chatters "
                             "ORDER BY 1, 2").fetchall()
        assert rolled == _per_minute_by_scan(con)
        frame = q.messages_per_minute(con, "alpha")
        assert frame["messages"].tolist() == [4, 4, 1, 2, 1]
        assert frame["chatters"].tolist() == [2, 3, 1, 2, 1]
        # a window on whole minutes reads the rollup, any other window the messages: same answer
        assert q._rollup_current(con)
        tick = timedelta(microseconds=1)
        aligned = q.messages_per_minute(con, "alpha", since=at(1), until=at(40))
        ragged = q.messages_per_minute(con, "alpha", since=at(1) - tick, until=at(40) - tick)
        assert aligned.equals(ragged) and aligned["messages"].tolist() == [4, 1, 2]
