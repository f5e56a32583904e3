"""Mailbox figures per department or month: replies, replies on time, satisfaction, time to reply.

Letters are counted by the Beijing date they were received and followed to today: a month's reply
rate rises as its letters are answered (a published report keeps the figures of its day).
Dates are Beijing dates throughout: "on time" compares the reply's Beijing date with the due date,
and working days come from the core's calendar (engagement.workdays), holidays and make-up
working days included. Three queries whatever the number of letters (letters, calendar, names).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from analytics import labels
from analytics.filters import Filters
from analytics.schemas import MailboxRow, MailboxStatistics
from analytics.stats import km_medians, rate
from engagement import clock, workdays
from engagement.i18n import _
from mailbox.tables import Letter

LOCAL_ZONE = "Asia/Shanghai"


async def mailbox(by: str, filters: Filters) -> MailboxStatistics:
    return (await mailbox_tables([by], filters))[by]


async def mailbox_tables(groupings: list[str], filters: Filters) -> dict[str, MailboxStatistics]:
    """Several groupings from one read of the letters."""
    frame = await letter_frame(filters)
    total = _figures(frame, pd.Series("total", index=frame.index, dtype=object))
    tables = {}
    for by in groupings:
        figures = _figures(frame, frame[by] if not frame.empty else pd.Series(dtype=object))
        names = await labels.for_groups(by, list(figures.index), filters)
        items = [_row(names.key(group), names.label(group), figures, group) for group in names.order(figures.index)]
        tables[by] = MailboxStatistics(by=by, items=items, total=_row("total", _("Total"), total, "total"),
                                       scope=labels.scope(filters))
    return tables


async def letter_frame(filters: Filters, today: date | None = None) -> pd.DataFrame:
    """One row per letter: department, month, replied, on_time, overdue, rating, working days (to reply or today)."""
    query = Letter.select(Letter.department, Letter.received_at, Letter.due_date, Letter.replied_at, Letter.rating)
    if filters.start is not None:
        query = query.where(Letter.received_at >= filters.start)
    if filters.end is not None:
        query = query.where(Letter.received_at < filters.end)
    if filters.department_id is not None:
        query = query.where(Letter.department == filters.department_id)
    rows = await query
    return _derive(pd.DataFrame(rows, columns=["department", "received_at", "due_date", "replied_at", "rating"]),
                   today or clock.today(), await workdays.load_calendar() if rows else {})


def _local_days(values: pd.Series) -> pd.Series:
    moments = pd.to_datetime(values, utc=True, format="ISO8601")
    return moments.dt.tz_convert(LOCAL_ZONE).dt.tz_localize(None).dt.normalize()


def _derive(frame: pd.DataFrame, today: date, calendar: workdays.Calendar) -> pd.DataFrame:
    if frame.empty:
        return frame.assign(month=[], replied=[], on_time=[], overdue=[], days=[])
    received = _local_days(frame["received_at"])
    replied_day = _local_days(frame["replied_at"])
    due = pd.to_datetime(frame["due_date"])
    now = pd.Timestamp(today)
    replied = frame["replied_at"].notna()
    return frame.assign(
        department=frame["department"].fillna(labels.NO_ID).astype("int64"),
        month=received.dt.strftime("%Y-%m"),
        replied=replied,
        on_time=replied & (replied_day <= due),
        overdue=~replied & (now > due),
        days=_working_days(received, replied_day.where(replied, now), calendar),
    )


def _working_days(start: pd.Series, end: pd.Series, calendar: workdays.Calendar) -> pd.Series:
    """Working days after ``start`` up to and including ``end`` (engagement.workdays.working_days_between)."""
    first, last = start.min(), max(end.max(), start.max())
    days = pd.date_range(first, last, freq="D")
    counted = np.cumsum([workdays.is_working_day(day.date(), calendar) for day in days])
    position = lambda values: ((values - first).dt.days).to_numpy()
    clipped = np.maximum(position(end), position(start))
    return pd.Series(counted[clipped] - counted[position(start)], index=start.index)


def _figures(frame: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """One line per group: the counts, the mean rating and the Kaplan–Meier median (all groups at once)."""
    if frame.empty:
        return pd.DataFrame(columns=["letters", "replied", "on_time", "overdue", "rated", "satisfaction", "median"])
    grouped = frame.assign(group=groups).groupby("group", sort=False)
    figures = grouped.agg(letters=("replied", "size"), replied=("replied", "sum"), on_time=("on_time", "sum"),
                          overdue=("overdue", "sum"), rated=("rating", "count"), satisfaction=("rating", "mean"))
    return figures.assign(median=km_medians(groups, frame["days"], frame["replied"]))


def _row(key: str, label: str, figures: pd.DataFrame, group: Any) -> MailboxRow:
    if group not in figures.index:
        return MailboxRow(key=key, label=label, letters=0, replied=0, reply_rate=None, on_time=0, overdue=0,
                          on_time_rate=None, rated=0, satisfaction=None, median_reply_working_days=None)
    line = figures.loc[group]
    letters, replied, on_time, overdue = (int(line[name]) for name in ("letters", "replied", "on_time", "overdue"))
    return MailboxRow(
        key=key, label=label, letters=letters, replied=replied, reply_rate=rate(replied, letters), on_time=on_time,
        overdue=overdue, on_time_rate=rate(on_time, replied + overdue), rated=int(line["rated"]),
        satisfaction=None if pd.isna(line["satisfaction"]) else round(float(line["satisfaction"]), 2),
        median_reply_working_days=None if pd.isna(line["median"]) else float(line["median"]),
    )
