"""The mailbox's domain operations: one function per thing a citizen or staff member does.

Every function takes plain values and the acting person, owns its transaction and side
effects (status history, audit entry, SMS queued after commit) and returns the letter or
raises an ``engagement.errors`` error. ``api.py`` and ``pages.py`` both call these.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import engagement.tasks  # noqa: F401 - registers engagement.deliver_sms, also where no app was built (demo, sample_paths)
from engagement import audit
from engagement.accounts import Staff
from engagement.crypto import constant_time_equals, keyring
from engagement.db import contains, write_transaction
from engagement.errors import Conflict, Forbidden, InvalidInput, NotFound
from engagement.i18n import N_, _
from engagement.masking import Finding, find_personal_data, mask_personal_data
from engagement.notifications import send_stored_sms, store_sms
from engagement.tables import Citizen, Department, StaffUser
from engagement.uploads import MB, store_upload
from engagement.verification import VerifiedCitizen
from mailbox import permissions, search, workdays
from mailbox.tables import (
    ANSWERED_STATUSES,
    OPEN_STATUSES,
    Category,
    Letter,
    LetterAttachment,
    LetterCounter,
    LetterEvent,
    LetterNote,
    LetterReply,
    OverdueReminder,
    ReplyTemplate,
    Status,
)

MAX_SUBJECT = 200
MAX_BODY = 5000
MAX_NAME = 50
MAX_REPLY = 5000
MAX_NOTE = 2000
MAX_ATTACHMENTS = 5
ATTACHMENT_KINDS = frozenset({"png", "jpeg", "pdf"})
ATTACHMENT_MAX_BYTES = 10 * MB
QUERY_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
QUERY_CODE_LENGTH = 10
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

CATEGORY_LABELS = {
    "consultation": N_("Enquiry"),
    "suggestion": N_("Suggestion"),
    "complaint": N_("Complaint"),
    "help": N_("Request for help"),
    "praise": N_("Praise"),
}
STATUS_LABELS = {
    "received": N_("Received"),
    "assigned": N_("Assigned to a department"),
    "replied": N_("Replied"),
    "closed": N_("Closed"),
}
ACTION_LABELS = {
    "received": N_("Letter received"),
    "assigned": N_("Routed to a department"),
    "transferred": N_("Returned to the mayor's office for re-routing"),
    "replied": N_("Reply sent"),
    "rated": N_("Rated by the writer"),
    "published": N_("Published"),
    "unpublished": N_("Withdrawn from publication"),
    "closed": N_("Closed"),
}
WRITER_HIDDEN_ACTIONS = ("published", "unpublished")  # publication is the government's business, not the case's


# --- values handed to the faces --------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    letter: dict[str, Any]
    query_code: str


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str


@dataclass(frozen=True)
class PublicDraft:
    subject: str
    body: str
    reply: str
    findings: dict[str, list[Finding]] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


# --- helpers ---------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _text(value: object, label: str, maximum: int, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput(_("%(field)s is required.") % {"field": label})
    if len(text) > maximum:
        raise InvalidInput(_("%(field)s may have at most %(max)d characters.") % {"field": label, "max": maximum})
    return text


def letter_columns() -> list[Any]:
    return [
        *Letter.all_columns(exclude=[Letter.search_text, Letter.search_bigrams]),
        Letter.department.slug.as_alias("department_slug"),
        Letter.department.name.as_alias("department_name"),
        Letter.addressee.slug.as_alias("addressee_slug"),
        Letter.addressee.name.as_alias("addressee_name"),
    ]


def public_columns() -> list[Any]:
    """What the public may see of a published letter: the masked version, never the original."""
    return [
        Letter.id,
        Letter.tracking_number,
        Letter.category,
        Letter.public_subject,
        Letter.public_body,
        Letter.public_reply,
        Letter.received_at,
        Letter.replied_at,
        Letter.published_at,
        Letter.rating,
        Letter.department.slug.as_alias("department_slug"),
        Letter.department.name.as_alias("department_name"),
    ]


def is_overdue(letter: dict[str, Any], today: date | None = None) -> bool:
    return letter["status"] in OPEN_STATUSES and (today or workdays.today()) > letter["due_date"]


async def _department_by_slug(slug: str) -> dict[str, Any]:
    row = await Department.select(Department.id, Department.slug, Department.name).where(
        Department.slug == (slug or "").strip().lower()
    ).first()
    if row is None:
        raise InvalidInput(_("No department with this slug."))
    return row


async def _office() -> dict[str, Any]:
    row = await Department.select(Department.id, Department.slug, Department.name).where(
        Department.slug == permissions.OFFICE_SLUG
    ).first()
    if row is None:
        raise Conflict(_("The mayor's office is not set up yet."))
    return row


async def _fetch(tracking_number: str) -> dict[str, Any]:
    row = await Letter.select(*letter_columns()).where(Letter.tracking_number == (tracking_number or "").strip()).first()
    if row is None:
        raise NotFound(_("No letter with this tracking number."))
    return row


async def get_letter_for_staff(staff: Staff, tracking_number: str, action: str = "view") -> dict[str, Any]:
    """The only way a staff action gets its letter: 404 when unknown, 403 when not theirs to ``action``."""
    letter = await _fetch(tracking_number)
    if not permissions.allowed(staff, action, letter["department"]):
        raise Forbidden(_("This letter belongs to another department."))
    return letter


def _query_code_hash(tracking_number: str, code: str) -> str:
    return keyring().lookup_hash(f"mailbox-query:{tracking_number}:{code.strip().upper()}")


async def get_letter_for_writer(tracking_number: str, query_code: str) -> dict[str, Any]:
    """The writer's own letter by tracking number and query code; a wrong code is a 404 like an unknown number."""
    try:
        letter = await _fetch(tracking_number)
    except NotFound:
        raise NotFound(_("No letter matches this tracking number and query code.")) from None
    if not constant_time_equals(letter["query_code_hash"], _query_code_hash(letter["tracking_number"], query_code or "")):
        raise NotFound(_("No letter matches this tracking number and query code."))
    return letter


