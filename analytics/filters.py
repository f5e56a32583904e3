"""What a figure is asked for: a period of Beijing dates and a department; the SQL both engines need.

A period runs from 00:00 Beijing time on ``period_start`` to 00:00 on the day after ``period_end``
(both days included); either end may be open. Months and dates are Beijing months and dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

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


def month_start_sql(column: str) -> str:
    if is_postgres():
        return f"CAST(date_trunc('month', {column}) AS DATE)"
    return f"date({column}, 'start of month')"


def same_month_sql(one: str, other: str) -> str:
    """SQL: two timestamps fall in the same Beijing month (PostgreSQL: date_trunc, cheaper than to_char)."""
    if is_postgres():
        zone = "'Asia/Shanghai'"
        return f"date_trunc('month', {one} AT TIME ZONE {zone}) = date_trunc('month', {other} AT TIME ZONE {zone})"
    return f"{local_month_sql(one)} = {local_month_sql(other)}"


# ---------- a period as whole months and the days at its ends ----------


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_parts(filters: Filters) -> tuple[tuple[date | None, date | None] | None, list[tuple[date | None, date | None]]]:
    """The period as whole months [m1, m2) (None: no whole month) and the days outside them, [start, end) each.

    An open end stays open (None): with no start, every month before the end's month is whole."""
    start, end = filters.period_start, filters.period_end
    end_excl = end + timedelta(days=1) if end is not None else None
    m1 = None if start is None else (start if start.day == 1 else next_month(start))
    m2 = None if end_excl is None else (end_excl if end_excl.day == 1 else end_excl.replace(day=1))
    if m1 is not None and m2 is not None and m1 >= m2:
        return None, [(start, end_excl)]
    edges: list[tuple[date | None, date | None]] = []
    if start is not None and m1 is not None and start < m1:
        edges.append((start, m1))
    if end_excl is not None and m2 is not None and m2 < end_excl:
        edges.append((m2, end_excl))
    return (m1, m2), edges


def span_sql(column: str, bounds: tuple[date | None, date | None], values: list[Any]) -> str:
    sql = []
    if bounds[0] is not None:
        sql.append(f"{column} >= {{}}")
        values.append(bounds[0])
    if bounds[1] is not None:
        sql.append(f"{column} < {{}}")
        values.append(bounds[1])
    return " AND ".join(sql) or "1 = 1"
