"""Server-rendered pages of consultations: the public site and the department's back office.

Every page works without JavaScript. Handlers parse the form, call one service and render or
redirect; the rules live in services.py and permissions.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from consultations import permissions, services
from consultations.api import export_response
from consultations.permissions import STAFF_ROLES
from engagement import verification
from engagement.accounts import Staff
from engagement.errors import DomainError, InvalidInput, NotAuthenticated
from engagement.i18n import _
from engagement.tables import Department
from engagement.web import client_address, staff_guard

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
MULTIPART = Body(media_type=RequestEncodingType.MULTI_PART)
STAFF = [staff_guard(*STAFF_ROLES)]
STATUS_FILTERS = ("open", "closed", "concluded")


def render(template_name: str, context: dict[str, Any], status_code: int = 200) -> Template:
    """A module template; ``beijing`` lets templates show stored UTC times in local time."""
    return Template(template_name, context={**context, "beijing": services.LOCAL_TIME}, status_code=status_code)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _when(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("The date and time are not valid: %(field)s.") % {"field": field}) from None


async def _departments() -> list[dict[str, Any]]:
    return await Department.select(Department.slug, Department.name).order_by(Department.sort_order).order_by(
        Department.id)


# ---------- public ----------

@get("/consultations", name="consultations", include_in_schema=False)
async def consultation_list(request: Request) -> Template:
    query = request.query_params
    status = query.get("status") if query.get("status") in STATUS_FILTERS else None
    department = query.get("department") or None
    topic = _int(query.get("topic"))
    q = (query.get("q") or "").strip()
    page = _int(query.get("page")) or 1
    items, total = await services.list_consultations(status, department, topic, q or None, page)
    return render("consultations/list.html", context={
        "items": items, "total": total, "page": page, "per_page": services.DEFAULT_PER_PAGE,
        "filters": {"status": status or "", "department": department or "", "topic": topic, "q": q},
        "departments": await _departments(), "topics": await services.list_topics(),
    })


@get("/consultations/topics/{topic_id:int}", name="consultation-topic", include_in_schema=False)
async def topic_page(topic_id: FromPath[int]) -> Template:
    return render("consultations/topic.html", context={"topic": await services.get_topic(topic_id)})


async def _detail_context(request: Request, consultation_id: FromPath[int], count_view: bool = False,
                          **extra: Any) -> dict[str, Any]:
    consultation = await services.get_consultation(consultation_id, count_view=count_view)
    section = _int(request.query_params.get("section"))
    page = _int(request.query_params.get("page")) or 1
    opinions, total = await services.list_public_opinions(consultation_id, section, page)
    return {
        "consultation": consultation, "opinions": opinions, "opinion_total": total, "page": page,
        "per_page": services.DEFAULT_PER_PAGE, "section_filter": section,
        "verified": bool(request.session.get("citizen_token")) if "session" in request.scope else False,
        "form": {}, **extra,
    }


@get("/consultations/{consultation_id:int}", name="consultation", include_in_schema=False)
async def consultation_page(request: Request, consultation_id: FromPath[int]) -> Template:
    return render("consultations/detail.html",
                    context=await _detail_context(request, consultation_id, count_view=True))


def _citizen_from_session(request: Request) -> verification.VerifiedCitizen | None:
    token = request.session.get("citizen_token") if "session" in request.scope else None
    if not token:
        return None
    try:
        return verification.citizen_from_token(token)
    except NotAuthenticated:
        return None


@post("/consultations/{consultation_id:int}/opinions", include_in_schema=False)
async def submit_opinion_page(request: Request, consultation_id: FromPath[int],
                              data: Annotated[dict[str, str], FORM]) -> Template:
    """The opinion form: phone + code (or an earlier verification in this session), then the service."""
    try:
        if data.get("phone") or data.get("code"):
            citizen = await verification.verify_code(data.get("phone"), data.get("code"))
            request.session["citizen_token"] = verification.issue_citizen_token(citizen)
        else:
            citizen = _citizen_from_session(request)
            if citizen is None:
                raise NotAuthenticated(_("Please verify your mobile phone number first."))
        submitted = await services.submit_opinion(
            citizen, consultation_id, data.get("content", ""), data.get("name"), data.get("organization"),
            _int(data.get("section")), data.get("notify_by_sms") == "1",
        )
    except DomainError as error:
        form = {k: v for k, v in data.items() if k not in ("code", "_csrf_token")}
        context = await _detail_context(request, consultation_id, form=form, error=error.detail,
                                        phone=data.get("phone", ""))
        status = 400 if error.status_code == 401 else error.status_code
        return render("consultations/detail.html", context=context, status_code=status)
    consultation = await services.get_consultation(consultation_id)
    return render("consultations/submitted.html",
                    context={"consultation": consultation, "submitted": submitted}, status_code=201)


@post("/consultations/{consultation_id:int}/code", include_in_schema=False)
async def request_code_page(request: Request, consultation_id: FromPath[int],
                            data: Annotated[dict[str, str], FORM]) -> Template:
    """The SMS widget's fallback without JavaScript: send the code, show the form again as filled in."""
    form = {k: v for k, v in data.items() if k not in ("code", "_csrf_token")}
    try:
        await verification.request_code(data.get("phone", ""), client_address(request))
    except DomainError as error:
        context = await _detail_context(request, consultation_id, form=form, error=error.detail,
                                        phone=data.get("phone", ""))
        return render("consultations/detail.html", context=context, status_code=error.status_code)
    context = await _detail_context(request, consultation_id, form=form, phone=data.get("phone", ""),
                                    sms_notice=_("The code has been sent."))
    return render("consultations/detail.html", context=context)


