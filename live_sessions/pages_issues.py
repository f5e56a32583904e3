"""Pages of issues (问题征集): the public board on the session page, the issue page, proposing, supporting,
and the hosts' triage queue, running order and on-air console.

Every page works without JavaScript; ``static/live_sessions/issues.js`` shows similar issues while a
citizen types and keeps support counts and the on-air marker current from the session's websocket.
Forms are parsed into the API's request structs; citizens are identified by
``engagement.citizen_pages``; staff routes are guarded by the permissions of live_sessions/permissions.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, Parameter
from litestar.response import File, Redirect, Template

from engagement.accounts import Staff
from engagement.citizen_pages import form_citizen, page_citizen, page_identity
from engagement.contract import downloads
from engagement.errors import DomainError, InvalidInput, NotFound
from engagement.forms import parse_form
from engagement.i18n import N_, _
from engagement.permissions import guard
from engagement.uploads import upload_path
from live_sessions import schemas_issues as schemas
from live_sessions import schemas_rectifications, services, services_issues
from live_sessions.tables import IssueState, LiveSession
from live_sessions.workflows import MODERATION_ACTIONS

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
BOARD_LIMIT = 200
KEPT_FIELDS = ("title", "content", "location", "category", "name", "phone", "notify")
SORT_LABELS = {"supports": N_("Most supported"), "newest": N_("Newest"), "status": N_("By status")}


def issue_path(session_id: int, issue_id: int) -> str:
    return f"/live-sessions/{session_id}/issues/{issue_id}"


def propose_path(session_id: int) -> str:
    return f"/live-sessions/{session_id}/issues/new"


def _sort(value: str | None) -> str:
    return value if value in services_issues.SORTS else "supports"


# ---------- the board on the session page ----------


async def board_context(session: dict[str, Any], sort: str | None = None) -> dict[str, Any] | None:
    """The public board of a session that takes issues (None for an interview): one query for the issues."""
    if session["kind"] not in services_issues.ISSUE_KINDS:
        return None
    sort = _sort(sort)
    rows, total = await services_issues.listed_issues(session["id"], sort, limit=BOARD_LIMIT)
    current = session["current_issue_id"]
    issues = [schemas.issue_public(row, current) for row in rows]
    selected = sorted((i for i in issues if i.status == IssueState.selected), key=lambda i: i.running_order or 0)
    return {
        "issues": issues, "total": total, "selected": selected, "sort": sort, "sorts": SORT_LABELS,
        "open": services_issues.collection_open(session), "closes_at": session["issues_close_at"],
        "on_air": next((i for i in selected if i.on_air), None),
    }


# ---------- the issue page ----------


async def _issue_context(request: Request, session_id: int, issue_id: int, **extra: Any) -> dict[str, Any]:
    row = await services_issues.issue_detail(issue_id)
    if row["session"] != session_id:
        raise NotFound(_("The issue was not found."))
    session = await services.get_session(session_id)
    return {
        "session": session, "issue": schemas.issue_detail(row, session["current_issue_id"]),
        "open": services_issues.collection_open(session), "rectification": await schemas_rectifications.rectification_of(issue_id),
        **page_identity(request, issue_path(session_id, issue_id)), **extra,
    }


@get("/live-sessions/{session_id:int}/issues/{issue_id:int}", name="live-issue", include_in_schema=False)
async def issue_page(request: Request, session_id: FromPath[int], issue_id: FromPath[int]) -> Template:
    """One issue; a merged one says where it went and links the target."""
    return Template("live_sessions/issues_detail.html", context=await _issue_context(request, session_id, issue_id))


@get("/api/v1/issue-photos/{photo_id:int}", tags=("issues",), opt=downloads("image/jpeg", "image/png"),
     summary="A photo (its metadata removed when it was uploaded)")
async def issue_photo(photo_id: FromPath[int]) -> File:
    """A photo of a public issue; its metadata (EXIF) was removed when it was uploaded."""
    row = await services_issues.public_photo(photo_id)
    return File(path=upload_path(row["key"]), media_type=row["content_type"], content_disposition_type="inline",
                filename=f"issue-photo-{photo_id}.{row['key'].rsplit('.', 1)[-1]}")


# ---------- proposing ----------


async def _propose_context(request: Request, session_id: int, typed: dict[str, Any] | None = None,
                           **extra: Any) -> dict[str, Any]:
    session = await services_issues.issue_session(session_id)
    identity = page_identity(request, propose_path(session_id))
    form = {**identity["form"], **(typed or {})}
    probe = f"{form.get('title', '')} {form.get('content', '')}".strip()
    similar = await services_issues.similar_issues(session_id, probe) if probe else []
    return {**identity, "session": session, "form": form, "open": services_issues.collection_open(session),
            "similar": [schemas.issue_public(row) for row in similar], "checked": bool(probe), **extra}


@get("/live-sessions/{session_id:int}/issues/new", name="live-issue-new", include_in_schema=False)
async def propose_page(request: Request, session_id: FromPath[int],
                       title: Annotated[str, Parameter(max_length=200)] = "",
                       content: Annotated[str, Parameter(max_length=services_issues.MAX_ISSUE_CONTENT)] = "") -> Template:
    """The proposal form; with ``title``/``content`` (the no-JavaScript "find similar issues" button) the similar ones."""
    typed = {key: value for key, value in (("title", title), ("content", content)) if value}
    return Template("live_sessions/issues_propose.html", context=await _propose_context(request, session_id, typed))


async def _photos(form: Any) -> list[services_issues.Photo]:
    photos = []
    for item in form.getall("photos", []) if hasattr(form, "getall") else []:
        if hasattr(item, "read"):
            data = await item.read()
            if data:
                photos.append(services_issues.Photo(data=data, filename=item.filename or "photo"))
    return photos


def _typed(form: Any) -> dict[str, str]:
    return {key: value for key, value in form.items() if key in KEPT_FIELDS and isinstance(value, str)}


@post("/live-sessions/{session_id:int}/issues/similar", include_in_schema=False)
async def similar_submit(request: Request, session_id: FromPath[int]) -> Template:
    """The no-JavaScript "look for similar issues" button: the form again, filled in, with the similar issues."""
    form = await request.form()
    context = await _propose_context(request, session_id, _typed(form), phone=form.get("phone") or "")
    return Template("live_sessions/issues_propose.html", context=context)


@post("/live-sessions/{session_id:int}/issues", include_in_schema=False)
async def propose_submit(request: Request, session_id: FromPath[int],
                         channels: NamedDependency[ChannelsPlugin]) -> Response:
    form = await request.form()
    try:
        issue = parse_form(schemas.IssueCreate, form, notify=form.get("notify") == "1")
        citizen = await form_citizen(request, form)
        await services_issues.propose_issue(
            session_id, citizen, title=issue.title, content=issue.content, location=issue.location or "",
            category=issue.category or "", name=issue.name or "", notify=issue.notify, photos=await _photos(form),
            publisher=channels)
    except DomainError as error:
        context = await _propose_context(request, session_id, _typed(form), error=error.detail,
                                         phone=form.get("phone") or "",
                                         verified=page_citizen(request) is not None)
        return Template("live_sessions/issues_propose.html", context=context, status_code=error.status_code)
    return Redirect(path=f"/live-sessions/{session_id}?proposed=1#issues", status_code=303)


@post("/live-sessions/{session_id:int}/issues/{issue_id:int}/support", include_in_schema=False)
async def support_submit(request: Request, session_id: FromPath[int], issue_id: FromPath[int], data: FormData,
                         channels: NamedDependency[ChannelsPlugin]) -> Response:
    """Support from the board or the issue page; without a verified phone the issue page asks for one."""
    try:
        request_data = parse_form(schemas.SupportRequest, data, notify=data.get("notify") == "1")
        citizen = await form_citizen(request, data)
        await services_issues.support_issue(issue_id, citizen, request_data.notify, channels)
    except DomainError as error:
        context = await _issue_context(request, session_id, issue_id, error=error.detail, phone=data.get("phone", ""))
        return Template("live_sessions/issues_detail.html", context=context, status_code=error.status_code)
    return Redirect(path=f"{issue_path(session_id, issue_id)}?supported=1", status_code=303)


# ---------- hosts: triage, running order, on air ----------


@get("/staff/issues", guards=[guard("issue.moderate")], include_in_schema=False)
async def staff_sessions(staff: NamedDependency[Staff]) -> Template:
    """The programmes and meetings that take issues, with how many wait for triage."""
    rows = await LiveSession.select(LiveSession.id, LiveSession.title, LiveSession.kind, LiveSession.status,
                                    LiveSession.scheduled_at).where(
        LiveSession.kind.is_in(list(services_issues.ISSUE_KINDS))).order_by(LiveSession.scheduled_at, ascending=False)
    pending = await services_issues.pending_counts([row["id"] for row in rows])
    return Template("live_sessions/issues_staff_list.html",
                    context={"staff": staff, "sessions": rows, "pending": pending})


async def _triage_context(staff: Staff, session_id: int, **extra: Any) -> dict[str, Any]:
    session = await services_issues.issue_session(session_id)
    groups = await services_issues.issues_for_triage(staff, session_id)
    return {"staff": staff, "session": session, **groups, **extra}


@get("/staff/live-sessions/{session_id:int}/issues", guards=[guard("issue.moderate")], include_in_schema=False)
async def staff_triage(staff: NamedDependency[Staff], session_id: FromPath[int]) -> Template:
    return Template("live_sessions/issues_staff.html", context=await _triage_context(staff, session_id))


async def _staff_action(staff: Staff, session_id: int, action: Callable[[], Awaitable[Any]], anchor: str) -> Response:
    try:
        await action()
    except DomainError as error:
        return Template("live_sessions/issues_staff.html", status_code=error.status_code,
                        context=await _triage_context(staff, session_id, error=error.detail))
    return Redirect(path=f"/staff/live-sessions/{session_id}/issues?done=1#{anchor}", status_code=303)


async def _issue_of_session(staff: Staff, session_id: int, issue_id: int, permission: str) -> dict[str, Any]:
    issue = await services_issues.issue_for_staff(staff, issue_id, permission)
    if issue["session"] != session_id:
        raise InvalidInput(_("The issue belongs to another session."))
    return issue


async def _triage_action(staff: Staff, session_id: int, issue_id: int, data: dict[str, str],
                         channels: ChannelsPlugin) -> None:
    """Approve, reject, merge, select, unselect or record the answer, as the pressed button's ``action`` says."""
    action = data.get("action", "")
    permission = "issue.on_air" if action == "answer" else "issue.select" if action in ("select", "unselect") \
        else "issue.moderate"
    await _issue_of_session(staff, session_id, issue_id, permission)
    if action in MODERATION_ACTIONS:
        form = parse_form(schemas.IssueModerate, data)
        await services_issues.moderate_issue(issue_id, staff, form.action, form.reason or "", channels)
    elif action == "merge":
        merge = parse_form(schemas.MergeRequest, data)
        await services_issues.merge_issue(issue_id, merge.into, staff, channels)
    elif action == "select":
        select = parse_form(schemas.SelectRequest, data)
        await services_issues.select_issue(issue_id, staff, select.note, select.running_order, channels)
    elif action == "unselect":
        await services_issues.unselect_issue(issue_id, staff, channels)
    elif action == "answer":
        answer = parse_form(schemas.OnAirAnswerRequest, data)
        await services_issues.record_on_air_answer(issue_id, staff, answer.answer, answer.answered_by, channels)
    else:
        raise InvalidInput(_("Unknown action."))


