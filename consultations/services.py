"""What people do with consultations: one function per action, used by api.py and pages.py.

Each action takes plain values and the acting staff member or verified citizen, checks
permission (consultations.permissions), owns its transaction and side effects (audit entry,
jobs queued after commit) and returns a read model or raises an engagement.errors error.
Read functions run a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from consultations import permissions
from consultations.schemas import (
    AttachmentRead,
    ConsultationDetail,
    ConsultationRead,
    DepartmentRef,
    ExtensionRead,
    OpinionPublic,
    OpinionStaff,
    OpinionSubmitted,
    OutcomeGroup,
    OutcomeRead,
    SectionRead,
    SupportResult,
    TopicRead,
)
from consultations.tables import (
    Attachment,
    Consultation,
    DeadlineExtension,
    Decision,
    Opinion,
    Outcome,
    Section,
    Status,
    Topic,
)
from engagement import audit, jobs, moderation, votes
from engagement.accounts import Staff
from engagement.crypto import keyring
from engagement.db import contains, write_transaction
from engagement.errors import Conflict, InvalidInput, NotFound
from engagement.i18n import N_, _
from engagement.masking import mask_name, mask_personal_data
from engagement.notifications import queue_sms
from engagement.tables import Department
from engagement.uploads import MB, store_upload
from engagement.verification import VerifiedCitizen, citizen_phone

VOTE_KIND = "consultation_opinion"
LOCAL_TIME = ZoneInfo("Asia/Shanghai")
MIN_OPINION_LENGTH = 5
MAX_OPINION_LENGTH = 5000
ATTACHMENT_KINDS = frozenset({"pdf", "docx", "png", "jpeg"})
ATTACHMENT_MAX_BYTES = 20 * MB
ATTACHMENT_PURPOSES = {
    "draft": ATTACHMENT_KINDS,
    "final": ATTACHMENT_KINDS,
    "interpretation": frozenset({"png", "jpeg", "pdf"}),
}
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
DECISIONS = (Decision.adopted.value, Decision.partially_adopted.value, Decision.not_adopted.value)
# One-click replies offered on the review queue (translated when shown).
REPLY_TEMPLATES = {
    "adopted": N_("Thank you. Your opinion has been adopted and the text has been revised accordingly."),
    "partially_adopted": N_("Thank you. Part of your opinion has been adopted; the rest is covered by other policies."),
    "not_adopted": N_("Thank you. Your opinion was carefully studied but is outside the scope of this plan."),
}


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """Naive times from forms and clients are Beijing time; stored times are compared in UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TIME)
    return value.astimezone(UTC)


# ---------- loaders (the only way staff handlers get an object) ----------

async def get_consultation_for_staff(staff: Staff, consultation_id: int, permission: str) -> dict[str, Any]:
    """The consultation row, or NotFound (404) / Forbidden (403) for ``permission``."""
    row = await Consultation.select().where(Consultation.id == consultation_id).first()
    if row is None:
        raise NotFound(_("The consultation was not found."))
    permissions.require(staff, permission, row["department"])
    return row


async def get_opinion_for_staff(staff: Staff, opinion_id: int, permission: str) -> dict[str, Any]:
    row = await Opinion.select(
        Opinion.all_columns(), Opinion.consultation.department.as_alias("department_id"),
        Opinion.consultation.title.as_alias("consultation_title"),
    ).where(Opinion.id == opinion_id).first()
    if row is None:
        raise NotFound(_("The opinion was not found."))
    permissions.require(staff, permission, row["department_id"])
    return row


async def _public_consultation_row(consultation_id: int) -> dict[str, Any]:
    row = await Consultation.select(
        Consultation.all_columns(),
        Consultation.department.slug.as_alias("department_slug"),
        Consultation.department.name.as_alias("department_name"),
    ).where((Consultation.id == consultation_id) & (Consultation.status != Status.draft.value)).first()
    if row is None:
        raise NotFound(_("The consultation was not found."))
    return row


# ---------- status ----------

def effective_status(row: dict[str, Any], at: datetime | None = None) -> str:
    """The stored status, except that an open consultation is closed from its deadline on."""
    at = at or now()
    if row["status"] == Status.open.value and aware(row["closes_at"]) <= at:
        return Status.closed.value
    return row["status"]


