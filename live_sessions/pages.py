"""Server-rendered pages of live sessions: the public pages and the host console.

Every page works without JavaScript; with it, ``static/live_sessions/live.js`` streams the
live page over the websocket and ``console.js`` keeps the moderation queue current. Forms are
parsed into the API's request structs (``engagement.forms.parse_form``), citizens are identified
by ``engagement.citizen_pages`` and staff routes are guarded by ``engagement.permissions``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, Parameter
from litestar.response import Redirect, Template

from engagement import clock
from engagement.accounts import Staff
from engagement.citizen_pages import form_citizen, page_citizen, page_identity
from engagement.errors import DomainError, InvalidInput
from engagement.forms import parse_form
from engagement.i18n import _
from engagement.permissions import guard
from live_sessions import (
    pages_issues,
    pages_rectifications,
    schemas,
    services,
    services_questions,
    services_transcripts,
)
from live_sessions.tables import QuestionState, SessionStatus, TranscriptState
from live_sessions.workflows import MODERATION_ACTIONS

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
FormData = Annotated[dict[str, str], FORM]
TEXT_REFRESH_SECONDS = 20
KEPT_FIELDS = ("content", "name", "phone")  # shown again after a refused citizen form


def session_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "guests": services.guests_of(row)}


def session_path(session_id: int) -> str:
    return f"/live-sessions/{session_id}"


async def _feed(session: dict[str, Any], order: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Approved questions (with answers, votes) and remarks, as the public sees them."""
    questions, remarks = await services_questions.public_feed(session, order, limit=500)
    public = []
    for row in questions:
        item = services_questions.question_event_payload(row)
        item["vote_count"] = row["vote_count"]
        item["answers"] = [services_questions.message_payload(m) for m in row["answers"]]
        item["sort_key"] = clock.aware(row["moderated_at"] or row["asked_at"])
        public.append(item)
    return public, [services_questions.message_payload(m) for m in remarks]


