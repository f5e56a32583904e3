"""Opinion facts: one line per opinion with what the adoption figures need, kept up to date incrementally.

The history basis of adoption (analytics/adoption.py) asks of each opinion when its first decision
was recorded and which decision settled in that Beijing month. Folding the ``workflow_event`` history
per request costs seconds at a million opinions, so ``statistics_opinion_fact`` keeps the answer per
opinion, and a figure for any period or department is one GROUP BY over plain indexed columns.

Up to date, never stale: every submission, moderation and decision of an opinion writes a
``workflow_event`` (aggregate ``opinion``). ``FactState.watermark`` is the newest event folded in;
before facts are read, the opinions named by newer events (and any opinion newer than
``last_opinion``) are folded again from their whole history, on the spot when that is cheap
(``CATCH_UP_LIMIT``), else the caller computes from the history itself and the scheduled job catches
up. Events are re-read from ``LOOKBACK`` ids before the watermark, because an id is taken at insert
and a transaction may commit after a later one; the job also rebuilds everything on its first run
of each Beijing day, so nothing missed can last. Folding again is idempotent.

The one case facts cannot answer alone is a period ending inside the month of an opinion's first
decision, before the last decision of that month (``month_last_decided_at``): its settled decision
is then the last one before the period's end, read from the history for those few opinions.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from analytics import memo
from analytics.filters import (
    Filters,
    department_sql,
    is_postgres,
    local_date_sql,
    local_month_sql,
    month_start_sql,
    period_parts,
    same_month_sql,
    span_sql,
)
from analytics.tables import AdoptionCount, FactState, OpinionFact
from consultations.tables import Moderation
from consultations.workflows import OPINION_DECISION
from engagement import clock
from engagement.db import lock_row_for_update, unit_of_work

CATCH_UP_LIMIT = 20_000  # changed opinions folded again within a request; more is the job's work
LOOKBACK = 1_000  # event ids re-read before the watermark (transactions that committed late)
STATE_ID = 1
MONTHLY = {"submitted": "sub_month", "decided": "dec_month"}  # the kinds of the month rows of AdoptionCount

COLUMNS = ("opinion, consultation, moderation, decision, submitted_at, submitted_month, first_decided_at, "
           "first_month, settled_decision, redecided_at")


def _decision_filter(alias: str, values: list[Any]) -> str:
    transitions = OPINION_DECISION.names()
    values.extend([OPINION_DECISION.aggregate, *transitions])
    return (f"{alias}.aggregate = {{}} AND {alias}.transition IN ({', '.join('{}' for _ in transitions)})")


# ---------- keeping them up to date ----------

async def ready(limit: int | None = CATCH_UP_LIMIT) -> bool:
    """Bring the facts up to date if at most ``limit`` opinions changed (None: whatever it takes).

    True when the facts may be read; one query when nothing changed, a fixed handful when something did."""
    newest = await _newest()
    if _up_to_date(newest):
        return True
    if limit is not None and _backlog(newest) > limit:
        return False
    await catch_up(create=newest["watermark"] is None)
    return True


async def refresh() -> None:
    """The scheduled job's part: catch up whatever it takes; rebuild on its first run of each Beijing day."""
    state = await FactState.select(FactState.rebuilt_on).where(FactState.id == STATE_ID).first()
    if state is None or state["rebuilt_on"] != clock.today():
        await catch_up(rebuild=True, create=state is None)
    else:
        await ready(limit=None)


async def _newest() -> dict[str, Any]:
    """The newest event and opinion, and how far the facts have read (watermark None: no state yet)."""
    rows = await OpinionFact.raw(
        "SELECT (SELECT MAX(id) FROM workflow_event) AS event, (SELECT MAX(id) FROM consultation_opinion) AS opinion, "
        "(SELECT watermark FROM statistics_fact_state WHERE id = {}) AS watermark, "
        "(SELECT last_opinion FROM statistics_fact_state WHERE id = {}) AS last_opinion", STATE_ID, STATE_ID)
    row = rows[0]
    return {"event": row["event"] or 0, "opinion": row["opinion"] or 0, "watermark": row["watermark"],
            "last_opinion": row["last_opinion"] or 0}


def _up_to_date(newest: dict[str, Any]) -> bool:
    return newest["watermark"] is not None and newest["watermark"] >= newest["event"] \
        and newest["last_opinion"] >= newest["opinion"]


def _backlog(newest: dict[str, Any]) -> int:
    """An upper bound of the opinions to fold again (events and new opinions), without counting them."""
    if newest["watermark"] is None or newest["watermark"] < 0:
        return newest["opinion"]
    return (newest["event"] - newest["watermark"] + LOOKBACK) + (newest["opinion"] - newest["last_opinion"])


async def catch_up(rebuild: bool = False, create: bool = False) -> None:
    """Fold again every opinion changed since the watermark (``rebuild``: all of them); one writer at a time."""
    with memo.deriving():  # derived rows only: no figure changes (analytics/memo.py)
        await _catch_up(rebuild, create)