async def _event(letter_id: int, action: str, status: str, staff: Staff | None = None,
                 department_id: int | None = None, note: str = "") -> None:
    await LetterEvent.insert(
        LetterEvent(letter=letter_id, action=action, status=status, department=department_id,
                    actor=staff.id if staff else None, actor_name=staff.username if staff else "", note=note)
    )


async def _queue_sms_to_citizen(citizen_id: int, body: str, purpose: str) -> int | None:
    row = await Citizen.select(Citizen.phone_encrypted).where(Citizen.id == citizen_id).first()
    if row is None:
        return None
    return await store_sms(body, purpose, phone_encrypted=row["phone_encrypted"])


# --- citizen actions -------------------------------------------------------------------------


async def submit_letter(
    citizen: VerifiedCitizen,
    *,
    subject: object,
    body: object,
    name: object,
    category: object = Category.consultation.value,
    department: str | None = None,
    public_consent: bool = False,
    attachments: Iterable[Upload] = (),
) -> Submitted:
    subject_text = _text(subject, _("The subject"), MAX_SUBJECT)
    body_text = _text(body, _("The letter"), MAX_BODY)
    name_text = _text(name, _("Your name"), MAX_NAME)
    category_value = category or Category.consultation.value
    if category_value not in CATEGORY_LABELS:
        raise InvalidInput(_("Unknown category."))
    addressee = await _department_by_slug(department) if department else await _office()
    uploads = list(attachments)
    if len(uploads) > MAX_ATTACHMENTS:
        raise InvalidInput(_("At most %(count)d attachments.") % {"count": MAX_ATTACHMENTS})
    stored = [store_upload(upload.data, upload.filename, ATTACHMENT_KINDS, ATTACHMENT_MAX_BYTES) for upload in uploads]
    received_at = _now()
    calendar = await workdays.load_calendar()
    due = workdays.add_working_days(workdays.local_date(received_at), workdays.working_days_for(category_value), calendar)
    query_code = "".join(secrets.choice(QUERY_CODE_ALPHABET) for _index in range(QUERY_CODE_LENGTH))
    year = workdays.local_date(received_at).year
    async with write_transaction(Letter._meta.db):
        # One atomic statement: concurrent submissions each get the next number of the year.
        counter = await LetterCounter.raw(
            "INSERT INTO mailbox_counter (year, last) VALUES ({}, 1) "
            "ON CONFLICT (year) DO UPDATE SET last = mailbox_counter.last + 1 RETURNING last",
            year,
        )
        tracking_number = f"{year}-{counter[0]['last']:06d}"
        letter = Letter(
            tracking_number=tracking_number,
            query_code_hash=_query_code_hash(tracking_number, query_code),
            category=category_value,
            subject=subject_text,
            body=body_text,
            writer_name=name_text,
            citizen=citizen.id,
            addressee=addressee["id"],
            department=addressee["id"],
            public_consent=bool(public_consent),
            status=Status.received.value,
            received_at=received_at,
            due_date=due,
        )
        await letter.save()
        if stored:
            await LetterAttachment.insert(*[
                LetterAttachment(letter=letter.id, key=item.key, kind=item.kind, content_type=item.content_type,
                                 size=item.size, original_name=item.original_name)
                for item in stored
            ])
        await _event(letter.id, "received", Status.received.value, department_id=addressee["id"])
        message_id = await _queue_sms_to_citizen(
            citizen.id,
            _("[Government Engagement] Your letter was received. Tracking number %(number)s, query code %(code)s. "
              "Keep them to follow your letter.") % {"number": tracking_number, "code": query_code},
            "mailbox_receipt",
        )
    await send_stored_sms([message_id])
    return Submitted(letter=await _fetch(tracking_number), query_code=query_code)


