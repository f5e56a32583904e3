"""What people do with consultations and topics: one function per action, used by api.py and pages.py.

Opinions have their own file (consultations/opinions.py). Each action takes plain values and the
acting staff member, checks the permission (engagement.permissions, declared in
consultations/permissions.py), owns its unit of work and returns a read model or raises an
engagement.errors error. State changes go through CONSULTATION (consultations/workflows.py), which
compares and sets the status and writes the history and the audit entry; the public deadline
extensions are read from that history. Read functions run a fixed number of queries whatever the
number of rows.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from piccolo.querystring import QueryString

from consultations import opinions
from consultations.schemas import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    AttachmentRead,
    ConsultationDetail,
    ConsultationRead,
    DepartmentRef,
    ExtensionRead,
    OpinionPublic,
    OutcomeGroup,
    OutcomeRead,
    SectionRead,
    TopicRead,
    page_bounds,
)
from consultations.tables import (
    Attachment,
    Consultation,
    Decision,
    Moderation,
    Opinion,
    Outcome,
    Section,
    Status,
    Topic,
)
from consultations.workflows import CONSULTATION, accepting_opinions, effective_status
from engagement import audit, permissions
from engagement.accounts import Staff
from engagement.clock import aware, from_local, now
from engagement.db import contains, lock_row_for_update, unit_of_work
from engagement.errors import Conflict, InvalidInput, NotFound
from engagement.i18n import _
from engagement.prepared import PreparedQuery, prepared
from engagement.tables import Department, WorkflowEvent
from engagement.uploads import MB, store_upload

ATTACHMENT_KINDS = frozenset({"pdf", "docx", "png", "jpeg"})
ATTACHMENT_MAX_BYTES = 20 * MB
ATTACHMENT_PURPOSES = {
    "draft": ATTACHMENT_KINDS,
    "final": ATTACHMENT_KINDS,
    "interpretation": frozenset({"png", "jpeg", "pdf"}),
}


# ---------- loaders (the only way staff handlers get an object) ----------

async def get_consultation_for_staff(staff: Staff, consultation_id: int, permission: str) -> dict[str, Any]:
    """The consultation row, or NotFound (404) / Forbidden (403) for ``permission``."""
    row = await Consultation.select().where(Consultation.id == consultation_id).first()
    if row is None:
        raise NotFound(_("The consultation was not found."))
    permissions.require(staff, permission, row["department"])
    return row


async def _locked_for(staff: Staff, consultation_id: int, permission: str) -> dict[str, Any]:
    """Inside a unit of work: the row, kept from concurrent changes until the unit ends (its dates matter)."""
    await lock_row_for_update(Consultation, consultation_id)
    return await get_consultation_for_staff(staff, consultation_id, permission)


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
    closes, opens = from_local(closes_at), from_local(opens_at)  # naive API values are Beijing time
    _check_dates(opens, closes)
    await _check_topic(topic)
    async with unit_of_work():
        consultation = Consultation(
            department=owner_id, title=title, summary=summary.strip(), body=body, closes_at=closes,
            opens_at=opens, topic=topic, created_by=staff.id, status=Status.draft.value,
        )
        if topic is not None:
            consultation.topic_position = await Consultation.count().where(Consultation.topic == topic)
        await consultation.save()
        if sections:
            await _replace_sections(consultation.id, sections)
        await CONSULTATION.record("create", consultation.id, from_state="", actor=staff, detail={"title": title},
                                  client_address=client_address)
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
    if row["status"] == Status.concluded:
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
    opens = from_local(changes.get("opens_at")) if changes.get("opens_at") else aware(row["opens_at"])
    closes = aware(row["closes_at"])
    if changes.get("closes_at") is not None:
        if row["status"] != Status.draft:
            raise Conflict(_("Once published, the deadline changes only by a recorded extension."))
        closes = from_local(changes["closes_at"])
        values[Consultation.closes_at] = closes
    if changes.get("opens_at") is not None:
        values[Consultation.opens_at] = opens
    _check_dates(opens, closes)
    sections = changes.get("sections")
    if sections is not None and row["status"] != Status.draft:
        raise Conflict(_("Sections can only be changed before publication."))
    async with unit_of_work():
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
    async with unit_of_work():
        row = await _locked_for(staff, consultation_id, "consultation.publish")
        at = now()
        if aware(row["closes_at"]) <= at:
            raise Conflict(_("The deadline has already passed; change it before publishing."))
        await CONSULTATION.apply("publish", consultation_id, actor=staff, expect=row["status"],
                                 values={Consultation.published_at: at,
                                         Consultation.opens_at: aware(row["opens_at"]) or at},
                                 client_address=client_address)


async def close_consultation(staff: Staff, consultation_id: int, client_address: str = "") -> None:
    """Close early (or record the closing of one past its deadline)."""
    await CONSULTATION.apply("close", consultation_id, actor=staff, values={Consultation.closed_at: now()},
                             client_address=client_address)


async def extend_deadline(staff: Staff, consultation_id: int, closes_at: datetime, reason: str = "",
                          client_address: str = "") -> None:
    """Move the deadline later; recorded in the history and shown publicly. A closed consultation reopens."""
    new_closes = from_local(closes_at)
    async with unit_of_work():
        row = await _locked_for(staff, consultation_id, "consultation.extend")
        previous = aware(row["closes_at"])
        if new_closes <= previous or new_closes <= now():
            raise InvalidInput(_("The new deadline must be later than the current one and in the future."))
        await CONSULTATION.apply(
            "extend", consultation_id, actor=staff, expect=row["status"], note=reason.strip(),
            values={Consultation.closes_at: new_closes, Consultation.closed_at: None,
                    Consultation.original_closes_at: aware(row["original_closes_at"]) or previous},
            detail={"previous_closes_at": previous.isoformat(), "new_closes_at": new_closes.isoformat()},
            client_address=client_address,
        )


async def save_outcome(staff: Staff, consultation_id: int, final_text: str, interpretation: str,
                       client_address: str = "") -> None:
    row = await get_consultation_for_staff(staff, consultation_id, "consultation.conclude")
    if row["status"] == Status.draft:
        raise Conflict(_("A draft has no outcome yet."))
    async with unit_of_work():
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
    async with unit_of_work():
        row = await _locked_for(staff, consultation_id, "consultation.conclude")
        if _past_deadline(row):  # the closing job has not run yet: record the closing first
            await _close_at_deadline(consultation_id)
        at = now()
        await CONSULTATION.apply("conclude", consultation_id, actor=staff, values={Consultation.concluded_at: at},
                                 client_address=client_address)
        outcome = await Outcome.select(Outcome.id, Outcome.final_text).where(
            Outcome.consultation == consultation_id).first()
        if outcome is None or not outcome["final_text"].strip():
            raise Conflict(_("Write the final document of the outcome before concluding."))
        await Outcome.update({Outcome.published_at: at}).where(Outcome.id == outcome["id"])


def _past_deadline(row: dict[str, Any]) -> bool:
    """Stored as open, though its deadline has passed."""
    return row["status"] == Status.open and effective_status(row) == Status.closed


async def _close_at_deadline(consultation_id: int) -> None:
    await CONSULTATION.apply("close_at_deadline", consultation_id, actor=None,
                             values={Consultation.closed_at: now()})


async def close_due_consultations() -> int:
    """The scheduled job: open consultations past their deadline become closed (actor: the system)."""
    due = await Consultation.select(Consultation.id).where(
        (Consultation.status == Status.open) & (Consultation.closes_at <= now()))
    closed = [await _close_if_still_due(row["id"]) for row in due]
    return sum(closed)


async def _close_if_still_due(consultation_id: int) -> bool:
    async with unit_of_work():
        await lock_row_for_update(Consultation, consultation_id)  # an extension meanwhile wins
        row = await Consultation.select(Consultation.status, Consultation.closes_at).where(
            Consultation.id == consultation_id).first()
        if row is None or not _past_deadline(row):
            return False
        await _close_at_deadline(consultation_id)
        return True


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


def _list_filters(p: Any) -> Any:
    """The list page's choices: the departments (their order, as ``pages._departments``) and the topics (id
    order, as ``list_topics``), in one query."""
    department, topic = Department._meta.tablename, Topic._meta.tablename
    return Department.raw(
        f'SELECT 1 AS "part", "slug", "name" AS "label", NULL AS "description", "sort_order" AS "position", "id" '
        f'FROM "{department}" UNION ALL SELECT 2, NULL, "title", "description", 0, "id" FROM "{topic}" '
        f'ORDER BY "part", "position", "id"')


_LIST_FILTERS = prepared(_list_filters)


async def list_filters() -> tuple[list[dict[str, Any]], list[TopicRead]]:
    """The departments (slug and name) and the topics a list of consultations can be filtered by."""
    departments, topics = [], []
    for row in await _LIST_FILTERS.run():
        if row["part"] == 1:
            departments.append({"slug": row["slug"], "name": row["label"]})
        else:
            topics.append(TopicRead(id=row["id"], title=row["label"], description=row["description"]))
    return departments, topics


async def get_topic(topic_id: int) -> TopicRead:
    row = await Topic.select(Topic.id, Topic.title, Topic.description).where(Topic.id == topic_id).first()
    if row is None:
        raise NotFound(_("The topic was not found."))
    items, _total = await list_consultations(topic=topic_id, per_page=MAX_PER_PAGE, order_by_topic=True)
    return TopicRead(**row, consultations=items)


# ---------- public reads ----------
#
# The hot reads are prepared queries (engagement.prepared: their SQL is compiled once per engine) and
# carry what used to be separate queries: a consultation's published counts are scalar subqueries of
# its row, a list's total is ``COUNT(*) OVER ()`` of its page (docs/serving.md, "Uncached renders").

_COUNTED_DECISIONS = (Decision.pending, Decision.adopted, Decision.partially_adopted, Decision.not_adopted)
_OTHER_DECISION = ""  # a stored decision outside Decision (never written by this module): counted in the total


def _published_opinions(alias: str, decision: Decision | None = None) -> QueryString:
    """A scalar subquery of a consultation row: its published opinions (with ``decision``, if given)."""
    table = Opinion._meta.tablename
    sql = (f'(SELECT COUNT(*) FROM "{table}" WHERE "{table}"."consultation" = "{Consultation._meta.tablename}"."id"'
           f' AND "{table}"."moderation" = {{}}')
    if decision is None:
        return QueryString(sql + ")", Moderation.approved.value, alias=alias)
    return QueryString(sql + f' AND "{table}"."decision" = {{}})', Moderation.approved.value, decision.value,
                       alias=alias)


_COUNT_COLUMNS = (
    _published_opinions("n_published"),
    *(_published_opinions(f"n_{decision.value}", decision) for decision in _COUNTED_DECISIONS),
)


def _row_counts(row: dict[str, Any]) -> dict[str, int]:
    """The counts by decision carried by a row (``_COUNT_COLUMNS``), as ``_counts`` gives them for one."""
    counts = {decision.value: int(row[f"n_{decision.value}"]) for decision in _COUNTED_DECISIONS}
    other = int(row["n_published"]) - sum(counts.values())
    if other:
        counts[_OTHER_DECISION] = other
    return {decision: n for decision, n in counts.items() if n}


def _figures(counts: dict[str, int]) -> dict[str, Any]:
    """The published counts: ``adopted_count`` includes the partially adopted (docs/consultations.md)."""
    adopted, partial, not_adopted = (counts.get(d.value, 0) for d in
                                     (Decision.adopted, Decision.partially_adopted, Decision.not_adopted))
    decided = adopted + partial + not_adopted
    return {
        "opinion_count": sum(counts.values()), "adopted_count": adopted + partial, "partially_adopted_count": partial,
        "not_adopted_count": not_adopted, "adoption_rate": round((adopted + partial) / decided, 4) if decided else 0.0,
    }


def _consultation_read(row: dict[str, Any], counts: dict[str, int], at: datetime) -> dict[str, Any]:
    return {
        "id": row["id"], "title": row["title"], "summary": row["summary"], "status": effective_status(row, at),
        "accepting_opinions": accepting_opinions(row, at),
        "department": DepartmentRef(id=row["department"], slug=row["department_slug"], name=row["department_name"]),
        "topic": row["topic"], "opens_at": aware(row["opens_at"]), "closes_at": aware(row["closes_at"]),
        "published_at": aware(row["published_at"]), "view_count": row["view_count"], **_figures(counts),
    }


_LIST_COLUMNS = (
    Consultation.id, Consultation.title, Consultation.summary, Consultation.status, Consultation.topic,
    Consultation.opens_at, Consultation.closes_at, Consultation.published_at, Consultation.view_count,
    Consultation.department,
    Consultation.department.slug.as_alias("department_slug"),
    Consultation.department.name.as_alias("department_name"),
)
_TOTAL_ROWS = "total_rows"  # COUNT(*) OVER (): the rows matching the filters, before LIMIT and OFFSET


def _status_filter(status: str | None, at: Any):
    if status == Status.open:
        return (Consultation.status == Status.open) & (Consultation.closes_at > at)
    if status == Status.closed:
        return (Consultation.status == Status.closed) | (
            (Consultation.status == Status.open) & (Consultation.closes_at <= at))
    if status == Status.concluded:
        return Consultation.status == Status.concluded
    if status:
        raise InvalidInput(_("The status filter must be open, closed or concluded."))
    return Consultation.status != Status.draft


def _list_conditions(values: Any, status: str | None, department: bool, topic: bool, staff: bool,
                     staff_department: bool) -> list[Any]:
    """The filters of a list; ``values`` gives each value (prepared parameters, or the values themselves)."""
    at = values.at if status in (Status.open, Status.closed) else None  # read only when used: a parameter
    where = [_status_filter(status, at)] if not staff or status else []
    if staff_department:
        where.append(Consultation.department == values.staff_department)
    if department:
        where.append(Consultation.department.slug == values.department)
    if topic:
        where.append(Consultation.topic == values.topic)
    return where


@functools.lru_cache(maxsize=64)
def _list_query(status: str | None, department: bool, topic: bool, staff: bool, staff_department: bool,
                order_by_topic: bool, limit: int, offset: int) -> PreparedQuery:
    """One shape of list (which filters, which page): its rows with their counts and the total."""

    def declare(p: Any) -> Any:
        query = Consultation.select(*_LIST_COLUMNS, *_COUNT_COLUMNS, QueryString("COUNT(*) OVER ()", alias=_TOTAL_ROWS))
        for condition in _list_conditions(p, status, department, topic, staff, staff_department):
            query = query.where(condition)
        if order_by_topic:
            query = query.order_by(Consultation.topic_position).order_by(Consultation.id)
        else:
            query = query.order_by(Consultation.id, ascending=False)
        return query.limit(limit).offset(offset)

    return prepared(declare)


class _Values:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


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
    """Published consultations (staff: their department's, drafts included), newest first.

    One query (rows, counts and total), a second one only for the total of a page past the end.
    """
    at = now()
    page, per_page = page_bounds(page, per_page)
    status = _status_value(status)
    shape = {"status": status, "department": bool(department), "topic": topic is not None, "staff": staff is not None,
             "staff_department": staff is not None and not staff.is_admin}
    values = {"at": at, "staff_department": staff.department_id if staff is not None else None,
              "department": department, "topic": topic}
    offset = (page - 1) * per_page
    if q and q.strip():  # searches: built per request (the LIKE pattern is made from the text)
        rows = await _list_select(shape, values, q, order_by_topic).limit(per_page).offset(offset)
    else:
        query = _list_query(**shape, order_by_topic=order_by_topic, limit=per_page, offset=offset)
        rows = await query.run(**_used_values(shape, values))
    if rows:
        total = int(rows[0][_TOTAL_ROWS])
    elif page == 1:
        total = 0
    else:
        count_query = Consultation.count()
        for condition in _list_conditions(_Values(**values), **shape):
            count_query = count_query.where(condition)
        if q and q.strip():
            count_query = count_query.where(contains(Consultation.title, q))
        total = await count_query
    return [ConsultationRead(**_consultation_read(row, _row_counts(row), at)) for row in rows], total


def _status_value(status: str | None) -> str | None:
    """The status filter as its plain value (``_status_filter`` checks it)."""
    if not status:
        return None
    if status not in (Status.open, Status.closed, Status.concluded):
        raise InvalidInput(_("The status filter must be open, closed or concluded."))
    return Status(status).value


def _used_values(shape: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The parameters a shape of list declares (``at`` only for the open and closed filters)."""
    used = {}
    if shape["status"] in (Status.open.value, Status.closed.value):
        used["at"] = values["at"]
    for name in ("staff_department", "department", "topic"):
        if shape[name]:
            used[name] = values[name]
    return used


def _list_select(shape: dict[str, Any], values: dict[str, Any], q: str, order_by_topic: bool) -> Any:
    query = Consultation.select(*_LIST_COLUMNS, *_COUNT_COLUMNS, QueryString("COUNT(*) OVER ()", alias=_TOTAL_ROWS))
    for condition in _list_conditions(_Values(**values), **shape):
        query = query.where(condition)
    query = query.where(contains(Consultation.title, q))
    if order_by_topic:
        return query.order_by(Consultation.topic_position).order_by(Consultation.id)
    return query.order_by(Consultation.id, ascending=False)


def _attachment_read(consultation_id: int, row: dict[str, Any]) -> AttachmentRead:
    return AttachmentRead(
        id=row["id"], purpose=row["purpose"], name=row["original_name"], kind=row["kind"], size=row["size"],
        url=f"/api/v1/consultations/{consultation_id}/attachments/{row['id']}",
    )


_DETAIL_COLUMNS = (
    Consultation.all_columns(),
    Consultation.department.slug.as_alias("department_slug"),
    Consultation.department.name.as_alias("department_name"),
    *_COUNT_COLUMNS,
)


_PUBLIC_ROW = prepared(lambda p: Consultation.select(*_DETAIL_COLUMNS).where(
    (Consultation.id == p.id) & (Consultation.status != Status.draft)).first())
_STAFF_ROW = prepared(lambda p: Consultation.select(*_DETAIL_COLUMNS).where(Consultation.id == p.id).first())


def _draft_files(p: Any) -> Any:
    """The sections (number order), the attachments (id order) and the outcome of a consultation, in one query.

    ``at``: the outcome's publication (typed in the first branch: PostgreSQL types NULL UNION NULL as text); on
    SQLite a compound select's columns have no declared type, so the stored text is parsed by ``aware`` as
    Piccolo's Timestamptz would be."""
    section, attachment, outcome = Section._meta.tablename, Attachment._meta.tablename, Outcome._meta.tablename
    return Section.raw(
        f'SELECT 1 AS "part", "number" AS "n", NULL AS "size", "heading" AS "a", "body" AS "b", NULL AS "c", '
        f'CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS "at" FROM "{section}" WHERE "consultation" = {{}} UNION ALL '
        f'SELECT 2, "id", "size", "purpose", "original_name", "kind", NULL FROM "{attachment}" '
        f'WHERE "consultation" = {{}} UNION ALL '
        f'SELECT 3, "id", NULL, "final_text", "interpretation", NULL, "published_at" FROM "{outcome}" '
        f'WHERE "consultation" = {{}} ORDER BY "part", "n"', p.id, p.id, p.id)


_DRAFT_PARTS = prepared(_draft_files)
_EXTENSIONS = prepared(lambda p: WorkflowEvent.select(
    WorkflowEvent.note, WorkflowEvent.detail, WorkflowEvent.created_at).where(
    (WorkflowEvent.aggregate == CONSULTATION.aggregate) & (WorkflowEvent.target_id == p.id)
    & (WorkflowEvent.transition == "extend")).order_by(WorkflowEvent.id).output(load_json=True))


async def get_consultation(consultation_id: int) -> ConsultationDetail:
    """The public consultation: draft by sections, attachments, extensions, counts, outcome once concluded."""
    row = await _PUBLIC_ROW.run(id=consultation_id)
    if row is None:
        raise NotFound(_("The consultation was not found."))
    return await _detail(row)


async def count_views(path_params: dict[str, Any], views: int) -> None:
    """Views of the public page, added up by engagement.page_cache (``count_view``): cached and rendered alike."""
    await Consultation.update({Consultation.view_count: Consultation.view_count + views}).where(
        (Consultation.id == path_params["consultation_id"]) & (Consultation.status != Status.draft))


async def _detail(row: dict[str, Any], staff_view: bool = False) -> ConsultationDetail:
    """``row``: the ``_DETAIL_COLUMNS`` (the counts included)."""
    at = now()
    consultation_id = row["id"]
    sections, attachments, outcome_row = [], [], None
    for part in await _DRAFT_PARTS.run(id=consultation_id):
        if part["part"] == 1:
            sections.append({"number": part["n"], "heading": part["a"], "body": part["b"]})
        elif part["part"] == 2:
            attachments.append({"id": part["n"], "size": part["size"], "purpose": part["a"],
                                "original_name": part["b"], "kind": part["c"]})
        else:
            outcome_row = {"final_text": part["a"], "interpretation": part["b"], "published_at": part["at"]}
    # extend_deadline, the only writer of "extend" events, sets original_closes_at with the first one.
    extensions = await _extensions(consultation_id) if row["original_closes_at"] is not None else []
    counts = _row_counts(row)
    outcome = None
    if row["status"] == Status.concluded or staff_view:
        outcome = await _outcome(consultation_id, outcome_row, counts,
                                 [a for a in attachments if a["purpose"] != "draft"], sections)
    return ConsultationDetail(
        **_consultation_read(row, counts, at), body=row["body"],
        sections=[SectionRead(**s) for s in sections],
        attachments=[_attachment_read(consultation_id, a) for a in attachments if a["purpose"] == "draft"],
        extensions=extensions, outcome=outcome,
    )


async def _extensions(consultation_id: int) -> list[ExtensionRead]:
    """The deadline extensions, from the consultation's history (transition "extend")."""
    rows = await _EXTENSIONS.run(id=consultation_id)
    return [
        ExtensionRead(previous_closes_at=aware(row["detail"]["previous_closes_at"]),
                      new_closes_at=aware(row["detail"]["new_closes_at"]), reason=row["note"],
                      created_at=aware(row["created_at"]))
        for row in rows
    ]


async def _outcome(consultation_id: int, outcome: dict[str, Any] | None, counts: dict[str, int],
                   attachments: list[dict[str, Any]], sections: list[dict[str, Any]]) -> OutcomeRead | None:
    if outcome is None:
        return None
    headings = {s["number"]: s["heading"] for s in sections}
    groups: dict[int | None, list[OpinionPublic]] = {}
    for opinion in await opinions.adopted_opinions(consultation_id):
        groups.setdefault(opinion.section, []).append(opinion)
    ordered = sorted(groups, key=lambda number: (number is None, number or 0))
    return OutcomeRead(
        final_text=outcome["final_text"], interpretation=outcome["interpretation"],
        published_at=aware(outcome["published_at"]),
        attachments=[_attachment_read(consultation_id, a) for a in attachments],
        pending_count=counts.get(Decision.pending.value, 0), **_figures(counts),
        groups=[OutcomeGroup(section=n, heading=headings.get(n, ""), opinions=groups[n]) for n in ordered],
    )


async def get_outcome(consultation_id: int) -> OutcomeRead:
    detail = await get_consultation(consultation_id)
    if detail.outcome is None:
        raise NotFound(_("The outcome has not been published yet."))
    return detail.outcome


async def attachment_file(consultation_id: int, attachment_id: int) -> dict[str, Any]:
    """A public attachment (of a published consultation) for download."""
    row = await Attachment.select(Attachment.all_columns(), Attachment.consultation.status.as_alias("status")).where(
        (Attachment.id == attachment_id) & (Attachment.consultation == consultation_id)).first()
    if row is None or row["status"] == Status.draft:
        raise NotFound(_("The file was not found."))
    if row["purpose"] != "draft" and row["status"] != Status.concluded:
        raise NotFound(_("The file was not found."))
    return row


# ---------- staff reads ----------

async def staff_consultation(staff: Staff, consultation_id: int) -> ConsultationDetail:
    """The consultation as its department sees it (drafts included), for the summary page."""
    await get_consultation_for_staff(staff, consultation_id, "consultation.view_staff")
    return await _detail(await _STAFF_ROW.run(id=consultation_id), staff_view=True)


async def list_staff_consultations(staff: Staff, department: str | None = None,
                                   status: str | None = None) -> tuple[list[ConsultationRead], int]:
    permissions.require(staff, "consultation.view_staff", staff.department_id if not staff.is_admin else None)
    if department:
        permissions.require(staff, "consultation.view_staff", await department_id(department))
    if status == Status.draft:
        status = None
    return await list_consultations(status=status, department=department, staff=staff, per_page=MAX_PER_PAGE)


# The jobs this module runs must be registered wherever the services run (web, worker, scripts).
from consultations import tasks as _tasks  # noqa: E402,F401
