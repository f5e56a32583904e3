"""Due dates of letters in working days (engagement.workdays) and the daily deadline reminders.

A letter received on day D is due on the N-th working day after D in Beijing, N per category
(``DUE_WORKING_DAYS_BY_CATEGORY``). Each day, every department with letters overdue, and every
department with letters due within ``DUE_SOON_WORKING_DAYS``, is reminded once: in the staff inbox
and by SMS to its active staff with a phone. A reminder is recorded with ``remind_once``, so the job
may run any number of times a day.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from engagement import clock, permissions, workdays
from engagement.accounts import Staff
from engagement.db import unit_of_work
from engagement.i18n import _
from engagement.notifications import notify_department_staff
from engagement.tables import Reminder
from mailbox.services.common import desk_id, is_open
from mailbox.tables import DEFAULT_DUE_WORKING_DAYS, DUE_WORKING_DAYS_BY_CATEGORY, OPEN_STATUSES, Letter

DUE_SOON_WORKING_DAYS = 1  # due today or on the next working day
OVERDUE, DUE_SOON = "overdue", "due_soon"


def working_days_for(category: str) -> int:
    return DUE_WORKING_DAYS_BY_CATEGORY.get(category, DEFAULT_DUE_WORKING_DAYS)


async def due_date_for(category: str, received_at: datetime) -> date:
    calendar = await workdays.load_calendar()
    return workdays.add_working_days(clock.local_date(received_at), working_days_for(category), calendar)


def is_overdue(letter: dict[str, Any], today: date | None = None) -> bool:
    return is_open(letter) and (today or clock.today()) > letter["due_date"]


async def send_deadline_reminders(today: date | None = None) -> int:
    """Remind departments of overdue letters and of letters due soon, once a day each; the number sent."""
    day = today or clock.today()
    due_soon_by = workdays.add_working_days(day, DUE_SOON_WORKING_DAYS, await workdays.load_calendar())
    desk = await desk_id()
    sent = 0
    for kind, counts in ((OVERDUE, await _open_letters_by_department(before=day)),
                         (DUE_SOON, await _open_letters_by_department(from_day=day, until=due_soon_by))):
        for department_id, count in _unrouted_to_desk(counts, desk).items():
            sent += await _remind(kind, department_id, count, day)
    return sent


def _unrouted_to_desk(counts: dict[int | None, int], desk: int | None) -> dict[int | None, int]:
    """Letters not yet routed are the receiving desk's to remind (the administrators' when there is none)."""
    merged = {department: count for department, count in counts.items() if department is not None}
    if None in counts:
        merged[desk] = merged.get(desk, 0) + counts[None]
    return merged


async def _open_letters_by_department(before: date | None = None, from_day: date | None = None,
                                      until: date | None = None) -> dict[int | None, int]:
    where = [Letter.status.is_in(list(OPEN_STATUSES))]
    if before is not None:
        where.append(Letter.due_date < before)
    if from_day is not None:
        where.extend([Letter.due_date >= from_day, Letter.due_date <= until])
    rows = await Letter.select(Letter.department, Count(alias="letters")).where(*where).group_by(Letter.department)
    return {row["department"]: int(row["letters"]) for row in rows}


async def _remind(kind: str, department_id: int | None, count: int, day: date) -> int:
    key = f"letter-{kind}:{department_id or 'none'}:{day.isoformat()}"
    async with unit_of_work():
        if not await workdays.remind_once(key, "letter", department_id, {"reminder": kind, "count": count}):
            return 0
        await notify_department_staff(department_id, _reminder_text(kind, count), purpose="mailbox_reminder",
                                      event_key=key)
    return 1


def _reminder_text(kind: str, count: int) -> str:
    if kind == OVERDUE:
        return _("[Government Engagement] %(count)d letters to the mayor's mailbox are overdue. "
                 "Please answer them in the staff inbox.") % {"count": count}
    return _("[Government Engagement] %(count)d letters to the mayor's mailbox are due by the next working day. "
             "Please answer them in the staff inbox.") % {"count": count}


async def reminders_for(staff: Staff, limit: int = 5) -> list[dict[str, Any]]:
    """The latest reminders of the staff member's department (every department's for the desk)."""
    query = Reminder.select(
        Reminder.detail, Reminder.created_at, Reminder.department.name.as_alias("department_name")
    ).where(Reminder.kind == "letter")
    if not permissions.is_receiving_desk(staff):
        query = query.where(Reminder.department == staff.department_id)
    rows = await query.order_by(Reminder.id, ascending=False).limit(limit)
    for row in rows:
        detail = json.loads(row.pop("detail")) if isinstance(row["detail"], str) else row.pop("detail")
        row.update(kind=detail.get("reminder", OVERDUE), count=detail.get("count", 0))
    return rows
