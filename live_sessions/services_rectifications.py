"""Rectification (整改) of the issues a TV questioning programme put on air, tracked in public until done.

    record_rectification   host or admin, selected issue: department, commitment, due date (or N working days)
    post_progress          editor of the responsible department (or admin): a progress update, optional photos
    complete_rectification the same: completed; the proposer and followers are asked "是否已解决？" by SMS
    answer_confirmation    proposer or supporter (of the issue or of issues merged into it): solved or not;
                           a majority of "not solved" among at least 3 answers of the round reopens it
    send_deadline_reminders the daily job: before the due date and once overdue, once per due event

State changes go through ``RECTIFICATION`` (live_sessions/workflows.py). ``overdue`` is never stored:
a rectification in progress is overdue when today (Beijing) is after its due date, by
``engagement.workdays.working_days_late`` working days.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from piccolo.query.functions.aggregate import Count
from piccolo.querystring import QueryString

from engagement import clock, permissions, workdays
from engagement.accounts import Staff
from engagement.crypto import InvalidToken, keyring
from engagement.db import lock_row_for_update, unit_of_work
from engagement.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from engagement.i18n import N_, _
from engagement.notifications import notify_citizen, notify_department_staff
from engagement.prepared import PreparedQuery, prepared
from engagement.tables import Citizen, Department, SupportVote
from engagement.uploads import MB, store_upload, strip_image_metadata
from engagement.verification import VerifiedCitizen
from live_sessions.services import _iso, clean_text, public_text
from live_sessions.services_issues import VOTE_KIND as ISSUE_VOTE_KIND
from live_sessions.tables import (
    IssueFollower,
    IssuePhoto,
    IssueState,
    LiveIssue,
    Rectification,
    RectificationAnswer,
    RectificationState,
    RectificationUpdate,
    SessionKind,
)
from live_sessions.workflows import RECTIFICATION

MAX_COMMITMENT_LENGTH = 2000
MAX_UPDATE_LENGTH = 2000
MAX_WORKING_DAYS = 250  # about a year
MAX_PHOTOS = 4
PHOTO_KINDS = frozenset({"png", "jpeg"})
PHOTO_MAX_BYTES = 5 * MB
REOPEN_MIN_ANSWERS = 3  # a majority of "not solved" among at least this many answers of a round reopens it
REMIND_BEFORE_WORKING_DAYS = 3  # the department is reminded when the due date is this close
ANSWER_LINK_MAX_AGE = 30 * 86400  # the one-tap link in the SMS works for 30 days
ANSWER_TOKEN_KIND = "rectification"
# English message ids, translated where shown (template globals of the manifest).
UPDATE_LABELS = {"progress": N_("Progress"), "completion": N_("Completion reported"),
                 "reopened": N_("Reopened")}
NOTICE_LABELS = {"due_soon": N_("Due soon"), "overdue": N_("Overdue"),
                 "reopened": N_("Reopened by citizens' answers")}


@dataclass(frozen=True)
class Photo:
    data: bytes
    filename: str


# ---------- reading ----------

_COLUMNS = (
    *Rectification.all_columns(),
    Rectification.department.slug.as_alias("department_slug"),
    Rectification.department.name.as_alias("department_name"),
    Rectification.issue.title.as_alias("issue_title"),
    Rectification.issue.display_name.as_alias("issue_name"),
    Rectification.issue.session.as_alias("session_id"),
)

# This round's answers, counted in the row's own query (a row of round 0 has none: a completion opens a round).
_ROUND_ANSWERS = ('(SELECT COUNT(*) FROM "live_rectification_answer" WHERE "live_rectification_answer"."rectification"'
                  ' = "live_rectification"."id" AND "live_rectification_answer"."round"'
                  ' = "live_rectification"."confirmation_round" AND {}"live_rectification_answer"."solved")')
_DETAIL_COLUMNS = (
    *_COLUMNS,
    QueryString(_ROUND_ANSWERS.format(""), alias="solved"),
    QueryString(_ROUND_ANSWERS.format("NOT "), alias="not_solved"),
)


def is_overdue(row: dict[str, Any], today: date | None = None) -> bool:
    return row["state"] == RectificationState.in_progress and (today or clock.today()) > row["due_date"]


def working_days_overdue(row: dict[str, Any], calendar: workdays.Calendar, today: date | None = None) -> int:
    """Working days past the due date: until today while in progress, until completion once completed."""
    return workdays.working_days_late(row["due_date"], _late_on(row, today or clock.today()), calendar)


async def rectification_of_issue(issue_id: int) -> dict[str, Any]:
    row = await _ROW_OF_ISSUE.run(issue=issue_id)
    if row is None:
        raise NotFound(_("This issue has no rectification."))
    return row


async def rectification_for_staff(staff: Staff | None, issue_id: int) -> dict[str, Any]:
    """The loader of the department's actions: 401, then 404, then 403 for another department."""
    if staff is None:
        raise NotAuthenticated(_("Please log in."))
    row = await rectification_of_issue(issue_id)
    permissions.require(staff, "rectification.report", row["department"])
    return row


