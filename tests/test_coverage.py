"""Coverage intervals from connection events: spans, gaps, and a RECONNECT handover."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from recorder.coverage import intervals

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def ev(sec, kind, channel=None, conn=1):
    return {"session_id": 1, "at": T0 + timedelta(seconds=sec), "kind": kind,
            "channel": channel, "detail": f"conn={conn}"}


def secs(t):
    return int((t - T0).total_seconds())


def test_disconnect_makes_a_gap_until_the_rejoin():
    spans = intervals([ev(0, "connected"), ev(1, "joined", "a"), ev(10, "disconnected"),
                       ev(15, "connected", conn=2), ev(16, "joined", "a", conn=2)],
                      {1: T0 + timedelta(seconds=30)})
    assert [(secs(s.start), secs(s.end)) for s in spans] == [(1, 10), (16, 30)]


def test_reconnect_handover_is_not_a_gap():
    events = [ev(0, "connected"), ev(1, "joined", "a"), ev(1, "joined", "b"),
              ev(20, "reconnect_requested"), ev(21, "connected", conn=2),
              ev(22, "joined", "a", conn=2), ev(22, "joined", "b", conn=2),
              ev(24, "disconnected", conn=1)]
    spans = intervals(events, {1: T0 + timedelta(seconds=60)})
    assert [(s.channel, secs(s.start), secs(s.end)) for s in spans] == [("a", 1, 60), ("b", 1, 60)]


def test_part_and_join_failure_end_a_span():
    spans = intervals([ev(0, "joined", "a"), ev(5, "parted", "a"), ev(7, "join_failed", "b")],
                      {1: None})
    assert [(s.channel, secs(s.start), secs(s.end)) for s in spans] == [("a", 0, 5)]