def _timeline(questions: list[dict[str, Any]], remarks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = [{"kind": "question", **q} for q in questions]
    items += [{"kind": "remark", "sort_key": clock.aware(r["created_at"]), **r} for r in remarks]
    return sorted(items, key=lambda item: item["sort_key"])


async def _session_context(session_id: int, identity: dict[str, Any], text_view: bool = False,
                           **extra: Any) -> dict[str, Any]:
    session = await services.get_session(session_id)  # read the position first: the stream resends anything newer
    order = "votes" if session["status"] == SessionStatus.announced else "time"
    # The session page of an open meeting shows no questions (session.html: takes_questions); its text view does.
    questions, remarks = await _feed(session, order) if text_view or session["kind"] != "open_meeting" else ([], [])
    transcript, comments = [], []
    if session["transcript_state"] == TranscriptState.published:
        transcript = [schemas.entry_read(entry) for entry in await services_transcripts.transcript_entries(session_id)]
        comments = await services_transcripts.approved_comments(session_id, limit=100)
    timeline = _timeline(questions, remarks) if order == "time" else [{"kind": "question", **q} for q in questions]
    from live_sessions.pages_registrations import meeting_context  # open meetings: seats, registration, draw

    meeting = await meeting_context(session) if session["kind"] == "open_meeting" else {}
    return {
        "session": session_view(session),
        "questions": questions,
        "timeline": timeline,
        "transcript": transcript,
        "comments": [msgspec.structs.asdict(schemas.comment_public(c)) | {"created_at": c["created_at"]}
                     for c in comments],
        **meeting, **identity, **extra,
    }


@get("/live-sessions", name="live-sessions", include_in_schema=False)
async def session_list(page: Annotated[int, Parameter(ge=1, le=1000)] = 1) -> Template:
    rows, total = await services.list_sessions(limit=20, offset=(page - 1) * 20, listed=True)
    sessions = []
    for row in rows:
        guests = services.guests_of(row)
        sessions.append({**row, "guests": guests, "guest_names": "、".join(str(guest["name"]) for guest in guests)})
    return Template("live_sessions/list.html", context={"sessions": sessions, "total": total})


@get("/live-sessions/{session_id:int}", name="live-session", include_in_schema=False)
async def session_page(request: Request, session_id: FromPath[int]) -> Template:
    """The announcement, live stream and transcript; the draft of a form whose "Get code" came back here."""
    context = await _session_context(session_id, page_identity(request, session_path(session_id)))
    context["issue_board"] = await pages_issues.board_context(context["session"], request.query_params.get("sort"))
    context["rectifications"] = await pages_rectifications.programme_rectifications(context["session"])
    return Template("live_sessions/session.html", context=context)


@get("/live-sessions/{session_id:int}/text", name="live-session-text", include_in_schema=False)
async def session_text(request: Request, session_id: FromPath[int]) -> Template:
    """The live record without JavaScript: a page that refreshes itself."""
    context = await _session_context(session_id, {}, text_view=True)
    context["refresh_seconds"] = TEXT_REFRESH_SECONDS if context["session"]["status"] != SessionStatus.ended else None
    return Template("live_sessions/text.html", context=context)


@get("/live-sessions/search", name="live-sessions-search", include_in_schema=False)
async def search_page(q: Annotated[str, Parameter(max_length=200)] = "") -> Template:
    hits = await services_transcripts.search_transcripts(q) if q.strip() else []
    results = [{**hit, "session": session_view(hit["session"]), "matches": [schemas.search_match(m) for m in hit["matches"]]}
               for hit in hits]
    return Template("live_sessions/search.html", context={"q": q, "results": results})


# ---------- citizens' forms ----------


async def _form_error(request: Request, session_id: int, error: DomainError, data: dict[str, str]) -> Template:
    """The session page again, with the reason and what the citizen typed."""
    identity = {"verified": page_citizen(request) is not None, "phone": data.get("phone", ""),
                "form": {key: value for key, value in data.items() if key in KEPT_FIELDS}}
    context = await _session_context(session_id, identity, error=error.detail)
    return Template("live_sessions/session.html", context=context, status_code=error.status_code)


async def _citizen_form(request: Request, session_id: int, data: dict[str, str],
                        action: Callable[[], Awaitable[Any]], done: str) -> Response:
    try:
        await action()
    except DomainError as error:
        return await _form_error(request, session_id, error, data)
    return Redirect(path=done, status_code=303)


@post("/live-sessions/{session_id:int}/questions", include_in_schema=False)
async def ask_submit(request: Request, session_id: FromPath[int], data: FormData,
                     channels: NamedDependency[ChannelsPlugin]) -> Response:
    async def ask() -> None:
        question = parse_form(schemas.QuestionCreate, data)
        citizen = await form_citizen(request, data)
        await services_questions.ask_question(citizen, session_id, question.content, question.name, channels)

    return await _citizen_form(request, session_id, data, ask, f"{session_path(session_id)}?asked=1#ask")


@post("/live-sessions/{session_id:int}/votes/{question_id:int}", include_in_schema=False)
async def vote_submit(request: Request, session_id: FromPath[int], question_id: FromPath[int], data: FormData,
                      channels: NamedDependency[ChannelsPlugin]) -> Response:
    async def vote() -> None:
        parse_form(schemas.VoteRequest, data)
        citizen = await form_citizen(request, data)
        await services_questions.vote_for_question(citizen, question_id, channels)

    return await _citizen_form(request, session_id, data, vote, f"{session_path(session_id)}#question-{question_id}")


@post("/live-sessions/{session_id:int}/comments", include_in_schema=False)
async def comment_submit(request: Request, session_id: FromPath[int], data: FormData) -> Response:
    async def comment() -> None:
        comment = parse_form(schemas.CommentCreate, data)
        citizen = await form_citizen(request, data)
        await services_transcripts.comment_on_transcript(citizen, session_id, comment.content, comment.name)

    return await _citizen_form(request, session_id, data, comment, f"{session_path(session_id)}?commented=1#comments")


# ---------- host console ----------


async def _staff_list_context(staff: Staff, **extra: Any) -> dict[str, Any]:
    rows, total = await services.list_sessions(limit=100)
    return {"staff": staff, "sessions": [session_view(r) for r in rows], "total": total, "form": {}, **extra}


@get("/staff/live-sessions", guards=[guard("session.create", "session.run")], include_in_schema=False)
async def staff_list(staff: NamedDependency[Staff]) -> Template:
    return Template("live_sessions/staff_list.html", context=await _staff_list_context(staff))


def _guests_from_lines(text: str) -> list[dict[str, str]]:
    """One guest per line, "name, title" (a Chinese comma works too)."""
    guests = []
    for line in text.splitlines():
        name, _sep, title = line.strip().partition("，" if "，" in line else ",")
        if name.strip():
            guests.append({"name": name.strip(), "title": title.strip() or _("Guest")})
    return guests


LOCAL_TIMES = ("registration_opens_at", "registration_closes_at", "issues_close_at")  # optional, Beijing time


def _local_time(data: dict[str, str], name: str) -> datetime | None:
    raw = (data.get(name) or "").strip()
    if not raw:
        return None
    try:
        return clock.from_local(raw)
    except ValueError:
        raise InvalidInput(_("Give a date and time such as 2027-01-05 09:30."), field=name) from None


def _quotas_from_lines(text: str) -> list[dict[str, Any]]:
    """One quota per line: "category, label, seats" (a Chinese comma works too), e.g. "resident, 居民代表, 5"."""
    quotas = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.replace("，", ",").split(",")]
        if not any(parts):
            continue
        if len(parts) != 3 or not parts[2].isdigit():
            raise InvalidInput(_("Write each quota as: category, label, seats (e.g. resident, 居民代表, 5)."),
                               field="quotas")
        quotas.append({"category": parts[0], "label": parts[1], "seats": int(parts[2])})
    return quotas