async def rate_letter(tracking_number: str, query_code: str, rating: object, comment: object = "") -> dict[str, Any]:
    letter = await get_letter_for_writer(tracking_number, query_code)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise InvalidInput(_("The rating is a whole number from 1 to 5."))
    comment_text = _text(comment, _("The comment"), 1000, required=False)
    if letter["status"] in OPEN_STATUSES:
        raise Conflict(_("The letter can be rated once it has been answered."))
    async with write_transaction(Letter._meta.db):
        updated = await Letter.update(
            {Letter.rating: rating, Letter.rating_comment: comment_text, Letter.rated_at: _now(),
             Letter.status: Status.closed.value}
        ).where(
            (Letter.id == letter["id"]) & Letter.rating.is_null() & (Letter.status == Status.replied.value)
        ).returning(Letter.id)
        if not updated:
            raise Conflict(_("This letter has already been rated."))
        await _event(letter["id"], "rated", Status.closed.value)
    return await _fetch(tracking_number)


# --- staff actions ---------------------------------------------------------------------------


async def assign_letter(staff: Staff, tracking_number: str, department: str, note: object = "",
                        client_address: str = "") -> dict[str, Any]:
    letter = await get_letter_for_staff(staff, tracking_number, "assign")
    target = await _department_by_slug(department)
    if target["slug"] == permissions.OFFICE_SLUG:
        raise InvalidInput(_("Choose the department that should answer the letter."))
    note_text = _text(note, _("The note"), MAX_NOTE, required=False)
    async with write_transaction(Letter._meta.db):
        updated = await Letter.update({Letter.department: target["id"], Letter.status: Status.assigned.value}).where(
            (Letter.id == letter["id"]) & Letter.status.is_in(list(OPEN_STATUSES))
        ).returning(Letter.id)
        if not updated:
            raise Conflict(_("The letter has already been answered."))
        await _event(letter["id"], "assigned", Status.assigned.value, staff, target["id"], note_text)
        await audit.record(staff, "mailbox.assign", "letter", tracking_number, {"department": target["slug"]},
                           client_address)
    return await _fetch(tracking_number)


async def reply_to_letter(staff: Staff, tracking_number: str, reply: object, client_address: str = "") -> dict[str, Any]:
    letter = await get_letter_for_staff(staff, tracking_number, "reply")
    reply_text = _text(reply, _("The reply"), MAX_REPLY)
    now = _now()
    on_time = workdays.local_date(now) <= letter["due_date"]
    days = round((now - letter["received_at"]).total_seconds() / 86400, 2)
    async with write_transaction(Letter._meta.db):
        updated = await Letter.update(
            {Letter.reply: reply_text, Letter.replied_at: now, Letter.reply_days: days,
             Letter.replied_on_time: on_time, Letter.status: Status.replied.value}
        ).where(
            (Letter.id == letter["id"]) & Letter.status.is_in(list(OPEN_STATUSES))
            & (Letter.department == letter["department"])
        ).returning(Letter.id)
        if not updated:
            raise Conflict(_("The letter has already been answered."))
        await LetterReply.insert(LetterReply(letter=letter["id"], body=reply_text, department=letter["department"],
                                             author=staff.id))
        await _event(letter["id"], "replied", Status.replied.value, staff, letter["department"])
        await audit.record(staff, "mailbox.reply", "letter", tracking_number, {}, client_address)
        message_id = await _queue_sms_to_citizen(
            letter["citizen"],
            _("[Government Engagement] Your letter %(number)s has been answered. Look it up with your query code "
              "on the mayor's mailbox page.") % {"number": tracking_number},
            "mailbox_reply",
        )
    await send_stored_sms([message_id])
    return await _fetch(tracking_number)


