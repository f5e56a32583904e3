"""What people do with opinions: submit, support, moderate, review; the public and staff reads.

One function per action, used by api.py and pages.py (consultations and topics are in
services.py). Every state change goes through the workflows of consultations/workflows.py, which
check the permission, compare and set the state, and write the history and the audit entry.
Read functions run a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
from dataclasses import dataclass
from typing import Any

from piccolo.querystring import QueryString

from consultations.schemas import (
    DEFAULT_PER_PAGE,
    MAX_OPINION_LENGTH,
    MIN_OPINION_LENGTH,
    OpinionPublic,
    OpinionStaff,
    OpinionSubmitted,
    SupportResult,
    page_bounds,
)
from consultations.tables import ADOPTED, DECIDED, Consultation, Decision, Moderation, Opinion, Section, Status
from consultations.workflows import OPINION_DECISION, OPINION_MODERATION, accepting_opinions, review_transition
from engagement import audit, moderation, permissions, votes
from engagement.accounts import Staff
from engagement.clock import aware, now
from engagement.crypto import keyring
from engagement.db import contains, unit_of_work
from engagement.errors import Conflict, InvalidInput, NotFound
from engagement.i18n import DEFAULT_LANGUAGE, N_, _, catalogue
from engagement.limits import count_citizen_action
from engagement.notifications import notify_citizen
from engagement.prepared import PreparedQuery, prepared
from engagement.verification import VerifiedCitizen

VOTE_KIND = "consultation_opinion"
DECISION_VALUES = frozenset(decision.value for decision in DECIDED)
# One-click replies offered on the review queue (translated when shown).
REPLY_TEMPLATES = {
    Decision.adopted.value: N_("Thank you. Your opinion has been adopted and the text has been revised accordingly."),
    Decision.partially_adopted.value: N_(
        "Thank you. Part of your opinion has been adopted; the rest is covered by other policies."),
    Decision.not_adopted.value: N_(
        "Thank you. Your opinion was carefully studied but is outside the scope of this plan."),
}
SMS_REPLY = N_("[Government Engagement] Your opinion on “%(title)s” has been answered. See the consultation page: %(path)s")


# ---------- loaders ----------

async def get_opinion_for_staff(staff: Staff, opinion_id: int, permission: str) -> dict[str, Any]:
    """The opinion row (with its consultation's department and title), or 404 / 403 for ``permission``."""
    row = await Opinion.select(
        Opinion.all_columns(), Opinion.consultation.department.as_alias("department_id"),
        Opinion.consultation.title.as_alias("consultation_title"),
    ).where(Opinion.id == opinion_id).first()
    if row is None:
        raise NotFound(_("The opinion was not found."))
    permissions.require(staff, permission, row["department_id"])
    return row


async def _require_staff_of(staff: Staff, consultation_id: int, permission: str) -> None:
    row = await Consultation.select(Consultation.department).where(Consultation.id == consultation_id).first()
    if row is None:
        raise NotFound(_("The consultation was not found."))
    permissions.require(staff, permission, row["department"])


async def _require_published(consultation_id: int) -> None:
    published = await Consultation.exists().where(
        (Consultation.id == consultation_id) & (Consultation.status != Status.draft))
    if not published:
        raise NotFound(_("The consultation was not found."))


# ---------- citizens ----------

def _normalise_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


async def _section_id(consultation_id: int, number: int | None) -> int | None:
    if number is None:
        return None
    found = await Section.select(Section.id).where(
        (Section.consultation == consultation_id) & (Section.number == number)).first()
    if found is None:
        raise InvalidInput(_("The draft has no such section."))
    return found["id"]


async def submit_opinion(
    citizen: VerifiedCitizen,
    consultation_id: int,
    content: str,
    name: str | None = None,
    organization: str | None = None,
    section: int | None = None,
    notify_by_sms: bool = False,
) -> OpinionSubmitted:
    """Store an opinion: published at once, or held (pending) when it hits a sensitive word.

    The deadline is checked here, against the clock, whatever the closing job has done.
    """
    content = (content or "").strip()
    if not MIN_OPINION_LENGTH <= len(content) <= MAX_OPINION_LENGTH:  # the request struct counts spaces too
        raise InvalidInput(_("The opinion must be 5 to 5,000 characters long."))
    name = (name or "").strip()[:50]
    organization = (organization or "").strip()[:100]
    row = await Consultation.select(
        Consultation.id, Consultation.status, Consultation.opens_at, Consultation.closes_at
    ).where(Consultation.id == consultation_id).first()
    if row is None:
        raise NotFound(_("The consultation was not found."))
    if not accepting_opinions(row):
        raise Conflict(_("This consultation is not open for opinions."))
    section_id = await _section_id(consultation_id, section)
    state = await moderation.initial_state(f"{content} {name} {organization}")
    digest = hashlib.sha256(_normalise_text(content).encode()).hexdigest()
    async with unit_of_work():
        await count_citizen_action(citizen.id, "opinion")
        inserted = await Opinion.insert(Opinion(
            consultation=consultation_id, section=section_id, content=content, name=name,
            organization=organization, citizen=citizen.id, dedupe_key=f"{consultation_id}:{citizen.id}:{digest}",
            moderation=state.value, notify_by_sms=bool(notify_by_sms),
        )).on_conflict(target=Opinion.dedupe_key, action="DO NOTHING").returning(Opinion.id)
        if not inserted:
            raise Conflict(_("You have already submitted this opinion."))
        opinion_id = inserted[0]["id"]
        submitted = "submit" if state == Moderation.approved else "submit_held"
        await OPINION_MODERATION.record(submitted, opinion_id, from_state="", actor=citizen)
    return OpinionSubmitted(id=opinion_id, status=state.value, consultation=consultation_id)


async def support_opinion(citizen: VerifiedCitizen, opinion_id: int) -> SupportResult:
    """One support per phone number per opinion, also under concurrent requests."""
    row = await Opinion.select(Opinion.moderation, Opinion.consultation,
                               Opinion.consultation.status.as_alias("status")).where(Opinion.id == opinion_id).first()
    if row is None or row["moderation"] != Moderation.approved or row["status"] == Status.draft:
        raise NotFound(_("The opinion was not found."))
    result = await votes.cast_vote(VOTE_KIND, opinion_id, citizen.id)
    return SupportResult(support_count=result.support_count, counted=result.counted,
                         consultation=row["consultation"])


# ---------- staff actions ----------

def _check_decision(decision: str) -> None:
    if decision not in DECISION_VALUES:
        raise InvalidInput(_("The decision must be adopted, partially_adopted or not_adopted."))


async def review_opinion(staff: Staff, opinion_id: int, decision: str, reply: str,
                         client_address: str = "") -> OpinionStaff:
    """Record the decision and reply; the citizen gets an SMS if they asked for one."""
    _check_decision(decision)
    async with unit_of_work():
        row = await get_opinion_for_staff(staff, opinion_id, "opinion.review")
        await _decide(staff, row, decision, reply, client_address)
    return (await _staff_opinions([opinion_id]))[0]


async def review_opinions(staff: Staff, consultation_id: int, opinion_ids: list[int], decision: str, reply: str,
                          client_address: str = "") -> list[OpinionStaff]:
    """The same decision and reply for many opinions of one consultation: all of them, or none."""
    _check_decision(decision)
    ids = sorted(set(opinion_ids))
    async with unit_of_work():
        await _require_staff_of(staff, consultation_id, "opinion.review")
        rows = await Opinion.select(
            Opinion.all_columns(), Opinion.consultation.title.as_alias("consultation_title"),
        ).where((Opinion.consultation == consultation_id) & Opinion.id.is_in(ids))
        if len(rows) != len(ids):
            raise NotFound(_("The opinion was not found."))
        for row in rows:
            await _decide(staff, row, decision, reply, client_address)
    return await _staff_opinions(ids)


async def _decide(staff: Staff, row: dict[str, Any], decision: str, reply: str, client_address: str) -> None:
    """Inside the caller's unit of work: the decision, its history, and the citizen's SMS after commit."""
    if row["moderation"] != Moderation.approved:
        raise Conflict(_("Moderate the opinion before deciding on it."))
    reply = (reply or "").strip()
    await OPINION_DECISION.apply(
        review_transition(row["decision"], decision), row["id"], actor=staff, expect=row["decision"],
        values={Opinion.reply: reply, Opinion.reviewer: staff.id, Opinion.reviewed_at: now()},
        note=reply, client_address=client_address,
    )
    if row["notify_by_sms"]:
        # One SMS per opinion, when it is first answered: a changed decision is shown on the page.
        await notify_citizen(row["citizen"], _answer_sms(row), purpose="consultation_reply",
                             event_key=f"consultation_opinion:{row['id']}:answered")


def _answer_sms(row: dict[str, Any]) -> str:
    # The citizen's language is unknown and the reviewer's may differ: the site's default language.
    text = catalogue(DEFAULT_LANGUAGE).gettext(SMS_REPLY)
    return text % {"title": row["consultation_title"][:40], "path": f"/consultations/{row['consultation']}"}


async def moderate_opinion(staff: Staff, opinion_id: int, action: str, client_address: str = "") -> OpinionStaff:
    """approve or reject (the transitions of OPINION_MODERATION)."""
    await OPINION_MODERATION.apply(action, opinion_id, actor=staff, client_address=client_address)
    return (await _staff_opinions([opinion_id]))[0]


# ---------- public reads ----------

def _support_count() -> QueryString:
    """A scalar subquery of an opinion row: its support votes."""
    return votes.count_column(VOTE_KIND, Opinion)


_PUBLIC_OPINION_COLUMNS = (
    Opinion.id, Opinion.content, Opinion.name, Opinion.organization, Opinion.decision, Opinion.reply,
    Opinion.created_at, Opinion.reviewed_at, Opinion.section.number.as_alias("section_number"), _support_count(),
)


def _published(consultation_id: Any):
    return (Opinion.consultation == consultation_id) & (Opinion.moderation == Moderation.approved)


@functools.lru_cache(maxsize=64)
def _public_page_query(by_section: bool, limit: int, offset: int) -> PreparedQuery:
    """Published opinions of a consultation, newest first, one page (of one section)."""

    def declare(p: Any) -> Any:
        query = Opinion.select(*_PUBLIC_OPINION_COLUMNS).where(_published(p.consultation))
        if by_section:
            query = query.where(Opinion.section.number == p.section)
        return query.order_by(Opinion.id, ascending=False).limit(limit).offset(offset)

    return prepared(declare)


_ADOPTED = prepared(lambda p: Opinion.select(*_PUBLIC_OPINION_COLUMNS).where(_published(p.consultation)).where(
    Opinion.decision.is_in([decision.value for decision in ADOPTED])).order_by(Opinion.id))
_PUBLISHED_TOTAL = prepared(lambda p: Opinion.count().where(_published(p.consultation)))
_SECTION_TOTAL = prepared(lambda p: Opinion.count().where(_published(p.consultation)).where(
    Opinion.section.number == p.section))


async def _public_opinion_rows(consultation_id: int, section: int | None, limit: int,
                               offset: int) -> list[dict[str, Any]]:
    if section is None:
        return await _public_page_query(False, limit, offset).run(consultation=consultation_id)
    return await _public_page_query(True, limit, offset).run(consultation=consultation_id, section=section)


def _public_opinions(rows: list[dict[str, Any]]) -> list[OpinionPublic]:
    return [
        OpinionPublic(
            id=row["id"], content=row["content"], author=row["name"] or "", organization=row["organization"],
            section=row["section_number"],
            decision=row["decision"], reply=row["reply"], support_count=row["support_count"],
            created_at=aware(row["created_at"]), reviewed_at=aware(row["reviewed_at"]),
        )
        for row in rows
    ]


async def adopted_opinions(consultation_id: int) -> list[OpinionPublic]:
    """The adopted and partially adopted opinions, oldest first, for the outcome report."""
    return _public_opinions(await _ADOPTED.run(consultation=consultation_id))


async def list_public_opinions(consultation_id: int, section: int | None = None, page: int = 1,
                               per_page: int = DEFAULT_PER_PAGE) -> tuple[list[OpinionPublic], int]:
    """Published opinions, newest first: 3 queries whatever the number of rows."""
    await _require_published(consultation_id)
    page, per_page = page_bounds(page, per_page)
    rows = await _public_opinion_rows(consultation_id, section, per_page, (page - 1) * per_page)
    return _public_opinions(rows), await _public_total(consultation_id, section)


async def _public_total(consultation_id: int, section: int | None) -> int:
    if section is None:
        return await _PUBLISHED_TOTAL.run(consultation=consultation_id)
    return await _SECTION_TOTAL.run(consultation=consultation_id, section=section)


async def public_opinions_page(consultation_id: int, published: int, section: int | None = None, page: int = 1,
                               per_page: int = DEFAULT_PER_PAGE) -> tuple[list[OpinionPublic], int]:
    """``list_public_opinions`` for a consultation just read as published, with ``published`` opinions
    (its ``opinion_count``): one query, a second one for the total of a section."""
    page, per_page = page_bounds(page, per_page)
    rows = await _public_opinion_rows(consultation_id, section, per_page, (page - 1) * per_page)
    total = published if section is None else await _SECTION_TOTAL.run(consultation=consultation_id, section=section)
    return _public_opinions(rows), total


# ---------- staff reads ----------

_STAFF_OPINION_COLUMNS = (
    Opinion.id, Opinion.consultation, Opinion.content, Opinion.name, Opinion.organization, Opinion.moderation,
    Opinion.decision, Opinion.reply, Opinion.reviewed_at, Opinion.notify_by_sms, Opinion.created_at,
    Opinion.section.number.as_alias("section_number"),
    Opinion.reviewer.display_name.as_alias("reviewer_name"),
    Opinion.citizen.phone_encrypted.as_alias("phone_encrypted"),
)


async def _staff_opinions(ids: list[int]) -> list[OpinionStaff]:
    rows = await Opinion.select(*_STAFF_OPINION_COLUMNS).where(Opinion.id.is_in(ids)).order_by(Opinion.id)
    return await _staff_reads(rows)


async def _staff_reads(rows: list[dict[str, Any]]) -> list[OpinionStaff]:
    supports = await votes.vote_counts(VOTE_KIND, [row["id"] for row in rows])
    keys = keyring()
    return [
        OpinionStaff(
            id=row["id"], consultation=row["consultation"], content=row["content"], name=row["name"],
            organization=row["organization"], contact_phone=keys.decrypt(row["phone_encrypted"]),
            section=row["section_number"], status=row["moderation"], decision=row["decision"], reply=row["reply"],
            reviewer=row["reviewer_name"] or "", reviewed_at=aware(row["reviewed_at"]),
            notify_by_sms=row["notify_by_sms"], support_count=supports.get(row["id"], 0),
            created_at=aware(row["created_at"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class QueueFilters:
    status: str | None = None  # moderation: pending, approved, rejected
    decision: str | None = None
    section: int | None = None
    q: str | None = None


async def review_queue(staff: Staff, consultation_id: int, filters: QueueFilters, page: int = 1,
                       per_page: int = DEFAULT_PER_PAGE) -> tuple[list[OpinionStaff], int]:
    """The department's queue: every opinion, filterable; a fixed number of queries."""
    await _require_staff_of(staff, consultation_id, "opinion.review")
    page, per_page = page_bounds(page, per_page)
    conditions = [Opinion.consultation == consultation_id]
    if filters.status:
        conditions.append(Opinion.moderation == filters.status)
    if filters.decision:
        conditions.append(Opinion.decision == filters.decision)
    if filters.section is not None:
        conditions.append(Opinion.section.number == filters.section)
    if filters.q and filters.q.strip():
        conditions.append(contains(Opinion.content, filters.q))
    query = Opinion.select(*_STAFF_OPINION_COLUMNS)
    count = Opinion.count()
    for condition in conditions:
        query, count = query.where(condition), count.where(condition)
    rows = await query.order_by(Opinion.id).limit(per_page).offset((page - 1) * per_page)
    return await _staff_reads(rows), await count


# ---------- export ----------

EXPORT_HEADER = ("id", "section", "content", "name", "organization", "status", "decision", "reply", "support_count",
                 "created_at")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


async def export_opinions(staff: Staff, consultation_id: int, fmt: str, client_address: str = "") -> tuple[bytes, str]:
    """All opinions of one consultation as CSV or XLSX (staff only, audit-logged). Returns (bytes, filename)."""
    await _require_staff_of(staff, consultation_id, "consultation.export")
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput(_("The export format must be csv or xlsx."))
    rows = await Opinion.select(*_STAFF_OPINION_COLUMNS).where(Opinion.consultation == consultation_id).order_by(
        Opinion.id)
    opinions = await _staff_reads(rows)
    table = [EXPORT_HEADER] + [
        tuple(safe_cell(v) for v in (o.id, o.section or "", o.content, o.name, o.organization, o.status, o.decision,
                                     o.reply, o.support_count, o.created_at.isoformat()))
        for o in opinions
    ]
    await audit.record(staff, "consultation.export", "consultation", consultation_id,
                       {"format": fmt, "rows": len(opinions)}, client_address)
    filename = f"consultation-{consultation_id}-opinions.{fmt}"
    if fmt == "csv":
        return _csv(table), filename
    return _xlsx(table), filename


def _csv(table: list[tuple[Any, ...]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8


def _xlsx(table: list[tuple[Any, ...]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "opinions"
    for line in table:
        sheet.append(list(line))
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
