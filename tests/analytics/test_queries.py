"""Known answers from the fixture archive (tests/analytics/archive.py)."""
from __future__ import annotations

import pandas as pd
import pytest

from analytics import queries as q
from analytics.connection import open_archive
from tests.analytics.archive import at


@pytest.fixture
def con(archive_url, cache):
    duck = open_archive(archive_url, cache=cache)
    yield duck
    duck.close()


def _minutes(frame: pd.DataFrame, column: str = "minute") -> list:
    return [t.to_pydatetime() for t in frame[column]]


def test_messages_per_minute(con):
    frame = q.messages_per_minute(con, "alpha")
    assert _minutes(frame) == [at(0), at(1), at(5), at(13)]
    assert frame["messages"].tolist() == [4, 3, 1, 2]
    assert frame["chatters"].tolist() == [2, 2, 1, 2]
    everything = q.messages_per_minute(con)
    assert everything.groupby("channel")["messages"].sum().to_dict() == {"alpha": 10, "beta": 2}


def test_filters_since_until_and_channel_spelling(con):
    frame = q.messages_per_minute(con, "#Alpha", since=at(1), until=at(13))
    assert _minutes(frame) == [at(1), at(5)]


def test_unique_chatters_and_new_vs_returning(con):
    frame = q.unique_chatters_over_time(con, "alpha", bucket="1 minute")
    assert frame["chatters"].tolist() == [2, 2, 1, 2]
    hourly = q.unique_chatters_over_time(con, "alpha")
    assert hourly[["chatters", "messages"]].values.tolist() == [[4, 10]]
    frame = q.new_vs_returning(con, "alpha", bucket="1 minute")
    assert frame[["new_chatters", "returning_chatters"]].values.tolist() == [[2, 0], [1, 1], [0, 1], [1, 1]]
    later = q.new_vs_returning(con, "alpha", since=at(13), bucket="1 minute")
    assert later[["new_chatters", "returning_chatters"]].values.tolist() == [[1, 1]]
    with pytest.raises(ValueError):
        q.unique_chatters_over_time(con, bucket="1 minute'; DROP TABLE messages; --")


def test_top_chatters(con):
    frame = q.top_chatters(con, "alpha", limit=3)
    assert frame["login"].tolist() == ["alice", "bob", "carol"]
    assert frame["messages"].tolist() == [5, 2, 2]
    assert frame["share"].tolist() == [0.5, 0.2, 0.2]
    assert frame["display_name"].iloc[0] == "Alice"


def test_emote_leaderboard(con):
    frame = q.emote_leaderboard(con, "alpha")
    assert frame[["emote_name", "uses", "messages", "chatters"]].values.tolist() == [
        ["Kappa", 4, 2, 2], ["PogChamp", 2, 1, 1]]
    assert q.emote_leaderboard(con)["emote_name"].tolist() == ["Kappa", "PogChamp", "LUL"]


def test_subs_gifts_gift_bomb_raids_and_bits(con):
    summary = q.subs_and_gifts_summary(con, "alpha").iloc[0].to_dict()
    assert summary == {"channel": "alpha", "subs": 1, "resubs": 1, "gifted_subs": 4, "gift_bombs": 1,
                       "raids": 2, "raid_viewers": 49, "bits": 150, "cheers": 2}
    events = q.subs_and_gifts(con, "alpha")
    bomb = events[events["kind"] == "submysterygift"]
    assert bomb[["login", "amount"]].values.tolist() == [["frank", 3]]
    gifts = events[events["kind"] == "subgift"]
    assert sorted(gifts[gifts["in_gift_bomb"]]["recipient"]) == ["alice", "bob", "ivy"]
    assert gifts[~gifts["in_gift_bomb"]]["recipient"].tolist() == ["dave"]
    raids = events[events["kind"] == "raid"]
    assert raids[["login", "amount"]].values.tolist() == [["gina", 42], ["hank", 7]]
    assert events[events["kind"] == "resub"]["months"].tolist() == [5]
    assert q.subs_and_gifts_summary(con, "beta").empty


def test_moderation_linked_to_messages(con):
    frame = q.moderation(con, "alpha")
    assert frame["kind"].tolist() == ["delete", "timeout", "ban"]
    delete, timeout, ban = (row for _, row in frame.iterrows())
    assert delete["target_message_id"] == "deleted-one"
    assert delete["message_login"] == "bob" and delete["message_text"] == "bob says 8"
    assert delete["message_sent_at"].to_pydatetime() == at(5.5)
    assert delete["message_raw_line_id"] == 8 and delete["removed_messages"] == 1
    assert (timeout["target_login"], timeout["duration_s"], timeout["removed_messages"]) == ("carol", 600, 2)
    assert (ban["target_login"], ban["removed_messages"]) == ("dave", 1)


def test_chat_vs_viewers(con):
    frame = q.chat_vs_viewers(con, "alpha")
    assert frame["viewer_count"].tolist() == [100, 100, 50, 50]
    assert frame["messages_per_viewer"].tolist() == [0.04, 0.03, 0.02, 0.04]
    assert q.chat_vs_viewers(con, "beta").empty


def test_hype_moments_against_the_channels_own_baseline(con):
    assert q.hype_moments(con, "alpha").empty  # nothing is 3 sd above a mean of 2.5
    frame = q.hype_moments(con, sigma=1.0, min_messages=1)
    assert frame[["channel", "messages", "baseline"]].values.tolist() == [["alpha", 4, 2.5]]
    assert _minutes(frame) == [at(0)]


def test_coverage_tells_gaps_from_quiet(con):
    frame = q.coverage(con, "alpha")
    assert frame["state"].tolist() == ["recorded", "gap", "recorded"]
    assert _minutes(frame, "start") == [at(-1), at(10), at(12)]
    assert _minutes(frame, "end") == [at(10), at(12), at(30)]
    assert frame["seconds"].tolist() == [660.0, 120.0, 1080.0]
    clipped = q.coverage(con, "alpha", since=at(11), until=at(20))
    assert clipped[["state", "seconds"]].values.tolist() == [["gap", 60.0], ["recorded", 480.0]]
    assert set(q.coverage(con)["channel"]) == {"alpha", "beta"}
