"""The statistics asked for by the API, the pages and the reports: one entry point per dataset.

Adoption (analytics/adoption.py), mailbox (analytics/mailbox_stats.py), events
(analytics/events.py), rectifications (analytics/rectifications.py); published reports are in analytics/reports.py and the staff dashboard in
analytics/dashboard.py. A grouping a dataset does not know is a 400.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from analytics import snapshots
from analytics.adoption import adoption_tables
from analytics.events import events
from analytics.filters import Filters, resolve
from analytics.mailbox_stats import mailbox_tables
from analytics.rectifications import rectification_tables
from analytics.schemas import GROUPINGS
from engagement.errors import InvalidInput
from engagement.i18n import _

DEFAULT_GROUPING = {"adoption": "department", "mailbox": "department", "events": "kind",
                    "rectifications": "department"}


def check_grouping(dataset: str, by: str | None) -> str:
    if dataset not in GROUPINGS:
        raise InvalidInput(_("Unknown dataset %(dataset)s: use adoption, mailbox, events or rectifications.") % {"dataset": dataset[:40]})
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


async def figures_of_many(wanted: dict[str, list[str]], filters: Filters,
                          site_wide: frozenset[str] = frozenset({"events"})) -> dict[str, dict[str, Any]]:
    """``figures`` for several datasets at once (the statistics page): one snapshot look-up for all;
    the datasets in ``site_wide`` ignore the department."""
    unfiltered = filters == Filters()
    found = await snapshots.cached_many(wanted) if unfiltered else {}
    for dataset, groupings in wanted.items():
        if dataset in found:
            continue
        scoped = Filters(filters.period_start, filters.period_end) if dataset in site_wide else filters
        if scoped == Filters() and not unfiltered:  # a department was asked for: site-wide figures may be cached
            found[dataset] = await figures(dataset, groupings, scoped)
        else:
            found[dataset] = await compute_many(dataset, groupings, scoped)
    return found


async def compute_many(dataset: str, groupings: list[str], filters: Filters) -> dict[str, Any]:
    """{grouping: figures} computed now; the groupings of one dataset share their queries (reports, the page)."""
    if dataset == "adoption":
        return await adoption_tables(groupings, filters)
    if dataset == "mailbox":
        return await mailbox_tables(groupings, filters)
    if dataset == "rectifications":
        return await rectification_tables(groupings, filters)
    return {"kind": await events(filters)}


async def open_data(period_start: date | None = None, period_end: date | None = None,
                    department: str | None = None) -> bytes:
    """The open-data ZIP: every dataset in every grouping (events site-wide), its README and checksums."""
    from analytics.exports import open_data_zip

    filters = await resolve(period_start, period_end, department)
    wanted = {dataset: list(groupings) for dataset, groupings in GROUPINGS.items()}
    tables = msgspec.to_builtins(await figures_of_many(wanted, filters))
    scope = next(iter(tables["adoption"].values()))["scope"]
    return open_data_zip(tables, scope)
