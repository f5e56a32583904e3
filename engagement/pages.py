"""Server-rendered pages of the core: home, verification, staff login, dashboard, dev outbox."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from engagement import accounts, audit, citizen_pages, logins, verification, workdays
from engagement.admin_sso import end_admin_session, start_admin_session
from engagement.errors import DomainError, NotFound, TooManyRequests
from engagement.i18n import _
from engagement.modules import manifests
from engagement.prepared import prepared
from engagement.sessions import renew_session_id
from engagement.settings import get_settings
from engagement.tables import DevSmsOutbox, Notice
from engagement.web import client_address, current_staff

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
HOME_NOTICE_COUNT = 5
# Its SQL built once (engagement/prepared.py), not on every view of the home page.
LATEST_NOTICES = prepared(lambda p: Notice.select(Notice.id, Notice.title, Notice.body, Notice.published_at)
                          .where(Notice.is_published == True)  # noqa: E712
                          .order_by(Notice.published_at, ascending=False)
                          .limit(HOME_NOTICE_COUNT))


def safe_next(target: str | None, default: str = "/staff") -> str:
    """Only same-site paths, so the login form cannot be used to redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@get("/", name="home", include_in_schema=False)
async def home() -> Template:
    notices = await LATEST_NOTICES.run()
    return Template("home.html", context={"notices": notices, "sections": _sections()})


def _sections() -> list:
    return [item for manifest in manifests() for item in manifest.nav]


@get("/verify", name="verify", include_in_schema=False)
async def verify_page(request: Request) -> Template:
    return Template("verify.html", context=_verify_context(request))


def _verify_context(request: Request, **extra: Any) -> dict[str, Any]:
    return {**citizen_pages.page_identity(request), **extra}


@post("/verify/code", include_in_schema=False)
async def verify_request_code(request: Request) -> Response:
    """The SMS widget's fallback without JavaScript, for every form: its "Get code" button posts here.

    With ``return_to`` (the form's page) the code is sent, the typed fields are kept and the browser
    goes back to the form; without it, the verification page shows the result.
    """
    data = dict(await request.form())
    return_to = citizen_pages.safe_return_path(data.get("return_to"))
    if return_to:
        target = await citizen_pages.send_code_and_return(request, data, return_to, client_address(request))
        return Redirect(path=target, status_code=303)
    phone = data.get("phone", "")
    try:
        await verification.request_code(phone, client_address(request))
    except DomainError as error:
        return Template("verify.html", context=_verify_context(request, phone=phone, error=error.detail),
                        status_code=error.status_code)
    return Template("verify.html", context=_verify_context(request, phone=phone, notice=_("The code has been sent.")))


@post("/verify", include_in_schema=False)
async def verify_submit(request: Request, data: Annotated[dict[str, str], FORM]) -> Template:
    phone = data.get("phone", "")
    try:
        citizen = await verification.verify_code(phone, data.get("code", ""))
    except DomainError as error:
        return Template("verify.html", context=_verify_context(request, phone=phone, error=error.detail),
                        status_code=error.status_code)
    citizen_pages.remember_citizen(request, citizen)
    return Template("verify.html", context=_verify_context(request, notice=_("Your phone number is verified.")))


@get("/login", name="login", include_in_schema=False)
async def login_page(next: FromQuery[str | None] = None) -> Template:
    return Template("login.html", context={"next": safe_next(next)})


@post("/login", include_in_schema=False)
async def login_submit(request: Request, data: Annotated[dict[str, str], FORM]) -> Response:
    target = safe_next(data.get("next"))
    try:
        user = await logins.log_in(data.get("username", ""), data.get("password", ""), client_address(request),
                                   via="website")
    except DomainError as error:
        headers = {"retry-after": str(error.retry_after)} if isinstance(error, TooManyRequests) else None
        return Template("login.html", context={"next": target, "error": error.detail, "username": data.get("username", "")},
                        status_code=error.status_code, headers=headers)
    token = await accounts.issue_token(user.id, kind="session")
    await _end_site_login(request)  # whoever was logged in in this browser before
    request.set_session({"staff_token": token})
    renew_session_id(request)
    await audit.record(await accounts.staff_for_token(token), "staff.login", "staff_user", user.id, {"via": "website"},
                       client_address(request))
    response: Response = Redirect(path=target, status_code=303)
    if user.role == "admin":
        await start_admin_session(request, user, response)
    return response


@post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    response: Response = Redirect(path="/", status_code=303)
    await _end_site_login(request, response)
    request.clear_session()  # the session id is dropped with its data; the next visit gets a new one
    return response


async def _end_site_login(request: Request, response: Response | None = None) -> None:
    """Revoke the session's staff token and end its back-office session (piccolo-admin) on the server."""
    session = request.scope.get("session")
    token = session.get("staff_token") if isinstance(session, dict) else None
    if token:
        await accounts.revoke_token(token)
    await end_admin_session(request, response)


@get("/staff", name="staff-dashboard", include_in_schema=False)
async def staff_dashboard(request: Request) -> Response:
    staff = await current_staff(request)
    if staff is None:
        return Redirect(path="/login?next=/staff", status_code=303)
    sections = [item for manifest in manifests() for item in manifest.extra.get("staff_nav", ())]
    missing_year = await workdays.missing_calendar_year() if staff.is_admin else None
    sms_paused = await verification.budget_exhausted_now() if staff.is_admin else False
    return Template("staff/dashboard.html", context={"staff": staff, "sections": sections,
                                                     "missing_calendar_year": missing_year,
                                                     "sms_budget_exhausted": sms_paused})


@get("/dev/sms-outbox", name="dev-outbox", include_in_schema=False)
async def dev_outbox(request: Request) -> Response:
    if not get_settings().dev_outbox_enabled:
        raise NotFound(_("The page or item was not found."))
    rows = await DevSmsOutbox.select().order_by(DevSmsOutbox.id, ascending=False).limit(200)
    messages = [{"phone": row["phone"], "body": row["body"], "sent_at": row["sent_at"].isoformat()} for row in rows]
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "application/json" not in accept:
        return Template("dev_outbox.html", context={"messages": messages})
    return Response(messages)
