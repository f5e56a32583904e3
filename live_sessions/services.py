"""The domain operations of live sessions: one function per thing a user does.

Each operation owns its transaction. Every change a viewer or moderator must see
is written, in the same transaction, as a row of ``live_event`` with the next
sequence number of its stream (``public`` for viewers, ``staff`` for moderators);
after the commit the event is published to the stream's channel. The database is
the record: a (re)connecting client catches up from ``live_event`` by sequence number.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from engagement import audit
from engagement.accounts import Staff
from engagement.db import contains, lock_row_for_update, write_transaction
from engagement.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from engagement.i18n import N_, _
from engagement.live import encode_event
from engagement.masking import mask_name, mask_personal_data
from engagement.moderation import initial_state, next_state
from engagement.modules import votable_kinds
from engagement.tables import Citizen
from engagement.verification import VerifiedCitizen
from engagement.votes import cast_vote, vote_counts
from live_sessions import permissions
from live_sessions.tables import (
    LiveEvent,
    LiveMessage,
    LiveQuestion,
    LiveSession,
    LiveSessionHost,
    SessionKind,
    SessionStatus,
    TranscriptComment,
    TranscriptEntry,
    TranscriptState,
)

log = logging.getLogger("live_sessions")

PUBLIC, STAFF = "public", "staff"
VOTE_KIND = "live_question"
MAX_QUESTION_LENGTH = 500
MAX_NAME_LENGTH = 50
MAX_TITLE_LENGTH = 200
MAX_TEXT_LENGTH = 5000
MAX_GUESTS = 20
# Per citizen and session: a few questions a minute, a bounded number in all.
QUESTIONS_PER_MINUTE = 3
QUESTIONS_PER_SESSION = 30
MAX_COMMENT_LENGTH = 1000
CATCH_UP_LIMIT = 500  # events per catch-up query; the client asks again for more


class Publisher(Protocol):
    """Litestar's ChannelsPlugin, or anything with the same ``publish``."""

    def publish(self, data: bytes, channels: list[str]) -> None: ...


def channel_for(session_id: int, stream: str = PUBLIC) -> str:
    return f"live_session:{session_id}" if stream == PUBLIC else f"live_session:{session_id}:staff"


def epoch_of(session: dict[str, Any]) -> int:
    """Identifies one session for ever (its creation time in microseconds), unlike its id.

    Channel history outlives a database that was reset or restored (ids are then reused): a viewer
    ignores sequenced events whose epoch is not its session's.
    """
    return int(_aware(session["created_at"]).timestamp() * 1_000_000)


def _now() -> datetime:
    return datetime.now(UTC)


def _engine():
    return LiveSession._meta.db


