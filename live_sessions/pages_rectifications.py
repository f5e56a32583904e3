"""Pages of rectification (整改): the public board, the one-tap confirmation, the departments' pages.

    GET  /rectifications                      every programme's rectifications; filters: department, status
    GET  /rectifications/{issue}/confirm      "是否已解决？" from the SMS link (its token), or with phone + code
    GET  /api/v1/rectification-photos/{id}    a progress photo (stored without metadata; not a page)
    GET  /staff/rectifications                the department's rectifications (admins: all), its notices, and
                                              for hosts the selected issues still without a commitment
    GET  /staff/rectifications/{issue}        progress form (with photos) and completion form

Every form works without JavaScript, is parsed into the API's request struct and posts with CSRF.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, Parameter
from litestar.response import File, Redirect, Template

from engagement import clock, permissions
from engagement.accounts import Staff
from engagement.citizen_pages import form_citizen, page_identity
from engagement.contract import downloads
from engagement.errors import DomainError, InvalidInput
from engagement.forms import parse_form
from engagement.i18n import _
from engagement.permissions import guard
from engagement.prepared import prepared
from engagement.tables import Department
from engagement.uploads import upload_path
from engagement.verification import VerifiedCitizen
from live_sessions import schemas_rectifications as schemas
from live_sessions import services_rectifications as rectifications
from live_sessions.tables import IssueState, LiveIssue, Rectification, SessionKind

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
MULTIPART = Body(media_type=RequestEncodingType.MULTI_PART)
FormData = Annotated[dict[str, str], FORM]
PAGE_SIZE = 20
STATUS_CHOICES = ("in_progress", "overdue", "completed")
SOLVED_CHOICES = {"yes": True, "no": False}  # the two buttons; anything else is refused, never taken as "no"
REPORT = [guard("rectification.report")]
STAFF_PAGES = [guard("rectification.report", "rectification.record")]


PROGRAMME_LIMIT = 50  # a programme puts a few dozen issues on air; the board /rectifications pages the rest


def _read(row: dict[str, Any]) -> schemas.RectificationRead:
    return schemas.rectification_read(row)


_DEPARTMENTS = prepared(lambda p: Department.select(Department.slug, Department.name).order_by(
    Department.sort_order).order_by(Department.id))


async def _departments() -> list[dict[str, Any]]:
    return await _DEPARTMENTS.run()


# ---------- the public board ----------


@get("/rectifications", name="rectifications", include_in_schema=False)
async def board(department: Annotated[str, Parameter(max_length=64)] = "",
                status: Annotated[str, Parameter(max_length=20)] = "",
                page: Annotated[int, Parameter(ge=1, le=1000)] = 1) -> Template:
    status = status if status in STATUS_CHOICES else ""
    rows, total = await rectifications.list_rectifications(
        department=department or None, status=status or None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    query = urlencode({key: value for key, value in {"department": department, "status": status}.items() if value})
    return Template("live_sessions/rectifications.html", context={
        "items": [_read(row) for row in rows], "total": total, "departments": await _departments(),
        "department": department, "status": status, "found": {"page": page, "pages": pages}, "base_query": query,
    })


async def programme_rectifications(session: dict[str, Any]) -> list[schemas.RectificationRead]:
    """The rectifications of a TV questioning programme, for its session page (earliest due date first)."""
    if session["kind"] != "tv_questioning":
        return []
    rows, _total = await rectifications.list_rectifications(session_id=session["id"], limit=PROGRAMME_LIMIT)
    return [_read(row) for row in rows]


# ---------- citizens confirm ----------


def _confirm_path(issue_id: int) -> str:
    return rectifications.answer_link(issue_id)


async def _confirm_context(request: Request, issue_id: int, token: str, **extra: Any) -> dict[str, Any]:
    row = await rectifications.rectification_details(issue_id)
    if row is None:
        await rectifications.rectification_of_issue(issue_id)  # 404
    return {"item": _read(row), "token": token, **page_identity(request, _confirm_path(issue_id)), **extra}


@get("/rectifications/{issue_id:int}/confirm", name="rectification-confirm", include_in_schema=False)
async def confirm_page(request: Request, issue_id: FromPath[int],
                       t: Annotated[str, Parameter(max_length=500)] = "", answered: FromQuery[bool] = False) -> Template:
    context = await _confirm_context(request, issue_id, t, answered=answered)
    return Template("live_sessions/rectifications_confirm.html", context=context)


async def _answering_citizen(request: Request, data: dict[str, str]) -> tuple[VerifiedCitizen, int | None]:
    """The SMS link's token proves the phone (it went only there); without one, phone + code or the session."""
    token = (data.get("t") or "").strip()
    if token and not (data.get("phone") or data.get("code")):
        citizen, _rectification_id, round_ = rectifications.citizen_from_answer_token(token)
        return citizen, round_
    return await form_citizen(request, data), None


@post("/rectifications/{issue_id:int}/confirm", include_in_schema=False)
async def confirm_submit(request: Request, issue_id: FromPath[int], data: FormData) -> Response:
    try:
        answer = parse_form(schemas.ConfirmationCreate, data, solved=SOLVED_CHOICES.get(data.get("solved", "")))
        citizen, round_ = await _answering_citizen(request, data)
        await rectifications.answer_confirmation(citizen, issue_id, answer.solved, expect_round=round_)
    except DomainError as error:
        context = await _confirm_context(request, issue_id, data.get("t", ""), error=error.detail,
                                         phone=data.get("phone", ""))
        return Template("live_sessions/rectifications_confirm.html", context=context, status_code=error.status_code)
    return Redirect(path=f"{_confirm_path(issue_id)}?answered=1#answer", status_code=303)


