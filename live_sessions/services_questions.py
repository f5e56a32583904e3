"""Questions and what hangs on them: asking, moderation, edits, answers, remarks, votes, the queue.

Every question waits for a host (pre-moderation). State changes go through ``QUESTION``
(live_sessions/workflows.py); what viewers and moderators see is recorded with
``services.record_event`` in the same unit of work and published after the commit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engagement import audit, clock, permissions
from engagement.accounts import Staff
from engagement.db import lock_row_for_update, unit_of_work
from engagement.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from engagement.i18n import _
from engagement.limits import count_citizen_action
from engagement.modules import votable_kinds
from engagement.prepared import prepared
from engagement.tables import Citizen
from engagement.verification import VerifiedCitizen
from engagement.votes import cast_vote, counts_by_target, vote_counts
from live_sessions.services import (
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    PUBLIC,
    STAFF,
    Publisher,
    _iso,
    channel_for,
    clean_text,
    get_session,
    guests_of,
    public_name,
    public_text,
    publish,
    record_event,
    session_for_staff,
)
from live_sessions.tables import LiveMessage, LiveQuestion, QuestionState, SessionStatus
from live_sessions.workflows import MODERATION_ACTIONS, QUESTION

VOTE_KIND = "live_question"
MAX_QUESTION_LENGTH = 500
# Per citizen and session: a few questions a minute, a bounded number in all.
QUESTIONS_PER_MINUTE = 3
QUESTIONS_PER_SESSION = 30


# ---------- shapes shared by the API, the pages and the events ----------


def question_event_payload(question: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": question["id"],
        "content": public_text(question["content"], [question["display_name"]]),
        "name": public_name(question["display_name"]),
        "asked_at": _iso(question["asked_at"]),
        "answered": question["answered"],
    }


def staff_question_payload(question: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": question["id"],
        "content": question["content"],
        "original_content": question["original_content"],
        "masked_content": public_text(question["content"], [question["display_name"]]),
        "name": question["display_name"],
        "state": question["state"],
        "answered": question["answered"],
        "asked_at": _iso(question["asked_at"]),
    }


def message_payload(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": message["id"],
        "question_id": message["question"],
        "content": public_text(message["content"]),  # answers and remarks reach viewers as events and pages
        "speaker": message["speaker_name"],
        "speaker_role": message["speaker_role"],
        "created_at": _iso(message["created_at"]),
    }


# ---------- loaders ----------


async def _question(question_id: int) -> dict[str, Any]:
    row = await LiveQuestion.select().where(LiveQuestion.id == question_id).first()
    if row is None:
        raise NotFound(_("The question was not found."))
    return row


async def question_for_staff(staff: Staff | None, question_id: int, permission: str) -> dict[str, Any]:
    permissions.require(staff, permission)
    return await _question(question_id)


async def approved_question(question_id: int) -> dict[str, Any]:
    """A question as the public may see it: approved, else not found."""
    row = await LiveQuestion.select().where(
        (LiveQuestion.id == question_id) & (LiveQuestion.state == QuestionState.approved)
    ).first()
    if row is None:
        raise NotFound(_("The question was not found."))
    return row


# ---------- asking ----------


async def ask_question(citizen: VerifiedCitizen, session_id: int, content: Any, name: Any = None,
                       publisher: Publisher | None = None) -> dict[str, Any]:
    content = clean_text(content, MAX_QUESTION_LENGTH, _("The question"))
    name = clean_text(name, MAX_NAME_LENGTH, _("The name"), required=False)
    session = await get_session(session_id)
    if session["status"] == SessionStatus.ended:
        raise Conflict(_("This session has ended; questions are closed."))
    async with unit_of_work():
        await lock_row_for_update(Citizen, citizen.id)  # one citizen's requests count one after another
        await _check_question_rate(citizen.id, session_id)
        await count_citizen_action(citizen.id, "question")
        rows = await LiveQuestion.insert(
            LiveQuestion(session=session_id, citizen=citizen.id, content=content, display_name=name,
                         state=QuestionState.pending, asked_at=clock.now())
        ).returning(*LiveQuestion.all_columns())
        question = rows[0]
        await QUESTION.record("submit", question["id"], from_state="", actor=citizen)
        await record_event(session_id, STAFF, "submitted", staff_question_payload(question), publisher)
    return question


async def _check_question_rate(citizen_id: int, session_id: int) -> None:
    recent = await LiveQuestion.select(LiveQuestion.asked_at).where(
        (LiveQuestion.session == session_id) & (LiveQuestion.citizen == citizen_id)
    ).order_by(LiveQuestion.asked_at, ascending=False).limit(QUESTIONS_PER_SESSION)
    if len(recent) >= QUESTIONS_PER_SESSION:
        raise TooManyRequests(_("You have asked many questions in this session. Thank you!"), retry_after=3600)
    minute_ago = clock.now() - timedelta(seconds=60)
    in_last_minute = [asked for asked in (clock.aware(row["asked_at"]) for row in recent) if asked > minute_ago]
    if len(in_last_minute) >= QUESTIONS_PER_MINUTE:
        wait = int((min(in_last_minute) + timedelta(seconds=60) - clock.now()).total_seconds()) + 1
        raise TooManyRequests(_("Please wait a moment before asking another question."), retry_after=wait)


# ---------- moderation and edits ----------


async def moderate_question(staff: Staff | None, question_id: int, action: str,
                            publisher: Publisher | None = None) -> dict[str, Any]:
    """Approve or reject. Two hosts acting at once: the workflow's compare-and-set lets exactly one win."""
    question = await question_for_staff(staff, question_id, "question.moderate")
    if action not in MODERATION_ACTIONS:
        raise Conflict(_("Unknown moderation action."))
    async with unit_of_work():
        updated = await QUESTION.apply(
            action, question_id, actor=staff, expect=question["state"],
            values={LiveQuestion.moderated_at: clock.now(), LiveQuestion.moderated_by: staff.id},
        )
        await _record_moderation(updated, question["state"], publisher)
    return updated


