"""Publication of answered letters (masked, with the writer's consent) and the public search over them."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from engagement import clock
from engagement.accounts import Staff
from engagement.errors import Conflict, InvalidInput, NotFound
from engagement.i18n import _
from engagement.masking import Finding, find_personal_data, mask_personal_data
from engagement.prepared import PreparedQuery, prepared
from mailbox import search
from mailbox.schemas import PublishRequest
from mailbox.services.common import (
    CATEGORY_LABELS,
    PAGE_SIZE,
    Page,
    clean_text,
    fetch_letter,
    letter_for_staff,
    page_numbers,
    public_columns,
)
from mailbox.tables import Letter
from mailbox.workflows import LETTER


@dataclass(frozen=True)
class PublicDraft:
    subject: str
    body: str
    reply: str
    findings: dict[str, list[Finding]] = field(default_factory=dict)


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
    letter = await letter_for_staff(staff, tracking_number, "letter.publish")
    return letter, draft_public_version(letter)


async def publish_letter(staff: Staff, tracking_number: str, subject: object = None, body: object = None,
                         reply: object = None, client_address: str = "") -> dict[str, Any]:
    """Publish the masked version, as edited by staff; masking runs again over the edited text.

    Only answered letters (409 otherwise, from the workflow) whose writer agreed (409 otherwise).
    """
    letter = await letter_for_staff(staff, tracking_number, "letter.publish")
    if not letter["public_consent"]:
        raise Conflict(_("The writer did not agree to publication."))
    draft = draft_public_version(letter)
    names = [letter["writer_name"]]

    def public(text: object, part: str) -> str:
        edited = clean_text(text, PublishRequest, part) if text is not None else getattr(draft, part)
        return mask_personal_data(edited, names)

    subject_text, body_text, reply_text = public(subject, "subject"), public(body, "body"), public(reply, "reply")
    search_text = f"{subject_text}\n{body_text}\n{reply_text}"
    await LETTER.apply("publish", letter["id"], actor=staff, client_address=client_address, values={
        Letter.published: True, Letter.published_at: letter["published_at"] or clock.now(),
        Letter.public_subject: subject_text, Letter.public_body: body_text, Letter.public_reply: reply_text,
        Letter.search_text: search_text, Letter.search_bigrams: search.bigrams(search_text),
    }, detail={"department": letter["department"]} if letter["department"] else {})
    return await fetch_letter(tracking_number)


async def unpublish_letter(staff: Staff, tracking_number: str, client_address: str = "") -> dict[str, Any]:
    letter = await letter_for_staff(staff, tracking_number, "letter.publish")
    if not letter["published"]:
        raise Conflict(_("The letter is not published."))
    await LETTER.apply("unpublish", letter["id"], actor=staff, client_address=client_address,
                       values={Letter.published: False}, expect=letter["status"],
                       detail={"department": letter["department"]} if letter["department"] else {})
    return await fetch_letter(tracking_number)


def month_range(month: str | None) -> tuple[datetime, datetime] | None:
    """``YYYY-MM`` as [first instant, first instant of next month) in Beijing time; None when empty."""
    if not month:
        return None
    try:
        first = datetime.strptime(month, "%Y-%m").replace(tzinfo=clock.LOCAL_TIMEZONE)
    except ValueError:
        raise InvalidInput(_("The month is written YYYY-MM.")) from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first.astimezone(UTC), following.astimezone(UTC)


# The newest matches of a search or a filter that pages reach (100 pages of 20). Deeper pages come back empty,
# with the total: at 1,000,000 letters page 9,999 of 电梯 took 170-450 ms, page 499 of 电梯 补贴 2.9 s on
# PostgreSQL; within the window the deepest page costs 15-200 ms (bench/README.md, "Deep pages").
SEARCH_WINDOW = 2_000


async def search_published(q: str | None = None, category: str | None = None, department: str | None = None,
                           month: str | None = None, page: int | None = 1, page_size: int | None = PAGE_SIZE,
                           published_month: str | None = None) -> Page:
    """Published letters (masked public version only), newest first. Two queries, whatever the page size."""
    number, size = page_numbers(page, page_size)
    terms = search.terms_of(q)
    filters = [Letter.published == True]  # noqa: E712
    searched = bool(terms or category or department or month or published_month)
    if category:
        if category not in CATEGORY_LABELS:
            raise InvalidInput(_("Unknown category."))
        filters.append(Letter.category == category)
    if department:
        filters.append(Letter.department.slug == department)
    ids = None
    if (months := month_range(month)) is not None:
        if (ids := await search.received_span(*months)) is None:
            return Page(items=[], total=0, page=number, page_size=size)  # no letter was received that month
        filters.extend(search.received_within(*months, ids))
    if (months := month_range(published_month)) is not None:
        filters.extend([Letter.published_at >= months[0], Letter.published_at < months[1]])
    # Newest letters first by id (the search index's order), so a page of a common term needs no sort of all matches.
    where = [*filters, *(search.term_condition(term, ids) for term in terms)]
    offset = (number - 1) * size
    if searched and offset >= SEARCH_WINDOW:
        rows = []  # beyond the newest SEARCH_WINDOW matches: narrow the search (a month, a department)
    else:
        rows = await search.newest_matches(public_columns(), filters, terms, offset, size, ids)
    if searched:  # exact below a few thousand matches, estimated above (search.total_matches)
        counted = rows
        if not rows and number > 1:  # beyond the last page: the first page tells the total (a count could not
            # stop early: two common words never together took 1.4 s at 1,000,000 letters on SQLite)
            counted, offset = await search.newest_matches((Letter.id,), filters, terms, 0, size, ids), 0
        total = await search.total_matches(where, counted, offset, size, filters)
    else:  # every published letter: counted in the index of ``published`` alone (43 ms at 1,000,000)
        total = await Letter.count().where(*where)
    return Page(items=rows, total=total, page=number, page_size=size)


_PUBLISHED_LETTER = prepared(lambda p: Letter.select(*public_columns()).where(
    (Letter.tracking_number == p.tracking_number) & (Letter.published == True)  # noqa: E712
).first())


async def latest_published(limit: int) -> list[dict[str, Any]]:
    """The newest published letters (masked public version only), as a search without terms orders them: one
    query, without the total a list page needs."""
    return await _latest_published_query(limit).run()


@functools.lru_cache(maxsize=8)
def _latest_published_query(limit: int) -> PreparedQuery:
    """Per limit: a prepared query's limit is part of its SQL."""
    return prepared(lambda p: Letter.select(*public_columns()).where(
        Letter.published == True).order_by(Letter.id, ascending=False).limit(limit))  # noqa: E712


async def suggest_similar(subject: str, limit: int = 5) -> list[dict[str, Any]]:
    """Published letters sharing a piece of the subject being typed, the most recently published first."""
    return await search.similar_letters(public_columns(), search.suggestion_terms(subject or ""), limit)


async def get_published_letter(tracking_number: str) -> dict[str, Any]:
    row = await _PUBLISHED_LETTER.run(tracking_number=tracking_number)
    if row is None:
        raise NotFound(_("No published letter with this tracking number."))
    return row