@get("/api/v1/rectification-photos/{photo_id:int}", tags=("rectifications",), opt=downloads("image/jpeg", "image/png"),
     summary="A photo (its metadata removed when it was uploaded)")
async def photo(photo_id: FromPath[int]) -> File:
    row = await rectifications.public_photo(photo_id)
    return File(path=upload_path(row["key"]), media_type=row["content_type"], content_disposition_type="inline",
                headers={"Cache-Control": "public, max-age=86400"})


# ---------- departments (and hosts) ----------


async def _awaiting_commitment(staff: Staff) -> list[dict[str, Any]]:
    """Selected TV questioning issues without a rectification yet (hosts record the commitment)."""
    if not permissions.allowed(staff, "rectification.record"):
        return []
    recorded = Rectification.select(Rectification.issue)
    return await LiveIssue.select(LiveIssue.id, LiveIssue.title, LiveIssue.session.title.as_alias("session_title")).where(
        (LiveIssue.state == IssueState.selected) & (LiveIssue.session.kind == SessionKind.tv_questioning)
        & LiveIssue.id.not_in(recorded)
    ).order_by(LiveIssue.session).order_by(LiveIssue.running_order).limit(100)


async def _staff_list_context(staff: Staff, **extra: Any) -> dict[str, Any]:
    mine = permissions.allowed(staff, "rectification.report", staff.department_id)
    rows = await rectifications.department_rectifications(staff) if mine else []
    return {
        "staff": staff, "items": [_read(row) for row in rows],
        "reminders": await rectifications.recent_reminders(staff) if mine else [],
        "awaiting": await _awaiting_commitment(staff), "departments": await _departments(), "form": {},
        "today": clock.today(), **extra,
    }


@get("/staff/rectifications", guards=STAFF_PAGES, include_in_schema=False)
async def staff_list(staff: NamedDependency[Staff]) -> Template:
    return Template("live_sessions/rectifications_staff.html", context=await _staff_list_context(staff))


@post("/staff/rectifications/{issue_id:int}/record", guards=[guard("rectification.record")], include_in_schema=False)
async def staff_record(staff: NamedDependency[Staff], issue_id: FromPath[int], data: FormData) -> Response:
    try:
        by_days = data.get("due") == "working_days"
        form = parse_form(schemas.RectificationCreate, {k: v for k, v in data.items() if v},
                          **({"due_date": None} if by_days else {"working_days": None}))
        await rectifications.record_rectification(staff, issue_id, department=form.department,
                                                  commitment=form.commitment, due_date=form.due_date,
                                                  working_days=form.working_days)
    except DomainError as error:
        context = await _staff_list_context(staff, error=error.detail, form={**data, "issue": issue_id})
        return Template("live_sessions/rectifications_staff.html", context=context, status_code=error.status_code)
    return Redirect(path="/staff/rectifications", status_code=303)


async def _detail_context(staff: Staff, issue_id: int, **extra: Any) -> dict[str, Any]:
    await rectifications.rectification_for_staff(staff, issue_id)
    row = await rectifications.rectification_details(issue_id)
    return {"staff": staff, "item": _read(row), "form": {}, "max_photos": rectifications.MAX_PHOTOS, **extra}


@get("/staff/rectifications/{issue_id:int}", guards=REPORT, include_in_schema=False)
async def staff_detail(staff: NamedDependency[Staff], issue_id: FromPath[int]) -> Template:
    return Template("live_sessions/rectifications_staff_detail.html", context=await _detail_context(staff, issue_id))


def _photos(data: dict[str, Any]) -> list[UploadFile]:
    value = data.get("photos")
    files = value if isinstance(value, list) else [value]
    return [f for f in files if isinstance(f, UploadFile) and f.filename]


async def _staff_action(staff: Staff, issue_id: int, data: dict[str, Any], action) -> Response:
    try:
        await action()
    except DomainError as error:
        form = {key: value for key, value in data.items() if isinstance(value, str)}
        context = await _detail_context(staff, issue_id, error=error.detail, form=form)
        return Template("live_sessions/rectifications_staff_detail.html", context=context,
                        status_code=error.status_code)
    return Redirect(path=f"/staff/rectifications/{issue_id}?saved=1", status_code=303)


@post("/staff/rectifications/{issue_id:int}/progress", guards=REPORT, include_in_schema=False)
async def staff_progress(staff: NamedDependency[Staff], issue_id: FromPath[int],
                         data: Annotated[dict[str, Any], MULTIPART]) -> Response:
    async def progress() -> None:
        form = parse_form(schemas.ProgressCreate, {"content": str(data.get("content") or "")})
        files = _photos(data)
        if len(files) > rectifications.MAX_PHOTOS:
            raise InvalidInput(_("At most %(limit)d photos.") % {"limit": rectifications.MAX_PHOTOS})
        photos = [rectifications.Photo(data=await f.read(), filename=f.filename) for f in files]
        await rectifications.post_progress(staff, issue_id, form.content, photos)

    return await _staff_action(staff, issue_id, data, progress)


@post("/staff/rectifications/{issue_id:int}/complete", guards=REPORT, include_in_schema=False)
async def staff_complete(request: Request, staff: NamedDependency[Staff], issue_id: FromPath[int],
                         data: FormData) -> Response:
    async def complete() -> None:
        form = parse_form(schemas.CompletionCreate, data)
        await rectifications.complete_rectification(staff, issue_id, form.content, site_url=str(request.base_url))

    return await _staff_action(staff, issue_id, data, complete)


ROUTES = [board, confirm_page, confirm_submit, photo, staff_list, staff_record, staff_detail, staff_progress,
          staff_complete]
PUBLIC_PAGES = ["/rectifications", "/rectifications/{issue_id}/confirm"]
