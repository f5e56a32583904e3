"""Pages of open meetings (会议开放日): the announcement and registration form on the meeting page, a
registration's own page (code, QR code, status, cancel, answer an offer), the door's check-in page
and the meeting office (registrations, contact details, exports, the draw, decisions, replies).

Everything works without JavaScript; ``static/live_sessions/check_in.js`` adds camera scanning
(the browser's BarcodeDetector, else the vendored jsQR). Citizens are identified by
``engagement.citizen_pages``; forms are parsed into the API's request structs; the services
(``services_registrations``, ``services_lottery``, ``services_meetings``) own every rule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Request, Response, get, post
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
from engagement.web import client_address
from live_sessions import (
    qr,
    schemas_registrations,
    services,
    services_issues,
    services_lottery,
    services_meetings,
    services_registrations,
)
from live_sessions.schemas_issues import OnAirAnswerRequest
from live_sessions.schemas_meetings import DecisionsRequest
from live_sessions.tables import Allocation, RegistrationState, SessionStatus
from live_sessions.workflows import CANCELLABLE, REGISTRATION_STATUS_LABELS

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
CodeInPath = Annotated[str, Parameter(max_length=40)]
REGISTRATION_FIELDS = ("name", "category", "organization", "topic", "phone")
CANCELLABLE_STATES = frozenset(state.value for state in CANCELLABLE)
LIST_PAGE_SIZE = 50
CAMERA_ALLOWED = "camera=(self), microphone=(), geolocation=(), payment=()"


def registration_path(code: str) -> str:
    return f"/registrations/{code}"


# ---------- the meeting page (included in live_sessions/session.html) ----------


def registration_window(session: dict[str, Any]) -> str:
    """``open``, ``not_yet`` or ``closed``, as ``services_registrations.register`` decides."""
    now = clock.now()
    opens = clock.aware(session["registration_opens_at"])
    closes = clock.aware(session["registration_closes_at"]) or clock.aware(session["scheduled_at"])
    if session["status"] != SessionStatus.announced or session["drawn_at"] is not None or now >= closes:
        return "closed"
    if opens is not None and now < opens:
        return "not_yet"
    return "open"


async def meeting_context(session: dict[str, Any]) -> dict[str, Any]:
    """What the meeting page adds for an open meeting: seats, the form's categories, the draw, the outcome."""
    pools = await services_registrations.registration_counts(session["id"], session)
    draw = await services_lottery.published_draw(session["id"]) if session["allocation"] == Allocation.lottery else None
    outcome_public = bool(session["decisions"]) or session["status"] == SessionStatus.ended
    replies = await services_meetings.agenda_replies(session["id"]) if outcome_public else []
    return {
        "meeting": {
            "pools": [_pool_view(pool) for pool in pools],
            "categories": [pool for pool in pools if pool["category"] or len(pools) > 1],
            "window": registration_window(session),
            "closes_at": session["registration_closes_at"] or session["scheduled_at"],
            "draw": draw,
            "replies": replies,
        },
    }


def _pool_view(pool: dict[str, Any]) -> dict[str, Any]:
    counts = pool["counts"]
    held = sum(counts[state] for state in ("confirmed", "offered", "checked_in"))
    return {**pool, "held": held, "free": max(pool["seats"] - held, 0), "waiting": counts["waitlisted"],
            "entered": counts["entered"]}


@post("/live-sessions/{session_id:int}/registrations", include_in_schema=False)
async def register_submit(request: Request, session_id: FromPath[int], data: FormData) -> Response:
    """The registration form: on success the registration's own page, which shows the code once."""
    try:
        form = parse_form(schemas_registrations.RegistrationCreate, data)
        citizen = await form_citizen(request, data)
        _row, code = await services_registrations.register(
            session_id, citizen, name=form.name, category=form.category or "", organization=form.organization or "",
            topic=form.topic or "")
    except DomainError as error:
        return await _meeting_form_error(request, session_id, error, data)
    return Redirect(path=f"{registration_path(code)}?new=1", status_code=303)


async def _meeting_form_error(request: Request, session_id: int, error: DomainError, data: dict[str, str]) -> Template:
    from live_sessions import pages_issues
    from live_sessions.pages import _session_context  # the meeting page is the session page

    identity = {"verified": page_citizen(request) is not None, "phone": data.get("phone", ""),
                "form": {key: value for key, value in data.items() if key in REGISTRATION_FIELDS}}
    context = await _session_context(session_id, identity, registration_error=error.detail)
    context["issue_board"] = await pages_issues.board_context(context["session"])
    return Template("live_sessions/session.html", context=context, status_code=error.status_code)


# ---------- a registration's own page ----------