async def transfer_letter(staff: Staff, tracking_number: str, reason: object, client_address: str = "") -> dict[str, Any]:
    """A department hands a letter that is not theirs back to the mayor's office, saying why."""
    letter = await get_letter_for_staff(staff, tracking_number, "transfer")
    reason_text = _text(reason, _("The reason"), MAX_NOTE)
    office = await _office()
    if letter["department"] == office["id"]:
        raise Conflict(_("The letter is already with the mayor's office."))
    async with write_transaction(Letter._meta.db):
        updated = await Letter.update({Letter.department: office["id"], Letter.status: Status.received.value}).where(
            (Letter.id == letter["id"]) & Letter.status.is_in(list(OPEN_STATUSES))
            & (Letter.department == letter["department"])
        ).returning(Letter.id)
        if not updated:
            raise Conflict(_("The letter has already been answered."))
        await _event(letter["id"], "transferred", Status.received.value, staff, office["id"], reason_text)
        await audit.record(staff, "mailbox.transfer", "letter", tracking_number, {"reason": reason_text},
                           client_address)
    return await _fetch(tracking_number)


async def add_note(staff: Staff, tracking_number: str, body: object, client_address: str = "") -> dict[str, Any]:
    letter = await get_letter_for_staff(staff, tracking_number, "note")
    text = _text(body, _("The note"), MAX_NOTE)
    async with write_transaction(Letter._meta.db):
        note = LetterNote(letter=letter["id"], body=text, author=staff.id, author_name=staff.display_name or staff.username)
        await note.save()
        await audit.record(staff, "mailbox.note", "letter", tracking_number, {}, client_address)
    return {"id": note.id, "body": text, "author_name": note.author_name, "created_at": note.created_at}


def draft_public_version(letter: dict[str, Any]) -> PublicDraft:
    """The masked version staff review before publication (the writer's name, phones, IDs, cards, e-mails)."""
    names = [letter["writer_name"]]
    subject = letter["public_subject"] or letter["subject"]
    body = letter["public_body"] or letter["body"]
    reply = letter["public_reply"] or letter["reply"]
    return PublicDraft(
        subject=mask_personal_data(subject, names),
        body=mask_personal_data(body, names),
        reply=mask_personal_data(reply, names),
        findings={
            "subject": find_personal_data(letter["subject"], names),
            "body": find_personal_data(letter["body"], names),
            "reply": find_personal_data(letter["reply"], names),
        },
    )


async def prepare_publication(staff: Staff, tracking_number: str) -> tuple[dict[str, Any], PublicDraft]:
    letter = await get_letter_for_staff(staff, tracking_number, "publish")
    return letter, draft_public_version(letter)


async def publish_letter(staff: Staff, tracking_number: str, subject: object = None, body: object = None,
                         reply: object = None, client_address: str = "") -> dict[str, Any]:
    """Publish the masked version, as edited by staff; masking runs again over the edited text."""
    letter = await get_letter_for_staff(staff, tracking_number, "publish")
    if not letter["public_consent"]:
        raise Conflict(_("The writer did not agree to publication."))
    if letter["status"] not in ANSWERED_STATUSES:
        raise Conflict(_("Only answered letters can be published."))
    draft = draft_public_version(letter)
    names = [letter["writer_name"]]
    public_subject = mask_personal_data(_text(subject, _("The subject"), MAX_SUBJECT) if subject is not None else draft.subject, names)
    public_body = mask_personal_data(_text(body, _("The letter"), MAX_BODY) if body is not None else draft.body, names)
    public_reply = mask_personal_data(_text(reply, _("The reply"), MAX_REPLY) if reply is not None else draft.reply, names)
    search_text = f"{public_subject}\n{public_body}\n{public_reply}"
    async with write_transaction(Letter._meta.db):
        await Letter.update(
            {Letter.published: True, Letter.published_at: letter["published_at"] or _now(),
             Letter.public_subject: public_subject, Letter.public_body: public_body,
             Letter.public_reply: public_reply,
             Letter.search_text: search_text, Letter.search_bigrams: search.bigrams(search_text)}
        ).where(Letter.id == letter["id"])
        await _event(letter["id"], "published", letter["status"], staff, letter["department"])
        await audit.record(staff, "mailbox.publish", "letter", tracking_number, {}, client_address)
    return await _fetch(tracking_number)


