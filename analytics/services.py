"""The statistics asked for by the API, the pages and the reports: one entry point per dataset.

Adoption (analytics/adoption.py), mailbox (analytics/mailbox_stats.py), events
(analytics/events.py); published reports are in analytics/reports.py and the staff dashboard in
analytics/dashboard.py. A grouping a dataset does not know is a 400.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from analytics import snapshots
from analytics.adoption import adoption_tables
from analytics.events import events
from analytics.filters import Filters, resolve
from analytics.mailbox_stats import mailbox_tables
from analytics.schemas import GROUPINGS
from engagement.errors import InvalidInput
from engagement.i18n import _

DEFAULT_GROUPING = {"adoption": "department", "mailbox": "department", "events": "kind"}


def check_grouping(dataset: str, by: str | None) -> str:
    if dataset not in GROUPINGS:
        raise InvalidInput(_("Unknown dataset %(dataset)s: use adoption, mailbox or events.") % {"dataset": dataset[:40]})
    by = by or DEFAULT_GROUPING[dataset]
    if by not in GROUPINGS[dataset]:
        raise InvalidInput(_("Unknown grouping %(by)s: use one of %(choices)s.")
                           % {"by": by[:40], "choices": ", ".join(GROUPINGS[dataset])})
    return by


async def statistics(dataset: str, by: str | None = None, period_start: date | None = None,
                     period_end: date | None = None, department: str | None = None) -> Any:
    """The figures of ``dataset`` grouped ``by``, for a period and a department (events: site-wide)."""
    by = check_grouping(dataset, by)
    filters = await resolve(period_start, period_end, None if dataset == "events" else department)
    return (await figures(dataset, [by], filters))[by]


async def compute(dataset: str, by: str, filters: Filters) -> Any:
    return (await compute_many(dataset, [by], filters))[by]


async def figures(dataset: str, groupings: list[str], filters: Filters) -> dict[str, Any]:
    """What the API and the page show: the precomputed tables when nothing is filtered and they may be
    served (analytics/snapshots.py), else computed now."""
    if filters == Filters():
        found = await snapshots.cached(dataset, groupings)
        if found is not None:
            return found
    return await compute_many(dataset, groupings, filters)


async def compute_many(dataset: str, groupings: list[str], filters: Filters) -> dict[str, Any]:
    """{grouping: figures} computed now; the groupings of one dataset share their queries (reports, the page)."""
    if dataset == "adoption":
        return await adoption_tables(groupings, filters)
    if dataset == "mailbox":
        return await mailbox_tables(groupings, filters)
    return {"kind": await events(filters)}