def accepting_opinions(row: dict[str, Any], at: datetime | None = None) -> bool:
    at = at or now()
    opens_at = aware(row.get("opens_at"))
    return effective_status(row, at) == Status.open.value and (opens_at is None or opens_at <= at)


# ---------- staff actions on consultations ----------

def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("The consultation needs a title."))
    return title


async def department_id(slug: str) -> int:
    row = await Department.select(Department.id).where(Department.slug == (slug or "").strip()).first()
    if row is None:
        raise InvalidInput(_("No department with this slug."))
    return row["id"]


async def _check_topic(topic_id: int | None) -> None:
    if topic_id is not None and not await Topic.exists().where(Topic.id == topic_id):
        raise InvalidInput(_("No topic with this id."))


def _check_dates(opens_at: datetime | None, closes_at: datetime) -> None:
    if opens_at is not None and opens_at >= closes_at:
        raise InvalidInput(_("The consultation must close after it opens."))


async def create_consultation(
    staff: Staff,
    *,
    title: str,
    department: str,
    closes_at: datetime,
    summary: str = "",
    body: str = "",
    opens_at: datetime | None = None,
    topic: int | None = None,
    sections: Iterable[tuple[str, str]] | None = None,
    client_address: str = "",
) -> int:
    owner_id = await department_id(department)
    permissions.require(staff, "consultation.create", owner_id)
    title = _clean_title(title)
    closes, opens = aware(closes_at), aware(opens_at)
    _check_dates(opens, closes)
    await _check_topic(topic)
    async with write_transaction(Consultation._meta.db):
        consultation = Consultation(
            department=owner_id, title=title, summary=summary.strip(), body=body, closes_at=closes,
            opens_at=opens, topic=topic, created_by=staff.id, status=Status.draft.value,
        )
        if topic is not None:
            consultation.topic_position = await Consultation.count().where(Consultation.topic == topic)
        await consultation.save()
        if sections:
            await _replace_sections(consultation.id, sections)
    await audit.record(staff, "consultation.create", "consultation", consultation.id, {"title": title},
                       client_address)
    return consultation.id


async def _replace_sections(consultation_id: int, sections: Iterable[tuple[str, str]]) -> None:
    await Section.delete().where(Section.consultation == consultation_id)
    rows = [
        Section(consultation=consultation_id, number=number, heading=heading.strip(), body=body)
        for number, (heading, body) in enumerate(sections, start=1)
        if heading.strip()
    ]
    if rows:
        await Section.insert(*rows)


async def update_consultation(staff: Staff, consultation_id: int, changes: dict[str, Any],
                              client_address: str = "") -> None:
    """Edit texts and dates; sections only while nobody could have commented on them (draft)."""
    row = await get_consultation_for_staff(staff, consultation_id, "consultation.edit")
    if row["status"] == Status.concluded.value:
        raise Conflict(_("A concluded consultation can no longer be edited."))
    values: dict[Any, Any] = {}
    if changes.get("title") is not None:
        values[Consultation.title] = _clean_title(changes["title"])
    for key in ("summary", "body"):
        if changes.get(key) is not None:
            values[getattr(Consultation, key)] = changes[key]
    if "topic" in changes and changes["topic"] is not None:
        await _check_topic(changes["topic"])
        values[Consultation.topic] = changes["topic"]
    opens = aware(changes.get("opens_at")) if changes.get("opens_at") else aware(row["opens_at"])
    closes = aware(row["closes_at"])
    if changes.get("closes_at") is not None:
        if row["status"] != Status.draft.value:
            raise Conflict(_("Once published, the deadline changes only by a recorded extension."))
        closes = aware(changes["closes_at"])
        values[Consultation.closes_at] = closes
    if changes.get("opens_at") is not None:
        values[Consultation.opens_at] = opens
    _check_dates(opens, closes)
    sections = changes.get("sections")
    if sections is not None and row["status"] != Status.draft.value:
        raise Conflict(_("Sections can only be changed before publication."))
    async with write_transaction(Consultation._meta.db):
        if values:
            await Consultation.update(values).where(Consultation.id == consultation_id)
        if sections is not None:
            await _replace_sections(consultation_id, sections)
    await audit.record(staff, "consultation.edit", "consultation", consultation_id,
                       {"fields": sorted(changes)}, client_address)