async def unpublish_letter(staff: Staff, tracking_number: str, client_address: str = "") -> dict[str, Any]:
    letter = await get_letter_for_staff(staff, tracking_number, "publish")
    async with write_transaction(Letter._meta.db):
        updated = await Letter.update({Letter.published: False}).where(
            (Letter.id == letter["id"]) & (Letter.published == True)  # noqa: E712
        ).returning(Letter.id)
        if not updated:
            raise Conflict(_("The letter is not published."))
        await _event(letter["id"], "unpublished", letter["status"], staff, letter["department"])
        await audit.record(staff, "mailbox.unpublish", "letter", tracking_number, {}, client_address)
    return await _fetch(tracking_number)


async def close_letter(staff: Staff, tracking_number: str, client_address: str = "") -> dict[str, Any]:
    """Close an answered letter that its writer did not rate (rating closes it by itself)."""
    letter = await get_letter_for_staff(staff, tracking_number, "close")
    async with write_transaction(Letter._meta.db):
        updated = await Letter.update({Letter.status: Status.closed.value}).where(
            (Letter.id == letter["id"]) & (Letter.status == Status.replied.value)
        ).returning(Letter.id)
        if not updated:
            raise Conflict(_("Only an answered letter that is still open can be closed."))
        await _event(letter["id"], "closed", Status.closed.value, staff, letter["department"])
        await audit.record(staff, "mailbox.close", "letter", tracking_number, {}, client_address)
    return await _fetch(tracking_number)


async def create_reply_template(staff: Staff, title: object, body: object, for_all: bool = False) -> dict[str, Any]:
    if staff.role not in permissions.STAFF_ROLES:
        raise Forbidden(_("Your account may not do this."))
    department = None if (for_all and staff.is_admin) else staff.department_id
    template = ReplyTemplate(department=department, title=_text(title, _("The title"), 100),
                             body=_text(body, _("The reply"), MAX_REPLY))
    await template.save()
    await audit.record(staff, "mailbox.template", "reply_template", template.id)
    return {"id": template.id, "title": template.title, "body": template.body}


# --- reads -----------------------------------------------------------------------------------


def _page_numbers(page: int | None, page_size: int | None) -> tuple[int, int]:
    size = min(max(int(page_size or PAGE_SIZE), 1), MAX_PAGE_SIZE)
    return max(int(page or 1), 1), size


def month_range(month: str | None) -> tuple[datetime, datetime] | None:
    """``YYYY-MM`` as [first instant, first instant of next month) in local time; None when empty."""
    if not month:
        return None
    try:
        first = datetime.strptime(month, "%Y-%m").replace(tzinfo=workdays.LOCAL_TIMEZONE)
    except ValueError:
        raise InvalidInput(_("The month is written YYYY-MM.")) from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first.astimezone(UTC), following.astimezone(UTC)


