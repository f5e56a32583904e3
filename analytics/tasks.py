"""Jobs of analytics: the precomputed statistics (scheduled in the manifest)."""

from __future__ import annotations

from analytics import snapshots
from engagement.jobs import job


@job("analytics.refresh_statistics", max_retries=1)
async def refresh_statistics() -> None:
    """Every unfiltered table, recomputed and stored; run twice, it stores the same figures twice."""
    await snapshots.refresh()
