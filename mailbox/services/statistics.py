"""The mailbox's public figures: letters received and replied, reply and on-time rates, satisfaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dtime

from engagement import clock
from mailbox.tables import Letter


@dataclass(frozen=True)
class Figures:
    received: int
    replied: int
    reply_rate: float | None
    on_time_rate: float | None
    average_days: float | None
    average_rating: float | None


async def _figures_since(start: datetime) -> Figures:
    # replied_on_time and reply_days are stored at reply time, so the figures are plain aggregates.
    row = (await Letter.raw(
        "SELECT COUNT(*) AS received, "
        "SUM(CASE WHEN replied_at IS NOT NULL THEN 1 ELSE 0 END) AS replied, "
        "SUM(CASE WHEN replied_on_time THEN 1 ELSE 0 END) AS on_time, "
        "AVG(reply_days) AS average_days, AVG(rating) AS average_rating "
        "FROM mailbox_letter WHERE received_at >= {}",
        start,
    ))[0]
    received, replied = int(row["received"] or 0), int(row["replied"] or 0)
    return Figures(
        received=received,
        replied=replied,
        reply_rate=round(100 * replied / received, 1) if received else None,
        on_time_rate=round(100 * int(row["on_time"] or 0) / replied, 1) if replied else None,
        average_days=round(float(row["average_days"]), 1) if row["average_days"] is not None else None,
        average_rating=round(float(row["average_rating"]), 1) if row["average_rating"] is not None else None,
    )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, dtime(), clock.LOCAL_TIMEZONE).astimezone(UTC)


async def statistics(today: date | None = None) -> dict[str, Figures]:
    """This month's and this year's figures (letters received in the period): two queries."""
    day = today or clock.today()
    return {"month": await _figures_since(_local_midnight(day.replace(day=1))),
            "year": await _figures_since(_local_midnight(day.replace(month=1, day=1)))}