@post("/consultations/opinions/{opinion_id:int}/support", include_in_schema=False)
async def support_page(request: Request, opinion_id: FromPath[int]) -> Response:
    citizen = _citizen_from_session(request)
    consultation_id = _int((await request.form()).get("consultation"))
    target = f"/consultations/{consultation_id}#opinion-{opinion_id}" if consultation_id else "/consultations"
    if citizen is None:
        return Redirect(path="/verify", status_code=303)
    await services.support_opinion(citizen, opinion_id)
    return Redirect(path=target, status_code=303)


# ---------- staff ----------

@get("/staff/consultations", name="staff-consultations", guards=STAFF, include_in_schema=False)
async def staff_list(request: Request, staff: NamedDependency[Staff]) -> Template:
    items, total = await services.list_staff_consultations(staff, request.query_params.get("department") or None)
    return render("consultations/staff_list.html", context={"staff": staff, "items": items, "total": total})


@get("/staff/consultations/new", guards=STAFF, include_in_schema=False)
async def staff_new(request: Request, staff: NamedDependency[Staff]) -> Template:
    chosen = request.query_params.get("department")
    if chosen:  # a link from a department's page: check before showing the form
        permissions.require(staff, "consultation.create", await services.department_id(chosen))
    departments = [d for d in await _departments() if staff.is_admin or d["slug"] == staff.department_slug]
    return render("consultations/staff_new.html", context={
        "staff": staff, "departments": departments, "topics": await services.list_topics(), "form": {}})


def _sections_from(text: str) -> list[tuple[str, str]]:
    """Sections typed as blocks separated by a blank line: the first line is the heading."""
    sections = []
    for block in (text or "").replace("\r\n", "\n").split("\n\n"):
        lines = block.strip().split("\n")
        if lines and lines[0].strip():
            sections.append((lines[0].strip(), "\n".join(lines[1:]).strip()))
    return sections


