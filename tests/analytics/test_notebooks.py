"""The notebooks in notebooks/ run from top to bottom without error against an archive made by a
real recording of the simulator, and are committed without outputs.

The archive reaches a notebook through RECORDER_DB (read in its first cell); the kernel inherits
this process's environment; plots are drawn headless (matplotlib's inline backend, on Agg)."""
from __future__ import annotations

import asyncio
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from recorder.sim.server import Simulator
from tests.recording.helpers import config_for, drain_and_stop, start_recorder

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHANNELS = ["sim_alpha", "sim_bravo"]
EMITTED = ("sub", "resub", "subgift", "submysterygift", "raid", "raid", "ban", "timeout",
           "timeout", "clearmsg")


async def _record(db: str) -> int:
    """Record the simulator's two channels until 200 messages, plus one of each EMITTED kind in
    sim_alpha; returns how many messages the simulator delivered."""
    async with Simulator(channels=2, rate=60.0, seed=11) as sim:
        config = config_for(sim, db, CHANNELS, enrich=True, client_id=sim.client_id,
                            client_secret=sim.client_secret)
        recorder, task = await start_recorder(config)
        await sim.wait_for(lambda: len(sim.record.of_kind("privmsg")) >= 200, timeout=60)
        for kind in EMITTED:
            await sim.emit("sim_alpha", kind)
        await drain_and_stop(sim, recorder, task)
        return sum(1 for f in sim.record.of_kind("privmsg") if f["delivered"])


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    db = tmp_path_factory.mktemp("notebooks") / "chat.db"
    delivered = asyncio.run(_record(f"sqlite+aiosqlite:///{db}"))
    return db, delivered


def test_there_are_notebooks_to_run():
    assert {p.stem for p in NOTEBOOKS} >= {"channel_overview", "subs_raids_moderation"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_have_no_outputs(path: Path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (path.name, cell.source[:60])
    assert "RECORDER_DB" in book.cells[1].source  # the archive comes in through the environment


def _texts(book: nbformat.NotebookNode) -> str:
    parts = []
    for cell in book.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_against_a_recorded_archive(path: Path, recorded, tmp_path, monkeypatch):
    db, delivered = recorded
    monkeypatch.setenv("RECORDER_DB", str(db))
    monkeypatch.setenv("RECORDER_CHANNEL", "sim_alpha")
    monkeypatch.setenv("RECORDER_CACHE", str(tmp_path / "cache.duckdb"))
    # headless: the inline backend draws with Agg and hands the PNG to the notebook
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    book = nbformat.read(path, as_version=4)
    NotebookClient(book, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()  # raises on a failing cell
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = _texts(book)
    # every message the simulator delivered is in the archive the notebook read
    assert f"archive {db}: 2 channel(s), {delivered} messages; looking at #sim_alpha" in text
    if path.stem == "channel_overview":
        assert any("image/png" in o.get("data", {}) for o in outputs)  # the plots were drawn
    else:
        assert "raid" in text and "submysterygift" in text and "timeout" in text