async def add_attachment(staff: Staff, consultation_id: int, data: bytes, filename: str, purpose: str = "draft",
                         client_address: str = "") -> AttachmentRead:
    await get_consultation_for_staff(staff, consultation_id, "consultation.edit")
    if purpose not in ATTACHMENT_PURPOSES:
        raise InvalidInput(_("The purpose must be draft, final or interpretation."))
    stored = store_upload(data, filename, ATTACHMENT_PURPOSES[purpose], ATTACHMENT_MAX_BYTES)
    attachment = Attachment(consultation=consultation_id, purpose=purpose, file_key=stored.key, kind=stored.kind,
                            content_type=stored.content_type, size=stored.size, original_name=stored.original_name)
    await attachment.save()
    await audit.record(staff, "consultation.attach", "consultation", consultation_id,
                       {"file": stored.original_name, "purpose": purpose}, client_address)
    return _attachment_read(consultation_id, attachment.to_dict())


async def publish_consultation(staff: Staff, consultation_id: int, client_address: str = "") -> None:
    """draft -> open. Opinions are accepted from opens_at (now when unset) until closes_at."""
    row = await get_consultation_for_staff(staff, consultation_id, "consultation.publish")
    at = now()
    if aware(row["closes_at"]) <= at:
        raise Conflict(_("The deadline has already passed; change it before publishing."))
    updated = await Consultation.update(
        {Consultation.status: Status.open.value, Consultation.published_at: at,
         Consultation.opens_at: aware(row["opens_at"]) or at}
    ).where((Consultation.id == consultation_id) & (Consultation.status == Status.draft.value)).returning(
        Consultation.id)
    if not updated:
        raise Conflict(_("Only a draft can be published."))
    await audit.record(staff, "consultation.publish", "consultation", consultation_id, {}, client_address)


async def close_consultation(staff: Staff, consultation_id: int, client_address: str = "") -> None:
    """Close early (or record the closing of one past its deadline)."""
    await get_consultation_for_staff(staff, consultation_id, "consultation.close")
    updated = await Consultation.update({Consultation.status: Status.closed.value, Consultation.closed_at: now()}).where(
        (Consultation.id == consultation_id) & (Consultation.status == Status.open.value)
    ).returning(Consultation.id)
    if not updated:
        raise Conflict(_("Only an open consultation can be closed."))
    await audit.record(staff, "consultation.close", "consultation", consultation_id, {}, client_address)


async def extend_deadline(staff: Staff, consultation_id: int, closes_at: datetime, reason: str = "",
                          client_address: str = "") -> None:
    """Move the deadline later; recorded and shown publicly. A closed consultation reopens."""
    row = await get_consultation_for_staff(staff, consultation_id, "consultation.extend")
    new_closes = aware(closes_at)
    previous = aware(row["closes_at"])
    if row["status"] not in (Status.open.value, Status.closed.value):
        raise Conflict(_("Only a published consultation that is not concluded can be extended."))
    if new_closes <= previous or new_closes <= now():
        raise InvalidInput(_("The new deadline must be later than the current one and in the future."))
    async with write_transaction(Consultation._meta.db):
        updated = await Consultation.update({
            Consultation.closes_at: new_closes,
            Consultation.status: Status.open.value,
            Consultation.closed_at: None,
            Consultation.original_closes_at: aware(row["original_closes_at"]) or previous,
        }).where((Consultation.id == consultation_id) & (Consultation.status == row["status"])).returning(
            Consultation.id)
        if not updated:
            raise Conflict(_("The consultation changed meanwhile. Please reload."))
        await DeadlineExtension.insert(DeadlineExtension(
            consultation=consultation_id, previous_closes_at=previous, new_closes_at=new_closes,
            reason=reason.strip(), staff=staff.id,
        ))
    await audit.record(staff, "consultation.extend", "consultation", consultation_id,
                       {"from": previous.isoformat(), "to": new_closes.isoformat()}, client_address)