# Hot reads are prepared queries (engagement/prepared.py, docs/architecture.md "Prepared queries"): their SQL is
# built once per shape (which filters, which page) instead of by Piccolo on every call. Lists of ids are padded
# to one of ID_LIST_SIZES by repeating the last id (the same rows), so a few declarations serve any page.
ID_LIST_SIZES = (8, 20, 50, 200)
PREPARED_SHAPES = 256  # declarations of the lists' shapes kept (a shape includes the page: limit and offset)

_HAS_PHOTOS = ('EXISTS (SELECT 1 FROM "live_issue_photo" WHERE "live_issue_photo"."update_id"'
               ' = "live_rectification_update"."id")')
_UPDATES_OF = {size: prepared(lambda p, size=size: RectificationUpdate.select(
    RectificationUpdate.id, RectificationUpdate.rectification, RectificationUpdate.kind,
    RectificationUpdate.content, RectificationUpdate.created_at, QueryString(_HAS_PHOTOS, alias="has_photos"),
).where(RectificationUpdate.rectification.is_in(_id_parameters(p, size))).order_by(RectificationUpdate.id))
    for size in ID_LIST_SIZES}
_PHOTOS_OF = {size: prepared(lambda p, size=size: IssuePhoto.select(IssuePhoto.id, IssuePhoto.update_id).where(
    IssuePhoto.update_id.is_in(_id_parameters(p, size))).order_by(IssuePhoto.id)) for size in ID_LIST_SIZES}
_ANSWER_COUNTS_OF = {size: prepared(lambda p, size=size: RectificationAnswer.select(
    RectificationAnswer.rectification, RectificationAnswer.round, RectificationAnswer.solved, Count(alias="answers"),
).where(RectificationAnswer.rectification.is_in(_id_parameters(p, size))).group_by(
    RectificationAnswer.rectification, RectificationAnswer.round, RectificationAnswer.solved))
    for size in ID_LIST_SIZES}
_ROW_OF_ISSUE = prepared(lambda p: Rectification.select(*_COLUMNS).where(Rectification.issue == p.issue).first())
_DETAILS_OF_ISSUE = prepared(lambda p: Rectification.select(*_DETAIL_COLUMNS).where(
    Rectification.issue == p.issue).first())


def _id_parameters(p: Any, size: int) -> list[Any]:
    return [getattr(p, f"id{index}") for index in range(size)]


async def _run_for_ids(declared: dict[int, Any], ids: list[int], plain) -> list[dict[str, Any]]:
    """``declared[size]`` run for ``ids`` (at least one) padded to ``size``; ``plain(ids)`` beyond the largest."""
    size = next((size for size in ID_LIST_SIZES if size >= len(ids)), None)
    if size is None:
        return await plain(ids)
    padded = [*ids, *[ids[-1]] * (size - len(ids))]
    return await declared[size].run(**{f"id{index}": value for index, value in enumerate(padded)})


