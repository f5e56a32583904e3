"""Server-rendered pages of live sessions: the public pages and the host console.

Every page works without JavaScript; with it, ``static/live_sessions/live.js`` streams the
live page over the websocket and ``console.js`` keeps the moderation queue current.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, Parameter
from litestar.response import Redirect, Template

from engagement import verification
from engagement.accounts import Staff
from engagement.errors import DomainError, InvalidInput, NotAuthenticated
from engagement.i18n import _
from engagement.web import client_address, staff_guard
from live_sessions import permissions, services

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
LOCAL_TIME = ZoneInfo("Asia/Shanghai")
TEXT_REFRESH_SECONDS = 20
STAFF_ONLY = [staff_guard(*permissions.STAFF_ROLES)]


def local_time(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return services._aware(value).astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


def session_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "guests": services.guests_of(row), "scheduled_local": local_time(row["scheduled_at"]),
            "scheduled_iso": services._iso(services._aware(row["scheduled_at"]))}


async def _feed(session_id: int, order: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Approved questions (with answers, votes) and remarks, as the public sees them."""
    questions, _total = await services.public_questions(session_id, order, limit=500)
    remarks = [m for m in await services.session_messages(session_id) if m["question"] is None]
    public = []
    for row in questions:
        item = services.question_event_payload(row)
        item["vote_count"] = row["vote_count"]
        item["answers"] = [services.message_payload(m) for m in row["answers"]]
        item["sort_key"] = services._aware(row["moderated_at"] or row["asked_at"])
        public.append(item)
    return public, [services.message_payload(m) for m in remarks]