async def _catch_up(rebuild: bool, create: bool) -> None:
    async with unit_of_work():
        if create:
            await FactState.insert(FactState(id=STATE_ID, watermark=-1)).on_conflict(action="DO NOTHING")
        await lock_row_for_update(FactState, STATE_ID)
        newest = await _newest()  # again, now that no other writer can be between reading and folding
        if not rebuild and _up_to_date(newest):
            return  # another request caught up meanwhile
        if rebuild or newest["watermark"] < 0:
            if is_postgres():  # a million rows: compiling the plan (JIT) costs more than it saves here
                await OpinionFact.raw("SET LOCAL jit = off")
            await OpinionFact.delete(force=True)
            await _insert(None, [])
            await AdoptionCount.delete(force=True)
            await _count(None, [])
            if is_postgres():
                await OpinionFact.raw("ANALYZE statistics_opinion_fact, statistics_adoption_count")
        else:
            values: list[Any] = []
            scope = _changed(newest, values)
            await OpinionFact.raw(f"DELETE FROM statistics_opinion_fact WHERE opinion IN ({scope})", *values)
            await _insert(scope, values)
            consultations = f"SELECT consultation FROM statistics_opinion_fact WHERE opinion IN ({scope})"
            await AdoptionCount.raw(f"DELETE FROM statistics_adoption_count WHERE consultation IN ({consultations})",
                                    *values)
            await _count(consultations, values)
        await _save_state(newest, rebuilt=rebuild or newest["watermark"] < 0)


def _changed(state: dict[str, Any], values: list[Any]) -> str:
    """SQL for the ids of the opinions to fold again: named by newer events, or newer than the last one."""
    values.extend(["opinion", max(0, state["watermark"] - LOOKBACK), state["last_opinion"]])
    return ("SELECT target_id FROM workflow_event WHERE aggregate = {} AND id > {} "
            "UNION SELECT id FROM consultation_opinion WHERE id > {}")


async def _save_state(newest: dict[str, Any], rebuilt: bool) -> None:
    changes: dict[Any, Any] = {FactState.watermark: newest["event"], FactState.last_opinion: newest["opinion"],
                               FactState.updated_at: clock.now()}
    if rebuilt:
        changes[FactState.rebuilt_on] = clock.today()
    await FactState.update(changes).where(FactState.id == STATE_ID)


async def _insert(scope: str | None, scope_values: list[Any]) -> None:
    """Fold the opinions whose ids ``scope`` selects (all: None) from their decision history (module docstring)."""
    month = local_month_sql
    values: list[Any] = []
    decisions = _decision_filter("workflow_event", values)
    if scope:
        decisions += f" AND target_id IN ({scope})"
        values.extend(scope_values)
    twice: list[Any] = []
    same = same_month_sql
    first_month_events = (_decision_filter("w", twice) + " AND w.target_id = f.target_id AND "
                          f"{same('w.created_at', 'f.first_at')}")
    values.extend(twice * 2)  # in the settled decision's subquery and in its time's
    where = ""
    if scope:
        where = f" WHERE o.id IN ({scope})"
        values.extend(scope_values)
    one_month = same("last_at", "first_at")
    sql = (
        f"INSERT INTO statistics_opinion_fact ({COLUMNS}) "
        "WITH f AS (SELECT target_id, MIN(created_at) AS first_at, MAX(created_at) AS last_at, MAX(id) AS last_id "
        f"FROM workflow_event WHERE {decisions} GROUP BY target_id), "
        f"s AS (SELECT target_id, first_at, "
        f"CASE WHEN {one_month} THEN last_id ELSE (SELECT MAX(w.id) FROM workflow_event w "
        f"WHERE {first_month_events}) END AS settled_id, "
        f"CASE WHEN {one_month} THEN last_at ELSE (SELECT MAX(w.created_at) FROM workflow_event w "
        f"WHERE {first_month_events}) END AS month_last_at FROM f) "
        f"SELECT o.id, o.consultation, o.moderation, o.decision, o.created_at, {month('o.created_at')}, s.first_at, "
        f"{month('s.first_at')}, e.to_state, CASE WHEN s.month_last_at > s.first_at THEN s.month_last_at END "
        "FROM consultation_opinion o "
        f"LEFT JOIN s ON s.target_id = o.id LEFT JOIN workflow_event e ON e.id = s.settled_id{where}"
    )
    await OpinionFact.raw(sql, *values)


