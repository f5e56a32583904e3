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

from analytics import labels, letter_facts
from analytics.filters import Filters
from analytics.schemas import MailboxRow, MailboxStatistics
from analytics.stats import km_medians, rate
from engagement import clock, workdays
from engagement.i18n import _
from mailbox.tables import Letter

LOCAL_ZONE = "Asia/Shanghai"


async def mailbox(by: str, filters: Filters) -> MailboxStatistics:
    return (await mailbox_tables([by], filters))[by]


async def mailbox_tables(groupings: list[str], filters: Filters,
                         from_counts: bool | None = None) -> dict[str, MailboxStatistics]:
    """Several groupings from one read of the letter counts (or of the letters themselves).

    ``from_counts``: None reads the letter counts (analytics/letter_facts.py) if they are, or cheaply
    become, up to date; False reads one row per letter; True insists on the counts, whatever it takes."""
    today, calendar = clock.today(), await workdays.load_calendar()
    if from_counts is not False:
        from_counts = await letter_facts.ready(calendar, None if from_counts else letter_facts.CATCH_UP_LIMIT)
    if from_counts:
        keys = tuple(key for key in ("department", "month") if key in groupings)
        frame = _count_frame(await letter_facts.counts(filters, today, keys))
    else:
        frame = _as_counts(await letter_frame(filters, today, calendar))
    total = _figures(frame, pd.Series("total", index=frame.index, dtype=object))
    tables = {}
    for by in groupings:
        figures = _figures(frame, frame[by] if not frame.empty else pd.Series(dtype=object))
        names = await labels.for_groups(by, list(figures.index), filters)
        items = [_row(names.key(group), names.label(group), figures, group) for group in names.order(figures.index)]
        tables[by] = MailboxStatistics(by=by, items=items, total=_row("total", _("Total"), total, "total"),
                                       scope=labels.scope(filters))
    return tables


COUNT_COLUMNS = ["department", "month", "answered", "days", "n", "replied", "on_time", "overdue", "rated",
                 "rating_sum"]


def _count_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The letter counts' rows in the shape ``_figures`` reads (one line per group of alike letters)."""
    frame = pd.DataFrame(rows, columns=["department", "month", "replied", "days", "overdue", "n", "on_time", "rated",
                                        "rating_sum"])
    if frame.empty:
        return pd.DataFrame(columns=COUNT_COLUMNS)
    for column in ("replied", "days", "overdue", "n", "on_time", "rated", "rating_sum"):
        frame[column] = frame[column].astype("int64")
    answered = frame["replied"].astype(bool)
    return pd.DataFrame({
        "department": frame["department"].fillna(labels.NO_ID).astype("int64"), "month": frame["month"],
        "answered": answered, "days": frame["days"], "n": frame["n"], "replied": frame["n"] * answered,
        "on_time": frame["on_time"], "overdue": frame["n"] * frame["overdue"], "rated": frame["rated"],
        "rating_sum": frame["rating_sum"],
    })


def _as_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per letter (``letter_frame``) in the shape of the counts: each letter a count of one."""
    if frame.empty:
        return pd.DataFrame(columns=COUNT_COLUMNS)
    return pd.DataFrame({
        "department": frame["department"], "month": frame["month"], "answered": frame["replied"],
        "days": frame["days"], "n": 1, "replied": frame["replied"].astype("int64"),
        "on_time": frame["on_time"].astype("int64"), "overdue": frame["overdue"].astype("int64"),
        "rated": frame["rating"].notna().astype("int64"), "rating_sum": frame["rating"].fillna(0).astype("int64"),
    }, index=frame.index)


async def letter_frame(filters: Filters, today: date | None = None,
                       calendar: workdays.Calendar | None = None) -> pd.DataFrame:
    """One row per letter: department, month, replied, on_time, overdue, rating, working days (to reply or today)."""
    query = Letter.select(Letter.department, Letter.received_at, Letter.due_date, Letter.replied_at, Letter.rating)
    if filters.start is not None:
        query = query.where(Letter.received_at >= filters.start)
    if filters.end is not None:
        query = query.where(Letter.received_at < filters.end)
    if filters.department_id is not None:
        query = query.where(Letter.department == filters.department_id)
    rows = await query
    if calendar is None and rows:
        calendar = await workdays.load_calendar()
    return _derive(pd.DataFrame(rows, columns=["department", "received_at", "due_date", "replied_at", "rating"]),
                   today or clock.today(), calendar or {})


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
    figures = grouped.agg(letters=("n", "sum"), replied=("replied", "sum"), on_time=("on_time", "sum"),
                          overdue=("overdue", "sum"), rated=("rated", "sum"), rating_sum=("rating_sum", "sum"))
    satisfaction = (figures["rating_sum"] / figures["rated"]).where(figures["rated"] > 0)
    return figures.assign(satisfaction=satisfaction,
                          median=km_medians(groups, frame["days"], frame["answered"], frame["n"]))


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