@dataclass
class _Outbox:
    """Events written in the current transaction, published once it has committed."""

    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)

    async def record(self, session_id: int, stream: str, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        counter = LiveSession.public_seq if stream == PUBLIC else LiveSession.staff_seq
        # The row lock of this UPDATE orders concurrent writers: sequence numbers are contiguous.
        rows = await LiveSession.update({counter: counter + 1}).where(LiveSession.id == session_id).returning(
            counter, LiveSession.created_at
        )
        if not rows:
            raise NotFound(_("The live session was not found."))
        seq = rows[0][counter._meta.name]
        event = {"type": type_, "seq": seq, "epoch": epoch_of(rows[0]), **payload}
        await LiveEvent.insert(
            LiveEvent(session=session_id, stream=stream, seq=seq, event_key=f"{session_id}:{stream}:{seq}",
                      type=type_, payload=event)
        )
        self.events.append((session_id, stream, event))
        return event

    def publish(self, publisher: Publisher | None) -> None:
        for session_id, stream, event in self.events:
            publish(publisher, channel_for(session_id, stream), event)


def publish(publisher: Publisher | None, channel: str, event: dict[str, Any]) -> None:
    """Hand an event to the channels (after commit). Without a publisher (demo, CLI) viewers catch up from the database."""
    if publisher is None:
        return
    try:
        publisher.publish(encode_event(event), [channel])
    except Exception:  # the event is in the database; viewers will catch up from there
        log.exception("could not publish to %s", channel)


# ---------- shapes shared by the API, the pages and the events ----------


def public_name(display_name: str) -> str:
    return mask_name(display_name) if display_name else ""


def public_text(text: str, names: Iterable[str] = ()) -> str:
    """User-written text as published: phone, ID, e-mail and card numbers masked."""
    return mask_personal_data(text, [name for name in names if name])


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
        "content": message["content"],
        "speaker": message["speaker_name"],
        "speaker_role": message["speaker_role"],
        "created_at": _iso(message["created_at"]),
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# ---------- loaders (the only way a handler gets an object) ----------


async def get_session(session_id: int) -> dict[str, Any]:
    row = await LiveSession.select().where(LiveSession.id == session_id).first()
    if row is None:
        raise NotFound(_("The live session was not found."))
    return row


async def session_for_staff(staff: Staff | None, session_id: int, action: str) -> dict[str, Any]:
    permissions.require(staff, action)
    return await get_session(session_id)


async def question_for_staff(staff: Staff | None, question_id: int, action: str) -> dict[str, Any]:
    permissions.require(staff, action)
    row = await LiveQuestion.select().where(LiveQuestion.id == question_id).first()
    if row is None:
        raise NotFound(_("The question was not found."))
    return row


async def approved_question(question_id: int) -> dict[str, Any]:
    """A question as the public may see it: approved, else not found."""
    row = await LiveQuestion.select().where(
        (LiveQuestion.id == question_id) & (LiveQuestion.state == "approved")
    ).first()
    if row is None:
        raise NotFound(_("The question was not found."))
    return row


# ---------- sessions ----------


def _clean_text(value: Any, limit: int, what: str, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise InvalidInput(_("%(field)s must be text.") % {"field": what})
    if required and not text:
        raise InvalidInput(_("%(field)s is required.") % {"field": what})
    if len(text) > limit:
        raise InvalidInput(_("%(field)s may have at most %(limit)d characters.") % {"field": what, "limit": limit})
    return text


def _clean_guests(guests: Any) -> list[dict[str, str]]:
    if not isinstance(guests, list) or not guests:
        raise InvalidInput(_("Name at least one guest."))
    if len(guests) > MAX_GUESTS:
        raise InvalidInput(_("At most %(limit)d guests.") % {"limit": MAX_GUESTS})
    cleaned = []
    for guest in guests:
        if not isinstance(guest, dict):
            raise InvalidInput(_("Each guest needs a name and a title."))
        item = {
            "name": _clean_text(guest.get("name"), 100, _("The guest's name")),
            "title": _clean_text(guest.get("title"), 200, _("The guest's title")),
        }
        photo = guest.get("photo")
        if photo:
            photo = _clean_text(photo, 300, _("The guest's photo"))
            if not photo.startswith("/static/"):
                raise InvalidInput(_("A guest photo must be an image on this site (/static/…)."))
            item["photo"] = photo
        cleaned.append(item)
    return cleaned


async def create_session(
    staff: Staff | None,
    *,
    kind: str,
    title: str,
    description: str,
    guests: list[dict[str, Any]],
    scheduled_at: datetime,
    capacity: int | None = None,
) -> dict[str, Any]:
    permissions.require(staff, "create_session")
    if kind not in {k.value for k in SessionKind}:
        raise InvalidInput(_("The kind must be interview, tv_questioning or open_meeting."))
    title = _clean_text(title, MAX_TITLE_LENGTH, _("The title"))
    description = _clean_text(description, MAX_TEXT_LENGTH, _("The description"), required=False)
    guests = _clean_guests(guests)
    if scheduled_at.tzinfo is None:
        raise InvalidInput(_("The scheduled time needs a time zone, e.g. 2026-12-05T10:00:00+08:00."))
    if capacity is not None and capacity < 1:
        raise InvalidInput(_("The capacity must be a positive number."))
    async with write_transaction(_engine()):
        rows = await LiveSession.insert(
            LiveSession(kind=kind, title=title, description=description, guests=guests, scheduled_at=scheduled_at,
                        capacity=capacity, created_by=staff.id)
        ).returning(LiveSession.id)
        session_id = rows[0]["id"]
        await LiveSessionHost.insert(LiveSessionHost(session=session_id, staff=staff.id))
        await audit.record(staff, "live_session.create", "live_session", session_id, {"title": title})
    return await get_session(session_id)


async def _change_status(staff: Staff | None, session_id: int, from_status: str, to_status: str,
                         publisher: Publisher | None, extra: dict[Any, Any]) -> dict[str, Any]:
    await session_for_staff(staff, session_id, "run_session")
    outbox = _Outbox()
    async with write_transaction(_engine()):
        changed = await LiveSession.update({LiveSession.status: to_status, **extra}).where(
            (LiveSession.id == session_id) & (LiveSession.status == from_status)
        ).returning(LiveSession.id)
        if not changed:
            raise Conflict(_(STATUS_CONFLICTS[from_status]))
        await outbox.record(session_id, PUBLIC, "status", {"status": to_status})
        if to_status == SessionStatus.ended.value:
            await _assemble(session_id)
        await audit.record(staff, f"live_session.{to_status}", "live_session", session_id)
    outbox.publish(publisher)
    return await get_session(session_id)


STATUS_CONFLICTS = {
    "announced": N_("The session has already started."),
    "live": N_("The session is not live."),
}


async def start_session(staff: Staff | None, session_id: int, publisher: Publisher | None = None) -> dict[str, Any]:
    return await _change_status(staff, session_id, "announced", "live", publisher, {LiveSession.started_at: _now()})


async def end_session(staff: Staff | None, session_id: int, publisher: Publisher | None = None) -> dict[str, Any]:
    """End the session; the draft transcript is assembled in the same transaction."""
    return await _change_status(staff, session_id, "live", "ended", publisher, {LiveSession.ended_at: _now()})


async def list_sessions(limit: int = 20, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    rows = await LiveSession.select().order_by(LiveSession.scheduled_at, ascending=False).limit(limit).offset(offset)
    return rows, await LiveSession.count()


# ---------- questions ----------


async def ask_question(citizen: VerifiedCitizen, session_id: int, content: Any, name: Any = None,
                       publisher: Publisher | None = None) -> dict[str, Any]:
    content = _clean_text(content, MAX_QUESTION_LENGTH, _("The question"))
    name = _clean_text(name, MAX_NAME_LENGTH, _("The name"), required=False)
    session = await get_session(session_id)
    if session["status"] == SessionStatus.ended.value:
        raise Conflict(_("This session has ended; questions are closed."))
    await initial_state(content, premoderate=True)  # every question waits for a host
    outbox = _Outbox()
    async with write_transaction(_engine()):
        await lock_row_for_update(Citizen, citizen.id)  # one citizen's requests count one after another
        mine = LiveQuestion.select(LiveQuestion.asked_at).where(
            (LiveQuestion.session == session_id) & (LiveQuestion.citizen == citizen.id)
        ).order_by(LiveQuestion.asked_at, ascending=False)
        recent = await mine.limit(QUESTIONS_PER_SESSION)
        if len(recent) >= QUESTIONS_PER_SESSION:
            raise TooManyRequests(_("You have asked many questions in this session. Thank you!"), retry_after=3600)
        minute_ago = _now() - timedelta(seconds=60)
        in_last_minute = [row for row in recent if _aware(row["asked_at"]) > minute_ago]
        if len(in_last_minute) >= QUESTIONS_PER_MINUTE:
            oldest = min(_aware(row["asked_at"]) for row in in_last_minute)
            wait = int((oldest + timedelta(seconds=60) - _now()).total_seconds()) + 1
            raise TooManyRequests(_("Please wait a moment before asking another question."), retry_after=wait)
        rows = await LiveQuestion.insert(
            LiveQuestion(session=session_id, citizen=citizen.id, content=content, display_name=name,
                         state="pending", asked_at=_now())
        ).returning(*LiveQuestion.all_columns())
        question = rows[0]
        await outbox.record(session_id, STAFF, "submitted", staff_question_payload(question))
    outbox.publish(publisher)
    return question


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def moderate_question(staff: Staff | None, question_id: int, action: str,
                            publisher: Publisher | None = None) -> dict[str, Any]:
    """Approve or reject. Two hosts acting at once: the conditional UPDATE lets exactly one win."""
    question = await question_for_staff(staff, question_id, "moderate_questions")
    new_state = next_state(question["state"], action)
    outbox = _Outbox()
    async with write_transaction(_engine()):
        rows = await LiveQuestion.update(
            {LiveQuestion.state: new_state.value, LiveQuestion.moderated_at: _now(), LiveQuestion.moderated_by: staff.id}
        ).where((LiveQuestion.id == question_id) & (LiveQuestion.state == question["state"])).returning(
            *LiveQuestion.all_columns()
        )
        if not rows:
            raise Conflict(_("This item has already been moderated."))
        updated = rows[0]
        session_id = updated["session"]
        await outbox.record(session_id, STAFF, "moderated", staff_question_payload(updated))
        if new_state.value == "approved":
            payload = question_event_payload(updated)
            payload["vote_count"] = (await vote_counts(VOTE_KIND, [question_id])).get(question_id, 0)
            payload["answers"] = []
            await outbox.record(session_id, PUBLIC, "question", payload)
        elif question["state"] == "approved":
            await outbox.record(session_id, PUBLIC, "question_removed", {"id": question_id})
        await audit.record(staff, f"live_question.{action}", "live_question", question_id)
    outbox.publish(publisher)
    return updated


async def edit_question(staff: Staff | None, question_id: int, content: Any,
                        publisher: Publisher | None = None) -> dict[str, Any]:
    """Fix typos; what the citizen wrote is kept in ``original_content``."""
    question = await question_for_staff(staff, question_id, "moderate_questions")
    content = _clean_text(content, MAX_QUESTION_LENGTH, _("The question"))
    if content == question["content"]:
        return question
    outbox = _Outbox()
    async with write_transaction(_engine()):
        rows = await LiveQuestion.update(
            {LiveQuestion.content: content,
             LiveQuestion.original_content: question["original_content"] or question["content"]}
        ).where(LiveQuestion.id == question_id).returning(*LiveQuestion.all_columns())
        updated = rows[0]
        await outbox.record(updated["session"], STAFF, "edited", staff_question_payload(updated))
        if updated["state"] == "approved":
            await outbox.record(updated["session"], PUBLIC, "question_updated", question_event_payload(updated))
        await audit.record(staff, "live_question.edit", "live_question", question_id,
                           {"before": question["content"], "after": content})
    outbox.publish(publisher)
    return updated


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


async def answer_question(staff: Staff | None, question_id: int, answer: Any, speaker: Any = None,
                          publisher: Publisher | None = None) -> dict[str, Any]:
    """Post a guest's (or the host's) answer to an approved question during the session."""
    question = await question_for_staff(staff, question_id, "moderate_questions")
    content = _clean_text(answer, MAX_TEXT_LENGTH, _("The answer"))
    if question["state"] != "approved":
        raise Conflict(_("Only approved questions can be answered."))
    session = await get_session(question["session"])
    if session["status"] != SessionStatus.live.value:
        raise Conflict(_("Answers are posted while the session is live."))
    speaker_name, role = _speaker(staff, session, speaker, "guest")
    outbox = _Outbox()
    async with write_transaction(_engine()):
        rows = await LiveMessage.insert(
            LiveMessage(session=session["id"], question=question_id, kind="answer", speaker_name=speaker_name,
                        speaker_role=role, content=content, created_by=staff.id, created_at=_now())
        ).returning(*LiveMessage.all_columns())
        await LiveQuestion.update({LiveQuestion.answered: True}).where(LiveQuestion.id == question_id)
        await outbox.record(session["id"], PUBLIC, "answer", message_payload(rows[0]))
        await audit.record(staff, "live_question.answer", "live_question", question_id)
    outbox.publish(publisher)
    return await question_with_answers(question_id, staff_view=True)


async def mark_answered(staff: Staff | None, question_id: int, publisher: Publisher | None = None) -> dict[str, Any]:
    question = await question_for_staff(staff, question_id, "moderate_questions")
    if question["state"] != "approved":
        raise Conflict(_("Only approved questions can be answered."))
    outbox = _Outbox()
    async with write_transaction(_engine()):
        rows = await LiveQuestion.update({LiveQuestion.answered: True}).where(
            (LiveQuestion.id == question_id) & (LiveQuestion.answered == False)  # noqa: E712
        ).returning(LiveQuestion.id)
        if not rows:
            raise Conflict(_("The question is already marked as answered."))
        await outbox.record(question["session"], PUBLIC, "question_answered", {"id": question_id})
    outbox.publish(publisher)
    return await question_with_answers(question_id, staff_view=True)


async def post_remark(staff: Staff | None, session_id: int, content: Any, speaker: Any = None,
                      publisher: Publisher | None = None) -> dict[str, Any]:
    session = await session_for_staff(staff, session_id, "run_session")
    content = _clean_text(content, MAX_TEXT_LENGTH, _("The remark"))
    if session["status"] != SessionStatus.live.value:
        raise Conflict(_("Remarks are posted while the session is live."))
    speaker_name, role = _speaker(staff, session, speaker, "host")
    outbox = _Outbox()
    async with write_transaction(_engine()):
        rows = await LiveMessage.insert(
            LiveMessage(session=session_id, question=None, kind="remark", speaker_name=speaker_name,
                        speaker_role=role, content=content, created_by=staff.id, created_at=_now())
        ).returning(*LiveMessage.all_columns())
        await outbox.record(session_id, PUBLIC, "remark", message_payload(rows[0]))
    outbox.publish(publisher)
    return rows[0]


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


async def public_questions(session_id: int, order: str = "votes", limit: int = 50,
                           offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Approved questions with vote counts and answers: a fixed number of queries whatever the page size."""
    await get_session(session_id)
    where = (LiveQuestion.session == session_id) & (LiveQuestion.state == "approved")
    rows = await LiveQuestion.select().where(where).order_by(LiveQuestion.asked_at)
    total = len(rows)
    counts = await vote_counts(VOTE_KIND, [row["id"] for row in rows])
    for row in rows:
        row["vote_count"] = counts.get(row["id"], 0)
    if order == "votes":
        rows.sort(key=lambda row: -row["vote_count"])
    page = rows[offset: offset + limit]
    await _attach_answers(page)
    return page, total


async def _attach_answers(questions: list[dict[str, Any]]) -> None:
    ids = [row["id"] for row in questions]
    answers: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for message in await LiveMessage.select().where(LiveMessage.question.is_in(ids)).order_by(LiveMessage.id):
            answers[message["question"]].append(message)
    for row in questions:
        row["answers"] = answers[row["id"]]


async def question_with_answers(question_id: int, staff_view: bool = False) -> dict[str, Any]:
    row = await LiveQuestion.select().where(LiveQuestion.id == question_id).first()
    if row is None or (not staff_view and row["state"] != "approved"):
        raise NotFound(_("The question was not found."))
    row["vote_count"] = (await vote_counts(VOTE_KIND, [question_id])).get(question_id, 0)
    await _attach_answers([row])
    return row


async def moderation_queue(staff: Staff | None, session_id: int, state: str = "pending",
                           limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int, int]:
    """Questions in one moderation state, oldest first, with the staff stream position for the live console."""
    session = await session_for_staff(staff, session_id, "read_queue")
    if state not in {"pending", "approved", "rejected"}:
        raise InvalidInput(_("The state must be pending, approved or rejected."))
    where = (LiveQuestion.session == session_id) & (LiveQuestion.state == state)
    rows = await LiveQuestion.select().where(where).order_by(LiveQuestion.asked_at).limit(limit).offset(offset)
    total = await LiveQuestion.count().where(where)
    return rows, total, session["staff_seq"]


async def session_messages(session_id: int) -> list[dict[str, Any]]:
    return await LiveMessage.select().where(LiveMessage.session == session_id).order_by(LiveMessage.id)


# ---------- events (catch-up) ----------


async def events_after(session_id: int, stream: str, after: int, limit: int = CATCH_UP_LIMIT,
                       before: int | None = None) -> list[dict[str, Any]]:
    """Events of one stream with seq > after (and < before), in order, from the record."""
    where = (LiveEvent.session == session_id) & (LiveEvent.stream == stream) & (LiveEvent.seq > after)
    if before is not None:
        where = where & (LiveEvent.seq < before)
    rows = await LiveEvent.select(LiveEvent.payload).where(where).order_by(LiveEvent.seq).limit(limit)
    return [_payload(row["payload"]) for row in rows]


def guests_of(session: dict[str, Any]) -> list[dict[str, Any]]:
    return _payload(session["guests"]) or []


def _payload(value: Any) -> Any:
    if isinstance(value, str):
        import json

        return json.loads(value)
    return value


# ---------- transcript ----------


async def _assemble(session_id: int) -> None:
    """Rebuild the draft from approved questions, answers and remarks, in the order viewers saw them."""
    questions = await LiveQuestion.select().where(
        (LiveQuestion.session == session_id) & (LiveQuestion.state == "approved")
    )
    messages = await session_messages(session_id)
    answers: dict[int, list[dict[str, Any]]] = {}
    items: list[tuple[datetime, int, list[TranscriptEntry]]] = []
    for message in messages:
        if message["question"] is not None:
            answers.setdefault(message["question"], []).append(message)
        else:
            items.append((_aware(message["created_at"]), 1, [TranscriptEntry(
                session=session_id, position=0, kind="remark", speaker=message["speaker_name"],
                content=message["content"], source_kind="message", source_id=message["id"])]))
    for question in questions:
        own = answers.get(question["id"], [])
        when = _aware(own[0]["created_at"]) if own else _aware(question["moderated_at"] or question["asked_at"])
        entries = [TranscriptEntry(
            session=session_id, position=0, kind="question",
            speaker=public_name(question["display_name"]) or _("A citizen"),
            content=public_text(question["content"], [question["display_name"]]),
            source_kind="question", source_id=question["id"])]
        for answer in own:
            entries.append(TranscriptEntry(
                session=session_id, position=0, kind="answer", speaker=answer["speaker_name"],
                content=answer["content"], source_kind="message", source_id=answer["id"]))
        items.append((when, 0, entries))
    items.sort(key=lambda item: (item[0], item[1]))
    await TranscriptEntry.delete().where(TranscriptEntry.session == session_id)
    ordered = [entry for _when, _rank, entries in items for entry in entries]
    for position, entry in enumerate(ordered, start=1):
        entry.position = position
    if ordered:
        await TranscriptEntry.insert(*ordered)


async def assemble_transcript(staff: Staff | None, session_id: int) -> list[dict[str, Any]]:
    """Rebuild the draft (throws away edits): only before publication."""
    session = await session_for_staff(staff, session_id, "edit_transcript")
    if session["transcript_state"] == TranscriptState.published.value:
        raise Conflict(_("The transcript is already published."))
    async with write_transaction(_engine()):
        await _assemble(session_id)
    return await transcript_entries(session_id)


async def edit_transcript_entry(staff: Staff | None, entry_id: int, content: Any, speaker: Any = None) -> dict[str, Any]:
    permissions.require(staff, "edit_transcript")
    entry = await TranscriptEntry.select().where(TranscriptEntry.id == entry_id).first()
    if entry is None:
        raise NotFound(_("The transcript entry was not found."))
    content = _clean_text(content, MAX_TEXT_LENGTH, _("The text"))
    updates: dict[Any, Any] = {TranscriptEntry.content: content, TranscriptEntry.updated_at: _now()}
    if speaker is not None:
        updates[TranscriptEntry.speaker] = _clean_text(speaker, 100, _("The speaker"))
    async with write_transaction(_engine()):
        # Published transcripts are final: the condition is checked in the same statement.
        draft_sessions = LiveSession.select(LiveSession.id).where(LiveSession.transcript_state == "draft")
        rows = await TranscriptEntry.update(updates).where(
            (TranscriptEntry.id == entry_id) & TranscriptEntry.session.is_in(draft_sessions)
        ).returning(*TranscriptEntry.all_columns())
        if not rows:
            raise Conflict(_("The transcript is already published."))
    return rows[0]


async def publish_transcript(staff: Staff | None, session_id: int) -> dict[str, Any]:
    session = await session_for_staff(staff, session_id, "edit_transcript")
    if session["status"] != SessionStatus.ended.value:
        raise Conflict(_("The transcript is published after the session has ended."))
    async with write_transaction(_engine()):
        rows = await LiveSession.update(
            {LiveSession.transcript_state: "published", LiveSession.transcript_published_at: _now()}
        ).where((LiveSession.id == session_id) & (LiveSession.transcript_state == "draft")).returning(LiveSession.id)
        if not rows:
            raise Conflict(_("The transcript is already published."))
        if not await TranscriptEntry.exists().where(TranscriptEntry.session == session_id):
            await _assemble(session_id)
        await audit.record(staff, "live_session.publish_transcript", "live_session", session_id)
    return await get_session(session_id)


async def transcript_entries(session_id: int) -> list[dict[str, Any]]:
    return await TranscriptEntry.select().where(TranscriptEntry.session == session_id).order_by(
        TranscriptEntry.position
    )


async def read_transcript(session_id: int, staff: Staff | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The published transcript for everyone; the draft only for those who edit it."""
    session = await get_session(session_id)
    if session["transcript_state"] != TranscriptState.published.value and not permissions.can(staff, "edit_transcript"):
        raise NotFound(_("The transcript is not published yet."))
    return session, await transcript_entries(session_id)


async def search_transcripts(query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Published transcripts whose entries (or title) contain every keyword; substring match suits Chinese."""
    terms = [term for term in (query or "").split() if term][:5]
    if not terms or any(len(term) > 50 for term in terms):
        return []
    published = LiveSession.select(LiveSession.id).where(LiveSession.transcript_state == "published")
    where = TranscriptEntry.session.is_in(published)
    for term in terms:
        where = where & contains(TranscriptEntry.content, term)
    entries = await TranscriptEntry.select(
        TranscriptEntry.session, TranscriptEntry.content, TranscriptEntry.speaker, TranscriptEntry.position
    ).where(where).order_by(TranscriptEntry.session, ascending=False).order_by(TranscriptEntry.position).limit(200)
    session_ids = list(dict.fromkeys(entry["session"] for entry in entries))[:limit]
    if not session_ids:
        return []
    sessions = {row["id"]: row for row in await LiveSession.select().where(LiveSession.id.is_in(session_ids))}
    results = []
    for session_id in session_ids:
        matches = [entry for entry in entries if entry["session"] == session_id][:3]
        results.append({"session": sessions[session_id], "matches": matches})
    return results


# ---------- transcript comments ----------


async def comment_on_transcript(citizen: VerifiedCitizen, session_id: int, content: Any,
                                name: Any = None) -> dict[str, Any]:
    content = _clean_text(content, MAX_COMMENT_LENGTH, _("The comment"))
    name = _clean_text(name, MAX_NAME_LENGTH, _("The name"), required=False)
    session = await get_session(session_id)
    if session["transcript_state"] != TranscriptState.published.value:
        raise Conflict(_("Comments open once the transcript is published."))
    state = await initial_state(content, premoderate=True)
    rows = await TranscriptComment.insert(
        TranscriptComment(session=session_id, citizen=citizen.id, content=content, display_name=name,
                          state=state.value, created_at=_now())
    ).returning(*TranscriptComment.all_columns())
    return rows[0]


async def moderate_comment(staff: Staff | None, comment_id: int, action: str) -> dict[str, Any]:
    permissions.require(staff, "moderate_comments")
    comment = await TranscriptComment.select().where(TranscriptComment.id == comment_id).first()
    if comment is None:
        raise NotFound(_("The comment was not found."))
    new_state = next_state(comment["state"], action)
    async with write_transaction(_engine()):
        rows = await TranscriptComment.update(
            {TranscriptComment.state: new_state.value, TranscriptComment.moderated_at: _now()}
        ).where((TranscriptComment.id == comment_id) & (TranscriptComment.state == comment["state"])).returning(
            *TranscriptComment.all_columns()
        )
        if not rows:
            raise Conflict(_("This item has already been moderated."))
        await audit.record(staff, f"transcript_comment.{action}", "transcript_comment", comment_id)
    return rows[0]


async def public_comments(session_id: int, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    where = (TranscriptComment.session == session_id) & (TranscriptComment.state == "approved")
    rows = await TranscriptComment.select().where(where).order_by(TranscriptComment.id).limit(limit).offset(offset)
    return rows, await TranscriptComment.count().where(where)


async def pending_comments(staff: Staff | None, session_id: int) -> list[dict[str, Any]]:
    await session_for_staff(staff, session_id, "moderate_comments")
    return await TranscriptComment.select().where(
        (TranscriptComment.session == session_id) & (TranscriptComment.state == "pending")
    ).order_by(TranscriptComment.id)
