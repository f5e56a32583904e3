"""Letter counts: the mailbox figures' letters counted per department and day of receipt, kept up to date.

Filtered mailbox figures used to read one row per letter (20,000 for a month at 200,000 letters) to
test each reply against its due date and to draw the survival curve. ``statistics_letter_count``
keeps what those need, counted (analytics/tables.py ``LetterCount``):

- answered letters per department, Beijing day of receipt, working days to the reply and on-time
  flag (``grain`` day), and the same per Beijing month (``grain`` month, read for the whole months
  of a period; the days at its ends are read per day);
- unanswered letters per department, day of receipt and due date (``grain`` open): whether they are
  overdue and how long they have been open (censored in the Kaplan–Meier curve) depend on today,
  so both are computed when read.

Working days between two dates are a difference of ``statistics_workday.cumulative``, written from
the calendar (engagement.workdays) at each rebuild; the counts remember the calendar's SHA-256, and
a changed calendar (a holiday entered) rebuilds them.

Up to date, never stale, as the opinion facts (analytics/facts.py): every receipt, routing, reply
and rating writes a ``workflow_event`` (aggregate ``letter``); the letters named by events after the
watermark (re-read from ``LOOKBACK`` ids before it) and those newer than ``last_letter`` have their
days of receipt recounted (all departments of those days, since routing moves a letter between
departments), then those days' months are summed again from the day rows. More than
``CATCH_UP_LIMIT`` changes within a request: the caller reads the letters themselves and the job
catches up. The job rebuilds everything on its first run of each Beijing day.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from analytics import memo
from analytics.filters import (
    Filters,
    is_postgres,
    local_date_sql,
    local_midnight,
    local_month_sql,
    month_start_sql,
    next_month,
    period_parts,
    span_sql,
)
from analytics.tables import LetterCount, LetterFactState, Workday
from engagement import clock, workdays
from engagement.db import lock_row_for_update, unit_of_work
from mailbox.workflows import LETTER

CATCH_UP_LIMIT = 20_000
LOOKBACK = 1_000
STATE_ID = 1
MARGIN_BEFORE, MARGIN_AFTER = 31, 400  # days of statistics_workday around the letters' days and today
COLUMNS = "department, grain, day, month, days, on_time, due_date, n, rated, rating_sum"


def calendar_sha256(calendar: workdays.Calendar) -> str:
    text = ",".join(f"{day.isoformat()}:{int(flag)}" for day, flag in sorted(calendar.items()))
    return hashlib.sha256(text.encode()).hexdigest()


# ---------- keeping them up to date ----------

async def ready(calendar: workdays.Calendar, limit: int | None = CATCH_UP_LIMIT) -> bool:
    """Bring the counts up to date if at most ``limit`` letters changed (None: whatever it takes).

    One query when nothing changed (the caller has loaded the calendar)."""
    newest = await _newest()
    if _up_to_date(newest, calendar):
        return True
    if limit is not None and _backlog(newest, calendar) > limit:
        return False
    await catch_up(calendar, create=newest["watermark"] is None)
    return True


async def refresh() -> None:
    """The scheduled job's part: catch up whatever it takes; rebuild on its first run of each Beijing day."""
    calendar = await workdays.load_calendar()
    state = await LetterFactState.select(LetterFactState.rebuilt_on).where(LetterFactState.id == STATE_ID).first()
    if state is None or state["rebuilt_on"] != clock.today():
        await catch_up(calendar, rebuild=True, create=state is None)
    else:
        await ready(calendar, limit=None)


async def _newest() -> dict[str, Any]:
    rows = await LetterCount.raw(
        "SELECT (SELECT MAX(id) FROM workflow_event) AS event, (SELECT MAX(id) FROM mailbox_letter) AS letter, "
        "s.watermark, s.last_letter, s.calendar_sha256, s.first_day, s.last_day "
        "FROM (SELECT 1 AS one) x LEFT JOIN statistics_letter_state s ON s.id = {}", STATE_ID)
    row = rows[0]
    return {"event": row["event"] or 0, "letter": row["letter"] or 0, "watermark": row["watermark"],
            "last_letter": row["last_letter"] or 0, "calendar": row["calendar_sha256"] or "",
            "first_day": _as_date(row["first_day"]), "last_day": _as_date(row["last_day"])}


def _as_date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _usable(newest: dict[str, Any], calendar: workdays.Calendar) -> bool:
    """The counts were made with this calendar and their working-day table reaches today."""
    return (newest["watermark"] is not None and newest["watermark"] >= 0
            and newest["calendar"] == calendar_sha256(calendar)
            and newest["first_day"] is not None and newest["first_day"] <= clock.today()
            and newest["last_day"] is not None and newest["last_day"] >= clock.today())


def _up_to_date(newest: dict[str, Any], calendar: workdays.Calendar) -> bool:
    return _usable(newest, calendar) and newest["watermark"] >= newest["event"] \
        and newest["last_letter"] >= newest["letter"]