async def save_outcome(staff: Staff, consultation_id: int, final_text: str, interpretation: str,
                       client_address: str = "") -> None:
    row = await get_consultation_for_staff(staff, consultation_id, "consultation.conclude")
    if row["status"] == Status.draft.value:
        raise Conflict(_("A draft has no outcome yet."))
    async with write_transaction(Outcome._meta.db):
        existing = await Outcome.select(Outcome.id).where(Outcome.consultation == consultation_id).first()
        if existing:
            await Outcome.update({Outcome.final_text: final_text, Outcome.interpretation: interpretation}).where(
                Outcome.id == existing["id"])
        else:
            await Outcome.insert(Outcome(consultation=consultation_id, final_text=final_text,
                                         interpretation=interpretation))
    await audit.record(staff, "consultation.outcome", "consultation", consultation_id, {}, client_address)


async def conclude_consultation(staff: Staff, consultation_id: int, client_address: str = "") -> None:
    """closed -> concluded: the outcome (final text, interpretation, report) becomes public."""
    row = await get_consultation_for_staff(staff, consultation_id, "consultation.conclude")
    if effective_status(row) != Status.closed.value:
        raise Conflict(_("Only a closed consultation can be concluded."))
    outcome = await Outcome.select(Outcome.id, Outcome.final_text).where(
        Outcome.consultation == consultation_id).first()
    if outcome is None or not outcome["final_text"].strip():
        raise Conflict(_("Write the final document of the outcome before concluding."))
    at = now()
    async with write_transaction(Consultation._meta.db):
        updated = await Consultation.update({
            Consultation.status: Status.concluded.value, Consultation.concluded_at: at,
            Consultation.closed_at: row["closed_at"] or at,
        }).where((Consultation.id == consultation_id) & (Consultation.status.is_in(
            [Status.open.value, Status.closed.value]))).returning(Consultation.id)
        if not updated:
            raise Conflict(_("Only a closed consultation can be concluded."))
        await Outcome.update({Outcome.published_at: at}).where(Outcome.id == outcome["id"])
    await audit.record(staff, "consultation.conclude", "consultation", consultation_id, {}, client_address)


async def close_due_consultations() -> int:
    """The scheduled job: open consultations past their deadline become closed."""
    at = now()
    rows = await Consultation.update({Consultation.status: Status.closed.value, Consultation.closed_at: at}).where(
        (Consultation.status == Status.open.value) & (Consultation.closes_at <= at)
    ).returning(Consultation.id)
    return len(rows)


# ---------- citizens ----------

def _normalise_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


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
    if len(content) < MIN_OPINION_LENGTH or len(content) > MAX_OPINION_LENGTH:
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
    section_id = None
    if section is not None:
        found = await Section.select(Section.id).where(
            (Section.consultation == consultation_id) & (Section.number == section)).first()
        if found is None:
            raise InvalidInput(_("The draft has no such section."))
        section_id = found["id"]
    state = await moderation.initial_state(f"{content} {name} {organization}")
    digest = hashlib.sha256(_normalise_text(content).encode()).hexdigest()
    inserted = await Opinion.insert(Opinion(
        consultation=consultation_id, section=section_id, content=content, name=name, organization=organization,
        citizen=citizen.id, dedupe_key=f"{consultation_id}:{citizen.id}:{digest}", moderation=state.value,
        notify_by_sms=bool(notify_by_sms),
    )).on_conflict(target=Opinion.dedupe_key, action="DO NOTHING").returning(Opinion.id)
    if not inserted:
        raise Conflict(_("You have already submitted this opinion."))
    return OpinionSubmitted(id=inserted[0]["id"], status=state.value, consultation=consultation_id)


async def support_opinion(citizen: VerifiedCitizen, opinion_id: int) -> SupportResult:
    """One support per phone number per opinion, also under concurrent requests."""
    row = await Opinion.select(Opinion.id, Opinion.moderation, Opinion.consultation.status.as_alias("status")).where(
        Opinion.id == opinion_id).first()
    if row is None or row["moderation"] != "approved" or row["status"] == Status.draft.value:
        raise NotFound(_("The opinion was not found."))
    result = await votes.cast_vote(VOTE_KIND, opinion_id, citizen.id)
    return SupportResult(support_count=result.support_count, counted=result.counted)


# ---------- staff actions on opinions ----------

def _check_decision(decision: str) -> None:
    if decision not in DECISIONS:
        raise InvalidInput(_("The decision must be adopted, partially_adopted or not_adopted."))


