"""A real recording against the simulator, on SQLite and on the real PostgreSQL: every line the
simulator sent is stored byte for byte and in order, and the tables hold what the lines mean."""
from __future__ import annotations

import logging

import sqlalchemy as sa

from recorder.sim.server import Simulator
from recorder.store import schema

from .helpers import config_for, drain_and_stop, fetch, raw_lines, start_recorder

CHANNELS = ["sim_alpha", "sim_bravo", "sim_charlie"]


async def test_recording_stores_every_line_and_its_meaning(db_url, caplog):
    caplog.set_level(logging.DEBUG)
    async with Simulator(channels=3, rate=40.0, seed=5, transcripts=True) as sim:
        recorder, task = await start_recorder(config_for(sim, db_url, CHANNELS, enrich=False))
        await sim.wait_for(lambda: len(sim.record.of_kind("privmsg")) >= 150, timeout=60)
        for kind in ("ban", "timeout", "clearmsg", "subgift", "raid", "odd", "unknown"):
            await sim.emit("sim_alpha", kind)
        await drain_and_stop(sim, recorder, task)
        sent = [line for transcript in sim.transcripts() for line in transcript]
        assert len(sim.transcripts()) == 1

    stored = await raw_lines(db_url)
    assert stored == sent  # byte for byte, in order, nothing lost, nothing added

    messages = {r.id: r for r in await fetch(db_url, sa.select(schema.messages))}
    sent_msgs = [f for f in sim.record.of_kind("privmsg") if f["delivered"]]
    assert set(messages) == {f["id"] for f in sent_msgs}
    for fact in sent_msgs[:: max(1, len(sent_msgs) // 40)]:  # spot checks
        row = messages[fact["id"]]
        assert (row.channel, row.user_id, row.login, row.text, row.is_action) == (
            fact["channel"], fact["user_id"], fact["login"], fact["text"], fact["is_action"])
        assert sorted((e["start"], e["end"], e["id"]) for e in row.emotes) == sorted(
            (e["start"], e["end"], e["id"]) for e in fact["emotes"])
        assert (row.bits or 0) == (fact["bits"] or 0)

    notices = {r.id: r for r in await fetch(db_url, sa.select(schema.usernotices))}
    assert set(notices) == {f["id"] for f in sim.record.of_kind("usernotice") if f["delivered"]}
    for fact in sim.record.of_kind("usernotice"):
        if not fact["delivered"]:
            continue
        assert notices[fact["id"]].msg_id == fact["msg_id"]
        assert notices[fact["id"]].params == fact["params"]

    moderation = await fetch(db_url, sa.select(schema.moderation_events))
    kinds = sorted(r.kind for r in moderation)
    clearchats = [f for f in sim.record.of_kind("clearchat") if f["delivered"]]
    clearmsgs = [f for f in sim.record.of_kind("clearmsg") if f["delivered"]]
    expected = sorted([f["action"] for f in clearchats] + ["delete"] * len(clearmsgs))
    assert kinds == expected, [(f["action"], f["line"]) for f in clearchats]
    deleted = {r.target_message_id for r in moderation if r.kind == "delete"}
    assert deleted == {f["target_msg_id"] for f in clearmsgs}

    raw = schema.raw_lines
    for table in schema.PROJECTION_TABLES:  # every projection row points at a stored raw line
        t = schema.metadata.tables[table]
        orphans = await fetch(db_url, sa.select(sa.func.count()).select_from(
            t.outerjoin(raw, t.c.raw_line_id == raw.c.id)).where(raw.c.id.is_(None)))
        assert orphans[0][0] == 0, table

    sessions = await fetch(db_url, sa.select(schema.sessions))
    assert len(sessions) == 1 and sessions[0].ended_at is not None
    events = await fetch(db_url, sa.select(schema.connection_events.c.kind, schema.connection_events.c.channel))
    assert ("connected", None) in events
    assert {c for k, c in events if k == "joined"} == set(CHANNELS)


async def test_malformed_lines_are_stored_raw_and_recording_goes_on(sqlite_url, caplog):
    caplog.set_level(logging.INFO)
    junk = ["@only-tags-no-command", ":prefix.only", "\x00nul"]
    async with Simulator(channels=1, traffic=False, seed=3, transcripts=True) as sim:
        recorder, task = await start_recorder(config_for(sim, sqlite_url, ["sim_alpha"], enrich=False))
        await sim.emit("sim_alpha", "privmsg")
        await sim.send_malformed(junk)
        await sim.emit("sim_alpha", "privmsg")
        await drain_and_stop(sim, recorder, task)
        sent = [line for transcript in sim.transcripts() for line in transcript]
    t = schema.raw_lines
    rows = await fetch(sqlite_url, sa.select(t.c.line, t.c.parse_error, t.c.command).order_by(t.c.id))
    assert [r.line for r in rows] == sent
    bad = [r for r in rows if r.parse_error]
    assert [r.line for r in bad] == [l for l in sent if l in junk or l.startswith("\x00")]
    assert all(r.command is None for r in bad)
    assert len(await fetch(sqlite_url, sa.select(schema.messages))) == 2
    # each malformed line: one WARNING line naming it, no ERROR and no traceback
    warned = [r for r in caplog.records if "malformed line" in r.getMessage()]
    assert len(warned) == len(bad) and all(r.levelno == logging.WARNING for r in warned)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_secrets_never_reach_the_database_or_the_logs(sqlite_url, caplog):
    caplog.set_level(logging.DEBUG)
    async with Simulator(channels=2, rate=20.0, seed=9, transcripts=True) as sim:
        token = sim.issue_token("secret_bot")
        config = config_for(sim, sqlite_url, ["sim_alpha", "sim_bravo"], token=token,
                            client_id=sim.client_id, client_secret=sim.client_secret)
        recorder, task = await start_recorder(config)
        await sim.wait_for(lambda: len(sim.record.of_kind("privmsg")) >= 20, timeout=60)
        # the recorder reads no chatter cache, so its client keeps none (memory over weeks)
        assert all(len(recorder.client.get_channel(c).cache) == 0 for c in ("sim_alpha", "sim_bravo"))
        await drain_and_stop(sim, recorder, task)
    secrets = [token, sim.client_secret]
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in repr(config)
    engine_dump = []
    for table in schema.metadata.sorted_tables:
        for row in await fetch(sqlite_url, sa.select(table)):
            engine_dump.append(repr(tuple(row)))
    dump = "\n".join(engine_dump)
    for secret in secrets:
        assert secret not in dump
    # and the file itself, byte for byte
    path = sqlite_url.split("///", 1)[1]
    data = open(path, "rb").read()
    for secret in secrets:
        assert secret.encode() not in data


async def test_a_projection_bug_still_stores_the_raw_line(sqlite_url, monkeypatch):
    import recorder.recording as recording

    def broken(event, received_at):
        raise RuntimeError("boom")

    monkeypatch.setattr(recording, "project", broken)
    async with Simulator(channels=1, traffic=False, seed=3, transcripts=True) as sim:
        recorder, task = await start_recorder(config_for(sim, sqlite_url, ["sim_alpha"], enrich=False))
        await sim.emit("sim_alpha", "privmsg")
        await drain_and_stop(sim, recorder, task)
        sent = [line for transcript in sim.transcripts() for line in transcript]
    t = schema.raw_lines
    rows = await fetch(sqlite_url, sa.select(t.c.line, t.c.parse_error).order_by(t.c.id))
    assert [r.line for r in rows] == sent
    assert all(r.parse_error == "not projected: RuntimeError: boom" for r in rows)
