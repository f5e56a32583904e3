"""Mailbox figures per department or month: replies, replies on time, satisfaction, time to reply.

Letters are counted by the Beijing date they were received and followed to today: a month's reply
rate rises as its letters are answered (a published report keeps the figures of its day).
Dates are Beijing dates throughout: "on time" compares the reply's Beijing date with the due date,
and working days come from the core's calendar (engagement.workdays), holidays and make-up
working days included. Three queries whatever the number of letters (letters, calendar, names).

The letter counts come back as a few hundred counted lines: they are summed in plain Python
(``_counted_figures``; a pandas frame cost ~20 ms a page to build and group three times for a
few dozen lines). One row per letter (the counts too far behind: thousands of rows) stays in pandas
(``letter_frame``, ``_frame_figures``); the two give the same figures (tests/analytics/test_letter_facts.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from analytics import labels, letter_facts
from analytics.filters import Filters
from analytics.schemas import MailboxRow, MailboxStatistics
from analytics.stats import km_medians, km_medians_counted, rate
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
        lines = _count_lines(await letter_facts.counts(filters, today, keys))
        figures_by = lambda by: _counted_figures(lines, by)
    else:
        frame = _as_counts(await letter_frame(filters, today, calendar))
        figures_by = lambda by: _frame_figures(frame, by)
    total = figures_by(None)
    tables = {}
    for by in groupings:
        figures = figures_by(by)
        names = await labels.for_groups(by, list(figures), filters)
        items = [_row(names.key(group), names.label(group), figures, group) for group in names.order(figures)]
        tables[by] = MailboxStatistics(by=by, items=items, total=_row("total", _("Total"), total, "total"),
                                       scope=labels.scope(filters))
    return tables


COUNT_COLUMNS = ["department", "month", "answered", "days", "n", "replied", "on_time", "overdue", "rated",
                 "rating_sum"]


def _count_lines(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The letter counts' rows (one per group of alike letters: a few hundred) as counted lines, in plain Python:
    the shape of ``_as_counts``, each line standing for ``n`` letters."""
    lines = []
    for row in rows:
        n, answered, department = int(row["n"]), bool(int(row["replied"])), row["department"]
        lines.append({"department": labels.NO_ID if department is None else int(department), "month": row["month"],
                      "answered": answered, "days": int(row["days"]), "n": n, "replied": n * answered,
                      "on_time": int(row["on_time"]), "overdue": n * int(row["overdue"]), "rated": int(row["rated"]),
                      "rating_sum": int(row["rating_sum"])})
    return lines


SUMMED = ("letters", "replied", "on_time", "overdue", "rated", "rating_sum")


def _counted_figures(lines: list[dict[str, Any]], by: str | None) -> dict[Any, dict[str, Any]]:
    """``_frame_figures`` of counted lines: {group: figures} in the order the groups first appear (None: the total)."""
    figures: dict[Any, dict[str, Any]] = {}
    durations = []
    for line in lines:
        group = "total" if by is None else line[by]
        if group is None:
            continue  # as pandas' groupby leaves out a missing key
        sums = figures.get(group)
        if sums is None:
            sums = figures[group] = dict.fromkeys(SUMMED, 0)
        sums["letters"] += line["n"]
        for name in SUMMED[1:]:
            sums[name] += line[name]
        durations.append((group, line["days"], line["n"] if line["answered"] else 0, line["n"]))
    medians = km_medians_counted(durations)
    for group, sums in figures.items():
        sums["satisfaction"] = sums["rating_sum"] / sums["rated"] if sums["rated"] > 0 else None
        sums["median"] = medians.get(group)
    return figures


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


def _frame_figures(frame: pd.DataFrame, by: str | None) -> dict[Any, dict[str, Any]]:
    """One line per group of a frame of letters (None: the total), as {group: figures}."""
    if frame.empty:
        return {}
    groups = pd.Series("total", index=frame.index, dtype=object) if by is None else frame[by]
    figures = _figures(frame, groups)
    return {group: {name: None if pd.isna(value) else value for name, value in line.items()}
            for group, line in figures.to_dict("index").items()}


def _figures(frame: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """One line per group: the counts, the mean rating and the Kaplan–Meier median (all groups at once)."""
    grouped = frame.assign(group=groups).groupby("group", sort=False)
    figures = grouped.agg(letters=("n", "sum"), replied=("replied", "sum"), on_time=("on_time", "sum"),
                          overdue=("overdue", "sum"), rated=("rated", "sum"), rating_sum=("rating_sum", "sum"))
    satisfaction = (figures["rating_sum"] / figures["rated"]).where(figures["rated"] > 0)
    return figures.assign(satisfaction=satisfaction,
                          median=km_medians(groups, frame["days"], frame["answered"], frame["n"]))


def _row(key: str, label: str, figures: dict[Any, dict[str, Any]], group: Any) -> MailboxRow:
    if group not in figures:
        return MailboxRow(key=key, label=label, letters=0, replied=0, reply_rate=None, on_time=0, overdue=0,
                          on_time_rate=None, rated=0, satisfaction=None, median_reply_working_days=None)
    line = figures[group]
    letters, replied, on_time, overdue = (int(line[name]) for name in ("letters", "replied", "on_time", "overdue"))
    return MailboxRow(
        key=key, label=label, letters=letters, replied=replied, reply_rate=rate(replied, letters), on_time=on_time,
        overdue=overdue, on_time_rate=rate(on_time, replied + overdue), rated=int(line["rated"]),
        satisfaction=None if line["satisfaction"] is None else round(float(line["satisfaction"]), 2),
        median_reply_working_days=None if line["median"] is None else float(line["median"]),
    )
