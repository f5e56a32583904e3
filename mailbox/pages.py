"""HTML pages of the mailbox: the public /mailbox pages and the staff inbox. Readable without JavaScript.

Each handler reads the form, calls one service and renders a template; domain errors on forms
are shown next to the form with the typed values kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template

from engagement.accounts import Staff
from engagement.errors import DomainError, NotAuthenticated
from engagement.i18n import _
from engagement.uploads import upload_path
from engagement.verification import (
    VerifiedCitizen,
    citizen_from_token,
    request_code,
    verify_code,
)
from engagement.web import client_address, current_staff, staff_guard
from mailbox import permissions, services, workdays
from mailbox.permissions import STAFF_ROLES

STAFF = [staff_guard(*STAFF_ROLES)]
FORM_FIELDS = ("department", "category", "subject", "body", "name", "phone")


def _when(moment) -> str:
    return moment.astimezone(workdays.LOCAL_TIMEZONE).strftime("%Y-%m-%d %H:%M") if moment else ""


def _choices() -> dict[str, Any]:
    return {"categories": services.CATEGORY_LABELS, "statuses": services.STATUS_LABELS,
            "actions": services.ACTION_LABELS, "when": _when}


async def _index_context(**extra: Any) -> dict[str, Any]:
    recent = await services.search_published(page_size=5)
    return {
        **_choices(),
        "departments": await services.departments(),
        "office_slug": permissions.OFFICE_SLUG,
        "statistics": await services.statistics(),
        "recent": recent.items,
        "form": {},
        **extra,
    }


@get("/mailbox", name="mailbox", include_in_schema=False)
async def mailbox_index() -> Template:
    return Template("mailbox/index.html", context=await _index_context())


async def _form(request: Request) -> tuple[dict[str, str], list[services.Upload]]:
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in (*FORM_FIELDS, "code", "public_consent")}
    uploads = []
    for item in form.getall("attachments") if hasattr(form, "getall") else []:
        if hasattr(item, "read"):
            data = await item.read()
            if data:
                uploads.append(services.Upload(data=data, filename=item.filename or "file"))
    return values, uploads


async def _citizen(request: Request, values: dict[str, str]) -> VerifiedCitizen:
    if values.get("phone") or values.get("code"):
        return await verify_code(values.get("phone"), values.get("code"))
    token = request.session.get("citizen_token") if request.session else None
    if token:
        return citizen_from_token(token)
    raise NotAuthenticated(_("Please verify your mobile phone number first."))


@post("/mailbox/letters", include_in_schema=False)
async def mailbox_submit(request: Request) -> Template:
    values, uploads = await _form(request)
    try:
        citizen = await _citizen(request, values)
        submitted = await services.submit_letter(
            citizen, subject=values["subject"], body=values["body"], name=values["name"],
            category=values["category"] or "consultation", department=values["department"] or None,
            public_consent=values["public_consent"] in {"1", "on", "true"}, attachments=uploads,
        )
    except DomainError as error:
        return Template("mailbox/index.html", context=await _index_context(form=values, error=error.detail),
                        status_code=error.status_code)
    return Template("mailbox/receipt.html", context={**_choices(), "letter": submitted.letter,
                                                     "query_code": submitted.query_code})


@post("/mailbox/code", include_in_schema=False)
async def mailbox_request_code(request: Request) -> Template:
    """The SMS widget's fallback without JavaScript: send the code, show the form again as typed."""
    values, _uploads = await _form(request)
    try:
        await request_code(values["phone"], client_address(request))
    except DomainError as error:
        return Template("mailbox/index.html", context=await _index_context(form=values, sms_error=error.detail),
                        status_code=error.status_code)
    return Template("mailbox/index.html", context=await _index_context(form=values, sms_notice=_("The code has been sent.")))


@get("/mailbox/lookup", name="mailbox-lookup", include_in_schema=False)
async def mailbox_lookup_page() -> Template:
    return Template("mailbox/lookup.html", context={**_choices(), "form": {}})


async def _lookup(tracking_number: str, query_code: str, status_code: int = 200, **extra: Any) -> Template:
    try:
        letter, events = await services.writer_view(tracking_number, query_code)
    except DomainError as error:
        return Template("mailbox/lookup.html", context={**_choices(), "error": error.detail,
                                                        "form": {"tracking_number": tracking_number}},
                        status_code=error.status_code)
    return Template("mailbox/lookup.html", status_code=status_code, context={
        **_choices(), "letter": letter, "events": events, "query_code": query_code,
        "form": {"tracking_number": tracking_number}, **extra})