async def _registration_context(request: Request, code: str, **extra: Any) -> dict[str, Any]:
    registration = await services_registrations.registration_by_code(code)
    session = await services.get_session(registration["session"])
    pools = {pool["category"]: pool for pool in await services_registrations.quotas_of(session["id"])}
    lottery = session["allocation"] == Allocation.lottery
    link = str(request.base_url).rstrip("/") + registration_path(services_registrations.normalise_code(code))
    return {
        "registration": {
            "code": services_registrations.normalise_code(code),
            "state": registration["state"],
            "state_label": REGISTRATION_STATUS_LABELS[RegistrationState(registration["state"])],
            "name": services_registrations.masked_name(registration),
            "category_label": pools[registration["category"]]["label"] if registration["category"] in pools else "",
            "waitlist_position": await services_registrations.waitlist_position(registration),
            "offer_expires_at": registration["offer_expires_at"],
            "checked_in_at": registration["checked_in_at"],
            "draw_rank": registration["draw_rank"],
            "public_id": services_lottery.public_id_for(registration["code_hash"]) if lottery else "",
            "cancellable": registration["state"] in CANCELLABLE_STATES,
        },
        "session": session,
        "link": link,
        "qr": qr.svg_data_uri(link),
        "qr_size": qr.size_of(link),
        **page_identity(request, request.url.path),
        **extra,
    }


@get("/registrations/{code:str}", name="registration", include_in_schema=False)
async def registration_page(request: Request, code: CodeInPath) -> Template:
    """The page the SMS and the QR code open: the code is the secret (as the mailbox's query code)."""
    return Template("live_sessions/meeting_registration.html", context=await _registration_context(request, code))


async def _citizen_action(request: Request, code: str, data: dict[str, str],
                          action: Callable[..., Awaitable[Any]], done: str) -> Response:
    try:
        parse_form(schemas_registrations.CitizenAction, {key: data[key] for key in ("phone", "code") if data.get(key)})
        citizen = await form_citizen(request, data)
        await action(code, citizen)
    except DomainError as error:
        context = await _registration_context(request, code, error=error.detail, phone=data.get("phone", ""))
        return Template("live_sessions/meeting_registration.html", context=context, status_code=error.status_code)
    return Redirect(path=f"{registration_path(services_registrations.normalise_code(code))}?done={done}", status_code=303)


@post("/registrations/{code:str}/cancel", include_in_schema=False)
async def cancel_submit(request: Request, code: CodeInPath, data: FormData) -> Response:
    return await _citizen_action(request, code, data, services_registrations.cancel, "cancelled")


@post("/registrations/{code:str}/accept", include_in_schema=False)
async def accept_submit(request: Request, code: CodeInPath, data: FormData) -> Response:
    return await _citizen_action(request, code, data, services_registrations.accept_offer, "accepted")


@post("/registrations/{code:str}/decline", include_in_schema=False)
async def decline_submit(request: Request, code: CodeInPath, data: FormData) -> Response:
    return await _citizen_action(request, code, data, services_registrations.decline_offer, "declined")


# ---------- check-in at the door (a phone) ----------


async def _check_in_context(staff: Staff, session_id: int, **extra: Any) -> dict[str, Any]:
    session = await services.session_for_staff(staff, session_id, "registration.check_in")
    await services_registrations.open_meeting(session_id)
    pools = await services_registrations.registration_counts(session_id)
    return {"staff": staff, "session": session, "pools": [_pool_view(pool) for pool in pools],
            "labels": {pool["category"]: pool["label"] for pool in pools}, **extra}


CHECK_IN_OPT = {"permissions_policy": CAMERA_ALLOWED}  # the scanner needs this page's camera, nothing else's


@get("/staff/live-sessions/{session_id:int}/check-in", guards=[guard("registration.check_in")], opt=CHECK_IN_OPT,
     include_in_schema=False)
async def check_in_page(staff: NamedDependency[Staff], session_id: FromPath[int]) -> Template:
    return Template("live_sessions/meeting_check_in.html", context=await _check_in_context(staff, session_id))


@post("/staff/live-sessions/{session_id:int}/check-in", guards=[guard("registration.check_in")], opt=CHECK_IN_OPT,
      include_in_schema=False)
async def check_in_submit(staff: NamedDependency[Staff], session_id: FromPath[int], data: FormData) -> Template:
    """Shows who was checked in (masked), or why not: a second scan says when the first was."""
    try:
        form = parse_form(schemas_registrations.CheckInRequest, data)
        row = await services_registrations.check_in(session_id, form.registration_code, staff)
    except DomainError as error:
        context = await _check_in_context(staff, session_id, refused=error.detail,
                                          refused_name=(error.extra or {}).get("name", ""))
        return Template("live_sessions/meeting_check_in.html", context=context, status_code=error.status_code)
    checked = {"name": services_registrations.masked_name(row), "category": row["category"],
               "checked_in_at": row["checked_in_at"]}
    return Template("live_sessions/meeting_check_in.html", context=await _check_in_context(staff, session_id,
                                                                                          checked=checked))


# ---------- the meeting office ----------

OFFICE_GUARD = [guard("registration.view")]


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) <= 10_000 else 1