async def attach_details(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Updates (with photo ids), this round's answer counts and the overdue figures, in at most four queries.

    Photos are read only when there are updates, answers only for rectifications completed at least once
    (citizens answer a round that a completion opened: none exist in round 0), the working-day calendar
    only when a rectification is past its due date (until then it is 0 working days late whatever the calendar).
    """
    ids = [row["id"] for row in rows]
    updates: dict[int, list[dict[str, Any]]] = {rid: [] for rid in ids}
    counts: dict[tuple[int, int, bool], int] = {}
    today = clock.today()
    with_photos = []
    if ids:
        for update in await _run_for_ids(_UPDATES_OF, ids, _plain_updates):
            has_photos = update.pop("has_photos")
            updates[update["rectification"]].append(update := {**update, "photos": []})
            if has_photos:
                with_photos.append(update)
        await _attach_photos(with_photos)
        counted = "not_solved" in rows[0]  # read with _DETAIL_COLUMNS
        answered = [row["id"] for row in rows if row["confirmation_round"] and not counted]
        for answer in await _run_for_ids(_ANSWER_COUNTS_OF, answered, _plain_answer_counts) if answered else ():
            counts[(answer["rectification"], answer["round"], bool(answer["solved"]))] = int(answer["answers"])
    late = any(_late_on(row, today) > row["due_date"] for row in rows)
    calendar = await workdays.calendar_for_display() if late else {}
    for row in rows:
        key = (row["id"], row["confirmation_round"])
        row["updates"] = updates[row["id"]]
        if "not_solved" in row:
            row["solved"], row["not_solved"] = int(row["solved"]), int(row["not_solved"])
        else:
            row["solved"], row["not_solved"] = counts.get((*key, True), 0), counts.get((*key, False), 0)
        row["overdue"] = is_overdue(row, today)
        row["working_days_overdue"] = working_days_overdue(row, calendar, today)
        row["last_update_at"] = row["updates"][-1]["created_at"] if row["updates"] else row["created_at"]
    return rows


def _late_on(row: dict[str, Any], today: date) -> date:
    """The day ``working_days_overdue`` counts to: today while in progress, the completion day once completed."""
    if row["state"] == RectificationState.completed:
        return clock.local_date(row["completed_at"]) or row["due_date"]
    return today


async def _plain_updates(ids: list[int]) -> list[dict[str, Any]]:
    return await RectificationUpdate.select(
        RectificationUpdate.id, RectificationUpdate.rectification, RectificationUpdate.kind,
        RectificationUpdate.content, RectificationUpdate.created_at, QueryString(_HAS_PHOTOS, alias="has_photos"),
    ).where(RectificationUpdate.rectification.is_in(ids)).order_by(RectificationUpdate.id)


async def _plain_photos(ids: list[int]) -> list[dict[str, Any]]:
    return await IssuePhoto.select(IssuePhoto.id, IssuePhoto.update_id).where(
        IssuePhoto.update_id.is_in(ids)).order_by(IssuePhoto.id)


async def _plain_answer_counts(ids: list[int]) -> list[dict[str, Any]]:
    return await RectificationAnswer.select(
        RectificationAnswer.rectification, RectificationAnswer.round, RectificationAnswer.solved,
        Count(alias="answers"),
    ).where(RectificationAnswer.rectification.is_in(ids)).group_by(
        RectificationAnswer.rectification, RectificationAnswer.round, RectificationAnswer.solved)


async def _attach_photos(updates: list[dict[str, Any]]) -> None:
    by_id = {update["id"]: update for update in updates}
    if not by_id:
        return
    for photo in await _run_for_ids(_PHOTOS_OF, list(by_id), _plain_photos):
        by_id[photo["update_id"]]["photos"].append(photo["id"])


async def rectification_details(issue_id: int) -> dict[str, Any] | None:
    """One issue's rectification with its updates and counts, or None (for the issue's page and API)."""
    row = await _DETAILS_OF_ISSUE.run(issue=issue_id)
    return (await attach_details([row]))[0] if row else None


async def list_rectifications(*, department: str | None = None, status: str | None = None,
                              overdue: bool | None = None, session_id: int | None = None,
                              limit: int = 20, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The public board, earliest due date first; ``status`` in_progress, completed or overdue. At most 5 queries.

    The total is counted only when the page does not tell it (a page not full, after ``offset`` others).
    """
    shape, values = _filter_shape(department, status, overdue, session_id)
    rows = await _board_page(shape, limit, offset).run(**values)
    if len(rows) < limit and (rows or offset == 0):
        total = offset + len(rows)
    else:
        total = await _board_count(shape).run(**values)
    return await attach_details(rows), total


