"""Server-rendered pages of consultations: the public site and the department's back office.

Every page works without JavaScript. Handlers turn the form into the API's request struct
(engagement.forms.parse_form: the same limits and messages), call one service and render or
redirect; the rules live in services.py / opinions.py, who may do what in permissions.py. The
citizen behind a form comes from engagement.citizen_pages (the SMS widget and the verified session).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from consultations import opinions, services
from consultations.api import export_response, section_pairs, update_changes
from consultations.schemas import (
    DEFAULT_PER_PAGE,
    BulkReviewInput,
    ConsultationCreate,
    ConsultationUpdate,
    DeadlineExtend,
    ModerateInput,
    OpinionCreate,
    OutcomeInput,
    ReviewInput,
)
from consultations.tables import Decision, Moderation, Status
from engagement import permissions
from engagement.accounts import Staff
from engagement.citizen_pages import NEVER_KEPT, form_citizen, page_citizen, page_identity
from engagement.errors import DomainError, InvalidInput
from engagement.forms import parse_form
from engagement.i18n import _
from engagement.page_cache import count_view
from engagement.permissions import guard
from engagement.tables import Department
from engagement.web import client_address

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
MULTIPART = Body(media_type=RequestEncodingType.MULTI_PART)
STATUS_FILTERS = (Status.open, Status.closed, Status.concluded)
TEXT_FIELDS = ("title", "summary", "body")  # an emptied text is a change, not an absent field


def render(template_name: str, context: dict[str, Any], status_code: int = 200) -> Template:
    return Template(template_name, context=context, status_code=status_code)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _choice(states: type[Enum], value: str | None) -> Enum | None:
    """A filter from the query string: one of ``states``, else no filter."""
    try:
        return states(value) if value else None
    except ValueError:
        return None


async def _departments() -> list[dict[str, Any]]:
    return await Department.select(Department.slug, Department.name).order_by(Department.sort_order).order_by(
        Department.id)


# ---------- public ----------

@get("/consultations", name="consultations", include_in_schema=False)
async def consultation_list(request: Request) -> Template:
    query = request.query_params
    status = _choice(Status, query.get("status"))
    status = status if status in STATUS_FILTERS else None
    department = query.get("department") or None
    topic = _int(query.get("topic"))
    q = (query.get("q") or "").strip()
    page = _int(query.get("page")) or 1
    items, total = await services.list_consultations(status, department, topic, q or None, page)
    departments, topics = await services.list_filters()
    return render("consultations/list.html", context={
        "items": items, "total": total, "page": page, "per_page": DEFAULT_PER_PAGE,
        "filters": {"status": status.value if status else "", "department": department or "", "topic": topic,
                    "q": q},
        "departments": departments, "topics": topics,
    })


@get("/consultations/topics/{topic_id:int}", name="consultation-topic", include_in_schema=False)
async def topic_page(topic_id: FromPath[int]) -> Template:
    return render("consultations/topic.html", context={"topic": await services.get_topic(topic_id)})


async def _detail_context(request: Request, consultation_id: int, **extra: Any) -> dict[str, Any]:
    """The consultation page; ``page_identity`` brings back what was typed before "Get code"."""
    consultation = await services.get_consultation(consultation_id)
    section = _int(request.query_params.get("section"))
    page = _int(request.query_params.get("page")) or 1
    items, total = await opinions.public_opinions_page(consultation_id, consultation.opinion_count, section, page)
    return {
        "consultation": consultation, "opinions": items, "opinion_total": total, "page": page,
        "per_page": DEFAULT_PER_PAGE, "section_filter": section, **page_identity(request), **extra,
    }


@get("/consultations/{consultation_id:int}", name="consultation", include_in_schema=False,
     opt={"page_cache_hits": services.count_views})
async def consultation_page(request: Request, consultation_id: FromPath[int]) -> Template:
    context = await _detail_context(request, consultation_id)
    count_view(request.scope)  # shown from the next flush on (within seconds), like the views served from the cache
    return render("consultations/detail.html", context=context)


@post("/consultations/{consultation_id:int}/opinions", include_in_schema=False)
async def submit_opinion_page(request: Request, consultation_id: FromPath[int],
                              data: Annotated[dict[str, str], FORM]) -> Template:
    """The opinion form: phone + code (or an earlier verification in this session), then the service."""
    try:
        opinion = parse_form(OpinionCreate, data)  # before the code is used up by verifying it
        citizen = await form_citizen(request, data)
        submitted = await opinions.submit_opinion(citizen, consultation_id, opinion.content, opinion.name,
                                                  opinion.organization, opinion.section, opinion.notify_by_sms)
    except DomainError as error:
        form = {key: value for key, value in data.items() if key not in NEVER_KEPT}
        context = await _detail_context(request, consultation_id, form=form, error=error.detail,
                                        phone=data.get("phone", ""))
        status = 400 if error.status_code == 401 else error.status_code
        return render("consultations/detail.html", context=context, status_code=status)
    consultation = await services.get_consultation(consultation_id)
    return render("consultations/submitted.html",
                  context={"consultation": consultation, "submitted": submitted}, status_code=201)


@post("/consultations/opinions/{opinion_id:int}/support", include_in_schema=False)
async def support_page(request: Request, opinion_id: FromPath[int]) -> Response:
    """The support button: citizens verified earlier in this session; others verify first."""
    citizen = page_citizen(request)
    if citizen is None:
        return Redirect(path="/verify", status_code=303)
    supported = await opinions.support_opinion(citizen, opinion_id)
    return Redirect(path=f"/consultations/{supported.consultation}#opinion-{opinion_id}", status_code=303)


# ---------- staff ----------

@get("/staff/consultations", name="staff-consultations", guards=[guard("consultation.view_staff")],
     include_in_schema=False)
async def staff_list(request: Request, staff: NamedDependency[Staff]) -> Template:
    items, total = await services.list_staff_consultations(staff, request.query_params.get("department") or None)
    return render("consultations/staff_list.html", context={"staff": staff, "items": items, "total": total})


@get("/staff/consultations/new", guards=[guard("consultation.create")], include_in_schema=False)
async def staff_new(request: Request, staff: NamedDependency[Staff]) -> Template:
    chosen = request.query_params.get("department")
    if chosen:  # a link from a department's page: check before showing the form
        permissions.require(staff, "consultation.create", await services.department_id(chosen))
    departments = [d for d in await _departments() if staff.is_admin or d["slug"] == staff.department_slug]
    return render("consultations/staff_new.html", context={
        "staff": staff, "departments": departments, "topics": await services.list_topics(), "form": {}})


def _sections_from(text: str) -> list[dict[str, str]]:
    """Sections typed as blocks separated by a blank line: the first line is the heading."""
    sections = []
    for block in (text or "").replace("\r\n", "\n").split("\n\n"):
        lines = block.strip().split("\n")
        if lines and lines[0].strip():
            sections.append({"heading": lines[0].strip(), "body": "\n".join(lines[1:]).strip()})
    return sections


@post("/staff/consultations", guards=[guard("consultation.create")], include_in_schema=False)
async def staff_create(request: Request, staff: NamedDependency[Staff],
                       data: Annotated[dict[str, str], FORM]) -> Response:
    form = parse_form(ConsultationCreate, data, sections=_sections_from(data.get("sections", "")))
    consultation_id = await services.create_consultation(
        staff, title=form.title, department=form.department, closes_at=form.closes_at, summary=form.summary,
        body=form.body, opens_at=form.opens_at, topic=form.topic, sections=section_pairs(form.sections),
        client_address=client_address(request))
    return Redirect(path=f"/staff/consultations/{consultation_id}", status_code=303)


@get("/staff/consultations/{consultation_id:int}", guards=[guard("consultation.view_staff")],
     include_in_schema=False)
async def staff_detail(staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Template:
    consultation = await services.staff_consultation(staff, consultation_id)
    return render("consultations/staff_detail.html", context={
        "staff": staff, "consultation": consultation, "topics": await services.list_topics(),
        "sections_text": "\n\n".join(f"{s.heading}\n{s.body}".strip() for s in consultation.sections),
    })


def _back(consultation_id: int, anchor: str = "") -> Response:
    return Redirect(path=f"/staff/consultations/{consultation_id}{anchor}", status_code=303)


@post("/staff/consultations/{consultation_id:int}/edit", guards=[guard("consultation.edit")],
      include_in_schema=False)
async def staff_edit(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                     data: Annotated[dict[str, str], FORM]) -> Response:
    fixed: dict[str, Any] = {key: data[key] for key in TEXT_FIELDS if key in data}
    if "sections" in data:
        fixed["sections"] = _sections_from(data["sections"])
    changes = update_changes(parse_form(ConsultationUpdate, data, **fixed))
    row = await services.get_consultation_for_staff(staff, consultation_id, "consultation.edit")
    if row["status"] != Status.draft:  # the published form has neither field; a stale page may still send them
        changes.pop("sections", None)
        changes.pop("closes_at", None)
    await services.update_consultation(staff, consultation_id, changes, client_address(request))
    return _back(consultation_id)


@post("/staff/consultations/{consultation_id:int}/publish", guards=[guard("consultation.publish")],
      include_in_schema=False)
async def staff_publish(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Response:
    await services.publish_consultation(staff, consultation_id, client_address(request))
    return _back(consultation_id)


@post("/staff/consultations/{consultation_id:int}/close", guards=[guard("consultation.close")],
      include_in_schema=False)
async def staff_close(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Response:
    await services.close_consultation(staff, consultation_id, client_address(request))
    return _back(consultation_id)


@post("/staff/consultations/{consultation_id:int}/extend", guards=[guard("consultation.extend")],
      include_in_schema=False)
async def staff_extend(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                       data: Annotated[dict[str, str], FORM]) -> Response:
    form = parse_form(DeadlineExtend, data)
    await services.extend_deadline(staff, consultation_id, form.closes_at, form.reason, client_address(request))
    return _back(consultation_id)


@post("/staff/consultations/{consultation_id:int}/outcome", guards=[guard("consultation.conclude")],
      include_in_schema=False)
async def staff_outcome(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                        data: Annotated[dict[str, str], FORM]) -> Response:
    form = parse_form(OutcomeInput, data)
    await services.save_outcome(staff, consultation_id, form.final_text, form.interpretation, client_address(request))
    if data.get("conclude") == "1":  # the "save and publish" button
        await services.conclude_consultation(staff, consultation_id, client_address(request))
    return _back(consultation_id, "#outcome")


@post("/staff/consultations/{consultation_id:int}/attachments", guards=[guard("consultation.edit")],
      include_in_schema=False)
async def staff_attach(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                       data: Annotated[dict[str, Any], MULTIPART]) -> Response:
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput(_("Please choose a file."))
    await services.add_attachment(staff, consultation_id, await upload.read(), upload.filename,
                                  str(data.get("purpose") or "draft"), client_address(request))
    return _back(consultation_id, "#attachments")


@get("/staff/consultations/{consultation_id:int}/opinions", guards=[guard("opinion.review")],
     include_in_schema=False)
async def staff_queue(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Template:
    query = request.query_params
    filters = opinions.QueueFilters(
        status=_choice(Moderation, query.get("status")), decision=_choice(Decision, query.get("decision")),
        section=_int(query.get("section")), q=(query.get("q") or "").strip() or None,
    )
    page = _int(query.get("page")) or 1
    items, total = await opinions.review_queue(staff, consultation_id, filters, page)
    consultation = await services.get_consultation_for_staff(staff, consultation_id, "opinion.review")
    return render("consultations/staff_queue.html", context={
        "staff": staff, "consultation": consultation, "items": items, "total": total, "filters": filters,
        "page": page, "per_page": DEFAULT_PER_PAGE, "templates": opinions.REPLY_TEMPLATES,
        "query": request.url.query,
    })


def _queue(consultation_id: int, query: str = "") -> Response:
    suffix = f"?{query}" if query else ""
    return Redirect(path=f"/staff/consultations/{consultation_id}/opinions{suffix}", status_code=303)


def _reply_or_standard(reply: str, decision: str) -> str:
    return reply.strip() or _(opinions.REPLY_TEMPLATES[decision])


@post("/staff/opinions/{opinion_id:int}/review", guards=[guard("opinion.review")], include_in_schema=False)
async def staff_review(request: Request, staff: NamedDependency[Staff], opinion_id: FromPath[int],
                       data: Annotated[dict[str, str], FORM]) -> Response:
    form = parse_form(ReviewInput, data)
    opinion = await opinions.review_opinion(staff, opinion_id, form.decision,
                                            _reply_or_standard(form.reply, form.decision), client_address(request))
    return _queue(opinion.consultation, data.get("query", ""))


@post("/staff/opinions/{opinion_id:int}/moderate", guards=[guard("opinion.moderate")], include_in_schema=False)
async def staff_moderate(request: Request, staff: NamedDependency[Staff], opinion_id: FromPath[int],
                         data: Annotated[dict[str, str], FORM]) -> Response:
    form = parse_form(ModerateInput, data)
    opinion = await opinions.moderate_opinion(staff, opinion_id, form.action, client_address(request))
    return _queue(opinion.consultation, data.get("query", ""))


@post("/staff/consultations/{consultation_id:int}/reviews", guards=[guard("opinion.review")],
      include_in_schema=False)
async def staff_bulk_review(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Response:
    data = await request.form()  # "ids" comes once per ticked box
    form = parse_form(BulkReviewInput, data, ids=data.getall("ids", []))
    await opinions.review_opinions(staff, consultation_id, form.ids, form.decision,
                                   _reply_or_standard(form.reply, form.decision), client_address(request))
    return _queue(consultation_id, data.get("query", ""))


@get("/staff/consultations/{consultation_id:int}/export", guards=[guard("consultation.export")],
     include_in_schema=False)
async def staff_export(request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> Response:
    fmt = request.query_params.get("format", "csv")
    return await export_response(staff, consultation_id, fmt if fmt in ("csv", "xlsx") else "csv",
                                 client_address(request))


ROUTES = [
    consultation_list, topic_page, consultation_page, submit_opinion_page, support_page,
    staff_list, staff_new, staff_create, staff_detail, staff_edit, staff_publish, staff_close, staff_extend,
    staff_outcome, staff_attach, staff_queue, staff_review, staff_moderate, staff_bulk_review, staff_export,
]
