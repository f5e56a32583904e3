"""Names and order of the groups: departments, topics, consultations, months, event kinds.

One query per grouping (none for months and kinds), whatever the number of groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from analytics.filters import Filters
from analytics.schemas import Scope
from consultations.tables import Consultation, Topic
from engagement import clock
from engagement.i18n import N_, _
from engagement.tables import Department

NO_ID = 0  # a letter not yet routed to a department, a consultation without a topic
NONE_LABELS = {"department": N_("Not yet routed"), "topic": N_("No topic")}
NONE_KEYS = {"department": "unassigned", "topic": "none"}
KIND_LABELS = {"interview": N_("Guest interviews"), "tv_questioning": N_("TV questioning"),
               "open_meeting": N_("Open government meetings")}


@dataclass
class Names:
    keys: dict[Any, str] = field(default_factory=dict)
    labels: dict[Any, str] = field(default_factory=dict)
    ordered: list[Any] = field(default_factory=list)

    def key(self, group: Any) -> str:
        return self.keys.get(group, str(group))

    def label(self, group: Any) -> str:
        return self.labels.get(group, str(group))

    def order(self, groups: Iterable[Any]) -> list[Any]:
        """The known groups in their order (months and kinds with gaps filled), then any others."""
        return [*self.ordered, *(group for group in groups if group not in self.ordered)]


async def for_groups(by: str, groups: list[Any], filters: Filters) -> Names:
    if by == "month":
        return _months(groups, filters)
    if by == "kind":
        return Names(keys={kind: kind for kind in KIND_LABELS}, labels={k: _(v) for k, v in KIND_LABELS.items()},
                     ordered=list(KIND_LABELS))
    loader = {"department": _departments, "topic": _topics, "consultation": _consultations}[by]
    ids = [group for group in groups if group != NO_ID]
    names = await loader(ids) if ids else Names()
    if NO_ID in groups:
        names.keys[NO_ID], names.labels[NO_ID] = NONE_KEYS.get(by, "none"), _(NONE_LABELS.get(by, "—"))
        names.ordered.append(NO_ID)
    return names


# Every department (id, slug, name) in their order, when the caller has read them already for this computation
# (the statistics page lists them in its form): the groups' names are then taken from there, not queried again.
_all_departments: ContextVar[list[dict[str, Any]] | None] = ContextVar("analytics_all_departments", default=None)


@contextmanager
def departments_known(rows: list[dict[str, Any]]) -> Iterator[None]:
    """Within this block, department names come from ``rows``: every department, ordered by sort order and id."""
    token = _all_departments.set(rows)
    try:
        yield
    finally:
        _all_departments.reset(token)


async def _departments(ids: list[int]) -> Names:
    known = _all_departments.get()
    if known is not None:
        wanted = set(ids)
        rows = [row for row in known if row["id"] in wanted]
    else:
        rows = await Department.select(Department.id, Department.slug, Department.name).where(
            Department.id.is_in(ids)).order_by(Department.sort_order).order_by(Department.id)
    return Names({r["id"]: r["slug"] for r in rows}, {r["id"]: r["name"] for r in rows}, [r["id"] for r in rows])


async def _topics(ids: list[int]) -> Names:
    rows = await Topic.select(Topic.id, Topic.title).where(Topic.id.is_in(ids)).order_by(Topic.id)
    return Names({r["id"]: str(r["id"]) for r in rows}, {r["id"]: r["title"] for r in rows}, [r["id"] for r in rows])


async def _consultations(ids: list[int]) -> Names:
    rows = await Consultation.select(Consultation.id, Consultation.title).where(
        Consultation.id.is_in(ids)).order_by(Consultation.id)
    return Names({r["id"]: str(r["id"]) for r in rows}, {r["id"]: r["title"] for r in rows}, [r["id"] for r in rows])


def _months(groups: list[Any], filters: Filters) -> Names:
    """Every month from the first to the last one with figures (or the period's ends), gaps included."""
    bounds = [str(group) for group in groups if group]
    if filters.period_start:
        bounds.append(filters.period_start.strftime("%Y-%m"))
    if filters.period_end:
        bounds.append(min(filters.period_end, clock.today()).strftime("%Y-%m"))
    if not bounds:
        return Names()
    months = month_range(min(bounds), max(bounds))
    return Names({m: m for m in months}, {m: m for m in months}, months)


def month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def scope(filters: Filters) -> Scope:
    return Scope(period_start=filters.period_start, period_end=filters.period_end, department=filters.department,
                 computed_at=clock.now())
