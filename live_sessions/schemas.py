"""Request and response shapes of the live sessions API (msgspec, documented in OpenAPI).

Public read schemas and staff read schemas are different types: no public type
has a field for anything personal (no phone, no citizen id, no unmasked name).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from engagement.i18n import N_
from engagement.masking import PublicRead
from engagement.schemas import Code, Phone
from live_sessions import services, services_questions, services_transcripts

# Request fields carry the same limits as the services and a label for the message (engagement.forms):
# the HTML forms are parsed into these same structs.
Name = Annotated[str, msgspec.Meta(max_length=services.MAX_NAME_LENGTH, title=N_("The name"))]
Speaker = Annotated[str, msgspec.Meta(max_length=services.MAX_SPEAKER_LENGTH, title=N_("The speaker"))]
QuestionText = Annotated[str, msgspec.Meta(min_length=1, max_length=services_questions.MAX_QUESTION_LENGTH,
                                           title=N_("The question"))]
Action = Annotated[Literal["approve", "reject"], msgspec.Meta(title=N_("The action"))]


class GuestIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=services.MAX_GUEST_NAME_LENGTH, title=N_("The guest's name"))]
    title: Annotated[str, msgspec.Meta(max_length=services.MAX_GUEST_TITLE_LENGTH, title=N_("The guest's title"))]
    photo: Annotated[str, msgspec.Meta(max_length=services.MAX_PHOTO_LENGTH,
                                       title=N_("The guest's photo"))] | None = None


class QuotaIn(msgspec.Struct, forbid_unknown_fields=True):
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=30, title=N_("The quota's category"))]
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=50, title=N_("The quota's label"))]
    seats: Annotated[int, msgspec.Meta(ge=1, title=N_("The quota's seats"))]


class SessionCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[Literal["interview", "tv_questioning", "open_meeting"], msgspec.Meta(title=N_("The kind"))]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=services.MAX_TITLE_LENGTH,
                                       title=N_("The session title"))]
    guests: Annotated[list[GuestIn], msgspec.Meta(max_length=services.MAX_GUESTS, title=N_("Guests"))]
    scheduled_at: Annotated[datetime, msgspec.Meta(title=N_("The scheduled time"))]
    description: Annotated[str, msgspec.Meta(max_length=services.MAX_TEXT_LENGTH, title=N_("The description"))] = ""
    capacity: Annotated[int, msgspec.Meta(ge=1, title=N_("The capacity"))] | None = None
    # Open meetings (live_sessions/services_registrations.py checks them together)
    place: Annotated[str, msgspec.Meta(max_length=services.MAX_TITLE_LENGTH, title=N_("The place"))] = ""
    agenda: Annotated[str, msgspec.Meta(max_length=services.MAX_TEXT_LENGTH, title=N_("The agenda"))] = ""
    allocation: Annotated[Literal["first_come", "lottery"], msgspec.Meta(title=N_("The allocation"))] | None = None
    registration_opens_at: Annotated[datetime, msgspec.Meta(title=N_("Registration opens"))] | None = None
    registration_closes_at: Annotated[datetime, msgspec.Meta(title=N_("Registration closes"))] | None = None
    offer_hours: Annotated[int, msgspec.Meta(ge=1, le=336, title=N_("Hours to accept an offered seat"))] | None = None
    quotas: Annotated[list[QuotaIn], msgspec.Meta(max_length=10, title=N_("Quotas"))] = []
    # TV questioning and open meetings: no new issues or supports after it (none: until the session ends)
    issues_close_at: Annotated[datetime, msgspec.Meta(title=N_("Issue collection closes"))] | None = None


class Guest(msgspec.Struct):
    name: str
    title: str
    photo: str | None = None


class SessionRead(msgspec.Struct):
    id: int
    kind: str
    title: str
    description: str
    guests: list[Guest]
    scheduled_at: str
    status: str
    transcript_state: str
    capacity: int | None
    started_at: str | None
    ended_at: str | None
    last_event_seq: int
    place: str = ""
    agenda: str = ""
    allocation: str = "first_come"
    registration_opens_at: str | None = None
    registration_closes_at: str | None = None
    offer_hours: int = 24
    issues_close_at: str | None = None
    current_issue_id: int | None = None
    decisions: str = ""  # open meetings: the decisions taken, published after the meeting
    draw_seed_commitment: str = ""  # lottery: sha256 of the seed, public from the announcement (the seed: …/draw)
    entrants_hash: str = ""
    drawn_at: str | None = None
    peak_viewers: int = 0  # the most viewers connected at once, over all web processes


class SessionList(msgspec.Struct):
    items: list[SessionRead]
    total: int


class QuestionCreate(msgspec.Struct, forbid_unknown_fields=True):
    content: QuestionText
    name: Name | None = None
    phone: Phone | None = None
    code: Code | None = None


class QuestionCreated(msgspec.Struct):
    id: int
    status: str
    session_id: int


class AnswerRead(PublicRead):
    public_safe = frozenset({"speaker_role", "created_at"})

    id: int
    question_id: int | None
    content: str
    speaker: str
    speaker_role: str
    created_at: str | None


class QuestionPublic(PublicRead):
    public_safe = frozenset({"asked_at"})
    public_names = frozenset({"name"})

    id: int
    content: str
    name: str  # the name, masked
    asked_at: str | None
    answered: bool
    vote_count: int
    answers: list[AnswerRead]


class QuestionList(msgspec.Struct):
    items: list[QuestionPublic]
    total: int


class QuestionStaff(msgspec.Struct):
    id: int
    session_id: int
    content: str
    original_content: str
    masked_content: str
    name: str
    status: str
    answered: bool
    asked_at: str | None
    moderated_at: str | None
    vote_count: int = 0
    answers: list[AnswerRead] = []


class QueueRead(msgspec.Struct):
    items: list[QuestionStaff]
    total: int
    staff_seq: int


class ModerateRequest(msgspec.Struct, forbid_unknown_fields=True):
    action: Action


class AnswerRequest(msgspec.Struct, forbid_unknown_fields=True):
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=services.MAX_TEXT_LENGTH, title=N_("The answer"))]
    speaker: Speaker | None = None


class EditRequest(msgspec.Struct, forbid_unknown_fields=True):
    content: QuestionText


class RemarkRequest(msgspec.Struct, forbid_unknown_fields=True):
    content: Annotated[str, msgspec.Meta(min_length=1, max_length=services.MAX_TEXT_LENGTH, title=N_("The remark"))]
    speaker: Speaker | None = None


class VoteRequest(msgspec.Struct):
    phone: Phone | None = None
    code: Code | None = None


class VoteResult(msgspec.Struct):
    vote_count: int
    counted: bool


class TranscriptEntryRead(PublicRead):
    public_safe = frozenset({"kind"})

    id: int
    position: int
    kind: str
    speaker: str
    content: str


class TranscriptRead(msgspec.Struct):
    session_id: int
    title: str
    state: str
    published_at: str | None
    entries: list[TranscriptEntryRead]


class EntryEdit(msgspec.Struct, forbid_unknown_fields=True):
    content: Annotated[str, msgspec.Meta(min_length=1, max_length=services.MAX_TEXT_LENGTH, title=N_("The text"))]
    speaker: Speaker | None = None


class SearchMatch(PublicRead):
    speaker: str
    content: str


class SearchHit(msgspec.Struct):
    session_id: int
    title: str
    scheduled_at: str
    matches: list[SearchMatch]


class SearchResults(msgspec.Struct):
    items: list[SearchHit]
    total: int


class CommentCreate(msgspec.Struct, forbid_unknown_fields=True):
    content: Annotated[str, msgspec.Meta(min_length=1, max_length=services_transcripts.MAX_COMMENT_LENGTH,
                                         title=N_("Your comment"))]
    name: Name | None = None
    phone: Phone | None = None
    code: Code | None = None


class CommentPublic(PublicRead):
    public_safe = frozenset({"created_at"})
    public_names = frozenset({"name"})

    id: int
    content: str
    name: str
    created_at: str | None


class CommentStaff(msgspec.Struct):
    id: int
    session_id: int
    content: str
    name: str
    status: str
    created_at: str | None


class CommentList(msgspec.Struct):
    items: list[CommentPublic]
    total: int


class EventList(msgspec.Struct):
    items: list[dict[str, Any]]
    last_seq: int


# ---------- conversions ----------


def _iso(value: Any) -> str | None:
    return services._iso(value)


def session_read(row: dict[str, Any]) -> SessionRead:
    return SessionRead(
        id=row["id"], kind=row["kind"], title=row["title"], description=row["description"],
        guests=[Guest(name=g["name"], title=g["title"], photo=g.get("photo")) for g in services.guests_of(row)],
        scheduled_at=_iso(row["scheduled_at"]) or "", status=row["status"], transcript_state=row["transcript_state"],
        capacity=row["capacity"], started_at=_iso(row["started_at"]), ended_at=_iso(row["ended_at"]),
        last_event_seq=row["public_seq"], place=row["place"], agenda=row["agenda"], allocation=row["allocation"],
        registration_opens_at=_iso(row["registration_opens_at"]),
        registration_closes_at=_iso(row["registration_closes_at"]), offer_hours=row["offer_hours"],
        issues_close_at=_iso(row["issues_close_at"]), current_issue_id=row["current_issue_id"],
        decisions=row["decisions"], draw_seed_commitment=row["draw_seed_commitment"],
        entrants_hash=row["entrants_hash"], drawn_at=_iso(row["drawn_at"]), peak_viewers=row.get("peak_viewers") or 0,
    )


def answer_read(message: dict[str, Any]) -> AnswerRead:
    return AnswerRead(**services_questions.message_payload(message))


def question_public(row: dict[str, Any]) -> QuestionPublic:
    payload = services_questions.question_event_payload(row)
    payload |= {"content": row["content"], "name": row["display_name"] or ""}  # as written: QuestionPublic masks
    return QuestionPublic(
        **payload, vote_count=row.get("vote_count", 0),
        answers=[answer_read(message) for message in row.get("answers", [])],
    )


def question_staff(row: dict[str, Any]) -> QuestionStaff:
    payload = services_questions.staff_question_payload(row)
    payload["status"] = payload.pop("state")
    return QuestionStaff(
        **payload, session_id=row["session"], moderated_at=_iso(row["moderated_at"]),
        vote_count=row.get("vote_count", 0), answers=[answer_read(m) for m in row.get("answers", [])],
    )


def transcript_read(session: dict[str, Any], entries: list[dict[str, Any]]) -> TranscriptRead:
    return TranscriptRead(
        session_id=session["id"], title=session["title"], state=session["transcript_state"],
        published_at=_iso(session["transcript_published_at"]),
        entries=[TranscriptEntryRead(id=e["id"], position=e["position"], kind=e["kind"], speaker=e["speaker"],
                                     content=e["content"]) for e in entries],
    )


def entry_read(entry: dict[str, Any]) -> TranscriptEntryRead:
    return TranscriptEntryRead(id=entry["id"], position=entry["position"], kind=entry["kind"], speaker=entry["speaker"],
                               content=entry["content"])


def search_match(entry: dict[str, Any]) -> SearchMatch:
    return SearchMatch(speaker=entry["speaker"], content=entry["content"])


def comment_public(row: dict[str, Any]) -> CommentPublic:
    return CommentPublic(id=row["id"], content=row["content"], name=row["display_name"] or "",
                         created_at=_iso(row["created_at"]))


def comment_staff(row: dict[str, Any]) -> CommentStaff:
    return CommentStaff(id=row["id"], session_id=row["session"], content=row["content"], name=row["display_name"],
                        status=row["state"], created_at=_iso(row["created_at"]))