@post("/mailbox/lookup", include_in_schema=False)
async def mailbox_lookup(request: Request) -> Template:
    form = await request.form()
    return await _lookup(str(form.get("tracking_number") or "").strip(), str(form.get("query_code") or "").strip())


@post("/mailbox/rating", include_in_schema=False)
async def mailbox_rate(request: Request) -> Template:
    form = await request.form()
    number, code = str(form.get("tracking_number") or "").strip(), str(form.get("query_code") or "").strip()
    raw = str(form.get("rating") or "")
    try:
        await services.rate_letter(number, code, int(raw) if raw.isdigit() else None, form.get("comment") or "")
    except DomainError as error:
        return await _lookup(number, code, status_code=error.status_code, rating_error=error.detail)
    return await _lookup(number, code, notice=_("Thank you for your rating."))


@get("/mailbox/search", name="mailbox-search", include_in_schema=False)
async def mailbox_search(q: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
                         department: FromQuery[str | None] = None, month: FromQuery[str | None] = None,
                         page: FromQuery[int] = 1) -> Template:
    filters = {"q": q or "", "category": category or "", "department": department or "", "month": month or ""}
    try:
        found = await services.search_published(q, category or None, department or None, month or None, page)
        error = None
    except DomainError as problem:
        found, error = services.Page(items=[], total=0, page=1, page_size=services.PAGE_SIZE), problem.detail
    return Template("mailbox/search.html", status_code=400 if error else 200, context={
        **_choices(), "found": found, "filters": filters, "error": error, "departments": await services.departments()})


@get("/mailbox/digest", name="mailbox-digest", include_in_schema=False)
async def mailbox_digest(month: FromQuery[str | None] = None, page: FromQuery[int] = 1) -> Template:
    month = month or workdays.today().strftime("%Y-%m")
    found = await services.search_published(published_month=month, page=page, page_size=50)
    first = services.month_range(month)[0].astimezone(workdays.LOCAL_TIMEZONE)
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (first + timedelta(days=32)).strftime("%Y-%m")
    return Template("mailbox/digest.html", context={**_choices(), "found": found, "month": month,
                                                    "previous": previous, "following": following})


@get("/mailbox/letters/{tracking_number:str}", name="mailbox-letter", include_in_schema=False)
async def mailbox_letter(tracking_number: FromPath[str]) -> Template:
    return Template("mailbox/letter.html", context={**_choices(),
                                                    "letter": await services.get_published_letter(tracking_number)})


# --- staff -----------------------------------------------------------------------------------


@get("/staff/mailbox", name="mailbox-inbox", guards=STAFF, include_in_schema=False)
async def staff_inbox(request: Request, status: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
                      overdue: FromQuery[bool] = False, department: FromQuery[str | None] = None,
                      q: FromQuery[str | None] = None, page: FromQuery[int] = 1) -> Template:
    staff = await current_staff(request)
    found = await services.inbox(staff, status or None, category or None, overdue, department or None, q, page)
    return Template("mailbox/staff_inbox.html", context={
        **_choices(), "staff": staff, "found": found, "is_office": permissions.is_office(staff),
        "filters": {"status": status or "", "category": category or "", "overdue": overdue,
                    "department": department or "", "q": q or ""},
        "departments": await services.departments(), "reminders": await services.reminders_for(staff)})


async def _detail_context(staff: Staff, tracking_number: str, **extra: Any) -> dict[str, Any]:
    return {**_choices(), "staff": staff, "letter": await services.staff_letter_detail(staff, tracking_number),
            "departments": await services.departments(), "templates": await services.reply_templates(staff),
            "office_slug": permissions.OFFICE_SLUG, **extra}


@get("/staff/mailbox/{tracking_number:str}", name="mailbox-staff-letter", guards=STAFF, include_in_schema=False)
async def staff_letter(request: Request, tracking_number: FromPath[str]) -> Template:
    staff = await current_staff(request)
    return Template("mailbox/staff_letter.html", context=await _detail_context(staff, tracking_number))


async def _staff_action(request: Request, tracking_number: str, action) -> Response:
    staff = await current_staff(request)
    form = await request.form()
    try:
        await action(staff, {key: str(value) for key, value in form.items()})
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        return Template("mailbox/staff_letter.html", status_code=error.status_code,
                        context=await _detail_context(staff, tracking_number, error=error.detail))
    return Redirect(path=f"/staff/mailbox/{tracking_number}", status_code=303)


