"""Request and response shapes of the mailbox API.

Public read types (``PublicLetter``, ``WriterLetter``) and staff read types (``StaffLetter``) are
different types built by different functions: nothing public has a field for a phone number,
an unmasked name, the query code or an unpublished text.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from mailbox.tables import ANSWERED_STATUSES
from mailbox.workdays import local_date

Text200 = Annotated[str, msgspec.Meta(max_length=200)]
Text5000 = Annotated[str, msgspec.Meta(max_length=5000)]


class LetterCreate(msgspec.Struct, forbid_unknown_fields=False):
    subject: Text200
    body: Text5000
    name: Annotated[str, msgspec.Meta(max_length=50)]
    public_consent: bool = False
    department: str | None = None
    category: str = "consultation"
    phone: str | None = None  # with code: the verification, when no citizen token is sent
    code: str | None = None


class LetterReceipt(msgspec.Struct):
    tracking_number: str
    query_code: str
    status: str
    due_date: str


class AssignRequest(msgspec.Struct):
    department: str
    note: str = ""


class ReplyRequest(msgspec.Struct):
    reply: Text5000


class TransferRequest(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(max_length=2000)]


class NoteRequest(msgspec.Struct):
    body: Annotated[str, msgspec.Meta(max_length=2000)]


class PublishRequest(msgspec.Struct, forbid_unknown_fields=False):
    subject: str | None = None
    body: str | None = None
    reply: str | None = None


class RatingRequest(msgspec.Struct):
    query_code: Annotated[str, msgspec.Meta(max_length=32)]
    rating: int
    comment: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class TemplateCreate(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(max_length=100)]
    body: Text5000
    for_all_departments: bool = False


class PublicLetter(msgspec.Struct):
    tracking_number: str
    category: str
    subject: str
    body: str
    reply: str
    department: str
    department_name: str
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
    department_name: str
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
    department: str
    addressee: str
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