async def review_opinion(staff: Staff, opinion_id: int, decision: str, reply: str,
                         client_address: str = "") -> OpinionStaff:
    """Record the decision and reply; the citizen gets an SMS if they asked for one."""
    _check_decision(decision)
    row = await get_opinion_for_staff(staff, opinion_id, "opinion.review")
    if row["moderation"] != "approved":
        raise Conflict(_("Moderate the opinion before deciding on it."))
    await _apply_decisions(staff, [opinion_id], decision, reply)
    await audit.record(staff, "opinion.review", "consultation_opinion", opinion_id, {"decision": decision},
                       client_address)
    await jobs.enqueue("consultations.notify_reply", opinion_id)
    return (await _staff_opinions([opinion_id]))[0]


async def review_opinions(staff: Staff, consultation_id: int, opinion_ids: list[int], decision: str, reply: str,
                          client_address: str = "") -> list[OpinionStaff]:
    """The same decision and reply for many opinions of one consultation (bulk review)."""
    _check_decision(decision)
    await get_consultation_for_staff(staff, consultation_id, "opinion.review")
    ids = sorted(set(opinion_ids))
    rows = await Opinion.select(Opinion.id, Opinion.moderation).where(
        (Opinion.consultation == consultation_id) & Opinion.id.is_in(ids))
    if len(rows) != len(ids):
        raise NotFound(_("The opinion was not found."))
    if any(r["moderation"] != "approved" for r in rows):
        raise Conflict(_("Moderate the opinion before deciding on it."))
    await _apply_decisions(staff, ids, decision, reply)
    await audit.record(staff, "opinion.review_bulk", "consultation", consultation_id,
                       {"decision": decision, "ids": ids}, client_address)
    for opinion_id in ids:
        await jobs.enqueue("consultations.notify_reply", opinion_id)
    return await _staff_opinions(ids)


async def _apply_decisions(staff: Staff, ids: list[int], decision: str, reply: str) -> None:
    await Opinion.update({
        Opinion.decision: decision, Opinion.reply: (reply or "").strip(), Opinion.reviewer: staff.id,
        Opinion.reviewed_at: now(),
    }).where(Opinion.id.is_in(ids))


async def moderate_opinion(staff: Staff, opinion_id: int, action: str, client_address: str = "") -> OpinionStaff:
    row = await get_opinion_for_staff(staff, opinion_id, "opinion.moderate")
    state = moderation.next_state(row["moderation"], action)
    updated = await Opinion.update({Opinion.moderation: state.value}).where(
        (Opinion.id == opinion_id) & (Opinion.moderation == row["moderation"])).returning(Opinion.id)
    if not updated:
        raise Conflict(_("This item has already been moderated."))
    await audit.record(staff, f"opinion.{action}", "consultation_opinion", opinion_id, {}, client_address)
    return (await _staff_opinions([opinion_id]))[0]


SMS_REPLY = N_("[Government Engagement] Your opinion on “%(title)s” has been answered. See the consultation page: %(path)s")


async def notify_reply(opinion_id: int) -> None:
    """Queue the 'your opinion was answered' SMS once (claimed atomically, so redelivery sends nothing)."""
    claimed = await Opinion.update({Opinion.notified_at: now()}).where(
        (Opinion.id == opinion_id) & (Opinion.notify_by_sms == True)  # noqa: E712
        & Opinion.notified_at.is_null() & (Opinion.decision != Decision.pending.value)
    ).returning(Opinion.citizen, Opinion.consultation)
    if not claimed:
        return
    citizen_id, consultation_id = claimed[0]["citizen"], claimed[0]["consultation"]
    title = (await Consultation.select(Consultation.title).where(Consultation.id == consultation_id).first())["title"]
    body = _(SMS_REPLY) % {"title": title[:40], "path": f"/consultations/{consultation_id}"}
    await queue_sms(await citizen_phone(citizen_id), body, purpose="consultation_reply")


# ---------- topics ----------

async def create_topic(staff: Staff, title: str, description: str = "", client_address: str = "") -> TopicRead:
    permissions.require(staff, "topic.manage")
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("The topic needs a title."))
    topic = Topic(title=title, description=description.strip())
    await topic.save()
    await audit.record(staff, "topic.create", "consultation_topic", topic.id, {"title": title}, client_address)
    return TopicRead(id=topic.id, title=topic.title, description=topic.description)


