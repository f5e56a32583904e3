"""Deadlines in working days (工作日): the calendar, due dates, pauses and reminders.

The week is Monday to Friday. ``DEFAULT_CALENDAR`` ships the State Council's published holidays and
make-up working days (调休); administrators add later years or correct days in ``calendar_day``
(piccolo-admin, or ``python -m engagement calendar-day``), which wins over the defaults. Something
received on day D and due in N working days is due on the N-th working day after D
(``自受理之日起N个工作日``). Used by letters and rectifications alike.

    calendar = await load_calendar()
    due = add_working_days(local_date(received_at), 5, calendar)
    due = extend_for_pause(due, paused_on, resumed_on, calendar)     # waiting for the citizen
    late = working_days_late(due, today(), calendar)                   # 0 when on time
    if await remind_once(f"letter-overdue:{department_id}:{today()}", "letter", department_id): ...
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from engagement.clock import LOCAL_TIMEZONE, local_date, today  # noqa: F401 - re-exported: deadlines are local dates
from engagement.tables import CalendarDay, Reminder


def _days(start: str, end: str) -> list[date]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


# day -> True (make-up working day on a weekend) or False (public holiday).
DEFAULT_CALENDAR: dict[date, bool] = {
    # 2026 (国务院办公厅关于2026年部分节假日安排的通知)
    **{day: False for day in _days("2026-01-01", "2026-01-03")},
    date(2026, 1, 4): True,
    **{day: False for day in _days("2026-02-15", "2026-02-23")},
    date(2026, 2, 14): True,
    date(2026, 2, 28): True,
    **{day: False for day in _days("2026-04-04", "2026-04-06")},
    **{day: False for day in _days("2026-05-01", "2026-05-05")},
    date(2026, 5, 9): True,
    **{day: False for day in _days("2026-06-19", "2026-06-21")},
    **{day: False for day in _days("2026-09-25", "2026-09-27")},
    **{day: False for day in _days("2026-10-01", "2026-10-07")},
    date(2026, 9, 20): True,
    date(2026, 10, 10): True,
}
SHIPPED_YEARS = frozenset(day.year for day in DEFAULT_CALENDAR)
# From this month on, the staff dashboard warns when the coming year has no calendar yet
# (the State Council usually publishes the next year's holidays in November).
WARN_FROM_MONTH = 10

Calendar = dict[date, bool]


def is_working_day(day: date, calendar: Calendar) -> bool:
    if day in calendar:
        return calendar[day]
    return day.weekday() < 5


def add_working_days(start: date, count: int, calendar: Calendar) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself never counts)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, calendar):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, calendar: Calendar) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, calendar)
    return count


def working_days_late(due: date, on: date, calendar: Calendar) -> int:
    """How many working days ``on`` is past ``due`` (0 when on time)."""
    return working_days_between(due, on, calendar)


def extend_for_pause(due: date, paused_on: date, resumed_on: date, calendar: Calendar) -> date:
    """The due date after a pause (e.g. waiting for the citizen): moved by the working days it lasted."""
    return add_working_days(due, working_days_between(paused_on, resumed_on, calendar), calendar)


async def load_calendar() -> Calendar:
    """The shipped calendar with the administrators' days applied (one query): for deadlines that are
    stored and for the reminder jobs."""
    calendar = dict(DEFAULT_CALENDAR)
    for row in await CalendarDay.select(CalendarDay.day, CalendarDay.is_workday):
        calendar[row["day"]] = bool(row["is_workday"])
    return calendar


DISPLAY_CALENDAR_SECONDS = 30.0
_display_calendar: tuple[int, float, Calendar] | None = None  # (content generation, expires, calendar)


async def calendar_for_display() -> Calendar:
    """The calendar for what pages show (working days overdue, due soon), read again after any commit or
    write request of this process and at least every ``DISPLAY_CALENDAR_SECONDS`` (a day changed through
    another process: the command line, another web worker). Read it, never change it.

    A page of rectifications or letters otherwise read the whole calendar on every render (~8% of
    ``/rectifications``). Deadlines that are stored (a rectification's due date, a letter's) are computed
    with ``load_calendar``, never with this."""
    global _display_calendar
    from engagement.page_cache import local_generation

    generation, now = local_generation(), time.monotonic()
    kept = _display_calendar
    if kept is not None and kept[0] == generation and kept[1] > now:
        return kept[2]
    calendar = await load_calendar()
    _display_calendar = (generation, now + DISPLAY_CALENDAR_SECONDS, calendar)
    return calendar


async def set_calendar_day(day: date, is_workday: bool, name: str = "") -> None:
    """Record a public holiday (``is_workday=False``) or a make-up working day; replaces that day's entry."""
    global _display_calendar
    await CalendarDay.delete().where(CalendarDay.day == day)
    await CalendarDay.insert(CalendarDay(day=day, is_workday=is_workday, name=name.strip()[:50]))
    _display_calendar = None  # this process's pages show the day at once


async def years_with_calendar() -> set[int]:
    rows = await CalendarDay.select(CalendarDay.day)
    return set(SHIPPED_YEARS) | {row["day"].year for row in rows}


async def missing_calendar_year(on: date | None = None) -> int | None:
    """A year whose holidays must be entered now: this year if it has none, or the coming year once
    it is time (from October). None when nothing is missing."""
    on = on or today()
    years = await years_with_calendar()
    if on.year not in years:
        return on.year
    if on.month >= WARN_FROM_MONTH and on.year + 1 not in years:
        return on.year + 1
    return None


async def remind_once(reminder_key: str, kind: str, department_id: int | None, detail: dict[str, Any] | None = None) -> bool:
    """Record a reminder; True the first time for ``reminder_key`` (send it then), False ever after."""
    rows = await Reminder.raw(
        "INSERT INTO deadline_reminder (reminder_key, department, kind, detail, created_at) "
        "VALUES ({}, {}, {}, {}, CURRENT_TIMESTAMP) ON CONFLICT (reminder_key) DO NOTHING RETURNING id",
        reminder_key, department_id, kind, _json(detail or {}),
    )
    return bool(rows)


def _json(value: dict[str, Any]) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
