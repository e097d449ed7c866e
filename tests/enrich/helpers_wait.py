"""Waiting for the recorder's background enrichment to catch up."""
from __future__ import annotations

from recording.helpers import wait_until


async def wait_enriched(recorder) -> None:
    await wait_until(lambda: recorder.enricher is not None and not recorder.enricher.pending_users
                     and recorder.enricher.stats["streams"] > 0, timeout=60,
                     what="enrichment to fetch every chatter")
