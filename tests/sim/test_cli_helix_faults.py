"""Helix faults from the command line: the --helix-fault flag and the helix/expire stdin commands."""
from __future__ import annotations

import argparse
import io

import aiohttp
import pytest

from recorder.sim.cli import add_arguments, handle_command, helix_fault
from recorder.sim.server import Simulator


def test_helix_fault_flag_parses_and_refuses_junk():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--helix-fault", "429:30", "--helix-fault", "500:2.5"])
    assert args.helix_fault == [(429, 30.0), (500, 2.5)]
    for bad in ("429", "200:5", "500:-1", "x:y"):
        with pytest.raises(argparse.ArgumentTypeError):
            helix_fault(bad)


async def test_stdin_helix_and_expire_commands():
    async with Simulator(traffic=False) as sim:
        out = io.StringIO()
        await handle_command(sim, "helix 503 2", out)
        token = sim.oauth.issue_app_token().token
        headers = {"Client-Id": sim.client_id, "Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession() as session:
            statuses = []
            for _ in range(3):
                async with session.get(f"{sim.helix_url}/users", params={"login": "sim_alpha"},
                                       headers=headers) as resp:
                    statuses.append(resp.status)
            assert statuses == [503, 503, 200]
            await handle_command(sim, "expire", out)
            async with session.get(f"{sim.helix_url}/users", params={"login": "sim_alpha"},
                                   headers=headers) as resp:
                assert resp.status == 401
        assert "answer 503" in out.getvalue() and "expired" in out.getvalue()
