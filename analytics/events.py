"""Live-event figures per kind: interviews, TV questioning, open meetings.

Each figure is one counting query, declared in ``FIGURES``: the tables it reads, the time column a
period filters on and an optional condition. Figures whose tables have not landed yet in
live_sessions (issues, rectifications, registrations) are ``None`` and count 0; adding one is
one ``Count(...)`` line. Live sessions belong to no department, so these figures are site-wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics import labels
from analytics.filters import Filters, period_sql
from analytics.schemas import EventRow, EventStatistics
from engagement.i18n import _
from live_sessions.tables import LiveSession, QuestionState

QUESTIONS = "live_question q JOIN live_session s ON s.id = q.session"


@dataclass(frozen=True)
class Count:
    tables: str  # FROM clause; the session is aliased ``s``
    period_column: str
    condition: str = ""  # extra SQL with {} placeholders for ``values``
    values: tuple[Any, ...] = ()

    async def by_kind(self, filters: Filters) -> dict[str, int]:
        values = list(self.values)
        sql = f"SELECT s.kind AS kind, COUNT(*) AS n FROM {self.tables} WHERE 1 = 1"
        sql += f" AND {self.condition}" if self.condition else ""
        sql += period_sql(self.period_column, filters, values) + " GROUP BY s.kind"
        return {row["kind"]: int(row["n"]) for row in await LiveSession.raw(sql, *values)}


FIGURES: dict[str, Count | None] = {
    "sessions": Count("live_session s", "s.scheduled_at"),
    "questions_asked": Count(QUESTIONS, "q.asked_at"),
    "questions_approved": Count(QUESTIONS, "q.asked_at", "q.state = {}", (QuestionState.approved.value,)),
    "questions_answered": Count(QUESTIONS, "q.asked_at", "q.answered = {}", (True,)),
    # Not in live_sessions yet (TV questioning and open meetings): 0 until their tables land.
    "issues_collected": None,
    "issues_selected": None,
    "rectifications_on_time": None,
    "rectifications_overdue": None,
    "rectifications_completed": None,
    "registrations_confirmed": None,
    "registrations_checked_in": None,
}


async def events(filters: Filters) -> EventStatistics:
    counts = {name: await figure.by_kind(filters) if figure else {} for name, figure in FIGURES.items()}
    names = await labels.for_groups("kind", [], filters)
    items = [EventRow(key=names.key(kind), label=names.label(kind),
                      **{name: by_kind.get(kind, 0) for name, by_kind in counts.items()})
             for kind in names.order([])]
    total = EventRow(key="total", label=_("Total"), **{name: sum(by_kind.values()) for name, by_kind in counts.items()})
    return EventStatistics(by="kind", items=items, total=total, scope=labels.scope(filters))
