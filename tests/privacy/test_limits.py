"""Over-long lines are stored raw (unparsed, with the reason); lines of forgotten users are
dropped before they are stored when the recorder keeps forgetting."""
from __future__ import annotations

import sqlalchemy as sa

from recorder.client.connection import MAX_LINE_CHARS
from recorder.privacy import Identity, line_concerns
from recorder.sim.server import Simulator
from recorder.store import schema
from recorder.store.db import make_engine, upgrade_to_head

from tests.recording.helpers import config_for, drain_and_stop, start_recorder, wait_until
from .archive import fetch


async def test_an_over_long_line_is_stored_raw_with_a_parse_error(sqlite_url):
    long_line = "@id=big :a!a@a.tmi.twitch.tv PRIVMSG #sim_alpha :" + "x" * (MAX_LINE_CHARS + 10)
    async with Simulator(channels=1, traffic=False, seed=3, transcripts=True) as sim:
        recorder, task = await start_recorder(config_for(sim, sqlite_url, ["sim_alpha"], enrich=False))
        await sim.emit("sim_alpha", "privmsg")
        await sim.send_malformed([long_line])
        await sim.emit("sim_alpha", "privmsg")
        await drain_and_stop(sim, recorder, task)
        sent = [line for t in sim.transcripts() for line in t]
    raw = schema.raw_lines
    rows = await fetch(sqlite_url, sa.select(raw.c.line, raw.c.parse_error).order_by(raw.c.id))
    assert [r.line for r in rows] == sent
    big = [r for r in rows if r.line == long_line]
    assert len(big) == 1 and big[0].parse_error.startswith("line too long")
    assert len(await fetch(sqlite_url, sa.select(schema.messages))) == 2  # the big one not parsed


async def test_keep_forgetting_drops_a_forgotten_users_lines_before_storing(sqlite_url):
    async with Simulator(channels=1, traffic=False, seed=8, transcripts=True) as sim:
        users = list(sim.world.users_by_login.values())
        victim, other = users[5], users[6]
        await upgrade_to_head(sqlite_url)
        engine = make_engine(sqlite_url)
        async with engine.begin() as conn:
            await conn.execute(sa.insert(schema.forgotten_users).values(
                user_id=victim.id, login=None, forgotten_at=sa.func.now()))
        await engine.dispose()
        config = config_for(sim, sqlite_url, ["sim_alpha"], enrich=False)
        recorder, task = await start_recorder(config)
        assert recorder.forgotten.ids == {victim.id}
        sent_facts = []
        for user in (victim, other, victim, other):
            sent_facts += await sim.emit("sim_alpha", "privmsg", user=user)
        await sim.stop_traffic()
        total = lambda: sum(len(t) for t in sim.transcripts())  # noqa: E731
        await wait_until(lambda: recorder.lines + recorder.forgotten_dropped >= total())
        recorder.stop()
        await task
        sent = [line for t in sim.transcripts() for line in t]
    stored = [r[0] for r in await fetch(sqlite_url, sa.select(schema.raw_lines.c.line)
                                        .order_by(schema.raw_lines.c.id))]
    by_victim = [f["line"] for f in sent_facts if f["user_id"] == victim.id]
    who = Identity(ids={victim.id})
    dropped = [line for line in sent if line_concerns(line, who)]  # a reply to them goes too
    assert len(by_victim) == 2 and set(by_victim) <= set(dropped)
    assert recorder.forgotten_dropped == len(dropped)
    assert stored == [line for line in sent if line not in dropped]
    logins = [r[0] for r in await fetch(sqlite_url, sa.select(schema.messages.c.login))]
    assert victim.login not in logins and len(logins) == 4 - len(dropped)