async def _count(consultations: str | None, scope_values: list[Any]) -> None:
    """Count the facts of the consultations ``consultations`` selects (all: None) per day (``AdoptionCount``)."""
    day = local_date_sql
    where = f" AND consultation IN ({consultations})" if consultations else ""
    values: list[Any] = []
    parts = [
        ("'submitted'", day("submitted_at"), "submitted_month", "''", " AND moderation = {}", [Moderation.approved.value]),
        ("'decided'", day("first_decided_at"), "first_month", "settled_decision", " AND first_decided_at IS NOT NULL", []),
        ("'current'", "CAST(NULL AS DATE)", "''", "decision", " AND moderation = {}", [Moderation.approved.value]),
    ]
    selects = []
    for kind, when, month, decision, condition, condition_values in parts:
        selects.append(f"SELECT consultation, {kind}, {when}, {month}, {decision}, COUNT(*) FROM statistics_opinion_fact "
                       f"WHERE 1 = 1{condition}{where} GROUP BY 1, 2, 3, 4, 5")
        values.extend([*condition_values, *(scope_values if consultations else [])])
    await AdoptionCount.raw("INSERT INTO statistics_adoption_count (consultation, kind, day, month, decision, n) "
                            + " UNION ALL ".join(selects), *values)
    # the same per Beijing month (day: its first day), summed from the day rows: whole months of a period read these
    start = month_start_sql("day")
    await AdoptionCount.raw(
        "INSERT INTO statistics_adoption_count (consultation, kind, day, month, decision, n) "
        f"SELECT consultation, CASE WHEN kind = 'submitted' THEN '{MONTHLY['submitted']}' ELSE '{MONTHLY['decided']}' "
        f"END, {start}, month, decision, SUM(n) FROM statistics_adoption_count WHERE kind IN ('submitted', 'decided')"
        f"{where} GROUP BY consultation, kind, {start}, month, decision", *(scope_values if consultations else []))


# ---------- reading them: the counts analytics/adoption.py shapes ----------

_FROM = "FROM statistics_adoption_count a JOIN consultation c ON c.id = a.consultation"
_GROUPS = "c.department AS department, c.topic AS topic, a.consultation AS consultation"


async def current_counts(filters: Filters) -> list[dict[str, Any]]:
    """Published opinions per group and today's decision."""
    values: list[Any] = ["current"]
    sql = (f"SELECT {_GROUPS}, a.decision AS decision, SUM(a.n) AS n {_FROM} WHERE a.kind = {{}}"
           + department_sql("c.department", filters, values) + " GROUP BY 1, 2, 3, 4")
    return await AdoptionCount.raw(sql, *values)


async def opinions_by_month(filters: Filters) -> list[dict[str, Any]]:
    """Published opinions per group and Beijing month of submission, submitted in the period."""
    values: list[Any] = []
    sql = (f"SELECT {_GROUPS}, a.month AS month, SUM(a.n) AS n {_FROM} WHERE 1 = 1"
           + _days(filters, values, "submitted") + department_sql("c.department", filters, values) + " GROUP BY 1, 2, 3, 4")
    return await AdoptionCount.raw(sql, *values)


async def first_decisions(filters: Filters) -> list[dict[str, Any]]:
    """Opinions first decided in the period per group and month, by their settled decision.

    A period ending inside a month, between an opinion's first decision and the last one of that
    month, takes the last decision before its end from the history instead (module docstring): those
    few opinions are moved from their settled decision to that one."""
    values: list[Any] = []
    counted = (f"SELECT {_GROUPS}, a.month AS month, a.decision AS decision, a.n AS n {_FROM} WHERE 1 = 1"
               + _days(filters, values, "decided") + department_sql("c.department", filters, values))
    if filters.period_end is not None and not _last_day_of_month(filters.period_end):
        counted += " UNION ALL " + _ended_early(filters, values)
    sql = (f"SELECT department, topic, consultation, month, decision, SUM(n) AS n FROM ({counted}) x "
           "GROUP BY 1, 2, 3, 4, 5")
    return await AdoptionCount.raw(sql, *values)


def _ended_early(filters: Filters, values: list[Any]) -> str:
    """-1 for the settled decision and +1 for the last decision before the end, per opinion decided
    again after the period's end in the month of its first decision."""
    groups = "c.department AS department, c.topic AS topic, f.consultation AS consultation, f.first_month AS month"
    where = " WHERE f.redecided_at >= {} AND f.first_decided_at < {}"
    bounds = [filters.end, filters.end]
    if filters.start is not None:
        where += " AND f.first_decided_at >= {}"
        bounds.append(filters.start)
    facts = "FROM statistics_opinion_fact f JOIN consultation c ON c.id = f.consultation"
    values.extend(bounds)
    moved_from = f"SELECT {groups}, f.settled_decision AS decision, -1 AS n {facts}{where}"
    moved_from += department_sql("c.department", filters, values)
    values.append(filters.end)
    history = _decision_filter("w", values)
    values.extend(bounds)
    moved_to = (f"SELECT {groups}, (SELECT w.to_state FROM workflow_event w WHERE w.created_at < {{}} AND {history} "
                f"AND w.target_id = f.opinion ORDER BY w.id DESC LIMIT 1) AS decision, 1 AS n {facts}{where}")
    moved_to += department_sql("c.department", filters, values)
    return f"{moved_from} UNION ALL {moved_to}"


def _days(filters: Filters, values: list[Any], kind: str) -> str:
    """`` AND (…)``: the month rows of the period's whole months and the day rows of the days outside them."""
    months, edges = period_parts(filters)
    parts = []
    if months is not None:
        values.append(MONTHLY[kind])
        parts.append(f"(a.kind = {{}} AND {span_sql('a.day', months, values)})")
    for edge in edges:
        values.append(kind)
        parts.append(f"(a.kind = {{}} AND {span_sql('a.day', edge, values)})")
    return " AND (" + " OR ".join(parts) + ")"


def _last_day_of_month(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1
