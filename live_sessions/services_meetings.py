"""The meeting office of an open meeting: the decisions taken, replies to agenda issues, contact details, exports.

- ``publish_decisions``: after the meeting has begun, the decisions taken are published on the
  meeting page (the session workflow's ``publish_decisions``: history and audit).
- ``agenda_replies``: the selected agenda issues with the replies recorded for them (the issue
  mechanism's ``record_on_air_answer``), as the public reads them.
- ``reveal_contact``: a registrant's full name and phone for the meeting office; every reveal is
  an audit entry (``live_registration.reveal_contact``).
- ``attendance_export``: the attendance list (full names, no phones) as CSV or XLSX, audit-logged.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from engagement import audit, clock, permissions
from engagement.accounts import Staff
from engagement.db import unit_of_work
from engagement.errors import NotFound
from engagement.i18n import _
from engagement.masking import mask_phone
from engagement.verification import citizen_phone
from live_sessions import services, services_issues, services_registrations
from live_sessions.schemas_issues import IssuePublic, issue_public
from live_sessions.tables import LiveSession, Registration
from live_sessions.workflows import SESSION

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXPORT_LIMIT = 10_000


async def publish_decisions(staff: Staff | None, session_id: int, decisions: str) -> dict[str, Any]:
    permissions.require(staff, "meeting.publish_outcome")
    await services_registrations.open_meeting(session_id)
    text = services.clean_text(decisions, services.MAX_TEXT_LENGTH, _("The decisions taken"))
    async with unit_of_work():
        return await SESSION.apply("publish_decisions", session_id, actor=staff, values={LiveSession.decisions: text},
                                   detail={"length": len(text)})


async def agenda_replies(session_id: int) -> list[IssuePublic]:
    """The selected agenda issues in running order, each with its reply (empty until one is recorded)."""
    return [issue_public(row) for row in await services_issues.selected_issues(session_id)]


async def _registration_of(session_id: int, registration_id: int) -> dict[str, Any]:
    row = await Registration.select().where(
        (Registration.id == registration_id) & (Registration.session == session_id)).first()
    if row is None:
        raise NotFound(_("No registration matches this code."))
    return row


async def reveal_contact(staff: Staff | None, session_id: int, registration_id: int,
                         client_address: str = "") -> dict[str, str]:
    """{"name", "phone", "masked_phone"} of one registrant; the reveal is recorded in the audit log."""
    permissions.require(staff, "registration.contact")
    registration = await _registration_of(session_id, registration_id)
    phone = await citizen_phone(registration["citizen"])
    async with unit_of_work():
        await audit.record(staff, "live_registration.reveal_contact", "live_registration", registration_id,
                           {"session": session_id}, client_address)
    return {"name": registration["name"], "phone": phone, "masked_phone": mask_phone(phone)}


async def attendance_rows(session_id: int) -> list[list[str]]:
    quotas = {quota["category"]: quota["label"] for quota in await services_registrations.quotas_of(session_id)}
    rows = await Registration.select(
        Registration.id, Registration.name, Registration.category, Registration.organization, Registration.state,
        Registration.queue_position, Registration.checked_in_at,
    ).where(Registration.session == session_id).order_by(Registration.id).limit(EXPORT_LIMIT)
    header = [_("No."), _("Name"), _("Category"), _("Organisation"), _("State"), _("Waitlist order"), _("Checked in at")]
    return [header] + [
        [str(row["id"]), row["name"], quotas.get(row["category"], row["category"]), row["organization"],
         services_registrations.state_label(row["state"]), str(row["queue_position"] or ""),
         clock.display(row["checked_in_at"]) if row["checked_in_at"] else ""]
        for row in rows
    ]


async def attendance_export(staff: Staff | None, session_id: int, fmt: str, client_address: str = "") -> tuple[bytes, str]:
    """(file content, media type) of the attendance list; each export is an audit entry."""
    permissions.require(staff, "registration.contact")
    if fmt not in EXPORT_TYPES:
        raise NotFound(_("Exports are CSV or XLSX."))
    await services_registrations.open_meeting(session_id)
    rows = await attendance_rows(session_id)
    async with unit_of_work():
        await audit.record(staff, "live_registration.export", "live_session", session_id,
                           {"format": fmt, "rows": len(rows) - 1}, client_address)
    return (_csv(rows) if fmt == "csv" else _xlsx(rows)), EXPORT_TYPES[fmt]


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:  # a leading =, +, - or @ would be a formula in a spreadsheet
        writer.writerow([f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "attendance"
    for row in rows:
        sheet.append([cell if cell[:1] != "=" else f"'{cell}" for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
