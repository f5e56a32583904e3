"""What a figure is asked for: a period of Beijing dates and a department; the SQL both engines need.

A period runs from 00:00 Beijing time on ``period_start`` to 00:00 on the day after ``period_end``
(both days included); either end may be open. Months and dates are Beijing months and dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from piccolo.engine import engine_finder

from engagement import clock
from engagement.errors import InvalidInput
from engagement.i18n import _
from engagement.tables import Department

# The figures are of this platform's records: a period outside these years is a typing error (and year 8
# or 9999 would make tables of tens of thousands of empty months).
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
# Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so SQLite can shift by hours.
SQLITE_LOCAL_SHIFT = "'+8 hours'"


@dataclass(frozen=True)
class Filters:
    period_start: date | None = None
    period_end: date | None = None
    department: str | None = None  # a slug
    department_id: int | None = None
    department_name: str = ""

    @property
    def has_period(self) -> bool:
        return self.period_start is not None or self.period_end is not None

    @property
    def start(self) -> datetime | None:
        return local_midnight(self.period_start) if self.period_start else None

    @property
    def end(self) -> datetime | None:
        """The first instant after the period (exclusive)."""
        return local_midnight(self.period_end + timedelta(days=1)) if self.period_end else None


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), clock.LOCAL_TIMEZONE).astimezone(UTC)


async def resolve(period_start: date | None = None, period_end: date | None = None,
                  department: str | None = None) -> Filters:
    """Checked filters (400 for an empty period or an unknown department); one query with a department."""
    if period_start and period_end and period_start > period_end:
        raise InvalidInput(_("The period must not end before it starts."))
    if any(day is not None and not EARLIEST <= day <= LATEST for day in (period_start, period_end)):
        raise InvalidInput(_("The period must lie between %(first)s and %(last)s.")
                           % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()})
    if not department:
        return Filters(period_start, period_end)
    row = await Department.select(Department.id, Department.name).where(Department.slug == department).first()
    if row is None:
        raise InvalidInput(_("There is no department %(slug)s.") % {"slug": department[:64]})
    return Filters(period_start, period_end, department, row["id"], row["name"])


def is_postgres() -> bool:
    return engine_finder().engine_type == "postgres"


def local_month_sql(column: str) -> str:
    """SQL for the Beijing month (YYYY-MM) of a timestamp column."""
    if is_postgres():
        return f"to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    return f"strftime('%Y-%m', {column}, {SQLITE_LOCAL_SHIFT})"


def local_date_sql(column: str) -> str:
    """SQL for the Beijing date of a timestamp column, comparable with a ``Date`` column."""
    if is_postgres():
        return f"({column} AT TIME ZONE 'Asia/Shanghai')::date"
    return f"date({column}, {SQLITE_LOCAL_SHIFT})"


def period_sql(column: str, filters: Filters, values: list) -> str:
    """`` AND column >= start AND column < end`` for the period's ends (their values appended to ``values``)."""
    sql = ""
    if filters.start is not None:
        sql += f" AND {column} >= {{}}"
        values.append(filters.start)
    if filters.end is not None:
        sql += f" AND {column} < {{}}"
        values.append(filters.end)
    return sql


def department_sql(column: str, filters: Filters, values: list) -> str:
    if filters.department_id is None:
        return ""
    values.append(filters.department_id)
    return f" AND {column} = {{}}"