def _backlog(newest: dict[str, Any], calendar: workdays.Calendar) -> int:
    if not _usable(newest, calendar):
        return newest["letter"]
    return (newest["event"] - newest["watermark"] + LOOKBACK) + (newest["letter"] - newest["last_letter"])


async def catch_up(calendar: workdays.Calendar, rebuild: bool = False, create: bool = False) -> None:
    """Recount the days of receipt of every letter changed since the watermark (``rebuild``: all); one writer."""
    with memo.deriving():  # derived rows only: no figure changes (analytics/memo.py)
        await _catch_up(calendar, rebuild, create)


async def _catch_up(calendar: workdays.Calendar, rebuild: bool, create: bool) -> None:
    async with unit_of_work():
        if create:
            await LetterFactState.insert(LetterFactState(id=STATE_ID, watermark=-1)).on_conflict(action="DO NOTHING")
        await lock_row_for_update(LetterFactState, STATE_ID)
        newest = await _newest()
        if not rebuild and _up_to_date(newest, calendar):
            return
        rebuild = rebuild or not _usable(newest, calendar)
        days: list[date] = []
        if not rebuild:
            values: list[Any] = []
            scope = _changed(newest, values)
            days, latest = await _days_of(scope, values)
            rebuild = bool(days) and (min(days) < newest["first_day"] or latest > newest["last_day"])
        if rebuild:
            span = await _write_workdays(calendar)
            await LetterCount.delete(force=True)
            await _count_days(None)
            await _count_months(None)
            if is_postgres():
                await LetterCount.raw("ANALYZE statistics_letter_count, statistics_workday")
        else:
            span = (newest["first_day"], newest["last_day"])
            if days:
                ranges = _ranges(days)
                where, where_values = _day_ranges("day", ranges)
                await LetterCount.raw(f"DELETE FROM statistics_letter_count WHERE grain IN ('day', 'open') AND ({where})",
                                      *where_values)
                await _count_days(ranges)
                months = _ranges(sorted({day.replace(day=1) for day in days}), months=True)
                where, where_values = _day_ranges("day", months)
                await LetterCount.raw(f"DELETE FROM statistics_letter_count WHERE grain = 'month' AND ({where})",
                                      *where_values)
                await _count_months(months)
        changes: dict[Any, Any] = {LetterFactState.watermark: newest["event"], LetterFactState.last_letter: newest["letter"],
                                   LetterFactState.calendar_sha256: calendar_sha256(calendar),
                                   LetterFactState.first_day: span[0], LetterFactState.last_day: span[1],
                                   LetterFactState.updated_at: clock.now()}
        if rebuild:
            changes[LetterFactState.rebuilt_on] = clock.today()
        await LetterFactState.update(changes).where(LetterFactState.id == STATE_ID)


def _changed(state: dict[str, Any], values: list[Any]) -> str:
    values.extend([LETTER.aggregate, max(0, state["watermark"] - LOOKBACK), state["last_letter"]])
    return ("SELECT target_id FROM workflow_event WHERE aggregate = {} AND id > {} "
            "UNION SELECT id FROM mailbox_letter WHERE id > {}")


async def _days_of(scope: str, values: list[Any]) -> tuple[list[date], date]:
    """The Beijing days of receipt of the letters ``scope`` selects, and the latest day they were answered."""
    rows = await LetterCount.raw(
        f"SELECT {local_date_sql('received_at')} AS day, MAX({local_date_sql('replied_at')}) AS replied "
        f"FROM mailbox_letter WHERE id IN ({scope}) GROUP BY 1", *values)
    days = sorted(_as_date(row["day"]) for row in rows)
    replied = [_as_date(row["replied"]) for row in rows if row["replied"] is not None]
    return days, max([clock.today(), *replied])


async def _write_workdays(calendar: workdays.Calendar) -> tuple[date, date]:
    """statistics_workday from before the first letter to well after today; the span it covers."""
    rows = await LetterCount.raw(f"SELECT MIN({local_date_sql('received_at')}) AS first, "
                                 f"MAX({local_date_sql('replied_at')}) AS last FROM mailbox_letter")
    today = clock.today()
    first = min(_as_date(rows[0]["first"]) or today, today) - timedelta(days=MARGIN_BEFORE)
    last = max(_as_date(rows[0]["last"]) or today, today) + timedelta(days=MARGIN_AFTER)
    await Workday.delete(force=True)
    counted, entries, day = 0, [], first
    while day <= last:
        counted += workdays.is_working_day(day, calendar)
        entries.append(Workday(day=day, cumulative=counted))
        day += timedelta(days=1)
    await Workday.insert(*entries)
    return first, last


def _ranges(days: list[date], months: bool = False) -> list[tuple[date, date]]:
    """Sorted days (or months' first days) as [start, end) ranges, neighbours merged."""
    ranges: list[tuple[date, date]] = []
    for day in days:
        end = next_month(day) if months else day + timedelta(days=1)
        if ranges and ranges[-1][1] >= day:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
        else:
            ranges.append((day, end))
    return ranges