@functools.lru_cache(maxsize=PREPARED_SHAPES)
def _board_page(shape: tuple[str, ...], limit: int, offset: int) -> PreparedQuery:
    """The board's page for a shape of filters; limit and offset are part of a prepared query's SQL."""
    return prepared(
        lambda p: Rectification.select(*_DETAIL_COLUMNS).where(*_shape_filters(shape, p)).order_by(
            Rectification.due_date).order_by(Rectification.id).limit(limit).offset(offset)
        if shape else Rectification.select(*_DETAIL_COLUMNS).order_by(Rectification.due_date).order_by(
            Rectification.id).limit(limit).offset(offset))


@functools.lru_cache(maxsize=PREPARED_SHAPES)
def _board_count(shape: tuple[str, ...]) -> PreparedQuery:
    return prepared(lambda p: Rectification.count().where(*_shape_filters(shape, p)) if shape
                    else Rectification.count())


def _filter_shape(department: str | None, status: str | None, overdue: bool | None,
                  session_id: int | None) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Which filters apply (the shape of the query) and their values, as ``_filters`` reads the arguments."""
    shape: list[str] = []
    values: dict[str, Any] = {}
    if department:
        shape.append("department")
        values["department"] = department
    if status == "overdue":
        overdue = True
    elif status:
        shape.append("state")
        values["state"] = status
    if overdue is True:
        shape.append("overdue")
        values["today"] = clock.today()
    elif overdue is False:
        shape.append("not_overdue")
        values["today"] = clock.today()
    if session_id is not None:
        shape.append("session")
        values["session"] = session_id
    return tuple(shape), values


def _shape_filters(shape: tuple[str, ...], p: Any) -> list[Any]:
    """The conditions of ``_filters`` for a shape, with parameters for the values."""
    where: list[Any] = []
    for name in shape:
        if name == "department":
            where.append(Rectification.department.slug == p.department)
        elif name == "state":
            where.append(Rectification.state == p.state)
        elif name == "overdue":
            where += [Rectification.state == RectificationState.in_progress, Rectification.due_date < p.today]
        elif name == "not_overdue":
            where.append((Rectification.state == RectificationState.completed) | (Rectification.due_date >= p.today))
        elif name == "session":
            where.append(Rectification.issue.session == p.session)
    return where


async def department_rectifications(staff: Staff, limit: int = 200) -> list[dict[str, Any]]:
    """What the staff member's department must report on (every department's for administrators)."""
    permissions.require(staff, "rectification.report", staff.department_id)
    query = Rectification.select(*_COLUMNS).order_by(Rectification.state, ascending=False).order_by(
        Rectification.due_date).limit(limit)
    if not staff.is_admin:
        query = query.where(Rectification.department == staff.department_id)
    return await attach_details(await query)


async def recent_reminders(staff: Staff, limit: int = 10) -> list[dict[str, Any]]:
    """The latest rectification notices of the department (the staff side of the reminders)."""
    from engagement.tables import Reminder

    query = Reminder.select(Reminder.detail, Reminder.created_at).where(Reminder.kind == "rectification")
    if not staff.is_admin:
        query = query.where(Reminder.department == staff.department_id)
    rows = await query.order_by(Reminder.id, ascending=False).limit(limit).output(load_json=True)
    return [{**row["detail"], "created_at": row["created_at"]} for row in rows]


# ---------- recording the commitment ----------


async def _department_id(slug: str) -> int:
    row = await Department.select(Department.id).where(Department.slug == (slug or "").strip().lower()).first()
    if row is None:
        raise InvalidInput(_("No department with this slug."))
    return row["id"]


async def _issue(issue_id: int) -> dict[str, Any]:
    row = await LiveIssue.select(LiveIssue.id, LiveIssue.state, LiveIssue.title, LiveIssue.citizen,
                                 LiveIssue.session.kind.as_alias("session_kind")).where(LiveIssue.id == issue_id).first()
    if row is None:
        raise NotFound(_("The issue was not found."))
    return row


async def due_date_in(working_days: int, start: date | None = None) -> date:
    """The N-th working day after ``start`` (today in Beijing), holidays skipped, make-up days counted."""
    if not 1 <= working_days <= MAX_WORKING_DAYS:
        raise InvalidInput(_("The number of working days must be between 1 and %(limit)d.") % {"limit": MAX_WORKING_DAYS})
    return workdays.add_working_days(start or clock.today(), working_days, await workdays.load_calendar())


async def record_rectification(staff: Staff | None, issue_id: int, *, department: str, commitment: Any,
                               due_date: date | None = None, working_days: int | None = None) -> dict[str, Any]:
    """A selected issue's commitment. A due date already past is accepted: the rectification is overdue at once."""
    permissions.require(staff, "rectification.record")
    commitment = clean_text(commitment, MAX_COMMITMENT_LENGTH, _("The commitment"))
    if (due_date is None) == (working_days is None):
        raise InvalidInput(_("Give either a due date or a number of working days."))
    department_id = await _department_id(department)
    issue = await _issue(issue_id)
    if issue["session_kind"] != SessionKind.tv_questioning or issue["state"] != IssueState.selected:
        raise Conflict(_("Only issues selected for a TV questioning programme get a rectification."))
    due = due_date if due_date is not None else await due_date_in(working_days)
    async with unit_of_work():
        rows = await Rectification.insert(
            Rectification(issue=issue_id, department=department_id, commitment=commitment, due_date=due,
                          state=RectificationState.in_progress, created_at=clock.now(), updated_at=clock.now())
        ).on_conflict(target=Rectification.issue, action="DO NOTHING").returning(Rectification.id)
        if not rows:
            raise Conflict(_("This issue already has a rectification."))
        await RECTIFICATION.record("record", rows[0]["id"], "", actor=staff,
                                   detail={"issue": issue_id, "department": department, "due_date": due.isoformat()})
    return await rectification_of_issue(issue_id)


