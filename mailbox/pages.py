"""HTML pages of the mailbox: the public /mailbox pages and the staff inbox. Readable without JavaScript.

Each handler turns its form into the API's request struct (``engagement.forms.parse_form``: the same
limits and messages), calls one service and renders a template; domain errors on forms are shown
next to the form with the typed values kept. The citizen behind a letter comes from
``engagement.citizen_pages`` (the SMS widget's code, then the verified session).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template

from engagement import clock
from engagement.accounts import Staff
from engagement.citizen_pages import form_citizen, page_identity
from engagement.errors import DomainError
from engagement.forms import parse_form
from engagement.i18n import _
from engagement.permissions import guard
from engagement.uploads import upload_path
from engagement.web import client_address, current_staff
from mailbox import services
from mailbox.schemas import (
    AssignRequest,
    LetterCreate,
    LookupRequest,
    NoteRequest,
    PublishRequest,
    RatingRequest,
    ReplyRequest,
    TemplateCreate,
    TransferRequest,
    public_letter_view,
)

INDEX = "/mailbox"
RECENT_COUNT = 5  # published letters under the form
NOT_KEPT = frozenset({"code", "_csrf_token", "return_to"})  # never shown again in a re-rendered form


def _public_page(found: services.Page) -> services.Page:
    return replace(found, items=[public_letter_view(row) for row in found.items])


def _choices() -> dict[str, Any]:
    return {"categories": services.CATEGORY_LABELS, "statuses": services.STATUS_LABELS}


async def _index_context(request: Request, **extra: Any) -> dict[str, Any]:
    departments = await services.departments()
    return {
        **_choices(),
        **page_identity(request, INDEX),
        "departments": departments,
        "desk_slug": next((row["slug"] for row in departments if row["is_receiving_desk"]), None),
        "statistics": await services.statistics(),
        "recent": [public_letter_view(row) for row in await services.latest_published(RECENT_COUNT)],
        **extra,
    }


@get(INDEX, name="mailbox", include_in_schema=False)
async def mailbox_index(request: Request) -> Template:
    return Template("mailbox/index.html", context=await _index_context(request))


async def _uploads(form: Any) -> list[services.Upload]:
    uploads = []
    for item in form.getall("attachments", []) if hasattr(form, "getall") else []:
        if hasattr(item, "read"):
            data = await item.read()
            if data:
                uploads.append(services.Upload(data=data, filename=item.filename or "file"))
    return uploads


def _typed(form: Any) -> dict[str, str]:
    """What the visitor typed, to fill the form again after a refusal."""
    return {key: value for key, value in form.items() if isinstance(value, str) and key not in NOT_KEPT}


@post("/mailbox/letters", include_in_schema=False)
async def mailbox_submit(request: Request) -> Template:
    form = await request.form()
    try:
        letter = parse_form(LetterCreate, form)
        citizen = await form_citizen(request, form)
        submitted = await services.submit_letter(
            citizen, subject=letter.subject, body=letter.body, name=letter.name, category=letter.category,
            department=letter.department, public_consent=letter.public_consent, attachments=await _uploads(form),
        )
    except DomainError as error:
        context = await _index_context(request, form=_typed(form), phone=form.get("phone") or "", error=error.detail)
        return Template("mailbox/index.html", context=context, status_code=error.status_code)
    return Template("mailbox/receipt.html", context={**_choices(), "letter": submitted.letter,
                                                     "query_code": submitted.query_code})


@get("/mailbox/lookup", name="mailbox-lookup", include_in_schema=False)
async def mailbox_lookup_page() -> Template:
    return Template("mailbox/lookup.html", context={**_choices(), "form": {}})


async def _lookup(tracking_number: str, query_code: str, status_code: int = 200, **extra: Any) -> Template:
    try:
        lookup = parse_form(LookupRequest, {"tracking_number": tracking_number, "query_code": query_code})
        letter, events = await services.writer_view(lookup.tracking_number, lookup.query_code)
    except DomainError as error:
        return Template("mailbox/lookup.html", context={**_choices(), "error": error.detail,
                                                        "form": {"tracking_number": tracking_number}},
                        status_code=error.status_code)
    return Template("mailbox/lookup.html", status_code=status_code, context={
        **_choices(), "letter": letter, "events": events, "query_code": query_code,
        "form": {"tracking_number": tracking_number}, **extra})


def _field(form: Any, name: str) -> str:
    return str(form.get(name) or "").strip()


@post("/mailbox/lookup", include_in_schema=False)
async def mailbox_lookup(request: Request) -> Template:
    form = await request.form()
    return await _lookup(_field(form, "tracking_number"), _field(form, "query_code"))


@post("/mailbox/rating", include_in_schema=False)
async def mailbox_rate(request: Request) -> Template:
    form = await request.form()
    number, code = _field(form, "tracking_number"), _field(form, "query_code")
    try:
        rating = parse_form(RatingRequest, form)
        await services.rate_letter(number, rating.query_code, rating.rating, rating.comment)
    except DomainError as error:
        return await _lookup(number, code, status_code=error.status_code, rating_error=error.detail)
    return await _lookup(number, code, notice=_("Thank you for your rating."))


@get("/mailbox/search", name="mailbox-search", include_in_schema=False)
async def mailbox_search(q: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
                         department: FromQuery[str | None] = None, month: FromQuery[str | None] = None,
                         page: FromQuery[int] = 1) -> Template:
    filters = {"q": q or "", "category": category or "", "department": department or "", "month": month or ""}
    try:
        found = _public_page(await services.search_published(q, category or None, department or None, month or None,
                                                             page))
        error = None
    except DomainError as problem:
        found, error = services.Page(items=[], total=0, page=1, page_size=services.PAGE_SIZE), problem.detail
    return Template("mailbox/search.html", status_code=400 if error else 200, context={
        **_choices(), "found": found, "filters": filters, "error": error, "departments": await services.departments()})


@get("/mailbox/digest", name="mailbox-digest", include_in_schema=False)
async def mailbox_digest(month: FromQuery[str | None] = None, page: FromQuery[int] = 1) -> Template:
    month = month or clock.today().strftime("%Y-%m")
    found = _public_page(await services.search_published(published_month=month, page=page, page_size=50))
    first = clock.local(services.month_range(month)[0])
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (first + timedelta(days=32)).strftime("%Y-%m")
    return Template("mailbox/digest.html", context={**_choices(), "found": found, "month": month,
                                                    "previous": previous, "following": following})


@get("/mailbox/letters/{tracking_number:str}", name="mailbox-letter", include_in_schema=False)
async def mailbox_letter(tracking_number: FromPath[str]) -> Template:
    return Template("mailbox/letter.html", context={**_choices(),
                                                    "letter": public_letter_view(await services.get_published_letter(tracking_number))})


# --- staff -----------------------------------------------------------------------------------


@get("/staff/mailbox", name="mailbox-inbox", guards=[guard("letter.view")], include_in_schema=False)
async def staff_inbox(request: Request, status: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
                      overdue: FromQuery[bool] = False, department: FromQuery[str | None] = None,
                      q: FromQuery[str | None] = None, page: FromQuery[int] = 1,
                      routing: FromQuery[bool] = False) -> Template:
    staff = await current_staff(request)
    found = await services.inbox(staff, status or None, category or None, overdue, department or None, q, page,
                                 routing=routing)
    return Template("mailbox/staff_inbox.html", context={
        **_choices(), "staff": staff, "found": found,
        "filters": {"status": status or "", "category": category or "", "overdue": overdue,
                    "department": department or "", "q": q or "", "routing": routing},
        "departments": await services.departments(), "reminders": await services.reminders_for(staff)})


async def _detail_context(staff: Staff, tracking_number: str, **extra: Any) -> dict[str, Any]:
    return {**_choices(), "staff": staff, "letter": await services.staff_letter_detail(staff, tracking_number),
            "departments": await services.departments(), "templates": await services.reply_templates(staff),
            "desk_id": await services.desk_id(), **extra}


@get("/staff/mailbox/{tracking_number:str}", name="mailbox-staff-letter", guards=[guard("letter.view")],
     include_in_schema=False)
async def staff_letter(request: Request, tracking_number: FromPath[str]) -> Template:
    staff = await current_staff(request)
    return Template("mailbox/staff_letter.html", context=await _detail_context(staff, tracking_number))


Action = Callable[[Staff, Any], Awaitable[Any]]


async def _staff_action(request: Request, tracking_number: str, struct: type[msgspec.Struct],
                        action: Action) -> Response:
    """Parse the form into ``struct``, run ``action``; back to the letter, or the letter page with the refusal."""
    staff = await current_staff(request)
    form = await request.form()
    try:
        await action(staff, parse_form(struct, form))
    except DomainError as error:
        if error.status_code in (401, 403, 404):
            raise
        return Template("mailbox/staff_letter.html", status_code=error.status_code,
                        context=await _detail_context(staff, tracking_number, error=error.detail))
    return Redirect(path=f"/staff/mailbox/{tracking_number}", status_code=303)


class NoFields(msgspec.Struct):
    """The form of a button that sends nothing but the CSRF token."""


@post("/staff/mailbox/{tracking_number:str}/assign", guards=[guard("letter.assign")], include_in_schema=False)
async def staff_assign(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, AssignRequest, lambda staff, data: services.assign_letter(
        staff, tracking_number, data.department, data.note, client_address(request)))


@post("/staff/mailbox/{tracking_number:str}/reply", guards=[guard("letter.reply")], include_in_schema=False)
async def staff_reply(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, ReplyRequest, lambda staff, data: services.reply_to_letter(
        staff, tracking_number, data.reply, client_address(request)))


@post("/staff/mailbox/{tracking_number:str}/transfer", guards=[guard("letter.transfer")], include_in_schema=False)
async def staff_transfer(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, TransferRequest, lambda staff, data: services.transfer_letter(
        staff, tracking_number, data.reason, client_address(request)))


@post("/staff/mailbox/{tracking_number:str}/notes", guards=[guard("letter.note")], include_in_schema=False)
async def staff_note(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, NoteRequest, lambda staff, data: services.add_note(
        staff, tracking_number, data.body, client_address(request)))


@post("/staff/mailbox/{tracking_number:str}/unpublish", guards=[guard("letter.publish")], include_in_schema=False)
async def staff_unpublish(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, NoFields, lambda staff, _data: services.unpublish_letter(
        staff, tracking_number, client_address(request)))


@post("/staff/mailbox/{tracking_number:str}/close", guards=[guard("letter.close")], include_in_schema=False)
async def staff_close(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, NoFields, lambda staff, _data: services.close_letter(
        staff, tracking_number, client_address(request)))


@post("/staff/mailbox/reply-templates", guards=[guard("reply_template.manage")], include_in_schema=False)
async def staff_add_reply_template(request: Request) -> Response:
    staff = await current_staff(request)
    form = await request.form()
    back = str(form.get("next", ""))
    back = back if back.startswith("/staff/mailbox") and "//" not in back else "/staff/mailbox"
    template = parse_form(TemplateCreate, form)
    await services.create_reply_template(staff, template.title, template.body, template.for_all_departments)
    return Redirect(path=back, status_code=303)


@get("/staff/mailbox/{tracking_number:str}/publish", name="mailbox-publish", guards=[guard("letter.publish")],
     include_in_schema=False)
async def staff_publish_page(request: Request, tracking_number: FromPath[str]) -> Template:
    staff = await current_staff(request)
    letter, draft = await services.prepare_publication(staff, tracking_number)
    return Template("mailbox/staff_publish.html", context={**_choices(), "letter": letter, "draft": draft})


@post("/staff/mailbox/{tracking_number:str}/publish", guards=[guard("letter.publish")], include_in_schema=False)
async def staff_publish(request: Request, tracking_number: FromPath[str]) -> Response:
    staff = await current_staff(request)
    form = await request.form()
    try:
        # The form always sends the three texts: one emptied by staff is refused, not replaced by the draft.
        edited = parse_form(PublishRequest, form, **{part: form[part] for part in ("subject", "body", "reply")
                                                    if isinstance(form.get(part), str)})
        await services.publish_letter(staff, tracking_number, edited.subject, edited.body, edited.reply,
                                      client_address(request))
    except DomainError as error:
        if error.status_code in (401, 403, 404):
            raise
        letter, draft = await services.prepare_publication(staff, tracking_number)
        return Template("mailbox/staff_publish.html", status_code=error.status_code,
                        context={**_choices(), "letter": letter, "draft": draft, "error": error.detail})
    return Redirect(path=f"/staff/mailbox/{tracking_number}", status_code=303)


@get("/staff/mailbox/{tracking_number:str}/attachments/{attachment_id:int}", guards=[guard("letter.view")],
     include_in_schema=False)
async def staff_attachment(request: Request, tracking_number: FromPath[str], attachment_id: FromPath[int]) -> File:
    staff = await current_staff(request)
    row = await services.attachment_for_staff(staff, tracking_number, attachment_id)
    return File(path=upload_path(row["key"]), filename=row["original_name"], media_type=row["content_type"],
                content_disposition_type="attachment")


ROUTE_HANDLERS = [
    mailbox_index, mailbox_submit, mailbox_lookup_page, mailbox_lookup, mailbox_rate,
    mailbox_search, mailbox_digest, mailbox_letter,
    staff_inbox, staff_letter, staff_assign, staff_reply, staff_transfer, staff_note, staff_publish_page,
    staff_publish, staff_attachment, staff_unpublish, staff_close, staff_add_reply_template,
]
PUBLIC_PAGES = ["/mailbox", "/mailbox/lookup", "/mailbox/search", "/mailbox/digest",
                "/mailbox/letters/{tracking_number:str}"]
