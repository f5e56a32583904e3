"""The mailbox's public figures: letters received and replied, reply and on-time rates, satisfaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dtime

from engagement import clock
from engagement.prepared import prepared
from mailbox.tables import Letter


@dataclass(frozen=True)
class Figures:
    received: int
    replied: int
    reply_rate: float | None
    on_time_rate: float | None
    average_days: float | None
    average_rating: float | None


def _period_columns(period: str, within: str | None) -> str:
    """The aggregates of one period, named ``<period>_<figure>``: of the rows where ``within`` holds (None: all)."""
    def of(value: str) -> str:
        return value if within is None else f"CASE WHEN {within} THEN {value} END"
    return (f"SUM({of('1')}) AS {period}_received, "
            f"SUM({of('CASE WHEN replied_at IS NOT NULL THEN 1 ELSE 0 END')}) AS {period}_replied, "
            f"SUM({of('CASE WHEN replied_on_time THEN 1 ELSE 0 END')}) AS {period}_on_time, "
            f"AVG({of('reply_days')}) AS {period}_average_days, AVG({of('rating')}) AS {period}_average_rating")


# replied_on_time and reply_days are stored at reply time, so the figures are plain aggregates; the year's
# letters are read once for both periods (the month lies inside the year).
FIGURES_SQL = (f"SELECT {_period_columns('month', 'in_month')}, {_period_columns('year', None)} FROM ("
               "SELECT replied_at, replied_on_time, reply_days, rating, received_at >= {} AS in_month "
               "FROM mailbox_letter WHERE received_at >= {}) AS this_year")


_FIGURES = prepared(lambda p: Letter.raw(FIGURES_SQL, p.month_start, p.year_start))  # its SQL built once


def _figures(row: dict, period: str) -> Figures:
    received, replied = int(row[f"{period}_received"] or 0), int(row[f"{period}_replied"] or 0)
    on_time, days, rating = (row[f"{period}_{name}"] for name in ("on_time", "average_days", "average_rating"))
    return Figures(
        received=received,
        replied=replied,
        reply_rate=round(100 * replied / received, 1) if received else None,
        on_time_rate=round(100 * int(on_time or 0) / replied, 1) if replied else None,
        average_days=round(float(days), 1) if days is not None else None,
        average_rating=round(float(rating), 1) if rating is not None else None,
    )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, dtime(), clock.LOCAL_TIMEZONE).astimezone(UTC)


async def statistics(today: date | None = None) -> dict[str, Figures]:
    """This month's and this year's figures (letters received in the period): one query."""
    day = today or clock.today()
    month_start, year_start = _local_midnight(day.replace(day=1)), _local_midnight(day.replace(month=1, day=1))
    row = (await _FIGURES.run(month_start=month_start, year_start=year_start))[0]
    return {"month": _figures(row, "month"), "year": _figures(row, "year")}