# ---------- the department reports ----------


def _store_photos(photos: Sequence[Photo]) -> list[Any]:
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(_("At most %(limit)d photos.") % {"limit": MAX_PHOTOS})
    # Re-written without EXIF (GPS position, camera serial), XMP or comments before anything is stored.
    return [store_upload(strip_image_metadata(photo.data), photo.filename, PHOTO_KINDS, PHOTO_MAX_BYTES)
            for photo in photos]


async def _add_update(row: dict[str, Any], kind: str, content: str, staff: Staff | None) -> int:
    rows = await RectificationUpdate.insert(
        RectificationUpdate(rectification=row["id"], kind=kind, content=content, author=staff.id if staff else None,
                            created_at=clock.now())
    ).returning(RectificationUpdate.id)
    return rows[0]["id"]


async def post_progress(staff: Staff | None, issue_id: int, content: Any,
                        photos: Sequence[Photo] = ()) -> dict[str, Any]:
    row = await rectification_for_staff(staff, issue_id)
    content = clean_text(content, MAX_UPDATE_LENGTH, _("The progress update"))
    stored = _store_photos(photos)
    async with unit_of_work():
        update_id = await _add_update(row, "progress", content, staff)
        for photo in stored:
            await IssuePhoto.insert(IssuePhoto(issue=issue_id, update_id=update_id, key=photo.key,
                                               content_type=photo.content_type, size=photo.size))
        await RECTIFICATION.apply("progress", row["id"], actor=staff, values={Rectification.updated_at: clock.now()},
                                  detail={"update": update_id, "photos": len(stored)})
    return await _update(update_id)


