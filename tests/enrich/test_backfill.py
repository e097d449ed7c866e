"""`recorder enrich`: an archive recorded without Helix is enriched afterwards."""
from __future__ import annotations

import io

import sqlalchemy as sa
from rich.console import Console
from rich.progress import Progress

from recorder.backfill import backfill
from recorder.cli import main
from recorder.sim.server import Simulator
from recorder.store import schema

from recording.helpers import config_for, drain_and_stop, fetch, start_recorder


async def test_backfill_enriches_an_existing_archive(sqlite_url):
    async with Simulator(channels=2, rate=40.0, seed=31, transcripts=True) as sim:
        recorder, task = await start_recorder(config_for(sim, sqlite_url, ["sim_alpha", "sim_bravo"],
                                                         enrich=False))
        await sim.wait_for(lambda: len(sim.record.of_kind("privmsg")) >= 80, timeout=60)
        await drain_and_stop(sim, recorder, task)
        assert await fetch(sqlite_url, sa.select(schema.users)) == []
        before = sim.helix.calls("users")
        progress = Progress(console=Console(file=io.StringIO()))
        await backfill(sqlite_url, helix_url=sim.helix_url, auth_url=sim.auth_url, token=None,
                       client_id=sim.client_id, client_secret=sim.client_secret, progress=progress)
        users_calls = sim.helix.calls("users") - before
    chatters = {r[0] for r in await fetch(sqlite_url, sa.select(schema.messages.c.user_id).distinct())}
    users = {r.id: r for r in await fetch(sqlite_url, sa.select(schema.users))}
    assert chatters <= set(users)
    for user_id in list(chatters)[:10]:
        assert users[user_id].login == sim.world.users_by_id[user_id].login
    # ceil(ids / 100) user requests, plus one to resolve the two broadcasters' ids
    assert users_calls <= -(-len(users) // 100) + 1
    assert {r.channel for r in await fetch(sqlite_url, sa.select(schema.stream_snapshots))} == {
        "sim_alpha", "sim_bravo"}
    assert len(await fetch(sqlite_url, sa.select(schema.channels))) == 2


def test_enrich_without_credentials_is_a_one_line_error(tmp_path, capsys):
    assert main(["enrich", "--db", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--client-id" in err