async def _record_moderation(question: dict[str, Any], previous_state: str, publisher: Publisher | None) -> None:
    session_id = question["session"]
    await record_event(session_id, STAFF, "moderated", staff_question_payload(question), publisher)
    if question["state"] == QuestionState.approved:
        payload = question_event_payload(question)
        payload["vote_count"] = (await vote_counts(VOTE_KIND, [question["id"]])).get(question["id"], 0)
        payload["answers"] = []
        await record_event(session_id, PUBLIC, "question", payload, publisher)
    elif previous_state == QuestionState.approved:
        await record_event(session_id, PUBLIC, "question_removed", {"id": question["id"]}, publisher)


async def edit_question(staff: Staff | None, question_id: int, content: Any,
                        publisher: Publisher | None = None) -> dict[str, Any]:
    """Fix typos (no change of state); what the citizen wrote is kept in ``original_content``."""
    question = await question_for_staff(staff, question_id, "question.moderate")
    content = clean_text(content, MAX_QUESTION_LENGTH, _("The question"))
    if content == question["content"]:
        return question
    async with unit_of_work():
        rows = await LiveQuestion.update(
            {LiveQuestion.content: content,
             LiveQuestion.original_content: question["original_content"] or question["content"]}
        ).where(LiveQuestion.id == question_id).returning(*LiveQuestion.all_columns())
        updated = rows[0]
        await record_event(updated["session"], STAFF, "edited", staff_question_payload(updated), publisher)
        if updated["state"] == QuestionState.approved:
            await record_event(updated["session"], PUBLIC, "question_updated", question_event_payload(updated),
                               publisher)
        await audit.record(staff, "live_question.edit", "live_question", question_id,
                           {"before": question["content"], "after": content})
    return updated


# ---------- answers and remarks ----------