@post("/staff/mailbox/{tracking_number:str}/assign", guards=STAFF, include_in_schema=False)
async def staff_assign(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, lambda staff, form: services.assign_letter(
        staff, tracking_number, form.get("department", ""), form.get("note", ""), client_address(request)))


@post("/staff/mailbox/{tracking_number:str}/reply", guards=STAFF, include_in_schema=False)
async def staff_reply(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, lambda staff, form: services.reply_to_letter(
        staff, tracking_number, form.get("reply", ""), client_address(request)))


@post("/staff/mailbox/{tracking_number:str}/transfer", guards=STAFF, include_in_schema=False)
async def staff_transfer(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, lambda staff, form: services.transfer_letter(
        staff, tracking_number, form.get("reason", ""), client_address(request)))


@post("/staff/mailbox/{tracking_number:str}/notes", guards=STAFF, include_in_schema=False)
async def staff_note(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, lambda staff, form: services.add_note(
        staff, tracking_number, form.get("body", ""), client_address(request)))


@post("/staff/mailbox/{tracking_number:str}/unpublish", guards=STAFF, include_in_schema=False)
async def staff_unpublish(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, lambda staff, _form: services.unpublish_letter(
        staff, tracking_number, client_address(request)))


@post("/staff/mailbox/{tracking_number:str}/close", guards=STAFF, include_in_schema=False)
async def staff_close(request: Request, tracking_number: FromPath[str]) -> Response:
    return await _staff_action(request, tracking_number, lambda staff, _form: services.close_letter(
        staff, tracking_number, client_address(request)))


@post("/staff/mailbox/reply-templates", guards=STAFF, include_in_schema=False)
async def staff_add_reply_template(request: Request) -> Response:
    staff = await current_staff(request)
    form = await request.form()
    back = str(form.get("next", ""))
    back = back if back.startswith("/staff/mailbox") and "//" not in back else "/staff/mailbox"
    await services.create_reply_template(staff, form.get("title"), form.get("body"), form.get("for_all") == "1")
    return Redirect(path=back, status_code=303)


@get("/staff/mailbox/{tracking_number:str}/publish", name="mailbox-publish", guards=STAFF, include_in_schema=False)
async def staff_publish_page(request: Request, tracking_number: FromPath[str]) -> Template:
    staff = await current_staff(request)
    letter, draft = await services.prepare_publication(staff, tracking_number)
    return Template("mailbox/staff_publish.html", context={**_choices(), "letter": letter, "draft": draft})


@post("/staff/mailbox/{tracking_number:str}/publish", guards=STAFF, include_in_schema=False)
async def staff_publish(request: Request, tracking_number: FromPath[str]) -> Response:
    staff = await current_staff(request)
    form = await request.form()
    try:
        await services.publish_letter(staff, tracking_number, form.get("subject"), form.get("body"), form.get("reply"),
                                      client_address(request))
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        letter, draft = await services.prepare_publication(staff, tracking_number)
        return Template("mailbox/staff_publish.html", status_code=error.status_code,
                        context={**_choices(), "letter": letter, "draft": draft, "error": error.detail})
    return Redirect(path=f"/staff/mailbox/{tracking_number}", status_code=303)


@get("/staff/mailbox/{tracking_number:str}/attachments/{attachment_id:int}", guards=STAFF, include_in_schema=False)
async def staff_attachment(request: Request, tracking_number: FromPath[str], attachment_id: FromPath[int]) -> File:
    staff = await current_staff(request)
    row = await services.attachment_for_staff(staff, tracking_number, attachment_id)
    return File(path=upload_path(row["key"]), filename=row["original_name"], media_type=row["content_type"],
                content_disposition_type="attachment")


ROUTE_HANDLERS = [
    mailbox_index, mailbox_submit, mailbox_request_code, mailbox_lookup_page, mailbox_lookup, mailbox_rate,
    mailbox_search, mailbox_digest, mailbox_letter,
    staff_inbox, staff_letter, staff_assign, staff_reply, staff_transfer, staff_note, staff_publish_page,
    staff_publish, staff_attachment, staff_unpublish, staff_close, staff_add_reply_template,
]
PUBLIC_PAGES = ["/mailbox", "/mailbox/lookup", "/mailbox/search", "/mailbox/digest",
                "/mailbox/letters/{tracking_number:str}"]
