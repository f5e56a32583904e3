"""Request and response shapes of the mailbox API.

Public read types (``PublicLetter``, ``WriterLetter``) and staff read types (``StaffLetter``) are
different types built by different functions: nothing public has a field for a phone number,
an unmasked name, the query code or an unpublished text.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from engagement.clock import local_date
from engagement.i18n import N_
from engagement.masking import PublicRead
from mailbox.tables import ANSWERED_STATUSES, Category

# The limits of every text, shared by the API, the HTML forms (engagement.forms.parse_form) and the services.
MAX_SUBJECT = 200
MAX_BODY = 5000
MAX_NAME = 50
MAX_REPLY = 5000
MAX_NOTE = 2000
MAX_COMMENT = 1000
MAX_TEMPLATE_TITLE = 100
MAX_QUERY_CODE = 32
MAX_TRACKING_NUMBER = 16
MAX_SLUG = 64


def _text(maximum: int, title: str, minimum: int = 0) -> object:
    return Annotated[str, msgspec.Meta(min_length=minimum, max_length=maximum, title=title)]


Subject = _text(MAX_SUBJECT, N_("Subject"), 1)
LetterBody = _text(MAX_BODY, N_("Your letter"), 1)
WriterName = _text(MAX_NAME, N_("Your name"), 1)
Addressee = _text(MAX_SLUG, N_("To"))
TrackingNumber = _text(MAX_TRACKING_NUMBER, N_("Tracking number"), 1)
QueryCode = _text(MAX_QUERY_CODE, N_("Query code"), 1)
Comment = _text(MAX_COMMENT, N_("Comment (optional)"))
DepartmentSlug = _text(MAX_SLUG, N_("Department"), 1)
Instructions = _text(MAX_NOTE, N_("Instructions (optional)"))
Reply = _text(MAX_REPLY, N_("Reply"), 1)
Reason = _text(MAX_NOTE, N_("Reason"), 1)
NoteText = _text(MAX_NOTE, N_("Note (staff only)"), 1)
PublicBody = _text(MAX_BODY, N_("Letter"), 1)
TemplateTitle = _text(MAX_TEMPLATE_TITLE, N_("Template title"), 1)
TemplateText = _text(MAX_REPLY, N_("Template text"), 1)
Rating = Annotated[int, msgspec.Meta(ge=1, le=5, title=N_("Rating"))]


class LetterCreate(msgspec.Struct, forbid_unknown_fields=False):
    subject: Subject
    body: LetterBody
    name: WriterName
    public_consent: bool = False
    department: Addressee | None = None  # a department's slug; none: the receiving desk
    category: Annotated[Category, msgspec.Meta(title=N_("Category"))] = Category.consultation
    phone: str | None = None  # with code: the verification, when no citizen token is sent
    code: str | None = None


class LookupRequest(msgspec.Struct, forbid_unknown_fields=False):
    tracking_number: TrackingNumber
    query_code: QueryCode


class LetterReceipt(msgspec.Struct):
    tracking_number: str
    query_code: str
    status: str
    due_date: str


class AssignRequest(msgspec.Struct, forbid_unknown_fields=False):
    department: DepartmentSlug
    note: Instructions = ""


class ReplyRequest(msgspec.Struct, forbid_unknown_fields=False):
    reply: Reply


class TransferRequest(msgspec.Struct, forbid_unknown_fields=False):
    reason: Reason


class NoteRequest(msgspec.Struct, forbid_unknown_fields=False):
    body: NoteText


class PublishRequest(msgspec.Struct, forbid_unknown_fields=False):
    """The public version as edited by staff; a text left out is the masked draft."""

    subject: Subject | None = None
    body: PublicBody | None = None
    reply: Reply | None = None


class RatingRequest(msgspec.Struct, forbid_unknown_fields=False):
    query_code: QueryCode
    rating: Rating
    comment: Comment = ""


class TemplateCreate(msgspec.Struct, forbid_unknown_fields=False):
    title: TemplateTitle
    body: TemplateText
    for_all_departments: bool = False


class PublicLetter(PublicRead):
    """Built from the stored public_* copies (masked at publication); PublicRead masks them again."""

    public_safe = frozenset({"tracking_number", "category", "department", "received_at", "replied_at",
                             "published_at"})

    tracking_number: str
    category: str
    subject: str
    body: str
    reply: str
    department: str | None  # None: answered before it was routed
    department_name: str | None
    received_at: str
    replied_at: str | None
    published_at: str | None


class PublicLetterList(msgspec.Struct):
    items: list[PublicLetter]
    total: int
    page: int
    page_size: int


class TimelineEntry(msgspec.Struct):
    action: str
    status: str
    department_name: str | None
    at: str


class WriterLetter(msgspec.Struct):
    """What the writer sees with tracking number and query code: status, timeline, reply. No phone."""

    tracking_number: str
    category: str
    subject: str
    status: str
    department_name: str | None  # None: waiting to be routed (no receiving desk configured)
    received_at: str
    due_date: str
    reply: str | None
    replied_at: str | None
    rating: int | None
    timeline: list[TimelineEntry]


class NoteRead(msgspec.Struct):
    id: int
    body: str
    author_name: str
    created_at: str


class StaffLetter(msgspec.Struct):
    tracking_number: str
    category: str
    subject: str
    body: str
    writer_name: str
    public_consent: bool
    status: str
    department: str | None  # None: waiting for an administrator to route it (no receiving desk)
    addressee: str | None
    received_at: str
    due_date: str
    overdue: bool
    reply: str
    replied_at: str | None
    rating: int | None
    rating_comment: str
    published: bool
    public_subject: str
    public_body: str
    public_reply: str
    phone: str | None = None


class StaffLetterList(msgspec.Struct):
    items: list[StaffLetter]
    total: int
    page: int
    page_size: int


class PublicDraftRead(msgspec.Struct):
    subject: str
    body: str
    reply: str
    findings: dict[str, list[str]]


class TemplateRead(msgspec.Struct):
    id: int
    title: str
    body: str


class TemplateList(msgspec.Struct):
    items: list[TemplateRead]
    total: int


class FiguresRead(msgspec.Struct):
    received: int
    replied: int
    reply_rate: float | None
    on_time_rate: float | None
    average_days: float | None
    average_rating: float | None


class StatisticsRead(msgspec.Struct):
    month: FiguresRead
    year: FiguresRead


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def public_letter(row: dict) -> PublicLetter:
    return PublicLetter(
        tracking_number=row["tracking_number"],
        category=row["category"],
        subject=row["public_subject"],
        body=row["public_body"],
        reply=row["public_reply"],
        department=row["department_slug"],
        department_name=row["department_name"],
        received_at=local_date(row["received_at"]).isoformat(),
        replied_at=_iso(row["replied_at"]),
        published_at=_iso(row["published_at"]),
    )


def public_letter_view(row: dict) -> dict:
    """A published letter for the pages: its public texts through the same rule as the API's."""
    letter = public_letter(row)
    return {**row, "public_subject": letter.subject, "public_body": letter.body, "public_reply": letter.reply}


