"""PostgreSQL goes away mid-recording: the recorder keeps reading, holds lines in bounded memory,
spills past that bound to its spool file, and writes everything once the database is back."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from recorder.sim.server import Simulator
from recorder.store import schema
from store.tcp_proxy import TCPProxy

from .helpers import config_for, drain_and_stop, fetch, raw_lines, start_recorder, wait_until


async def test_postgres_outage_loses_nothing(pg_url, tmp_path):
    real = make_url(pg_url)
    proxy = TCPProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    via_proxy = real.set(port=proxy.port).render_as_string(hide_password=False)
    try:
        async with Simulator(channels=2, rate=60.0, seed=21, transcripts=True) as sim:
            config = config_for(sim, via_proxy, ["sim_alpha", "sim_bravo"], enrich=False,
                                max_queue=100, spool=str(tmp_path / "outage.spool"))
            recorder, task = await start_recorder(config)
            await wait_until(lambda: recorder.writer.stats.lines_written >= 50, what="first writes")
            await proxy.cut()
            cut_at = recorder.lines
            await wait_until(lambda: recorder.lines >= cut_at + 1200, timeout=60,
                             what="1200 lines (about 10 s) read while the database is down")
            assert recorder.writer.stats.spooled > 0  # past the memory bound, lines went to disk
            assert recorder.writer.stats.queue_depth <= 100
            await proxy.restore()
            await drain_and_stop(sim, recorder, task)
            sent = [line for t in sim.transcripts() for line in t]
        stored = await raw_lines(pg_url)
        assert stored == sent  # all of it, once, in order
        ids = [r[0] for r in await fetch(pg_url, sa.select(schema.raw_lines.c.id).order_by(schema.raw_lines.c.id))]
        assert ids == sorted(set(ids))
        messages = await fetch(pg_url, sa.select(sa.func.count()).select_from(schema.messages))
        assert messages[0][0] == len({f["id"] for f in sim.record.of_kind("privmsg") if f["delivered"]})
        assert not (tmp_path / "outage.spool").exists()
    finally:
        await proxy.close()