def _speaker(staff: Staff, session: dict[str, Any], speaker: Any, default_role: str) -> tuple[str, str]:
    guest_names = [guest["name"] for guest in guests_of(session)]
    if speaker in (None, ""):
        if default_role == "guest" and guest_names:
            return guest_names[0], "guest"
        return staff.display_name or staff.username, "host"
    if speaker == "host":
        return staff.display_name or staff.username, "host"
    if speaker in guest_names:
        return speaker, "guest"
    raise InvalidInput(_("The speaker must be one of the guests or \"host\"."))


async def _require_live(session_id: int, refusal: str) -> dict[str, Any]:
    session = await get_session(session_id)
    if session["status"] != SessionStatus.live:
        raise Conflict(refusal)
    return session


async def answer_question(staff: Staff | None, question_id: int, answer: Any, speaker: Any = None,
                          publisher: Publisher | None = None) -> dict[str, Any]:
    """Post a guest's (or the host's) answer to an approved question during the session."""
    permissions.require(staff, "question.moderate")
    content = clean_text(answer, MAX_TEXT_LENGTH, _("The answer"))
    async with unit_of_work():
        question = await QUESTION.apply("answer", question_id, actor=staff, values={LiveQuestion.answered: True})
        session = await _require_live(question["session"], _("Answers are posted while the session is live."))
        speaker_name, role = _speaker(staff, session, speaker, "guest")
        rows = await LiveMessage.insert(
            LiveMessage(session=session["id"], question=question_id, kind="answer", speaker_name=speaker_name,
                        speaker_role=role, content=content, created_by=staff.id, created_at=clock.now())
        ).returning(*LiveMessage.all_columns())
        await record_event(session["id"], PUBLIC, "answer", message_payload(rows[0]), publisher)
    return await question_with_answers(question_id, staff_view=True)


async def mark_answered(staff: Staff | None, question_id: int, publisher: Publisher | None = None) -> dict[str, Any]:
    permissions.require(staff, "question.moderate")
    async with unit_of_work():
        await lock_row_for_update(LiveQuestion, question_id)  # of two hosts at once, the second sees the flag
        question = await _question(question_id)
        if question["state"] == QuestionState.approved and question["answered"]:
            raise Conflict(_("The question is already marked as answered."))
        await QUESTION.apply("mark_answered", question_id, actor=staff, values={LiveQuestion.answered: True})
        await record_event(question["session"], PUBLIC, "question_answered", {"id": question_id}, publisher)
    return await question_with_answers(question_id, staff_view=True)


async def post_remark(staff: Staff | None, session_id: int, content: Any, speaker: Any = None,
                      publisher: Publisher | None = None) -> dict[str, Any]:
    session = await session_for_staff(staff, session_id, "session.run")
    content = clean_text(content, MAX_TEXT_LENGTH, _("The remark"))
    if session["status"] != SessionStatus.live:
        raise Conflict(_("Remarks are posted while the session is live."))
    speaker_name, role = _speaker(staff, session, speaker, "host")
    async with unit_of_work():
        rows = await LiveMessage.insert(
            LiveMessage(session=session_id, question=None, kind="remark", speaker_name=speaker_name,
                        speaker_role=role, content=content, created_by=staff.id, created_at=clock.now())
        ).returning(*LiveMessage.all_columns())
        await record_event(session_id, PUBLIC, "remark", message_payload(rows[0]), publisher)
    return rows[0]


# ---------- votes ----------


async def vote_for_question(citizen: VerifiedCitizen, question_id: int,
                            publisher: Publisher | None = None) -> tuple[bool, int]:
    """One vote per citizen (the database's unique key decides, also under concurrent requests)."""
    question = await approved_question(question_id)
    result = await cast_vote(VOTE_KIND, question_id, citizen.id, votable_kinds())
    if result.counted:
        # Vote counts are not part of the record of events: the count is in the database and on every page load.
        publish(publisher, channel_for(question["session"]),
                {"type": "votes", "id": question_id, "vote_count": result.support_count})
    return result.counted, result.support_count


# ---------- reads ----------


