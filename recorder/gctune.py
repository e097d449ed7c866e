"""Garbage collection tuned for the recorder's long-running processes (standard library only,
so that the SQLite writer process and rebuild's workers can use it without importing more)."""
from __future__ import annotations

import gc

__all__ = ["tune_gc"]


def tune_gc() -> None:
    """The objects alive at startup (modules, the schema, the client) leave the collector's
    view, and the young generation is collected every 50,000 allocations instead of 700. A
    recorded line allocates a few dozen objects, so the default ran a collection every ~20
    lines and cost about a fifth of the ingest rate (bench_ingest); a rebuild worker lost a
    tenth of its rate to it (bench_replay). Memory stays bounded (cycles are still collected,
    only less often)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