async def search_published(q: str | None = None, category: str | None = None, department: str | None = None,
                           month: str | None = None, page: int | None = 1, page_size: int | None = PAGE_SIZE,
                           published_month: str | None = None) -> Page:
    """Published letters (masked public version only), newest first. Two queries, whatever the page size."""
    number, size = _page_numbers(page, page_size)
    where = [Letter.published == True]  # noqa: E712
    terms = search.terms_of(q)
    for term in terms:
        where.append(search.term_condition(term))
    filtered = bool(category or department or month or published_month)
    if category:
        if category not in CATEGORY_LABELS:
            raise InvalidInput(_("Unknown category."))
        where.append(Letter.category == category)
    if department:
        where.append(Letter.department.slug == department)
    if (span := month_range(month)) is not None:
        where.extend([Letter.received_at >= span[0], Letter.received_at < span[1]])
    if (span := month_range(published_month)) is not None:
        where.extend([Letter.published_at >= span[0], Letter.published_at < span[1]])
    # Newest letters first by id (the search index's order), so a page of a common term needs no sort of all matches.
    rows = await Letter.select(*public_columns()).where(*where).order_by(
        Letter.id, ascending=False).limit(size).offset((number - 1) * size)
    total = None
    if len(terms) == 1 and not filtered:
        total = await search.count_in_index(terms[0])  # a few ms instead of joining every match
    if total is None:
        total = await Letter.count().where(*where)
    return Page(items=rows, total=total, page=number, page_size=size)


async def suggest_similar(subject: str, limit: int = 5) -> list[dict[str, Any]]:
    """Published letters sharing a piece of the subject being typed."""
    condition = search.any_term_condition(search.suggestion_terms(subject or ""))
    if condition is None:
        return []
    return await Letter.select(*public_columns()).where(Letter.published == True, condition).order_by(  # noqa: E712
        Letter.published_at, ascending=False).limit(limit)


async def get_published_letter(tracking_number: str) -> dict[str, Any]:
    row = await Letter.select(*public_columns()).where(
        (Letter.tracking_number == tracking_number) & (Letter.published == True)  # noqa: E712
    ).first()
    if row is None:
        raise NotFound(_("No published letter with this tracking number."))
    return row