def _day_ranges(column: str, ranges: list[tuple[date, date]]) -> tuple[str, list[Any]]:
    values: list[Any] = []
    for start, end in ranges:
        values.extend([start, end])
    return " OR ".join(f"({column} >= {{}} AND {column} < {{}})" for _ in ranges), values


async def _count_days(ranges: list[tuple[date, date]] | None) -> None:
    """Day and open rows for the letters received on the days of ``ranges`` (all: None), in one statement."""
    received, replied = local_date_sql("l.received_at"), local_date_sql("l.replied_at")
    values: list[Any] = []
    where = ""
    if ranges is not None:
        parts = []
        for start, end in ranges:
            parts.append("(l.received_at >= {} AND l.received_at < {})")
            values.extend([local_midnight(start), local_midnight(end)])
        where = " WHERE " + " OR ".join(parts)
    sql = (
        f"INSERT INTO statistics_letter_count ({COLUMNS}) "
        f"SELECT l.department, CASE WHEN l.replied_at IS NULL THEN 'open' ELSE 'day' END, {received}, "
        f"{local_month_sql('l.received_at')}, "
        "CASE WHEN l.replied_at IS NULL THEN NULL WHEN wr.cumulative > wd.cumulative "
        "THEN wr.cumulative - wd.cumulative ELSE 0 END, "
        f"CASE WHEN l.replied_at IS NOT NULL AND {replied} <= l.due_date THEN 1 ELSE 0 END, "
        "CASE WHEN l.replied_at IS NULL THEN l.due_date END, COUNT(*), COUNT(l.rating), COALESCE(SUM(l.rating), 0) "
        f"FROM mailbox_letter l JOIN statistics_workday wd ON wd.day = {received} "
        f"LEFT JOIN statistics_workday wr ON wr.day = {replied}{where} "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7"
    )
    await LetterCount.raw(sql, *values)


async def _count_months(ranges: list[tuple[date, date]] | None) -> None:
    """Month rows summed from the day rows of the months of ``ranges`` (all: None)."""
    values: list[Any] = []
    where = ""
    if ranges is not None:
        condition, values = _day_ranges("day", ranges)
        where = f" AND ({condition})"
    start = month_start_sql("day")
    await LetterCount.raw(
        f"INSERT INTO statistics_letter_count ({COLUMNS}) "
        f"SELECT department, 'month', {start}, month, days, on_time, NULL, SUM(n), SUM(rated), SUM(rating_sum) "
        f"FROM statistics_letter_count WHERE grain = 'day'{where} GROUP BY department, {start}, month, days, on_time",
        *values)


# ---------- reading them ----------

async def counts(filters: Filters, today: date, keys: tuple[str, ...] = ("department", "month")) -> list[dict[str, Any]]:
    """Letters per department and month of receipt (those of ``keys``; the others are NULL), answered or
    not, working days (to the reply, or open until ``today``) and overdue flag, with on-time, rated and
    rating sums: what mailbox_stats shapes. Fewer keys, fewer rows: a year by month is a few hundred."""
    values: list[Any] = [today, today]  # the overdue test's, the join's; then the WHERE's
    months, edges = period_parts(filters)
    answered = []
    if months is not None:
        answered.append(f"(c.grain = 'month' AND {span_sql('c.day', months, values)})")
    for edge in edges:
        answered.append(f"(c.grain = 'day' AND {span_sql('c.day', edge, values)})")
    whole = (filters.period_start, filters.period_end + timedelta(days=1) if filters.period_end else None)
    where = " OR ".join([*answered, f"(c.grain = 'open' AND {span_sql('c.day', whole, values)})"])
    department = ""
    if filters.department_id is not None:
        department = " AND c.department = {}"
        values.append(filters.department_id)
    sql = (
        f"SELECT {'c.department' if 'department' in keys else 'NULL'} AS department, "
        f"{'c.month' if 'month' in keys else 'NULL'} AS month, "
        "CASE WHEN c.grain = 'open' THEN 0 ELSE 1 END AS replied, "
        "CASE WHEN c.grain <> 'open' THEN c.days WHEN t.cumulative > w.cumulative "
        "THEN t.cumulative - w.cumulative ELSE 0 END AS days, "
        "CASE WHEN c.grain = 'open' AND c.due_date < {} THEN 1 ELSE 0 END AS overdue, "
        "SUM(c.n) AS n, SUM(c.on_time * c.n) AS on_time, SUM(c.rated) AS rated, SUM(c.rating_sum) AS rating_sum "
        "FROM statistics_letter_count c LEFT JOIN statistics_workday w ON w.day = c.day AND c.grain = 'open' "
        f"JOIN statistics_workday t ON t.day = {{}} WHERE ({where}){department} GROUP BY 1, 2, 3, 4, 5"
    )
    return await LetterCount.raw(sql, *values)