async def _update(update_id: int) -> dict[str, Any]:
    row = await RectificationUpdate.select().where(RectificationUpdate.id == update_id).first()
    row["photos"] = [p["id"] for p in await IssuePhoto.select(IssuePhoto.id).where(IssuePhoto.update_id == update_id)]
    return row


async def complete_rectification(staff: Staff | None, issue_id: int, content: Any,
                                 site_url: str = "") -> dict[str, Any]:
    """Completed; the proposer and the issue's followers are asked by SMS whether it is solved.

    ``site_url`` (e.g. ``https://hudong.example.gov.cn``) makes the one-tap link in the SMS absolute.
    """
    row = await rectification_for_staff(staff, issue_id)
    content = clean_text(content, MAX_UPDATE_LENGTH, _("The completion report"))
    now = clock.now()
    async with unit_of_work():
        update_id = await _add_update(row, "completion", content, staff)
        done = await RECTIFICATION.apply(
            "complete", row["id"], actor=staff, expect=row["state"], detail={"update": update_id},
            values={Rectification.completed_at: now, Rectification.updated_at: now,
                    Rectification.confirmation_round: Rectification.confirmation_round + 1},
        )
        await _ask_whether_solved(row, done["confirmation_round"], site_url)
    return await rectification_of_issue(issue_id)


async def _ask_whether_solved(row: dict[str, Any], round_: int, site_url: str) -> None:
    """Stored with the completion, sent after its commit; once per citizen per round (``event_key``)."""
    title = public_text(row["issue_title"], [row["issue_name"]])[:30]
    for citizen in await _people_to_ask(row["issue"]):
        link = f"{site_url.rstrip('/')}{answer_link(row['issue'], answer_token(citizen, row['id'], round_))}"
        body = _("[Government Engagement] The department reports the issue \"%(title)s\" as rectified. "
                 "Is it solved? Answer with one tap: %(link)s") % {"title": title, "link": link}
        await notify_citizen(citizen["id"], body, purpose="rectification_confirmation",
                             event_key=f"rectification:{row['id']}:round:{round_}:citizen:{citizen['id']}")


async def _people_to_ask(issue_id: int) -> list[dict[str, Any]]:
    """The proposers of the issue and of the issues merged into it, and everyone who asked for notices."""
    issue_ids = await merged_family(issue_id)
    proposers = await LiveIssue.select(LiveIssue.citizen).where(LiveIssue.id.is_in(issue_ids))
    followers = await IssueFollower.select(IssueFollower.citizen).where(IssueFollower.issue.is_in(issue_ids))
    citizen_ids = sorted({r["citizen"] for r in proposers} | {r["citizen"] for r in followers})
    if not citizen_ids:
        return []
    return await Citizen.select(Citizen.id, Citizen.phone_hash).where(Citizen.id.is_in(citizen_ids))


async def merged_family(issue_id: int) -> list[int]:
    """The issue and every issue merged into it, directly or through a chain of merges."""
    family, frontier = [issue_id], [issue_id]
    while frontier:
        rows = await LiveIssue.select(LiveIssue.id).where(LiveIssue.merged_into.is_in(frontier))
        frontier = [row["id"] for row in rows if row["id"] not in family]
        family += frontier
    return family


def answer_link(issue_id: int, token: str = "") -> str:
    return f"/rectifications/{issue_id}/confirm" + (f"?t={token}" if token else "")