def _timeline(questions: list[dict[str, Any]], remarks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = [{"kind": "question", **q} for q in questions]
    items += [{"kind": "remark", "sort_key": datetime.fromisoformat(r["created_at"]), **r} for r in remarks]
    return sorted(items, key=lambda item: item["sort_key"])


async def _session_context(request: Request, session_id: int, **extra: Any) -> dict[str, Any]:
    session = await services.get_session(session_id)  # read the position first: the stream resends anything newer
    order = "votes" if session["status"] == "announced" else "time"
    questions, remarks = await _feed(session_id, order)
    transcript, comments = [], []
    if session["transcript_state"] == "published":
        _session, transcript = await services.read_transcript(session_id)
        comments, _count = await services.public_comments(session_id, limit=100)
    return {
        "session": session_view(session),
        "questions": questions,
        "timeline": _timeline(questions, remarks) if order == "time" else [{"kind": "question", **q} for q in questions],
        "transcript": transcript,
        "comments": [{**c, "name": services.public_name(c["display_name"]),
                      "content": services.public_text(c["content"], [c["display_name"]]),
                      "created_local": local_time(c["created_at"])} for c in comments],
        "verified": bool(request.session.get("citizen_token")) if "session" in request.scope else False,
        "form": {}, **extra,
    }


@get("/live-sessions", name="live-sessions", include_in_schema=False)
async def session_list(page: Annotated[int, Parameter(ge=1, le=1000)] = 1) -> Template:
    rows, total = await services.list_sessions(limit=20, offset=(page - 1) * 20)
    return Template("live_sessions/list.html", context={"sessions": [session_view(r) for r in rows], "total": total})


@get("/live-sessions/{session_id:int}", name="live-session", include_in_schema=False)
async def session_page(request: Request, session_id: FromPath[int]) -> Template:
    return Template("live_sessions/session.html", context=await _session_context(request, session_id))


@get("/live-sessions/{session_id:int}/text", name="live-session-text", include_in_schema=False)
async def session_text(request: Request, session_id: FromPath[int]) -> Template:
    """The live record without JavaScript: a page that refreshes itself."""
    context = await _session_context(request, session_id)
    context["refresh_seconds"] = TEXT_REFRESH_SECONDS if context["session"]["status"] != "ended" else None
    return Template("live_sessions/text.html", context=context)


@get("/live-sessions/search", name="live-sessions-search", include_in_schema=False)
async def search_page(q: Annotated[str, Parameter(max_length=200)] = "") -> Template:
    hits = await services.search_transcripts(q) if q.strip() else []
    results = [{**hit, "session": session_view(hit["session"])} for hit in hits]
    return Template("live_sessions/search.html", context={"q": q, "results": results})


async def _citizen(request: Request, data: dict[str, str]) -> verification.VerifiedCitizen:
    """phone + code from the form, else the verification remembered in the website session."""
    if data.get("phone") or data.get("code"):
        citizen = await verification.verify_code(data.get("phone"), data.get("code"))
        request.session["citizen_token"] = verification.issue_citizen_token(citizen)
        return citizen
    token = request.session.get("citizen_token") if "session" in request.scope else None
    if token:
        return verification.citizen_from_token(token)
    raise NotAuthenticated(_("Please verify your mobile phone number first."))


async def _form_error(request: Request, session_id: int, error: DomainError, data: dict[str, str],
                      template: str = "live_sessions/session.html") -> Template:
    context = await _session_context(request, session_id, error=error.detail,
                                     form={k: v for k, v in data.items() if k in {"content", "name", "phone"}})
    return Template(template, context=context, status_code=error.status_code)


@post("/live-sessions/{session_id:int}/questions", include_in_schema=False)
async def ask_submit(request: Request, session_id: FromPath[int], data: Annotated[dict[str, str], FORM],
                     channels: NamedDependency[ChannelsPlugin]) -> Response:
    try:
        citizen = await _citizen(request, data)
        await services.ask_question(citizen, session_id, data.get("content"), data.get("name"), channels)
    except DomainError as error:
        return await _form_error(request, session_id, error, data)
    return Redirect(path=f"/live-sessions/{session_id}?asked=1#ask", status_code=303)


@post("/live-sessions/{session_id:int}/questions/code", include_in_schema=False)
async def ask_code(request: Request, session_id: FromPath[int], data: Annotated[dict[str, str], FORM]) -> Template:
    """The SMS widget's fallback without JavaScript."""
    try:
        await verification.request_code(data.get("phone", ""), client_address(request))
    except DomainError as error:
        return await _form_error(request, session_id, error, data)
    context = await _session_context(request, session_id, sms_notice=_("The code has been sent."),
                                     form={k: v for k, v in data.items() if k in {"content", "name", "phone"}})
    return Template("live_sessions/session.html", context=context)


@post("/live-sessions/{session_id:int}/votes/{question_id:int}", include_in_schema=False)
async def vote_submit(request: Request, session_id: FromPath[int], question_id: FromPath[int], data: Annotated[dict[str, str], FORM],
                      channels: NamedDependency[ChannelsPlugin]) -> Response:
    try:
        citizen = await _citizen(request, data)
        await services.vote_for_question(citizen, question_id, channels)
    except DomainError as error:
        return await _form_error(request, session_id, error, data)
    return Redirect(path=f"/live-sessions/{session_id}#question-{question_id}", status_code=303)


@post("/live-sessions/{session_id:int}/comments", include_in_schema=False)
async def comment_submit(request: Request, session_id: FromPath[int], data: Annotated[dict[str, str], FORM]) -> Response:
    try:
        citizen = await _citizen(request, data)
        await services.comment_on_transcript(citizen, session_id, data.get("content"), data.get("name"))
    except DomainError as error:
        return await _form_error(request, session_id, error, data)
    return Redirect(path=f"/live-sessions/{session_id}?commented=1#comments", status_code=303)


# ---------- host console ----------


@get("/staff/live-sessions", guards=STAFF_ONLY, include_in_schema=False)
async def staff_list(staff: NamedDependency[Staff]) -> Template:
    rows, total = await services.list_sessions(limit=100)
    return Template("live_sessions/staff_list.html",
                    context={"staff": staff, "sessions": [session_view(r) for r in rows], "total": total, "form": {}})


@post("/staff/live-sessions", guards=STAFF_ONLY, include_in_schema=False)
async def staff_create(staff: NamedDependency[Staff], data: Annotated[dict[str, str], FORM]) -> Response:
    try:
        raw_time = (data.get("scheduled_at") or "").strip()
        try:
            scheduled = datetime.fromisoformat(raw_time).replace(tzinfo=LOCAL_TIME) if raw_time else None
        except ValueError:
            scheduled = None
        if scheduled is None:
            raise InvalidInput(_("Give the date and time of the session."))
        guests = []
        for line in (data.get("guests") or "").splitlines():
            name, _sep, title = line.strip().partition("，" if "，" in line else ",")
            if name.strip():
                guests.append({"name": name.strip(), "title": title.strip() or _("Guest")})
        row = await services.create_session(staff, kind="interview", title=data.get("title", ""),
                                            description=data.get("description", ""), guests=guests,
                                            scheduled_at=scheduled)
    except DomainError as error:
        rows, total = await services.list_sessions(limit=100)
        return Template("live_sessions/staff_list.html", status_code=error.status_code, context={
            "staff": staff, "sessions": [session_view(r) for r in rows], "total": total, "error": error.detail,
            "form": data})
    return Redirect(path=f"/staff/live-sessions/{row['id']}", status_code=303)


async def _console_context(staff: Staff, session_id: int, **extra: Any) -> dict[str, Any]:
    session = await services.session_for_staff(staff, session_id, "read_queue")
    pending, pending_total, staff_seq = await services.moderation_queue(staff, session_id, "pending", limit=200)
    approved, _t, _s = await services.moderation_queue(staff, session_id, "approved", limit=200)
    await services._attach_answers(approved)
    entries = await services.transcript_entries(session_id)
    comments = await services.pending_comments(staff, session_id)
    return {"staff": staff, "session": session_view(session), "pending": pending, "pending_total": pending_total,
            "approved": approved, "staff_seq": staff_seq, "entries": entries, "comments": comments,
            "can": lambda action: permissions.can(staff, action), **extra}


@get("/staff/live-sessions/{session_id:int}", guards=STAFF_ONLY, include_in_schema=False)
async def staff_console(staff: NamedDependency[Staff], session_id: FromPath[int]) -> Template:
    return Template("live_sessions/console.html", context=await _console_context(staff, session_id))


IN_PLACE_HEADER = "x-requested-with"  # the console's script sends "fetch": answer 204, or the error as JSON


def _in_place(request: Request) -> bool:
    return request.headers.get(IN_PLACE_HEADER) == "fetch"


async def _console_action(staff: Staff, session_id: int, action, in_place: bool = False) -> Response:
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


@post("/staff/live-sessions/{session_id:int}/status", guards=STAFF_ONLY, include_in_schema=False)
async def staff_status(staff: NamedDependency[Staff], session_id: FromPath[int], data: Annotated[dict[str, str], FORM],
                       channels: NamedDependency[ChannelsPlugin]) -> Response:
    change = services.start_session if data.get("to") == "live" else services.end_session
    return await _console_action(staff, session_id, lambda: change(staff, session_id, channels))


@post("/staff/live-sessions/{session_id:int}/questions/{question_id:int}", guards=STAFF_ONLY, include_in_schema=False)
async def staff_question(request: Request, staff: NamedDependency[Staff], session_id: FromPath[int], question_id: FromPath[int],
                         data: Annotated[dict[str, str], FORM], channels: NamedDependency[ChannelsPlugin]) -> Response:
    """Moderate, edit, answer or mark answered; in place (204) when the console's script asks."""
    action = data.get("action", "")

    async def run() -> None:
        question = await services.question_for_staff(staff, question_id, "moderate_questions")
        if question["session"] != session_id:
            raise InvalidInput(_("The question belongs to another session."))
        if action in ("approve", "reject"):
            await services.moderate_question(staff, question_id, action, channels)
        elif action == "edit":
            await services.edit_question(staff, question_id, data.get("content"), channels)
        elif action == "answer":
            await services.answer_question(staff, question_id, data.get("answer"), data.get("speaker") or None, channels)
        elif action == "answered":
            await services.mark_answered(staff, question_id, channels)
        else:
            raise InvalidInput(_("Unknown action."))

    return await _console_action(staff, session_id, run, in_place=_in_place(request))


@post("/staff/live-sessions/{session_id:int}/remarks", guards=STAFF_ONLY, include_in_schema=False)
async def staff_remark(staff: NamedDependency[Staff], session_id: FromPath[int], data: Annotated[dict[str, str], FORM],
                       channels: NamedDependency[ChannelsPlugin]) -> Response:
    return await _console_action(staff, session_id, lambda: services.post_remark(
        staff, session_id, data.get("content"), data.get("speaker") or None, channels))


@post("/staff/live-sessions/{session_id:int}/transcript", guards=STAFF_ONLY, include_in_schema=False)
async def staff_transcript(staff: NamedDependency[Staff], session_id: FromPath[int],
                           data: Annotated[dict[str, str], FORM]) -> Response:
    action = data.get("action", "")

    async def run() -> None:
        if action == "assemble":
            await services.assemble_transcript(staff, session_id)
        elif action == "publish":
            await services.publish_transcript(staff, session_id)
        elif action == "edit":
            try:
                entry_id = int(data.get("entry", ""))
            except ValueError:
                raise InvalidInput(_("Unknown transcript entry.")) from None
            await services.edit_transcript_entry(staff, entry_id, data.get("content"))
        else:
            raise InvalidInput(_("Unknown action."))

    return await _console_action(staff, session_id, run)


@post("/staff/live-sessions/{session_id:int}/comments/{comment_id:int}", guards=STAFF_ONLY, include_in_schema=False)
async def staff_comment(staff: NamedDependency[Staff], session_id: FromPath[int], comment_id: FromPath[int],
                        data: Annotated[dict[str, str], FORM]) -> Response:
    return await _console_action(staff, session_id,
                                 lambda: services.moderate_comment(staff, comment_id, data.get("action", "")))


ROUTES = [
    session_list, search_page, session_page, session_text, ask_submit, ask_code, vote_submit, comment_submit,
    staff_list, staff_create, staff_console, staff_status, staff_question, staff_remark, staff_transcript, staff_comment,
]
PUBLIC_PAGES = ["/live-sessions", "/live-sessions/search", "/live-sessions/{session_id}", "/live-sessions/{session_id}/text"]
