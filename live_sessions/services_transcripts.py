"""Transcripts and their comments: the draft assembled at the end, edits, publication, search, comments.

The transcript's state (``live_session.transcript_state``) changes through ``TRANSCRIPT``; rebuilding
and editing the draft are self-transitions of it, so a publication made meanwhile refuses them
(409) and every edit is in the history. Comments are moderated through ``COMMENT``.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from engagement import clock, permissions
from engagement.accounts import Staff
from engagement.db import contains, unit_of_work
from engagement.errors import Conflict, NotFound
from engagement.i18n import _
from engagement.limits import count_citizen_action
from engagement.prepared import PreparedQuery, prepared
from engagement.verification import VerifiedCitizen
from live_sessions.services import (
    MAX_NAME_LENGTH,
    MAX_SPEAKER_LENGTH,
    MAX_TEXT_LENGTH,
    clean_text,
    get_session,
    public_name,
    public_text,
    session_for_staff,
)
from live_sessions.services_questions import approved_questions, session_messages
from live_sessions.tables import (
    CommentState,
    LiveSession,
    SessionStatus,
    TranscriptComment,
    TranscriptEntry,
    TranscriptState,
)
from live_sessions.workflows import COMMENT, MODERATION_ACTIONS, TRANSCRIPT

MAX_COMMENT_LENGTH = 1000
MAX_SEARCH_TERMS = 5
MAX_SEARCH_TERM_LENGTH = 50


# ---------- the draft ----------


async def draft_transcript(session_id: int) -> None:
    """Rebuild the draft from approved questions, answers and remarks, in the order viewers saw them.

    Call inside the unit of work of the change that asks for it (ending, rebuilding, publishing).
    """
    questions = await approved_questions(session_id)
    messages = await session_messages(session_id)
    answers: dict[int, list[dict[str, Any]]] = {}
    items: list[tuple[datetime, int, list[TranscriptEntry]]] = []
    for message in messages:
        if message["question"] is not None:
            answers.setdefault(message["question"], []).append(message)
        else:
            items.append((clock.aware(message["created_at"]), 1, [_remark_entry(session_id, message)]))
    for question in questions:
        own = answers.get(question["id"], [])
        when = clock.aware(own[0]["created_at"] if own else question["moderated_at"] or question["asked_at"])
        items.append((when, 0, _question_entries(session_id, question, own)))
    items.sort(key=lambda item: (item[0], item[1]))
    await TranscriptEntry.delete().where(TranscriptEntry.session == session_id)
    ordered = [entry for _when, _rank, entries in items for entry in entries]
    for position, entry in enumerate(ordered, start=1):
        entry.position = position
    if ordered:
        await TranscriptEntry.insert(*ordered)


def _remark_entry(session_id: int, message: dict[str, Any]) -> TranscriptEntry:
    return TranscriptEntry(session=session_id, position=0, kind="remark", speaker=message["speaker_name"],
                           content=public_text(message["content"]), source_kind="message", source_id=message["id"])


def _question_entries(session_id: int, question: dict[str, Any],
                      answers: list[dict[str, Any]]) -> list[TranscriptEntry]:
    entries = [TranscriptEntry(
        session=session_id, position=0, kind="question",
        speaker=public_name(question["display_name"]) or _("A citizen"),
        content=public_text(question["content"], [question["display_name"]]),
        source_kind="question", source_id=question["id"])]
    entries += [TranscriptEntry(session=session_id, position=0, kind="answer", speaker=answer["speaker_name"],
                                content=public_text(answer["content"]), source_kind="message", source_id=answer["id"])
                for answer in answers]
    return entries


async def assemble_transcript(staff: Staff | None, session_id: int) -> list[dict[str, Any]]:
    """Rebuild the draft (throws away edits): only before publication."""
    permissions.require(staff, "transcript.edit")
    async with unit_of_work():
        await TRANSCRIPT.apply("assemble", session_id, actor=staff)
        await draft_transcript(session_id)
    return await transcript_entries(session_id)


async def edit_transcript_entry(staff: Staff | None, entry_id: int, content: Any,
                                speaker: Any = None) -> dict[str, Any]:
    permissions.require(staff, "transcript.edit")
    entry = await TranscriptEntry.select(TranscriptEntry.session).where(TranscriptEntry.id == entry_id).first()
    if entry is None:
        raise NotFound(_("The transcript entry was not found."))
    # Stored masked, as the draft is: a search must not find a number the published text hides.
    text = public_text(clean_text(content, MAX_TEXT_LENGTH, _("The text")))
    updates: dict[Any, Any] = {TranscriptEntry.content: text,
                               TranscriptEntry.updated_at: clock.now()}
    if speaker is not None:
        updates[TranscriptEntry.speaker] = clean_text(speaker, MAX_SPEAKER_LENGTH, _("The speaker"))
    async with unit_of_work():
        # Published transcripts are final: the transition holds the session's row until the edit is in.
        await TRANSCRIPT.apply("edit", entry["session"], actor=staff, detail={"entry": entry_id})
        rows = await TranscriptEntry.update(updates).where(TranscriptEntry.id == entry_id).returning(
            *TranscriptEntry.all_columns()
        )
    return rows[0]


async def publish_transcript(staff: Staff | None, session_id: int) -> dict[str, Any]:
    session = await session_for_staff(staff, session_id, "transcript.edit")
    if session["status"] != SessionStatus.ended:
        raise Conflict(_("The transcript is published after the session has ended."))
    async with unit_of_work():
        await TRANSCRIPT.apply("publish", session_id, actor=staff,
                               values={LiveSession.transcript_published_at: clock.now()})
        if not await TranscriptEntry.exists().where(TranscriptEntry.session == session_id):
            await draft_transcript(session_id)
    return await get_session(session_id)


# ---------- reading and search ----------


_ENTRIES = prepared(lambda p: TranscriptEntry.select().where(TranscriptEntry.session == p.session)
                    .order_by(TranscriptEntry.position))


async def transcript_entries(session_id: int) -> list[dict[str, Any]]:
    return await _ENTRIES.run(session=session_id)


async def read_transcript(session_id: int, staff: Staff | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The published transcript for everyone; the draft only for those who edit it."""
    session = await get_session(session_id)
    if session["transcript_state"] != TranscriptState.published and not permissions.allowed(staff, "transcript.edit"):
        raise NotFound(_("The transcript is not published yet."))
    return session, await transcript_entries(session_id)