def answer_token(citizen: dict[str, Any], rectification_id: int, round_: int) -> str:
    """The one-tap link's proof: it went by SMS to this citizen's phone, for this round only.

    Laid out like a citizen token (``kind:citizen id:phone hash:…``), so even read as one it could only
    name the same citizen; and it is not prefixed ``ctz_``, so the API does not take it as one.
    """
    payload = f"{ANSWER_TOKEN_KIND}:{citizen['id']}:{citizen['phone_hash']}:{rectification_id}:{round_}"
    return keyring().sign_token(payload)


def citizen_from_answer_token(token: str) -> tuple[VerifiedCitizen, int, int]:
    """(citizen, rectification id, round) of a one-tap link; 401 when it is forged or too old."""
    try:
        kind, citizen_id, phone_hash, rectification_id, round_ = keyring().read_token(
            token, max_age=ANSWER_LINK_MAX_AGE).split(":")
    except (InvalidToken, ValueError):
        raise NotAuthenticated(_("This link has expired. Please verify your phone number to answer.")) from None
    if kind != ANSWER_TOKEN_KIND:
        raise NotAuthenticated(_("This link has expired. Please verify your phone number to answer."))
    return VerifiedCitizen(id=int(citizen_id), phone_hash=phone_hash), int(rectification_id), int(round_)


# ---------- citizens confirm ----------


async def may_answer(citizen_id: int, issue_id: int) -> bool:
    """The proposer or a supporter of the issue, or of an issue merged into it."""
    family = await merged_family(issue_id)
    if await LiveIssue.exists().where(LiveIssue.id.is_in(family) & (LiveIssue.citizen == citizen_id)):
        return True
    return await SupportVote.exists().where(
        (SupportVote.target_kind == ISSUE_VOTE_KIND) & SupportVote.target_id.is_in(family)
        & (SupportVote.citizen == citizen_id)
    )


async def answer_confirmation(citizen: VerifiedCitizen, issue_id: int, solved: bool,
                              expect_round: int | None = None) -> dict[str, Any]:
    """One answer per citizen per round (a second is 409: answers are counted, not edited).

    ``expect_round``: the round of the one-tap link; a link from an earlier completion answers 409.
    """
    row = await rectification_of_issue(issue_id)
    if not await may_answer(citizen.id, issue_id):
        raise Forbidden(_("Only the people who proposed or supported this issue can answer."))
    async with unit_of_work():
        await lock_row_for_update(Rectification, row["id"])  # answers of one rectification are counted one by one
        current = await Rectification.select(Rectification.state, Rectification.confirmation_round).where(
            Rectification.id == row["id"]).first()
        round_ = current["confirmation_round"]
        if current["state"] != RectificationState.completed or (expect_round is not None and expect_round != round_):
            raise Conflict(_("This rectification is not waiting for confirmation."))
        inserted = await RectificationAnswer.insert(
            RectificationAnswer(answer_key=f"{row['id']}:{round_}:{citizen.id}", rectification=row["id"],
                                round=round_, citizen=citizen.id, solved=solved, created_at=clock.now())
        ).on_conflict(target=RectificationAnswer.answer_key, action="DO NOTHING").returning(RectificationAnswer.id)
        if not inserted:
            raise Conflict(_("You have already answered."))
        solved_count, not_solved = await _round_counts(row["id"], round_)
        if _should_reopen(solved_count, not_solved):
            await _reopen(row, round_, solved_count, not_solved)
    return await rectification_details(issue_id)


def _should_reopen(solved: int, not_solved: int) -> bool:
    return solved + not_solved >= REOPEN_MIN_ANSWERS and not_solved * 2 > solved + not_solved


async def _round_counts(rectification_id: int, round_: int) -> tuple[int, int]:
    rows = await RectificationAnswer.select(RectificationAnswer.solved, Count(alias="answers")).where(
        (RectificationAnswer.rectification == rectification_id) & (RectificationAnswer.round == round_)
    ).group_by(RectificationAnswer.solved)
    counts = {bool(r["solved"]): int(r["answers"]) for r in rows}
    return counts.get(True, 0), counts.get(False, 0)