def _session_form(data: dict[str, str]) -> schemas.SessionCreate:
    """The announcement form as the API's request: guests and quotas by line, times in Beijing time."""
    scheduled = _local_time(data, "scheduled_at")
    if scheduled is None:
        raise InvalidInput(_("Give the date and time of the session."))
    kind = data.get("kind") or "interview"
    return parse_form(schemas.SessionCreate, data, kind=kind, scheduled_at=scheduled,
                      guests=_guests_from_lines(data.get("guests") or ""),
                      quotas=_quotas_from_lines(data.get("quotas") or "") if kind == "open_meeting" else [],
                      **{name: _local_time(data, name) for name in LOCAL_TIMES})


@post("/staff/live-sessions", guards=[guard("session.create")], include_in_schema=False)
async def staff_create(staff: NamedDependency[Staff], data: FormData) -> Response:
    try:
        form = _session_form(data)
        meeting = form.kind == "open_meeting"
        row = await services.create_session(
            staff, kind=form.kind, title=form.title, description=form.description, scheduled_at=form.scheduled_at,
            guests=[{"name": g.name, "title": g.title} for g in form.guests], capacity=form.capacity,
            issues_close_at=form.issues_close_at if form.kind != "interview" else None,
            **({"place": form.place, "agenda": form.agenda, "allocation": form.allocation,
                "registration_opens_at": form.registration_opens_at,
                "registration_closes_at": form.registration_closes_at, "offer_hours": form.offer_hours,
                "quotas": [msgspec.structs.asdict(quota) for quota in form.quotas]} if meeting else {}))
    except DomainError as error:
        context = await _staff_list_context(staff, error=error.detail, form=data)
        return Template("live_sessions/staff_list.html", status_code=error.status_code, context=context)
    return Redirect(path=f"/staff/live-sessions/{row['id']}", status_code=303)


async def _console_context(staff: Staff, session_id: int, **extra: Any) -> dict[str, Any]:
    session = await services.session_for_staff(staff, session_id, "question.read_queue")
    pending, pending_total, staff_seq = await services_questions.moderation_queue(staff, session_id, limit=200)
    approved, _t, _s = await services_questions.moderation_queue(staff, session_id, QuestionState.approved, limit=200)
    await services_questions.attach_answers(approved)
    entries = await services_transcripts.transcript_entries(session_id)
    comments = await services_transcripts.pending_comments(staff, session_id)
    return {"staff": staff, "session": session_view(session), "pending": pending, "pending_total": pending_total,
            "approved": approved, "staff_seq": staff_seq, "entries": entries, "comments": comments, **extra}


@get("/staff/live-sessions/{session_id:int}", guards=[guard("question.read_queue")], include_in_schema=False)
async def staff_console(staff: NamedDependency[Staff], session_id: FromPath[int]) -> Template:
    return Template("live_sessions/console.html", context=await _console_context(staff, session_id))


IN_PLACE_HEADER = "x-requested-with"  # the console's script sends "fetch": answer 204, or the error as JSON


def _in_place(request: Request) -> bool:
    return request.headers.get(IN_PLACE_HEADER) == "fetch"


async def _console_action(staff: Staff, session_id: int, action: Callable[[], Awaitable[Any]],
                          in_place: bool = False) -> Response:
    try:
        await action()
    except DomainError as error:
        if in_place:
            return Response({"detail": error.detail}, status_code=error.status_code)
        return Template("live_sessions/console.html", status_code=error.status_code,
                        context=await _console_context(staff, session_id, error=error.detail))
    if in_place:
        return Response(content=b"", status_code=204)
    return Redirect(path=f"/staff/live-sessions/{session_id}", status_code=303)