async def list_topics() -> list[TopicRead]:
    rows = await Topic.select(Topic.id, Topic.title, Topic.description).order_by(Topic.id)
    return [TopicRead(**row) for row in rows]


async def get_topic(topic_id: int) -> TopicRead:
    row = await Topic.select(Topic.id, Topic.title, Topic.description).where(Topic.id == topic_id).first()
    if row is None:
        raise NotFound(_("The topic was not found."))
    items, _total = await list_consultations(topic=topic_id, per_page=MAX_PER_PAGE, order_by_topic=True)
    return TopicRead(**row, consultations=items)


# ---------- public reads ----------

def page_bounds(page: int, per_page: int) -> tuple[int, int]:
    return max(1, page), max(1, min(MAX_PER_PAGE, per_page))


async def _counts(consultation_ids: list[int]) -> dict[int, dict[str, int]]:
    """Published opinions by decision for many consultations, in one query."""
    if not consultation_ids:
        return {}
    placeholders = ", ".join("{}" for _ in consultation_ids)
    rows = await Opinion.raw(
        "SELECT consultation AS cid, decision, COUNT(*) AS n FROM consultation_opinion "
        f"WHERE moderation = 'approved' AND consultation IN ({placeholders}) GROUP BY consultation, decision",
        *consultation_ids,
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["cid"], {})[row["decision"]] = int(row["n"])
    return counts


def _consultation_read(row: dict[str, Any], counts: dict[str, int], at: datetime) -> dict[str, Any]:
    adopted = counts.get("adopted", 0)
    partial = counts.get("partially_adopted", 0)
    not_adopted = counts.get("not_adopted", 0)
    decided = adopted + partial + not_adopted
    return {
        "id": row["id"], "title": row["title"], "summary": row["summary"], "status": effective_status(row, at),
        "accepting_opinions": accepting_opinions(row, at),
        "department": DepartmentRef(slug=row["department_slug"], name=row["department_name"]), "topic": row["topic"],
        "opens_at": aware(row["opens_at"]), "closes_at": aware(row["closes_at"]), "published_at": aware(row["published_at"]),
        "opinion_count": sum(counts.values()), "adopted_count": adopted + partial, "partially_adopted_count": partial,
        "not_adopted_count": not_adopted, "adoption_rate": round((adopted + partial) / decided, 4) if decided else 0.0,
        "view_count": row["view_count"],
    }


_LIST_COLUMNS = (
    Consultation.id, Consultation.title, Consultation.summary, Consultation.status, Consultation.topic,
    Consultation.opens_at, Consultation.closes_at, Consultation.published_at, Consultation.view_count,
    Consultation.department.slug.as_alias("department_slug"),
    Consultation.department.name.as_alias("department_name"),
)


def _status_filter(status: str | None, at: datetime):
    if status == "open":
        return (Consultation.status == Status.open.value) & (Consultation.closes_at > at)
    if status == "closed":
        return (Consultation.status == Status.closed.value) | (
            (Consultation.status == Status.open.value) & (Consultation.closes_at <= at))
    if status == "concluded":
        return Consultation.status == Status.concluded.value
    if status:
        raise InvalidInput(_("The status filter must be open, closed or concluded."))
    return Consultation.status != Status.draft.value


async def list_consultations(
    status: str | None = None,
    department: str | None = None,
    topic: int | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    order_by_topic: bool = False,
    staff: Staff | None = None,
) -> tuple[list[ConsultationRead], int]:
    """Published consultations (staff: their department's, drafts included), newest first. 3 queries."""
    at = now()
    page, per_page = page_bounds(page, per_page)
    where = [_status_filter(status, at)] if staff is None or status else []
    if staff is not None and not staff.is_admin:
        where.append(Consultation.department == staff.department_id)
    if department:
        where.append(Consultation.department.slug == department)
    if topic is not None:
        where.append(Consultation.topic == topic)
    if q and q.strip():
        where.append(contains(Consultation.title, q))
    query = Consultation.select(*_LIST_COLUMNS)
    count_query = Consultation.count()
    for condition in where:
        query = query.where(condition)
        count_query = count_query.where(condition)
    if order_by_topic:
        query = query.order_by(Consultation.topic_position).order_by(Consultation.id)
    else:
        query = query.order_by(Consultation.id, ascending=False)
    rows = await query.limit(per_page).offset((page - 1) * per_page)
    total = await count_query
    counts = await _counts([row["id"] for row in rows])
    return [ConsultationRead(**_consultation_read(row, counts.get(row["id"], {}), at)) for row in rows], total