async def writer_view(tracking_number: str, query_code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The letter and its public timeline for the writer (no staff names, no internal notes or reasons)."""
    letter = await get_letter_for_writer(tracking_number, query_code)
    events = await LetterEvent.select(
        LetterEvent.action, LetterEvent.status, LetterEvent.created_at,
        LetterEvent.department.name.as_alias("department_name"),
    ).where(
        (LetterEvent.letter == letter["id"]) & LetterEvent.action.not_in(list(WRITER_HIDDEN_ACTIONS))
    ).order_by(LetterEvent.id)
    return letter, events


async def inbox(staff: Staff, status: str | None = None, category: str | None = None, overdue: bool = False,
                department: str | None = None, q: str | None = None, page: int | None = 1,
                page_size: int | None = PAGE_SIZE) -> Page:
    """The letters a staff member may see, with filters; two queries whatever the page size."""
    number, size = _page_numbers(page, page_size)
    where: list[Any] = []
    if not permissions.is_office(staff):
        where.append(Letter.department == staff.department_id)
    if status:
        if status not in STATUS_LABELS:
            raise InvalidInput(_("Unknown status."))
        where.append(Letter.status == status)
    if category:
        where.append(Letter.category == category)
    if overdue:
        where.extend([Letter.status.is_in(list(OPEN_STATUSES)), Letter.due_date < workdays.today()])
    if department:
        where.append(Letter.department.slug == department)
    for term in search.terms_of(q):
        where.append(contains(Letter.subject, term) | contains(Letter.body, term) | (Letter.tracking_number == term))
    query = Letter.select(*letter_columns())
    count = Letter.count()
    if where:
        query, count = query.where(*where), count.where(*where)
    rows = await query.order_by(Letter.id, ascending=False).limit(size).offset((number - 1) * size)
    today = workdays.today()
    for row in rows:
        row["overdue"] = is_overdue(row, today)
    return Page(items=rows, total=await count, page=number, page_size=size)


async def staff_letter_detail(staff: Staff, tracking_number: str) -> dict[str, Any]:
    from engagement.verification import citizen_phone

    letter = await get_letter_for_staff(staff, tracking_number, "view")
    letter["overdue"] = is_overdue(letter)
    letter["events"] = await LetterEvent.select(
        LetterEvent.action, LetterEvent.status, LetterEvent.actor_name, LetterEvent.note, LetterEvent.created_at,
        LetterEvent.department.name.as_alias("department_name"),
    ).where(LetterEvent.letter == letter["id"]).order_by(LetterEvent.id)
    letter["notes"] = await LetterNote.select(LetterNote.id, LetterNote.body, LetterNote.author_name,
                                              LetterNote.created_at).where(LetterNote.letter == letter["id"]).order_by(LetterNote.id)
    letter["attachments"] = await LetterAttachment.select(
        LetterAttachment.id, LetterAttachment.original_name, LetterAttachment.kind, LetterAttachment.size,
    ).where(LetterAttachment.letter == letter["id"]).order_by(LetterAttachment.id)
    letter["phone"] = await citizen_phone(letter["citizen"])
    letter["actions"] = permissions.actions_for(staff, letter["department"])
    return letter


async def attachment_for_staff(staff: Staff, tracking_number: str, attachment_id: int) -> dict[str, Any]:
    letter = await get_letter_for_staff(staff, tracking_number, "view")
    row = await LetterAttachment.select().where(
        (LetterAttachment.id == attachment_id) & (LetterAttachment.letter == letter["id"])).first()
    if row is None:
        raise NotFound(_("No such attachment."))
    return row


async def reply_templates(staff: Staff) -> list[dict[str, Any]]:
    where = ReplyTemplate.department.is_null()
    if staff.department_id is not None:
        where = where | (ReplyTemplate.department == staff.department_id)
    return await ReplyTemplate.select(ReplyTemplate.id, ReplyTemplate.title, ReplyTemplate.body).where(where).order_by(
        ReplyTemplate.id)


async def departments() -> list[dict[str, Any]]:
    return await Department.select(Department.id, Department.slug, Department.name).order_by(
        Department.sort_order).order_by(Department.id)


async def reminders_for(staff: Staff, limit: int = 5) -> list[dict[str, Any]]:
    query = OverdueReminder.select(OverdueReminder.overdue_count, OverdueReminder.created_at,
                                   OverdueReminder.department.name.as_alias("department_name"))
    if not permissions.is_office(staff):
        query = query.where(OverdueReminder.department == staff.department_id)
    return await query.order_by(OverdueReminder.id, ascending=False).limit(limit)


# --- statistics ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    received: int
    replied: int
    reply_rate: float | None
    on_time_rate: float | None
    average_days: float | None
    average_rating: float | None


async def _figures_since(start: datetime) -> Figures:
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


async def statistics(today: date | None = None) -> dict[str, Figures]:
    """This month's and this year's figures (letters received in the period): two queries."""
    day = today or workdays.today()
    month_start = datetime.combine(day.replace(day=1), dtime(), workdays.LOCAL_TIMEZONE).astimezone(UTC)
    year_start = datetime.combine(day.replace(month=1, day=1), dtime(), workdays.LOCAL_TIMEZONE).astimezone(UTC)
    return {"month": await _figures_since(month_start), "year": await _figures_since(year_start)}


# --- scheduled -------------------------------------------------------------------------------


async def send_overdue_reminders(today: date | None = None) -> int:
    """Remind each department with overdue letters, once a day: in the inbox, and by SMS to its staff with a phone."""
    day = today or workdays.today()
    rows = await Letter.raw(
        "SELECT department AS department_id, COUNT(*) AS overdue FROM mailbox_letter "
        "WHERE status IN ('received', 'assigned') AND due_date < {} GROUP BY department",
        day,
    )
    message_ids: list[int | None] = []
    reminded = 0
    for row in rows:
        key = f"{row['department_id']}:{day.isoformat()}"
        async with write_transaction(Letter._meta.db):
            inserted = await OverdueReminder.raw(
                "INSERT INTO mailbox_reminder (reminder_key, department, overdue_count, created_at) "
                "VALUES ({}, {}, {}, {}) ON CONFLICT (reminder_key) DO NOTHING RETURNING id",
                key, row["department_id"], int(row["overdue"]), _now(),
            )
            if not inserted:
                continue
            reminded += 1
            staff_phones = await StaffUser.select(StaffUser.phone_encrypted).where(
                (StaffUser.department == row["department_id"]) & (StaffUser.is_active == True)  # noqa: E712
                & (StaffUser.phone_encrypted != "")
            )
            body = _("[Government Engagement] %(count)d letters to the mayor's mailbox are overdue. "
                     "Please answer them in the staff inbox.") % {"count": int(row["overdue"])}
            for staff_row in staff_phones:
                message_ids.append(await store_sms(body, "mailbox_reminder", phone_encrypted=staff_row["phone_encrypted"]))
    await send_stored_sms(message_ids)
    return reminded