@post("/staff/live-sessions/{session_id:int}/status", guards=[guard("session.run")], include_in_schema=False)
async def staff_status(staff: NamedDependency[Staff], session_id: FromPath[int], data: FormData,
                       channels: NamedDependency[ChannelsPlugin]) -> Response:
    change = services.start_session if data.get("to") == SessionStatus.live else services.end_session
    return await _console_action(staff, session_id, lambda: change(staff, session_id, channels))


async def _question_action(staff: Staff, session_id: int, question_id: int, data: dict[str, str],
                           channels: ChannelsPlugin) -> None:
    """Moderate, edit, answer or mark answered, as the button's ``action`` says."""
    question = await services_questions.question_for_staff(staff, question_id, "question.moderate")
    if question["session"] != session_id:
        raise InvalidInput(_("The question belongs to another session."))
    action = data.get("action", "")
    if action in MODERATION_ACTIONS:
        moderation = parse_form(schemas.ModerateRequest, data)
        await services_questions.moderate_question(staff, question_id, moderation.action, channels)
    elif action == "edit":
        edit = parse_form(schemas.EditRequest, data)
        await services_questions.edit_question(staff, question_id, edit.content, channels)
    elif action == "answer":
        answer = parse_form(schemas.AnswerRequest, data)
        await services_questions.answer_question(staff, question_id, answer.answer, answer.speaker, channels)
    elif action == "answered":
        await services_questions.mark_answered(staff, question_id, channels)
    else:
        raise InvalidInput(_("Unknown action."))


@post("/staff/live-sessions/{session_id:int}/questions/{question_id:int}", guards=[guard("question.moderate")],
      include_in_schema=False)
async def staff_question(request: Request, staff: NamedDependency[Staff], session_id: FromPath[int],
                         question_id: FromPath[int], data: FormData,
                         channels: NamedDependency[ChannelsPlugin]) -> Response:
    """Moderate, edit, answer or mark answered; in place (204) when the console's script asks."""
    return await _console_action(staff, session_id, lambda: _question_action(staff, session_id, question_id, data,
                                                                             channels), in_place=_in_place(request))


@post("/staff/live-sessions/{session_id:int}/remarks", guards=[guard("session.run")], include_in_schema=False)
async def staff_remark(staff: NamedDependency[Staff], session_id: FromPath[int], data: FormData,
                       channels: NamedDependency[ChannelsPlugin]) -> Response:
    async def remark() -> None:
        form = parse_form(schemas.RemarkRequest, data)
        await services_questions.post_remark(staff, session_id, form.content, form.speaker, channels)

    return await _console_action(staff, session_id, remark)


async def _transcript_action(staff: Staff, session_id: int, data: dict[str, str]) -> None:
    action = data.get("action", "")
    if action == "assemble":
        await services_transcripts.assemble_transcript(staff, session_id)
    elif action == "publish":
        await services_transcripts.publish_transcript(staff, session_id)
    elif action == "edit":
        try:
            entry_id = int(data.get("entry", ""))
        except ValueError:
            raise InvalidInput(_("Unknown transcript entry.")) from None
        edit = parse_form(schemas.EntryEdit, data)
        await services_transcripts.edit_transcript_entry(staff, entry_id, edit.content, edit.speaker)
    else:
        raise InvalidInput(_("Unknown action."))


@post("/staff/live-sessions/{session_id:int}/transcript", guards=[guard("transcript.edit")], include_in_schema=False)
async def staff_transcript(staff: NamedDependency[Staff], session_id: FromPath[int], data: FormData) -> Response:
    return await _console_action(staff, session_id, lambda: _transcript_action(staff, session_id, data))


@post("/staff/live-sessions/{session_id:int}/comments/{comment_id:int}", guards=[guard("comment.moderate")],
      include_in_schema=False)
async def staff_comment(staff: NamedDependency[Staff], session_id: FromPath[int], comment_id: FromPath[int],
                        data: FormData) -> Response:
    async def moderate() -> None:
        moderation = parse_form(schemas.ModerateRequest, data)
        await services_transcripts.moderate_comment(staff, comment_id, moderation.action)

    return await _console_action(staff, session_id, moderate)


ROUTES = [
    session_list, search_page, session_page, session_text, ask_submit, vote_submit, comment_submit,
    staff_list, staff_create, staff_console, staff_status, staff_question, staff_remark, staff_transcript, staff_comment,
]
PUBLIC_PAGES = ["/live-sessions", "/live-sessions/search", "/live-sessions/{session_id}", "/live-sessions/{session_id}/text"]
