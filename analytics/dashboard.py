"""The staff dashboard of one department: its own figures and what is overdue.

Overdue means: published opinions still undecided after their consultation closed (at its
deadline, whatever the closing job has done), letters still unanswered after their due date, and
rectifications (TV questioning) still in progress after theirs. Editors see their own department;
administrators choose one. A fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from analytics.filters import Filters, resolve
from analytics.services import compute
from consultations.tables import Decision, Moderation, Opinion, Status
from engagement import clock, permissions, workdays
from engagement.accounts import Staff
from engagement.errors import InvalidInput
from engagement.i18n import _
from engagement.tables import Department
from live_sessions.tables import RectificationState
from mailbox.tables import OPEN_STATUSES, Letter

LIST_LIMIT = 50


@dataclass
class Dashboard:
    department: dict[str, Any]
    departments: list[dict[str, Any]]  # for an administrator's choice
    adoption: Any  # by consultation, current
    mailbox: Any  # by month, this year
    undecided: list[dict[str, Any]]  # consultations closed with opinions still undecided
    overdue_letters: list[dict[str, Any]]
    overdue_letter_count: int
    overdue_rectifications: list[dict[str, Any]]


async def department_dashboard(staff: Staff, department: str | None = None) -> Dashboard:
    slug = department if staff.is_admin and department else staff.department_slug
    choices = await Department.select(Department.id, Department.slug, Department.name).order_by(
        Department.sort_order).order_by(Department.id) if staff.is_admin else []
    if not slug and choices:
        slug = choices[0]["slug"]
    if not slug:
        raise InvalidInput(_("Your account belongs to no department."))
    filters = await resolve(department=slug)
    permissions.require(staff, "statistics.dashboard", filters.department_id)
    today = clock.today()
    year = Filters(period_start=date(today.year, 1, 1), period_end=today, department=slug,
                   department_id=filters.department_id, department_name=filters.department_name)
    letters, count = await _overdue_letters(filters.department_id, today)
    return Dashboard(
        department={"slug": slug, "name": filters.department_name}, departments=choices,
        adoption=await compute("adoption", "consultation", filters), mailbox=await compute("mailbox", "month", year),
        undecided=await _undecided(filters.department_id), overdue_letters=letters, overdue_letter_count=count,
        overdue_rectifications=await _overdue_rectifications(filters.department_id, today),
    )


async def _undecided(department_id: int) -> list[dict[str, Any]]:
    """Consultations past their deadline with published opinions not yet decided, the oldest deadline first."""
    return await Opinion.raw(
        "SELECT c.id AS id, c.title AS title, c.closes_at AS closes_at, COUNT(*) AS undecided "
        "FROM consultation_opinion o JOIN consultation c ON c.id = o.consultation "
        "WHERE c.department = {} AND o.moderation = {} AND o.decision = {} AND c.status != {} AND c.closes_at <= {} "
        "GROUP BY c.id, c.title, c.closes_at ORDER BY c.closes_at",
        department_id, Moderation.approved.value, Decision.pending.value, Status.draft.value, clock.now(),
    )


async def _overdue_letters(department_id: int, today: date) -> tuple[list[dict[str, Any]], int]:
    where = (Letter.department == department_id) & Letter.status.is_in(list(OPEN_STATUSES)) & (Letter.due_date < today)
    rows = await Letter.select(Letter.tracking_number, Letter.category, Letter.received_at, Letter.due_date) \
        .where(where).order_by(Letter.due_date).limit(LIST_LIMIT)
    calendar = await workdays.calendar_for_display() if rows else {}
    for row in rows:
        row["working_days_late"] = workdays.working_days_late(row["due_date"], today, calendar)
    return rows, await Letter.count().where(where)


async def _overdue_rectifications(department_id: int, today: date) -> list[dict[str, Any]]:
    """The department's rectifications in progress past their due date, the oldest due date first."""
    rows = await Letter.raw(
        "SELECT i.id AS issue_id, i.title AS title, r.due_date AS due_date FROM live_rectification r "
        "JOIN live_issue i ON i.id = r.issue WHERE r.department = {} AND r.state = {} AND r.due_date < {} "
        f"ORDER BY r.due_date, r.id LIMIT {LIST_LIMIT}",
        department_id, RectificationState.in_progress.value, today,
    )
    calendar = await workdays.calendar_for_display() if rows else {}
    for row in rows:
        row["due_date"] = row["due_date"] if isinstance(row["due_date"], date) else date.fromisoformat(row["due_date"])
        row["working_days_late"] = workdays.working_days_late(row["due_date"], today, calendar)
    return rows