async def search_transcripts(query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Published transcripts whose entries contain every keyword; substring match suits Chinese."""
    terms = [term for term in (query or "").split() if term][:MAX_SEARCH_TERMS]
    if not terms or any(len(term) > MAX_SEARCH_TERM_LENGTH for term in terms):
        return []
    published = LiveSession.select(LiveSession.id).where(LiveSession.transcript_state == TranscriptState.published)
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
    return [{"session": sessions[session_id],
             "matches": [entry for entry in entries if entry["session"] == session_id][:3]}
            for session_id in session_ids]


# ---------- comments ----------


async def comment_on_transcript(citizen: VerifiedCitizen, session_id: int, content: Any,
                                name: Any = None) -> dict[str, Any]:
    """A comment on a published transcript; it waits for a moderator."""
    content = clean_text(content, MAX_COMMENT_LENGTH, _("Your comment"))
    name = clean_text(name, MAX_NAME_LENGTH, _("The name"), required=False)
    session = await get_session(session_id)
    if session["transcript_state"] != TranscriptState.published:
        raise Conflict(_("Comments open once the transcript is published."))
    async with unit_of_work():
        await count_citizen_action(citizen.id, "comment")
        rows = await TranscriptComment.insert(
            TranscriptComment(session=session_id, citizen=citizen.id, content=content, display_name=name,
                              state=CommentState.pending, created_at=clock.now())
        ).returning(*TranscriptComment.all_columns())
        await COMMENT.record("submit", rows[0]["id"], from_state="", actor=citizen)
    return rows[0]


async def moderate_comment(staff: Staff | None, comment_id: int, action: str) -> dict[str, Any]:
    permissions.require(staff, "comment.moderate")
    comment = await TranscriptComment.select(TranscriptComment.state).where(TranscriptComment.id == comment_id).first()
    if comment is None:
        raise NotFound(_("The comment was not found."))
    if action not in MODERATION_ACTIONS:
        raise Conflict(_("Unknown moderation action."))
    async with unit_of_work():
        return await COMMENT.apply(action, comment_id, actor=staff, expect=comment["state"],
                                   values={TranscriptComment.moderated_at: clock.now()})


async def public_comments(session_id: int, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    where = (TranscriptComment.session == session_id) & (TranscriptComment.state == CommentState.approved)
    rows = await TranscriptComment.select().where(where).order_by(TranscriptComment.id).limit(limit).offset(offset)
    return rows, await TranscriptComment.count().where(where)


@functools.lru_cache(maxsize=8)
def _approved_comments(limit: int) -> PreparedQuery:
    return prepared(lambda p: TranscriptComment.select().where(
        (TranscriptComment.session == p.session) & (TranscriptComment.state == CommentState.approved)
    ).order_by(TranscriptComment.id).limit(limit))


async def approved_comments(session_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The first ``limit`` rows ``public_comments`` gives, without counting them all."""
    return await _approved_comments(limit).run(session=session_id)


async def pending_comments(staff: Staff | None, session_id: int) -> list[dict[str, Any]]:
    await session_for_staff(staff, session_id, "comment.moderate")
    return await TranscriptComment.select().where(
        (TranscriptComment.session == session_id) & (TranscriptComment.state == CommentState.pending)
    ).order_by(TranscriptComment.id)
