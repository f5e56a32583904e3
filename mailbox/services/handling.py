"""Staff handling a letter: routing, answering, handing back, notes, closing, reply templates, the inbox."""

from __future__ import annotations

from typing import Any

from engagement import audit, clock, permissions
from engagement.accounts import Staff
from engagement.db import contains, unit_of_work
from engagement.errors import Conflict, InvalidInput, NotFound
from engagement.i18n import _
from engagement.notifications import notify_citizen
from engagement.verification import citizen_phone
from mailbox import search
from mailbox.schemas import AssignRequest, NoteRequest, ReplyRequest, TemplateCreate, TransferRequest
from mailbox.services.common import (
    STATUS_LABELS,
    Page,
    clean_text,
    department_by_slug,
    desk_id,
    fetch_letter,
    letter_columns,
    letter_for_staff,
    page_numbers,
    timeline,
)
from mailbox.services.deadlines import is_overdue
from mailbox.tables import OPEN_STATUSES, Letter, LetterAttachment, LetterNote, LetterReply, ReplyTemplate, Status
from mailbox.workflows import LETTER


async def assign_letter(staff: Staff, tracking_number: str, department: str, note: object = "",
                        client_address: str = "") -> dict[str, Any]:
    """The receiving desk (or an administrator) routes the letter to the department that answers it."""
    letter = await letter_for_staff(staff, tracking_number, "letter.assign")
    target = await department_by_slug(department)
    if target["is_receiving_desk"]:
        raise InvalidInput(_("Choose the department that should answer the letter."))
    note_text = clean_text(note, AssignRequest, "note", required=False)
    await LETTER.apply("assign", letter["id"], actor=staff, values={Letter.department: target["id"]}, note=note_text,
                       detail={"department": target["id"]}, client_address=client_address)
    return await fetch_letter(tracking_number)


async def reply_to_letter(staff: Staff, tracking_number: str, reply: object,
                          client_address: str = "") -> dict[str, Any]:
    """The responsible department answers; the writer is told by SMS. A second reply is refused (409)."""
    letter = await letter_for_staff(staff, tracking_number, "letter.reply")
    reply_text = clean_text(reply, ReplyRequest, "reply")
    now = clock.now()
    values = {
        Letter.reply: reply_text,
        Letter.replied_at: now,
        Letter.reply_days: round((now - letter["received_at"]).total_seconds() / 86400, 2),
        Letter.replied_on_time: clock.local_date(now) <= letter["due_date"],
    }
    async with unit_of_work():
        await LETTER.apply("reply", letter["id"], actor=staff, values=values, expect=letter["status"],
                           detail={"department": letter["department"]} if letter["department"] else {},
                           client_address=client_address)
        reply_row = LetterReply(letter=letter["id"], body=reply_text, department=letter["department"], author=staff.id)
        await reply_row.save()
        await notify_citizen(
            letter["citizen"],
            _("[Government Engagement] Your letter %(number)s has been answered. Look it up with your query code "
              "on the mayor's mailbox page.") % {"number": tracking_number},
            purpose="mailbox_reply", event_key=f"letter:{letter['id']}:reply:{reply_row.id}",
        )
    return await fetch_letter(tracking_number)


async def transfer_letter(staff: Staff, tracking_number: str, reason: object,
                          client_address: str = "") -> dict[str, Any]:
    """A department hands a letter that is not theirs back to the receiving desk, saying why."""
    letter = await letter_for_staff(staff, tracking_number, "letter.transfer")
    reason_text = clean_text(reason, TransferRequest, "reason")
    desk = await desk_id()
    if letter["department"] == desk:
        raise Conflict(_("The letter is already with the mayor's office."))
    await LETTER.apply("transfer", letter["id"], actor=staff, values={Letter.department: desk}, note=reason_text,
                       detail={"department": desk} if desk else {}, client_address=client_address)
    return await fetch_letter(tracking_number)


async def close_letter(staff: Staff, tracking_number: str, client_address: str = "") -> dict[str, Any]:
    """Close an answered letter that its writer did not rate (rating closes it by itself)."""
    letter = await letter_for_staff(staff, tracking_number, "letter.close")
    await LETTER.apply("close", letter["id"], actor=staff, client_address=client_address,
                       detail={"department": letter["department"]} if letter["department"] else {})
    return await fetch_letter(tracking_number)


async def add_note(staff: Staff, tracking_number: str, body: object, client_address: str = "") -> dict[str, Any]:
    """An internal note between staff; never shown to the writer or the public."""
    letter = await letter_for_staff(staff, tracking_number, "letter.note")
    text = clean_text(body, NoteRequest, "body")
    async with unit_of_work():
        note = LetterNote(letter=letter["id"], body=text, author=staff.id,
                          author_name=staff.display_name or staff.username)
        await note.save()
        await audit.record(staff, "letter.note", "letter", letter["id"], {}, client_address)
    return {"id": note.id, "body": text, "author_name": note.author_name, "created_at": note.created_at}


