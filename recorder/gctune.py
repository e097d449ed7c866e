"""Garbage collection tuned for the recorder's long-running processes (standard library only,
so that the SQLite writer process and rebuild's workers can use it without importing more)."""
from __future__ import annotations

import gc

__all__ = ["tune_gc"]


#: The young generation's threshold: the collector counts tracked objects made minus those
#: freed, so a queue that fills up counts as it fills. The recorder's memory queue (10,000
#: lines of some 25 containers each when full) stays under it, and so it collects when there is
#: lasting growth, not at every burst.
YOUNG_THRESHOLD = 500_000


def tune_gc() -> None:
    """The objects alive at startup (modules, the schema, the client) leave the collector's
    view, and the young generation is collected after a net growth of ``YOUNG_THRESHOLD``
    objects instead of 700. A recorded line allocates a few dozen objects, so the default ran a
    collection every ~20 lines and cost about a fifth of the ingest rate (bench_ingest); at
    50,000 a full memory queue still set one off every 2,000 lines, each walking the whole
    queue: 2.4 us a line, against 0.2 us at 300,000 and above (bench_ingest's lines, measured
    with gc.callbacks). A rebuild worker lost a tenth of its rate to the default
    (bench_replay). Memory stays bounded (cycles are still collected, only less often)."""
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 100)
