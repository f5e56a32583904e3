"""Live-event figures per kind: interviews, TV questioning, open meetings.

Each table is read once: a ``Tally`` counts several figures of one table in one grouped query
(``SUM(CASE WHEN … THEN 1 ELSE 0 END)`` per figure), with the time column a period filters on.
Live sessions belong to no department, so these figures are site-wide; the rectification
figures come from analytics/rectifications.py (its own dataset by department and month).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analytics import labels, rectifications
from analytics.filters import Filters, period_sql
from analytics.schemas import EventRow, EventStatistics
from engagement.i18n import _
from live_sessions.tables import IssueState, LiveSession, QuestionState, RegistrationState

SEATED = (RegistrationState.confirmed.value, RegistrationState.checked_in.value)


@dataclass(frozen=True)
class Tally:
    tables: str  # FROM clause; the session is aliased ``s``
    period_column: str
    figures: dict[str, str]  # figure -> condition ("" counts every row), with {} placeholders
    values: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # figure -> the condition's values
    maxima: dict[str, str] = field(default_factory=dict)  # figure -> a column whose MAX is the figure

    async def by_kind(self, filters: Filters) -> dict[str, dict[str, int]]:
        """{figure: {kind: n}} for every figure of this table."""
        values: list[Any] = []
        columns = []
        for name, condition in self.figures.items():
            columns.append(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {name}" if condition
                           else f"COUNT(*) AS {name}")
            values.extend(self.values.get(name, ()))
        columns += [f"MAX({column}) AS {name}" for name, column in self.maxima.items()]
        sql = f"SELECT s.kind AS kind, {', '.join(columns)} FROM {self.tables} WHERE 1 = 1"
        sql += period_sql(self.period_column, filters, values) + " GROUP BY s.kind"
        rows = await LiveSession.raw(sql, *values)
        names = [*self.figures, *self.maxima]
        return {name: {row["kind"]: int(row[name] or 0) for row in rows} for name in names}


def tallies() -> list[Tally]:
    return [
        Tally("live_session s", "s.scheduled_at", {"sessions": ""}, maxima={"peak_viewers": "s.peak_viewers"}),
        Tally("live_question q JOIN live_session s ON s.id = q.session", "q.asked_at",
              {"questions_asked": "", "questions_approved": "q.state = {}", "questions_answered": "q.answered = {}"},
              {"questions_approved": (QuestionState.approved.value,), "questions_answered": (True,)}),
        Tally("live_issue i JOIN live_session s ON s.id = i.session", "i.created_at",
              {"issues_collected": "", "issues_selected": "i.state = {}"},
              {"issues_selected": (IssueState.selected.value,)}),
        Tally("live_registration g JOIN live_session s ON s.id = g.session", "s.scheduled_at",
              {"registrations": "", "registrations_confirmed": "g.state IN ({}, {})",
               "registrations_checked_in": "g.state = {}"},
              {"registrations_confirmed": SEATED, "registrations_checked_in": (RegistrationState.checked_in.value,)}),
    ]


# The figures of analytics/rectifications.py under their names in this dataset.
RECTIFICATION_FIGURES = {"rectifications": "rectifications", "completed": "rectifications_completed",
                         "on_time": "rectifications_on_time", "overdue": "rectifications_overdue",
                         "confirmations_solved": "confirmations_solved",
                         "confirmations_not_solved": "confirmations_not_solved"}


async def _rectifications_by_kind(filters: Filters) -> dict[str, dict[str, int]]:
    by_kind = await rectifications.counts("kind", filters)
    return {name: {kind: figures[figure] for kind, figures in by_kind.items()}
            for figure, name in RECTIFICATION_FIGURES.items()}


async def events(filters: Filters) -> EventStatistics:
    counts: dict[str, dict[str, int]] = {}
    for tally in tallies():
        counts.update(await tally.by_kind(filters))
    counts.update(await _rectifications_by_kind(filters))
    names = await labels.for_groups("kind", [], filters)
    items = [EventRow(key=names.key(kind), label=names.label(kind),
                      **{name: by_kind.get(kind, 0) for name, by_kind in counts.items()})
             for kind in names.order([])]
    totals = {name: sum(by_kind.values()) for name, by_kind in counts.items()}
    totals["peak_viewers"] = max(counts["peak_viewers"].values(), default=0)
    return EventStatistics(by="kind", items=items, total=EventRow(key="total", label=_("Total"), **totals),
                           scope=labels.scope(filters))