def writer_letter(letter: dict, events: list[dict]) -> WriterLetter:
    answered = letter["status"] in ANSWERED_STATUSES
    return WriterLetter(
        tracking_number=letter["tracking_number"],
        category=letter["category"],
        subject=letter["subject"],
        status=letter["status"],
        department_name=letter["department_name"],
        received_at=_iso(letter["received_at"]),
        due_date=letter["due_date"].isoformat(),
        reply=letter["reply"] if answered else None,
        replied_at=_iso(letter["replied_at"]),
        rating=letter["rating"],
        timeline=[TimelineEntry(action=event["action"], status=event["status"],
                                department_name=event["department_name"], at=_iso(event["created_at"]))
                  for event in events],
    )


def staff_letter(letter: dict, phone: str | None = None) -> StaffLetter:
    return StaffLetter(
        tracking_number=letter["tracking_number"],
        category=letter["category"],
        subject=letter["subject"],
        body=letter["body"],
        writer_name=letter["writer_name"],
        public_consent=letter["public_consent"],
        status=letter["status"],
        department=letter["department_slug"],
        addressee=letter["addressee_slug"],
        received_at=_iso(letter["received_at"]),
        due_date=letter["due_date"].isoformat(),
        overdue=bool(letter.get("overdue")),
        reply=letter["reply"],
        replied_at=_iso(letter["replied_at"]),
        rating=letter["rating"],
        rating_comment=letter["rating_comment"],
        published=letter["published"],
        public_subject=letter["public_subject"],
        public_body=letter["public_body"],
        public_reply=letter["public_reply"],
        phone=phone,
    )