async def public_questions(session_id: int, order: str = "votes", limit: int = 50,
                           offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Approved questions with vote counts and answers: a fixed number of queries whatever the page size."""
    await get_session(session_id)
    rows = await _with_vote_counts(session_id, await approved_questions(session_id), order)
    page = rows[offset: offset + limit]
    await attach_answers(page)
    return page, len(rows)


async def public_feed(session: dict[str, Any], order: str = "votes",
                      limit: int = 50) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What the session page shows: the first ``limit`` approved questions as ``public_questions`` gives them
    (vote counts, answers) and the remarks (messages answering no question), in at most three queries.

    Answers and remarks are posted only while a session is live (``answer_question``, ``post_remark``), in
    the session of their question, and a session never returns to ``announced``: one that is still announced
    has none, and its messages are not read."""
    session_id = session["id"]
    page = (await _with_vote_counts(session_id, await approved_questions(session_id), order))[:limit]
    answers: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in page}
    remarks = []
    messages = await session_messages(session_id) if session["status"] != SessionStatus.announced else []
    for message in messages:
        if message["question"] is None:
            remarks.append(message)
        elif message["question"] in answers:
            answers[message["question"]].append(message)
    for row in page:
        row["answers"] = answers[row["id"]]
    return page, remarks


_APPROVED_VOTES = prepared(lambda p: counts_by_target(VOTE_KIND, LiveQuestion.select(LiveQuestion.id).where(
    (LiveQuestion.session == p.session) & (LiveQuestion.state == QuestionState.approved))))


async def _with_vote_counts(session_id: int, rows: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
    """The session's approved questions with their vote counts (one query), most voted first for ``votes``."""
    counts = {row["target_id"]: row["n"] for row in await _APPROVED_VOTES.run(session=session_id)} if rows else {}
    for row in rows:
        row["vote_count"] = counts.get(row["id"], 0)
    if order == "votes":
        rows.sort(key=lambda row: -row["vote_count"])
    return rows


_APPROVED_QUESTIONS = prepared(lambda p: LiveQuestion.select().where(
    (LiveQuestion.session == p.session) & (LiveQuestion.state == QuestionState.approved)
).order_by(LiveQuestion.asked_at))


async def approved_questions(session_id: int) -> list[dict[str, Any]]:
    return await _APPROVED_QUESTIONS.run(session=session_id)


async def attach_answers(questions: list[dict[str, Any]]) -> None:
    ids = [row["id"] for row in questions]
    answers: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for message in await LiveMessage.select().where(LiveMessage.question.is_in(ids)).order_by(LiveMessage.id):
            answers[message["question"]].append(message)
    for row in questions:
        row["answers"] = answers[row["id"]]


async def question_with_answers(question_id: int, staff_view: bool = False) -> dict[str, Any]:
    row = await LiveQuestion.select().where(LiveQuestion.id == question_id).first()
    if row is None or (not staff_view and row["state"] != QuestionState.approved):
        raise NotFound(_("The question was not found."))
    row["vote_count"] = (await vote_counts(VOTE_KIND, [question_id])).get(question_id, 0)
    await attach_answers([row])
    return row


async def moderation_queue(staff: Staff | None, session_id: int, state: str = QuestionState.pending,
                           limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int, int]:
    """Questions in one moderation state, oldest first, with the staff stream position for the live console."""
    session = await session_for_staff(staff, session_id, "question.read_queue")
    if state not in {item.value for item in QuestionState}:
        raise InvalidInput(_("The state must be pending, approved or rejected."))
    where = (LiveQuestion.session == session_id) & (LiveQuestion.state == state)
    rows = await LiveQuestion.select().where(where).order_by(LiveQuestion.asked_at).limit(limit).offset(offset)
    total = await LiveQuestion.count().where(where)
    return rows, total, session["staff_seq"]


_SESSION_MESSAGES = prepared(lambda p: LiveMessage.select().where(LiveMessage.session == p.session)
                             .order_by(LiveMessage.id))


async def session_messages(session_id: int) -> list[dict[str, Any]]:
    return await _SESSION_MESSAGES.run(session=session_id)