async def _office_context(request: Request, staff: Staff, session_id: int, **extra: Any) -> dict[str, Any]:
    session = await services.session_for_staff(staff, session_id, "registration.view")
    state = request.query_params.get("state") or None
    if state not in {s.value for s in RegistrationState}:
        state = None
    page = _page_number(request.query_params.get("page"))
    rows, total = await services_registrations.list_registrations(staff, session_id, state, LIST_PAGE_SIZE,
                                                                  (page - 1) * LIST_PAGE_SIZE)
    pools = [_pool_view(pool) for pool in await services_registrations.registration_counts(session_id)]
    draw = await services_lottery.published_draw(session_id) if session["allocation"] == Allocation.lottery else None
    return {
        "staff": staff, "session": session, "pools": pools, "labels": {p["category"]: p["label"] for p in pools},
        "registrations": [schemas_registrations.registration_staff(row) for row in rows], "total": total,
        "state": state, "page": page, "pages": max((total + LIST_PAGE_SIZE - 1) // LIST_PAGE_SIZE, 1),
        "states": list(RegistrationState), "draw": draw, "drawable": _drawable(session, draw),
        "agenda_issues": await services_issues.selected_issues(session_id), "revealed": {},
        "state_labels": REGISTRATION_STATUS_LABELS, **extra,
    }


def _drawable(session: dict[str, Any], draw: dict[str, Any] | None) -> bool:
    return draw is not None and not draw["drawn"] and services_lottery.registration_closed(session)


def _office_path(session_id: int) -> str:
    return f"/staff/live-sessions/{session_id}/meeting"


@get("/staff/live-sessions/{session_id:int}/meeting", guards=OFFICE_GUARD, include_in_schema=False)
async def office_page(request: Request, staff: NamedDependency[Staff], session_id: FromPath[int]) -> Template:
    return Template("live_sessions/meeting_office.html", context=await _office_context(request, staff, session_id))


async def _office_action(request: Request, staff: Staff, session_id: int, action: Callable[[], Awaitable[Any]],
                         done: str) -> Response:
    try:
        await action()
    except DomainError as error:
        context = await _office_context(request, staff, session_id, error=error.detail)
        return Template("live_sessions/meeting_office.html", context=context, status_code=error.status_code)
    return Redirect(path=f"{_office_path(session_id)}?done={done}", status_code=303)


@post("/staff/live-sessions/{session_id:int}/registrations/{registration_id:int}/contact",
      guards=[guard("registration.contact")], include_in_schema=False)
async def reveal_contact(request: Request, staff: NamedDependency[Staff], session_id: FromPath[int],
                         registration_id: FromPath[int]) -> Template:
    """The full name and phone of one registrant, for the meeting office to call them (audit-logged)."""
    contact = await services_meetings.reveal_contact(staff, session_id, registration_id, client_address(request))
    context = await _office_context(request, staff, session_id, revealed={registration_id: contact})
    return Template("live_sessions/meeting_office.html", context=context)


@post("/staff/live-sessions/{session_id:int}/draw", guards=[guard("registration.draw")], include_in_schema=False)
async def draw_submit(request: Request, staff: NamedDependency[Staff], session_id: FromPath[int]) -> Response:
    return await _office_action(request, staff, session_id, lambda: services_lottery.draw(staff, session_id), "drawn")


@post("/staff/live-sessions/{session_id:int}/decisions", guards=[guard("meeting.publish_outcome")],
      include_in_schema=False)
async def decisions_submit(request: Request, staff: NamedDependency[Staff], session_id: FromPath[int],
                           data: FormData) -> Response:
    async def publish() -> None:
        form = parse_form(DecisionsRequest, data)
        await services_meetings.publish_decisions(staff, session_id, form.decisions)

    return await _office_action(request, staff, session_id, publish, "decisions")


@post("/staff/live-sessions/{session_id:int}/agenda-issues/{issue_id:int}/reply", guards=[guard("issue.on_air")],
      include_in_schema=False)
async def reply_submit(request: Request, staff: NamedDependency[Staff], session_id: FromPath[int],
                       issue_id: FromPath[int], data: FormData) -> Response:
    async def reply() -> None:
        form = parse_form(OnAirAnswerRequest, data)
        issue = await services_issues.issue_for_staff(staff, issue_id, "issue.on_air")
        if issue["session"] != session_id:
            raise InvalidInput(_("The issue belongs to another session."))
        await services_issues.record_on_air_answer(issue_id, staff, form.answer, form.answered_by)

    return await _office_action(request, staff, session_id, reply, "reply")


@get(["/staff/live-sessions/{session_id:int}/attendance.csv", "/staff/live-sessions/{session_id:int}/attendance.xlsx"],
     guards=[guard("registration.contact")], include_in_schema=False)
async def attendance_export(request: Request, staff: NamedDependency[Staff], session_id: FromPath[int]) -> Response:
    """The attendance list (full names, no phones) as CSV or XLSX; each export is audit-logged."""
    fmt = request.url.path.rsplit(".", 1)[-1]
    content, media_type = await services_meetings.attendance_export(staff, session_id, fmt, client_address(request))
    filename = f"attendance-{session_id}.{fmt}"
    return Response(content=content, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


ROUTES = [
    register_submit, registration_page, cancel_submit, accept_submit, decline_submit,
    check_in_page, check_in_submit, office_page, reveal_contact, draw_submit, decisions_submit, reply_submit,
    attendance_export,
]
PUBLIC_PAGES = ["/registrations/{code}"]