async def create_reply_template(staff: Staff, title: object, body: object, for_all: bool = False) -> dict[str, Any]:
    """A template for the staff member's department, or (administrators) for every department."""
    department = None if (for_all and staff.is_admin) else staff.department_id
    permissions.require(staff, "reply_template.manage", department)
    template = ReplyTemplate(department=department, title=clean_text(title, TemplateCreate, "title"),
                             body=clean_text(body, TemplateCreate, "body"))
    async with unit_of_work():
        await template.save()
        await audit.record(staff, "reply_template.create", "reply_template", template.id)
    return {"id": template.id, "title": template.title, "body": template.body}


async def reply_templates(staff: Staff) -> list[dict[str, Any]]:
    permissions.require(staff, "reply_template.view")
    where = ReplyTemplate.department.is_null()
    if staff.department_id is not None:
        where = where | (ReplyTemplate.department == staff.department_id)
    return await ReplyTemplate.select(ReplyTemplate.id, ReplyTemplate.title, ReplyTemplate.body).where(where).order_by(
        ReplyTemplate.id)


async def inbox(staff: Staff, status: str | None = None, category: str | None = None, overdue: bool = False,
                department: str | None = None, q: str | None = None, page: int | None = 1,
                page_size: int | None = None, routing: bool = False) -> Page:
    """The letters a staff member may see, with filters; two queries whatever the page size.

    ``routing``: the letters waiting to be routed (received, at the receiving desk or with no department).
    """
    number, size = page_numbers(page, page_size)
    where = await _inbox_conditions(staff, status, category, overdue, department, q, routing)
    query = Letter.select(*letter_columns())
    count = Letter.count()
    if where:
        query, count = query.where(*where), count.where(*where)
    rows = await query.order_by(Letter.id, ascending=False).limit(size).offset((number - 1) * size)
    today = clock.today()
    for row in rows:
        row["overdue"] = is_overdue(row, today)
    return Page(items=rows, total=await count, page=number, page_size=size)


async def _inbox_conditions(staff: Staff, status: str | None, category: str | None, overdue: bool,
                            department: str | None, q: str | None, routing: bool) -> list[Any]:
    where: list[Any] = []
    if not permissions.is_receiving_desk(staff):
        where.append(Letter.department == staff.department_id)
    if status:
        if status not in STATUS_LABELS:
            raise InvalidInput(_("Unknown status."))
        where.append(Letter.status == status)
    if category:
        where.append(Letter.category == category)
    if overdue:
        where.extend([Letter.status.is_in(list(OPEN_STATUSES)), Letter.due_date < clock.today()])
    if department:
        where.append(Letter.department.slug == department)
    if routing:
        desk = await desk_id()
        waiting = Letter.department.is_null()
        if desk is not None:
            waiting = waiting | (Letter.department == desk)
        where.extend([Letter.status == Status.received.value, waiting])
    for term in search.terms_of(q):
        where.append(contains(Letter.subject, term) | contains(Letter.body, term) | (Letter.tracking_number == term))
    return where


async def staff_letter_detail(staff: Staff, tracking_number: str) -> dict[str, Any]:
    """The letter with its history, notes, attachments and the writer's phone, for staff who may see it."""
    letter = await letter_for_staff(staff, tracking_number, "letter.view")
    letter["overdue"] = is_overdue(letter)
    letter["events"] = await timeline(letter["id"])
    letter["notes"] = await LetterNote.select(
        LetterNote.id, LetterNote.body, LetterNote.author_name, LetterNote.created_at,
    ).where(LetterNote.letter == letter["id"]).order_by(LetterNote.id)
    letter["attachments"] = await LetterAttachment.select(
        LetterAttachment.id, LetterAttachment.original_name, LetterAttachment.kind, LetterAttachment.size,
    ).where(LetterAttachment.letter == letter["id"]).order_by(LetterAttachment.id)
    letter["phone"] = await citizen_phone(letter["citizen"]) if letter["citizen"] else None
    return letter


async def attachment_for_staff(staff: Staff, tracking_number: str, attachment_id: int) -> dict[str, Any]:
    letter = await letter_for_staff(staff, tracking_number, "letter.view")
    row = await LetterAttachment.select().where(
        (LetterAttachment.id == attachment_id) & (LetterAttachment.letter == letter["id"])).first()
    if row is None:
        raise NotFound(_("No such attachment."))
    return row