async def _reopen(row: dict[str, Any], round_: int, solved: int, not_solved: int) -> None:
    """In progress again, with an update saying why, and a notice to the department (once per round)."""
    content = _("Reopened: %(not_solved)d of %(answers)d citizens who answered say the problem is not solved.") % {
        "not_solved": not_solved, "answers": solved + not_solved}
    await _add_update(row, "reopened", content, None)
    await RECTIFICATION.apply("reopen", row["id"], note=content,
                              detail={"round": round_, "solved": solved, "not_solved": not_solved},
                              values={Rectification.updated_at: clock.now(), Rectification.completed_at: None})
    await notify_department(row, "reopened", f"rectification-reopened:{row['id']}:{round_}")


# ---------- notices to the department ----------


async def notify_department(row: dict[str, Any], reminder: str, key: str) -> bool:
    """A notice on the department's rectification page and by SMS to its staff with a phone, once per ``key``."""
    detail = {"reminder": reminder, "issue": row["issue"],
              "title": public_text(row["issue_title"], [row["issue_name"]])[:50],
              "due_date": row["due_date"].isoformat()}
    if not await workdays.remind_once(key, "rectification", row["department"], detail):
        return False
    await notify_department_staff(row["department"], _notice_text(reminder, detail), purpose="rectification_notice",
                                  event_key=key)
    return True


def _notice_text(reminder: str, detail: dict[str, Any]) -> str:
    values = {"title": detail["title"], "due": detail["due_date"]}
    if reminder == "reopened":
        return _("[Government Engagement] Citizens say the issue \"%(title)s\" is not solved: its rectification "
                 "is in progress again.") % values
    if reminder == "overdue":
        return _("[Government Engagement] The rectification of \"%(title)s\" was due on %(due)s and is overdue.") % values
    return _("[Government Engagement] The rectification of \"%(title)s\" is due on %(due)s.") % values


def reminder_key(row: dict[str, Any], reminder: str) -> str:
    """One reminder per due event: the due date within one confirmation round (a reopening starts another)."""
    return f"rectification-{reminder}:{row['id']}:{row['confirmation_round']}:{row['due_date'].isoformat()}"


async def send_deadline_reminders(today: date | None = None) -> int:
    """Rectifications in progress due within a few working days, or overdue: each reminded once. The number sent."""
    day = today or clock.today()
    calendar = await workdays.load_calendar()
    soon = workdays.add_working_days(day, REMIND_BEFORE_WORKING_DAYS, calendar)
    rows = await Rectification.select(*_COLUMNS).where(
        (Rectification.state == RectificationState.in_progress) & (Rectification.due_date <= soon))
    sent = 0
    for row in rows:
        reminder = "overdue" if day > row["due_date"] else "due_soon"
        async with unit_of_work():
            sent += await notify_department(row, reminder, reminder_key(row, reminder))
    return sent


# ---------- shapes ----------


def status_of(row: dict[str, Any]) -> str:
    """in_progress, completed or overdue, as the board shows it (``overdue`` is computed, never stored)."""
    return "overdue" if row.get("overdue") else row["state"]


def iso(value: Any) -> str | None:
    return _iso(value)


def photo_path(photo_id: int) -> str:
    return f"/api/v1/rectification-photos/{photo_id}"


async def public_photo(photo_id: int) -> dict[str, Any]:
    """A photo of a rectification update (issues' own photos are served with the issue)."""
    row = await IssuePhoto.select(IssuePhoto.key, IssuePhoto.content_type).where(
        (IssuePhoto.id == photo_id) & IssuePhoto.update_id.is_not_null()).first()
    if row is None:
        raise NotFound(_("The photo was not found."))
    return row


async def public_rectification_of(issue_id: int) -> Any:
    """One issue's ``RectificationRead`` (or None), for the issue's page (pages_issues.py)."""
    from live_sessions.schemas_rectifications import rectification_of  # the schemas build on this module

    return await rectification_of(issue_id)
