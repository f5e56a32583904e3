"""The writer's side of a letter: writing it, following it with the query code, rating the reply."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import engagement.tasks  # noqa: F401 - registers engagement.deliver_sms also where no app was built (demo data)
from engagement import clock
from engagement.db import unit_of_work
from engagement.errors import Conflict, InvalidInput
from engagement.i18n import _
from engagement.limits import count_citizen_action
from engagement.notifications import notify_citizen
from engagement.uploads import MB, store_upload
from engagement.verification import VerifiedCitizen
from mailbox.schemas import LetterCreate, RatingRequest
from mailbox.services.common import (
    CATEGORY_LABELS,
    clean_text,
    department_by_slug,
    desk_id,
    fetch_letter,
    is_open,
    letter_for_writer,
    query_code_hash,
    timeline,
)
from mailbox.services.deadlines import due_date_for
from mailbox.tables import Category, Letter, LetterAttachment, LetterCounter, Status
from mailbox.workflows import LETTER, WRITER_HIDDEN_TRANSITIONS

MAX_ATTACHMENTS = 5
ATTACHMENT_KINDS = frozenset({"png", "jpeg", "pdf"})
ATTACHMENT_MAX_BYTES = 10 * MB
QUERY_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
QUERY_CODE_LENGTH = 10


@dataclass(frozen=True)
class Submitted:
    letter: dict[str, Any]
    query_code: str


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str


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
    """A letter to ``department`` (a slug) or, without one, to the receiving desk; with no desk it waits
    unrouted for an administrator. Never refused because of how the mailbox is configured."""
    subject_text = clean_text(subject, LetterCreate, "subject")
    body_text = clean_text(body, LetterCreate, "body")
    name_text = clean_text(name, LetterCreate, "name")
    category_value = _category(category)
    addressee = (await department_by_slug(department))["id"] if department else await desk_id()
    stored = _store_attachments(list(attachments))
    received_at = clock.now()
    due = await due_date_for(category_value, received_at)
    query_code = "".join(secrets.choice(QUERY_CODE_ALPHABET) for _index in range(QUERY_CODE_LENGTH))
    async with unit_of_work():
        await count_citizen_action(citizen.id, "letter")
        tracking_number = await _next_tracking_number(clock.local_date(received_at).year)
        letter = Letter(
            tracking_number=tracking_number, query_code_hash=query_code_hash(tracking_number, query_code),
            category=category_value, subject=subject_text, body=body_text, writer_name=name_text,
            citizen=citizen.id, addressee=addressee, department=addressee, public_consent=bool(public_consent),
            status=Status.received.value, received_at=received_at, due_date=due,
        )
        await letter.save()
        await _save_attachments(letter.id, stored)
        await LETTER.record("submit", letter.id, from_state="", actor=citizen,
                            detail={"department": addressee} if addressee else {})
        await notify_citizen(
            citizen.id,
            _("[Government Engagement] Your letter was received. Tracking number %(number)s, query code %(code)s. "
              "Keep them to follow your letter.") % {"number": tracking_number, "code": query_code},
            purpose="mailbox_receipt", event_key=f"letter:{letter.id}:receipt",
        )
    return Submitted(letter=await fetch_letter(tracking_number), query_code=query_code)


def _category(category: object) -> str:
    value = getattr(category, "value", category) or Category.consultation.value
    if value not in CATEGORY_LABELS:
        raise InvalidInput(_("Unknown category."))
    return value


def _store_attachments(uploads: list[Upload]) -> list[Any]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise InvalidInput(_("At most %(count)d attachments.") % {"count": MAX_ATTACHMENTS})
    return [store_upload(upload.data, upload.filename, ATTACHMENT_KINDS, ATTACHMENT_MAX_BYTES) for upload in uploads]


async def _next_tracking_number(year: int) -> str:
    # One atomic statement: concurrent submissions each get the next number of the year.
    counter = await LetterCounter.raw(
        "INSERT INTO mailbox_counter (year, last) VALUES ({}, 1) "
        "ON CONFLICT (year) DO UPDATE SET last = mailbox_counter.last + 1 RETURNING last",
        year,
    )
    return f"{year}-{counter[0]['last']:06d}"


async def _save_attachments(letter_id: int, stored: list[Any]) -> None:
    if stored:
        await LetterAttachment.insert(*[
            LetterAttachment(letter=letter_id, key=item.key, kind=item.kind, content_type=item.content_type,
                             size=item.size, original_name=item.original_name)
            for item in stored
        ])


async def rate_letter(tracking_number: str, query_code: str, rating: object, comment: object = "") -> dict[str, Any]:
    """The writer rates the reply once (1-5); the rating closes the letter."""
    letter = await letter_for_writer(tracking_number, query_code)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise InvalidInput(_("The rating is a whole number from 1 to 5."))
    comment_text = clean_text(comment, RatingRequest, "comment", required=False)
    if is_open(letter):
        raise Conflict(_("The letter can be rated once it has been answered."))
    if letter["rating"] is not None:
        raise Conflict(_("This letter has already been rated."))
    # The query code proves the writer, as an SMS code would: the history names the letter's citizen.
    writer = VerifiedCitizen(id=letter["citizen"], phone_hash="") if letter["citizen"] else None
    await LETTER.apply("rate", letter["id"], actor=writer, expect=Status.replied, values={
        Letter.rating: rating, Letter.rating_comment: comment_text, Letter.rated_at: clock.now()})
    return await fetch_letter(tracking_number)


async def writer_view(tracking_number: str, query_code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The letter and its timeline for the writer (no staff names, notes, reasons or publication)."""
    letter = await letter_for_writer(tracking_number, query_code)
    events = await timeline(letter["id"], hidden=WRITER_HIDDEN_TRANSITIONS)
    return letter, [{**event, "actor_name": "", "note": ""} for event in events]