def _attachment_read(consultation_id: int, row: dict[str, Any]) -> AttachmentRead:
    return AttachmentRead(
        id=row["id"], purpose=row["purpose"], name=row["original_name"], kind=row["kind"], size=row["size"],
        url=f"/api/v1/consultations/{consultation_id}/attachments/{row['id']}",
    )


async def get_consultation(consultation_id: int, count_view: bool = False) -> ConsultationDetail:
    """The public consultation: draft by sections, attachments, extensions, counts, outcome once concluded."""
    if count_view:
        await Consultation.update({Consultation.view_count: Consultation.view_count + 1}).where(
            (Consultation.id == consultation_id) & (Consultation.status != Status.draft.value))
    row = await _public_consultation_row(consultation_id)
    return await _detail(row)


async def _detail(row: dict[str, Any], staff_view: bool = False) -> ConsultationDetail:
    at = now()
    consultation_id = row["id"]
    sections = await Section.select(Section.number, Section.heading, Section.body).where(
        Section.consultation == consultation_id).order_by(Section.number)
    attachments = await Attachment.select().where(Attachment.consultation == consultation_id).order_by(Attachment.id)
    extensions = await DeadlineExtension.select(
        DeadlineExtension.previous_closes_at, DeadlineExtension.new_closes_at, DeadlineExtension.reason,
        DeadlineExtension.created_at,
    ).where(DeadlineExtension.consultation == consultation_id).order_by(DeadlineExtension.id)
    counts = (await _counts([consultation_id])).get(consultation_id, {})
    outcome = None
    if row["status"] == Status.concluded.value or staff_view:
        outcome = await _outcome(consultation_id, counts,
                                 [a for a in attachments if a["purpose"] != "draft"], sections)
    return ConsultationDetail(
        **_consultation_read(row, counts, at), body=row["body"],
        sections=[SectionRead(**s) for s in sections],
        attachments=[_attachment_read(consultation_id, a) for a in attachments if a["purpose"] == "draft"],
        extensions=[ExtensionRead(previous_closes_at=aware(e["previous_closes_at"]),
                                  new_closes_at=aware(e["new_closes_at"]), reason=e["reason"],
                                  created_at=aware(e["created_at"])) for e in extensions],
        outcome=outcome,
    )


async def _outcome(consultation_id: int, counts: dict[str, int], attachments: list[dict[str, Any]],
                   sections: list[dict[str, Any]]) -> OutcomeRead | None:
    outcome = await Outcome.select().where(Outcome.consultation == consultation_id).first()
    if outcome is None:
        return None
    adopted_rows = await _public_opinion_rows(
        consultation_id, decisions=[Decision.adopted.value, Decision.partially_adopted.value], limit=None)
    opinions = await _public_opinions(adopted_rows)
    headings = {s["number"]: s["heading"] for s in sections}
    groups: dict[int | None, list[OpinionPublic]] = {}
    for opinion in opinions:
        groups.setdefault(opinion.section, []).append(opinion)
    ordered = sorted(groups, key=lambda number: (number is None, number or 0))
    adopted, partial, not_adopted = (counts.get(k, 0) for k in DECISIONS)
    decided = adopted + partial + not_adopted
    return OutcomeRead(
        final_text=outcome["final_text"], interpretation=outcome["interpretation"],
        published_at=aware(outcome["published_at"]),
        attachments=[_attachment_read(consultation_id, a) for a in attachments],
        opinion_count=sum(counts.values()), adopted_count=adopted + partial, partially_adopted_count=partial,
        not_adopted_count=not_adopted, pending_count=counts.get("pending", 0),
        adoption_rate=round((adopted + partial) / decided, 4) if decided else 0.0,
        groups=[OutcomeGroup(section=n, heading=headings.get(n, ""), opinions=groups[n]) for n in ordered],
    )


async def get_outcome(consultation_id: int) -> OutcomeRead:
    detail = await get_consultation(consultation_id)
    if detail.outcome is None:
        raise NotFound(_("The outcome has not been published yet."))
    return detail.outcome


