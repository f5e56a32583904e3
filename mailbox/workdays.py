"""Due dates in working days (工作日): weekends, public holidays and make-up working days (调休).

The week is Monday to Friday. ``DEFAULT_CALENDAR`` holds the State Council's published
holidays and make-up days; administrators add or correct days in the ``mailbox_calendar_day``
table (piccolo-admin), which wins over the defaults. A letter received on day D is due on the
N-th working day after D (``自受理之日起N个工作日``), N per category.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TIMEZONE = ZoneInfo("Asia/Shanghai")
DEFAULT_DUE_WORKING_DAYS = 5
# Working days allowed for a reply, per category; categories not listed use the default.
DUE_WORKING_DAYS_BY_CATEGORY: dict[str, int] = {
    "consultation": 5,
    "suggestion": 10,
    "complaint": 5,
    "help": 5,
    "praise": 5,
}


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


def is_working_day(day: date, calendar: dict[date, bool]) -> bool:
    if day in calendar:
        return calendar[day]
    return day.weekday() < 5


def add_working_days(start: date, count: int, calendar: dict[date, bool]) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself never counts)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, calendar):
            remaining -= 1
    return day


def working_days_for(category: str) -> int:
    return DUE_WORKING_DAYS_BY_CATEGORY.get(category, DEFAULT_DUE_WORKING_DAYS)


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TIMEZONE).date()


def today() -> date:
    return datetime.now(LOCAL_TIMEZONE).date()


async def load_calendar() -> dict[date, bool]:
    """The default calendar with the administrators' corrections applied (one query)."""
    from mailbox.tables import CalendarDay

    calendar = dict(DEFAULT_CALENDAR)
    for row in await CalendarDay.select(CalendarDay.day, CalendarDay.is_workday):
        calendar[row["day"]] = bool(row["is_workday"])
    return calendar
