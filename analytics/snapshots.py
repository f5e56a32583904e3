"""Precomputed figures: the unfiltered answers of every dataset and grouping, kept in ``statistics_snapshot``.

At a million opinions the history query takes seconds (docs/analytics.md, "Benchmark"), so the
scheduled job ``analytics.refresh_statistics`` computes the unfiltered tables every two minutes and
requests without a period or department read them. A snapshot is served while it is of today (overdue
letters and the cases still open depend on the date) and either no state change was recorded since
(the newest ``workflow_event`` id is its ``watermark``: every submission, decision, reply and rating
writes one) or it is younger than ``MAX_AGE``. Otherwise the figures are computed on the spot, as
they are wherever the job does not run (the embedded default has no scheduler).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import msgspec

from analytics import facts, letter_facts
from analytics.filters import Filters
from analytics.schemas import (
    GROUPINGS,
    AdoptionStatistics,
    EventStatistics,
    MailboxStatistics,
    RectificationStatistics,
)
from analytics.tables import Snapshot
from engagement import clock
from engagement.db import unit_of_work
from engagement.tables import WorkflowEvent

# Seconds a snapshot may lag behind changes; 0: only snapshots with nothing changed since are served.
MAX_AGE = int(os.environ.get("ENGAGEMENT_STATISTICS_MAX_AGE", "300"))
TYPES = {"adoption": AdoptionStatistics, "mailbox": MailboxStatistics, "events": EventStatistics,
         "rectifications": RectificationStatistics}


def name_of(dataset: str, by: str) -> str:
    return f"{dataset}:{by}"


async def watermark() -> int:
    row = await WorkflowEvent.select(WorkflowEvent.id).order_by(WorkflowEvent.id, ascending=False).first()
    return row["id"] if row else 0


async def cached(dataset: str, groupings: list[str]) -> dict[str, Any] | None:
    """The snapshots of ``groupings`` when they may be served, else None (one query, two when old)."""
    return (await cached_many({dataset: groupings})).get(dataset)


async def cached_many(wanted: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """{dataset: {by: figures}} for the datasets whose snapshots may all be served (one query, two when old)."""
    names = [name_of(dataset, by) for dataset, groupings in wanted.items() for by in groupings]
    rows = await Snapshot.select().where(Snapshot.name.is_in(names))
    marks = {row["watermark"] for row in rows}
    if len(rows) != len(names) or len(marks) != 1 or any(row["day"] != clock.today() for row in rows):
        return {}
    young = clock.now() - min(clock.aware(row["computed_at"]) for row in rows) <= timedelta(seconds=MAX_AGE)
    if not young and marks != {await watermark()}:
        return {}
    by_name = {row["name"]: row["payload"] for row in rows}
    return {dataset: {by: msgspec.convert(_json(by_name[name_of(dataset, by)]), TYPES[dataset]) for by in groupings}
            for dataset, groupings in wanted.items()}


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


async def refresh() -> int:
    """Recompute every unfiltered table (one shared fetch per dataset); the number of snapshots written."""
    from analytics.services import compute_many

    mark, day = await watermark(), clock.today()
    await facts.refresh()
    await letter_facts.refresh()
    tables = {dataset: await compute_many(dataset, list(groupings), Filters()) for dataset, groupings in GROUPINGS.items()}
    rows = [Snapshot(name=name_of(dataset, by), payload=msgspec.json.encode(data).decode(), watermark=mark, day=day,
                     computed_at=clock.now())
            for dataset, computed in tables.items() for by, data in computed.items()]
    async with unit_of_work():
        await Snapshot.delete(force=True)
        await Snapshot.insert(*rows)
    return len(rows)