_PUBLIC_OPINION_COLUMNS = (
    Opinion.id, Opinion.content, Opinion.name, Opinion.organization, Opinion.decision, Opinion.reply,
    Opinion.created_at, Opinion.reviewed_at, Opinion.section.number.as_alias("section_number"),
)


async def _public_opinion_rows(consultation_id: int, section: int | None = None, decisions: list[str] | None = None,
                               limit: int | None = DEFAULT_PER_PAGE, offset: int = 0) -> list[dict[str, Any]]:
    query = Opinion.select(*_PUBLIC_OPINION_COLUMNS).where(
        (Opinion.consultation == consultation_id) & (Opinion.moderation == "approved"))
    if section is not None:
        query = query.where(Opinion.section.number == section)
    if decisions:
        query = query.where(Opinion.decision.is_in(decisions))
    query = query.order_by(Opinion.id, ascending=decisions is not None)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return await query


async def _public_opinions(rows: list[dict[str, Any]]) -> list[OpinionPublic]:
    supports = await votes.vote_counts(VOTE_KIND, [row["id"] for row in rows])
    return [
        OpinionPublic(
            id=row["id"], content=mask_personal_data(row["content"], [row["name"]] if row["name"] else []),
            author=mask_name(row["name"]), organization=row["organization"], section=row["section_number"],
            decision=row["decision"], reply=row["reply"], support_count=supports.get(row["id"], 0),
            created_at=aware(row["created_at"]), reviewed_at=aware(row["reviewed_at"]),
        )
        for row in rows
    ]


async def list_public_opinions(consultation_id: int, section: int | None = None, page: int = 1,
                               per_page: int = DEFAULT_PER_PAGE) -> tuple[list[OpinionPublic], int]:
    """Published opinions, newest first: 4 queries whatever the number of rows."""
    await _public_consultation_row(consultation_id)
    page, per_page = page_bounds(page, per_page)
    rows = await _public_opinion_rows(consultation_id, section, limit=per_page, offset=(page - 1) * per_page)
    count = Opinion.count().where((Opinion.consultation == consultation_id) & (Opinion.moderation == "approved"))
    if section is not None:
        count = count.where(Opinion.section.number == section)
    return await _public_opinions(rows), await count


# ---------- staff reads ----------

async def staff_consultation(staff: Staff, consultation_id: int) -> ConsultationDetail:
    """The consultation as its department sees it (drafts included), for the summary page."""
    await get_consultation_for_staff(staff, consultation_id, "consultation.view_staff")
    row = await Consultation.select(
        Consultation.all_columns(),
        Consultation.department.slug.as_alias("department_slug"),
        Consultation.department.name.as_alias("department_name"),
    ).where(Consultation.id == consultation_id).first()
    return await _detail(row, staff_view=True)


async def list_staff_consultations(staff: Staff, department: str | None = None,
                                   status: str | None = None) -> tuple[list[ConsultationRead], int]:
    permissions.require(staff, "consultation.view_staff", staff.department_id if not staff.is_admin else None)
    if department:
        permissions.require(staff, "consultation.view_staff", await department_id(department))
    if status == "draft":
        status = None
    return await list_consultations(status=status, department=department, staff=staff, per_page=MAX_PER_PAGE)


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
    await get_consultation_for_staff(staff, consultation_id, "opinion.review")
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
    await get_consultation_for_staff(staff, consultation_id, "consultation.export")
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
        buffer = io.StringIO()
        csv.writer(buffer).writerows(table)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8"), filename  # BOM: Excel reads UTF-8
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
    return out.getvalue(), filename


async def attachment_file(consultation_id: int, attachment_id: int) -> dict[str, Any]:
    """A public attachment (of a published consultation) for download."""
    row = await Attachment.select(Attachment.all_columns(), Attachment.consultation.status.as_alias("status")).where(
        (Attachment.id == attachment_id) & (Attachment.consultation == consultation_id)).first()
    if row is None or row["status"] == Status.draft.value:
        raise NotFound(_("The file was not found."))
    if row["purpose"] != "draft" and row["status"] != Status.concluded.value:
        raise NotFound(_("The file was not found."))
    return row


# The jobs this module queues must be registered wherever the services run (web, worker, scripts).
from consultations import tasks as _tasks  # noqa: E402,F401