@post("/staff/live-sessions/{session_id:int}/issues/{issue_id:int}", guards=[guard("issue.moderate")],
      include_in_schema=False)
async def staff_issue(staff: NamedDependency[Staff], session_id: FromPath[int], issue_id: FromPath[int], data: FormData,
                      channels: NamedDependency[ChannelsPlugin]) -> Response:
    return await _staff_action(staff, session_id, lambda: _triage_action(staff, session_id, issue_id, data, channels),
                               f"issue-{issue_id}")


def _running_order(data: dict[str, str]) -> list[int]:
    """The ids of the order form (fields ``order-<id>`` = position), sorted by the positions typed."""
    positions = []
    for key, value in data.items():
        if key.startswith("order-"):
            try:
                positions.append((int(value), int(key.removeprefix("order-"))))
            except ValueError:
                raise InvalidInput(_("The running order must be a positive number.")) from None
    return [issue_id for _position, issue_id in sorted(positions)]


@post("/staff/live-sessions/{session_id:int}/issues/order", guards=[guard("issue.select")], include_in_schema=False)
async def staff_reorder(staff: NamedDependency[Staff], session_id: FromPath[int], data: FormData,
                        channels: NamedDependency[ChannelsPlugin]) -> Response:
    return await _staff_action(
        staff, session_id, lambda: services_issues.reorder_issues(session_id, staff, _running_order(data), channels),
        "running-order")


@post("/staff/live-sessions/{session_id:int}/issues/on-air", guards=[guard("issue.on_air")], include_in_schema=False)
async def staff_on_air(staff: NamedDependency[Staff], session_id: FromPath[int], data: FormData,
                       channels: NamedDependency[ChannelsPlugin]) -> Response:
    async def on_air() -> None:
        request_data = parse_form(schemas.OnAirRequest, data)
        await services_issues.put_on_air(session_id, request_data.issue_id, staff, channels)

    return await _staff_action(staff, session_id, on_air, "running-order")


ROUTES = [
    issue_page, issue_photo, propose_page, similar_submit, propose_submit, support_submit,
    staff_sessions, staff_triage, staff_issue, staff_reorder, staff_on_air,
]
PUBLIC_PAGES = ["/live-sessions/{session_id}/issues/new", "/live-sessions/{session_id}/issues/{issue_id}"]