@post("/staff/consultations", guards=STAFF, include_in_schema=False)
async def staff_create(request: Request, staff: NamedDependency[Staff],
                       data: Annotated[dict[str, str], FORM]) -> Response:
    closes_at = _when(data.get("closes_at"), _("Deadline"))
    if closes_at is None:
        raise InvalidInput(_("Please give the deadline."))
    consultation_id = await services.create_consultation(
        staff, title=data.get("title", ""), department=data.get("department", ""), closes_at=closes_at,
        summary=data.get("summary", ""), body=data.get("body", ""), opens_at=_when(data.get("opens_at"), _("Opens")),
        topic=_int(data.get("topic")), sections=_sections_from(data.get("sections", "")),
        client_address=client_address(request))
    return Redirect(path=f"/staff/consultations/{consultation_id}", status_code=303)


@get("/staff/consultations/{consultation_id:int}", guards=STAFF, include_in_schema=False)
async def staff_detail(staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Template:
    consultation = await services.staff_consultation(staff, consultation_id)
    return render("consultations/staff_detail.html", context={
        "staff": staff, "consultation": consultation, "topics": await services.list_topics(),
        "can": lambda permission: permissions.allowed(staff, permission, staff.department_id
                                                      if not staff.is_admin else None),
        "sections_text": "\n\n".join(f"{s.heading}\n{s.body}".strip() for s in consultation.sections),
    })


def _back(consultation_id: FromPath[int], anchor: str = "") -> Response:
    return Redirect(path=f"/staff/consultations/{consultation_id}{anchor}", status_code=303)


@post("/staff/consultations/{consultation_id:int}/edit", guards=STAFF, include_in_schema=False)
async def staff_edit(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                     data: Annotated[dict[str, str], FORM]) -> Response:
    changes: dict[str, Any] = {key: data[key] for key in ("title", "summary", "body") if key in data}
    if data.get("closes_at"):
        changes["closes_at"] = _when(data["closes_at"], _("Deadline"))
    if data.get("opens_at"):
        changes["opens_at"] = _when(data["opens_at"], _("Opens"))
    if data.get("topic"):
        changes["topic"] = _int(data["topic"])
    if "sections" in data:
        changes["sections"] = _sections_from(data["sections"])
    row = await services.get_consultation_for_staff(staff, consultation_id, "consultation.edit")
    if row["status"] != "draft":
        changes.pop("sections", None)
        changes.pop("closes_at", None)
    await services.update_consultation(staff, consultation_id, changes, client_address(request))
    return _back(consultation_id)


@post("/staff/consultations/{consultation_id:int}/publish", guards=STAFF, include_in_schema=False)
async def staff_publish(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Response:
    await services.publish_consultation(staff, consultation_id, client_address(request))
    return _back(consultation_id)


@post("/staff/consultations/{consultation_id:int}/close", guards=STAFF, include_in_schema=False)
async def staff_close(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Response:
    await services.close_consultation(staff, consultation_id, client_address(request))
    return _back(consultation_id)


@post("/staff/consultations/{consultation_id:int}/extend", guards=STAFF, include_in_schema=False)
async def staff_extend(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                       data: Annotated[dict[str, str], FORM]) -> Response:
    closes_at = _when(data.get("closes_at"), _("New deadline"))
    if closes_at is None:
        raise InvalidInput(_("Please give the new deadline."))
    await services.extend_deadline(staff, consultation_id, closes_at, data.get("reason", ""), client_address(request))
    return _back(consultation_id)


@post("/staff/consultations/{consultation_id:int}/outcome", guards=STAFF, include_in_schema=False)
async def staff_outcome(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                        data: Annotated[dict[str, str], FORM]) -> Response:
    await services.save_outcome(staff, consultation_id, data.get("final_text", ""), data.get("interpretation", ""),
                                client_address(request))
    if data.get("conclude") == "1":
        await services.conclude_consultation(staff, consultation_id, client_address(request))
    return _back(consultation_id, "#outcome")


@post("/staff/consultations/{consultation_id:int}/attachments", guards=STAFF, include_in_schema=False)
async def staff_attach(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                       data: Annotated[dict[str, Any], MULTIPART]) -> Response:
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput(_("Please choose a file."))
    await services.add_attachment(staff, consultation_id, await upload.read(), upload.filename,
                                  str(data.get("purpose") or "draft"), client_address(request))
    return _back(consultation_id, "#attachments")


@get("/staff/consultations/{consultation_id:int}/opinions", guards=STAFF, include_in_schema=False)
async def staff_queue(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Template:
    query = request.query_params
    filters = services.QueueFilters(
        status=query.get("status") if query.get("status") in ("pending", "approved", "rejected") else None,
        decision=query.get("decision") if query.get("decision") in (*services.DECISIONS, "pending") else None,
        section=_int(query.get("section")), q=(query.get("q") or "").strip() or None,
    )
    page = _int(query.get("page")) or 1
    items, total = await services.review_queue(staff, consultation_id, filters, page)
    consultation = await services.get_consultation_for_staff(staff, consultation_id, "opinion.review")
    return render("consultations/staff_queue.html", context={
        "staff": staff, "consultation": consultation, "items": items, "total": total, "filters": filters,
        "page": page, "per_page": services.DEFAULT_PER_PAGE, "templates": services.REPLY_TEMPLATES,
        "query": request.url.query,
    })


def _queue(consultation_id: FromPath[int], query: str = "") -> Response:
    suffix = f"?{query}" if query else ""
    return Redirect(path=f"/staff/consultations/{consultation_id}/opinions{suffix}", status_code=303)


@post("/staff/opinions/{opinion_id:int}/review", guards=STAFF, include_in_schema=False)
async def staff_review(request: Request, staff: NamedDependency[Staff], opinion_id: FromPath[int],
                       data: Annotated[dict[str, str], FORM]) -> Response:
    decision = data.get("decision", "")
    reply = data.get("reply", "")
    if not reply.strip() and decision in services.REPLY_TEMPLATES:
        reply = _(services.REPLY_TEMPLATES[decision])
    opinion = await services.review_opinion(staff, opinion_id, decision, reply, client_address(request))
    return _queue(opinion.consultation, data.get("query", ""))


@post("/staff/opinions/{opinion_id:int}/moderate", guards=STAFF, include_in_schema=False)
async def staff_moderate(request: Request, staff: NamedDependency[Staff], opinion_id: FromPath[int],
                         data: Annotated[dict[str, str], FORM]) -> Response:
    opinion = await services.moderate_opinion(staff, opinion_id, data.get("action", ""), client_address(request))
    return _queue(opinion.consultation, data.get("query", ""))


@post("/staff/consultations/{consultation_id:int}/reviews", guards=STAFF, include_in_schema=False)
async def staff_bulk_review(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Response:
    form = await request.form()
    ids = [i for i in (_int(v) for v in form.getall("ids")) if i is not None] if "ids" in form else []
    if not ids:
        raise InvalidInput(_("Please select at least one opinion."))
    decision = form.get("decision", "")
    reply = form.get("reply", "") or (_(services.REPLY_TEMPLATES[decision]) if decision in services.REPLY_TEMPLATES
                                      else "")
    await services.review_opinions(staff, consultation_id, ids, decision, reply, client_address(request))
    return _queue(consultation_id, form.get("query", ""))


@get("/staff/consultations/{consultation_id:int}/export", guards=STAFF, include_in_schema=False)
async def staff_export(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Response:
    fmt = request.query_params.get("format", "csv")
    return await export_response(staff, consultation_id, fmt if fmt in ("csv", "xlsx") else "csv",
                                 client_address(request))


ROUTES = [
    consultation_list, topic_page, consultation_page, submit_opinion_page, request_code_page, support_page,
    staff_list, staff_new, staff_create, staff_detail, staff_edit, staff_publish, staff_close, staff_extend,
    staff_outcome, staff_attach, staff_queue, staff_review, staff_moderate, staff_bulk_review, staff_export,
]
