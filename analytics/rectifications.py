"""Rectification figures (TV questioning, 整改) per responsible department or month.

A rectification is counted in the Beijing month it was committed to and followed to today: on
time, overdue (open past its due date, or completed after it), completed, still open and not yet
due, and the citizens' answers to "是否已解决？". The on-time rate is on time / (on time + overdue):
the rectifications whose outcome is known, so one still open past its due date counts against it
(as for letters). One grouped query whatever the number of rectifications, plus the group names.
"""

from __future__ import annotations

from typing import Any

from analytics import labels
from analytics.filters import Filters, department_sql, local_date_sql, local_month_sql, period_sql
from analytics.schemas import RectificationRow, RectificationStatistics
from analytics.stats import MIN_RANKED, rate, wilson
from engagement import clock
from engagement.i18n import _
from live_sessions.tables import LiveSession, RectificationState

COUNTS = ("rectifications", "completed", "on_time", "overdue", "open")
ANSWERS = ("confirmations_solved", "confirmations_not_solved")


# Each rectification's answers, counted once per rectification and joined to it (one query in all).
ANSWER_COUNTS = (
    "LEFT JOIN (SELECT rectification, SUM(CASE WHEN solved = {} THEN 1 ELSE 0 END) AS solved,"
    " SUM(CASE WHEN solved = {} THEN 1 ELSE 0 END) AS not_solved FROM live_rectification_answer"
    " GROUP BY rectification) a ON a.rectification = r.id"
)
ANSWER_VALUES = (True, False)


def _group_sql(by: str) -> str:
    return {"department": "r.department", "kind": "s.kind"}.get(by) or local_month_sql("r.created_at")


def _tables(by: str) -> str:
    if by == "kind":  # events: per kind of session
        return f"live_rectification r JOIN live_issue i ON i.id = r.issue JOIN live_session s ON s.id = i.session {ANSWER_COUNTS}"
    return f"live_rectification r {ANSWER_COUNTS}"


def _filters_sql(filters: Filters, values: list[Any]) -> str:
    return period_sql("r.created_at", filters, values) + department_sql("r.department", filters, values)


def outcome_columns() -> tuple[str, list[Any]]:
    """The SQL and values of the counts of one group of rectifications ``r`` (joined to ``ANSWER_COUNTS``)."""
    completed_on = local_date_sql("r.completed_at")
    done, open_, today = RectificationState.completed.value, RectificationState.in_progress.value, clock.today()
    sql = (
        f"COUNT(*) AS rectifications,"
        f" SUM(CASE WHEN r.state = {{}} THEN 1 ELSE 0 END) AS completed,"
        f" SUM(CASE WHEN r.state = {{}} AND {completed_on} <= r.due_date THEN 1 ELSE 0 END) AS on_time,"
        f" SUM(CASE WHEN (r.state = {{}} AND r.due_date < {{}}) OR (r.state = {{}} AND {completed_on} > r.due_date)"
        f" THEN 1 ELSE 0 END) AS overdue,"
        f" SUM(CASE WHEN r.state = {{}} AND r.due_date >= {{}} THEN 1 ELSE 0 END) AS open,"
        f" SUM(COALESCE(a.solved, 0)) AS confirmations_solved,"
        f" SUM(COALESCE(a.not_solved, 0)) AS confirmations_not_solved"
    )
    return sql, [done, done, open_, today, done, open_, today]


async def counts(by: str, filters: Filters) -> dict[Any, dict[str, int]]:
    """{group: {figure: n}}; ``by`` department, month or kind (the events dataset)."""
    columns, values = outcome_columns()
    values = [*values, *ANSWER_VALUES]
    sql = (f"SELECT {_group_sql(by)} AS grp, {columns} FROM {_tables(by)} WHERE 1 = 1"
           + _filters_sql(filters, values) + " GROUP BY grp")
    rows = await LiveSession.raw(sql, *values)
    return {row["grp"]: {name: int(row[name] or 0) for name in (*COUNTS, *ANSWERS)} for row in rows}


def _row(key: str, label: str, figures: dict[str, int]) -> RectificationRow:
    line = {name: figures.get(name, 0) for name in (*COUNTS, *ANSWERS)}
    known = line["on_time"] + line["overdue"]
    low, high = wilson(line["on_time"], known)
    return RectificationRow(key=key, label=label, **line, on_time_rate=rate(line["on_time"], known),
                            ci_low=low, ci_high=high, ranked=known >= MIN_RANKED)


async def rectification_tables(groupings: list[str], filters: Filters) -> dict[str, RectificationStatistics]:
    tables = {}
    for by in groupings:
        groups = await counts(by, filters)
        names = await labels.for_groups(by, list(groups), filters)
        items = [_row(names.key(group), names.label(group), groups.get(group, {})) for group in names.order(groups)]
        total = {name: sum(line.get(name, 0) for line in groups.values()) for name in (*COUNTS, *ANSWERS)}
        tables[by] = RectificationStatistics(by=by, items=items, total=_row("total", _("Total"), total),
                                             scope=labels.scope(filters))
    return tables
