"""Per-stream-session summaries, with known answers.

The fixture archive (tests/analytics/archive.py) plus, in alpha: an offline snapshot at 20:08;
stream s2 live at 20:20 (30 viewers, started 20:19) and 20:25 (70 viewers); then stream s3
at 20:26 (10 viewers) right after s2 with no offline snapshot between. In s2: zed's messages at
20:21 and 20:24 (60 bits), yuki's at 20:22 and the raid of 7 at 20:15 is before it. Beta: one
live snapshot of stream b1 at 20:00 with no started_at.
"""
from __future__ import annotations

import pytest

from analytics import queries as q
from analytics.connection import open_archive
from recorder.store.db import upgrade_to_head
from tests.analytics.archive import at, known_archive

COLUMNS = ["channel", "stream_id", "snapshots", "peak_viewers", "mean_viewers", "messages",
           "chatters", "subs", "resubs", "gifted_subs", "raids", "bits"]


@pytest.fixture
async def con(sqlite_url, cache):
    await upgrade_to_head(sqlite_url)
    b = known_archive()
    for minute, stream, live, viewers, started in [
            (8, "s1", False, None, None), (20, "s2", True, 30, 19), (25, "s2", True, 70, 19),
            (26, "s3", True, 10, 26)]:
        b.add("stream_snapshots", channel="alpha", user_id="1", stream_id=stream, live=live,
              viewer_count=viewers, started_at=at(started) if started is not None else None,
              fetched_at=at(minute))
    b.add("stream_snapshots", channel="beta", user_id="2", stream_id="b1", live=True,
          viewer_count=4, started_at=None, fetched_at=at(0))
    b.message("alpha", "zed", 21.0)
    b.message("alpha", "yuki", 22.0)
    b.message("alpha", "zed", 24.0, bits=60)
    await b.insert(sqlite_url)
    duck = open_archive(sqlite_url, cache=cache)
    yield duck
    duck.close()


def test_stream_sessions_known_answers(con):
    frame = q.stream_sessions(con)
    assert frame[COLUMNS].values.tolist() == [
        # s1: from started_at 19:30 to 20:05: alice, bob, carol's 7 messages; sub, resub,
        # 1 + 3 gifted, gina's raid, carol's 50 bits (bob's 100 at 20:05:30 is after the end)
        ["alpha", "s1", 2, 100, 75.0, 7, 3, 1, 1, 4, 1, 50],
        ["alpha", "s2", 2, 70, 50.0, 3, 2, 0, 0, 0, 0, 60],
        ["alpha", "s3", 1, 10, 10.0, 0, 0, 0, 0, 0, 0, 0],
        # no started_at: starts and ends at its one snapshot, so erin's 20:00:30 is outside
        ["beta", "b1", 1, 4, 4.0, 0, 0, 0, 0, 0, 0, 0],
    ]
    starts = [t.to_pydatetime() for t in frame["start"]]
    ends = [t.to_pydatetime() for t in frame["end"]]
    assert starts == [at(-30), at(19), at(26), at(0)]
    assert ends == [at(5), at(25), at(26), at(0)]
    assert frame["duration_s"].tolist() == [2100.0, 360.0, 0.0, 0.0]
    assert frame["messages_per_viewer"].round(6).tolist() == [round(7 / 75, 6), 0.06, 0.0, 0.0]


def test_stream_sessions_filters(con):
    alpha = q.stream_sessions(con, "#Alpha", since=at(0))
    assert alpha["stream_id"].tolist() == ["s2", "s3"]
    assert q.stream_sessions(con, "beta", until=at(0)).empty
    assert q.stream_sessions(con, "nobody").empty
