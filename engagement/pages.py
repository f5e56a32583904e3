"""Server-rendered pages of the core: home, verification, staff login, dashboard, dev outbox."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from engagement import accounts, audit, verification
from engagement.admin_sso import end_admin_session, start_admin_session
from engagement.errors import DomainError, NotFound
from engagement.i18n import _
from engagement.modules import manifests
from engagement.settings import get_settings
from engagement.tables import DevSmsOutbox, Notice
from engagement.web import client_address, current_staff

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
HOME_NOTICE_COUNT = 5


def safe_next(target: str | None, default: str = "/staff") -> str:
    """Only same-site paths, so the login form cannot be used to redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@get("/", name="home", include_in_schema=False)
async def home() -> Template:
    notices = (
        await Notice.select(Notice.id, Notice.title, Notice.body, Notice.published_at)
        .where(Notice.is_published == True)  # noqa: E712
        .order_by(Notice.published_at, ascending=False)
        .limit(HOME_NOTICE_COUNT)
    )
    sections = [item for manifest in manifests() for item in manifest.nav]
    return Template("home.html", context={"notices": notices, "sections": sections})


@get("/verify", name="verify", include_in_schema=False)
async def verify_page(request: Request) -> Template:
    return Template("verify.html", context=_verify_context(request))


def _verify_context(request: Request, **extra: Any) -> dict[str, Any]:
    return {"verified": bool(request.session.get("citizen_token")), "phone": "", **extra}


@post("/verify/code", include_in_schema=False)
async def verify_request_code(request: Request, data: Annotated[dict[str, str], FORM]) -> Template:
    """The widget's fallback without JavaScript: the code button submits the form here."""
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
    request.session["citizen_token"] = verification.issue_citizen_token(citizen)
    return Template("verify.html", context=_verify_context(request, notice=_("Your phone number is verified.")))


@get("/login", name="login", include_in_schema=False)
async def login_page(next: FromQuery[str | None] = None) -> Template:
    return Template("login.html", context={"next": safe_next(next)})


@post("/login", include_in_schema=False)
async def login_submit(request: Request, data: Annotated[dict[str, str], FORM]) -> Response:
    target = safe_next(data.get("next"))
    try:
        user = await accounts.authenticate(data.get("username", ""), data.get("password", ""))
    except DomainError as error:
        return Template("login.html", context={"next": target, "error": error.detail, "username": data.get("username", "")},
                        status_code=error.status_code)
    token = await accounts.issue_token(user.id, kind="session")
    request.clear_session()
    request.set_session({"staff_token": token})
    await audit.record(await accounts.staff_for_token(token), "staff.login", "staff_user", user.id, {"via": "website"},
                       client_address(request))
    response: Response = Redirect(path=target, status_code=303)
    if user.role == "admin":
        await start_admin_session(user, response)
    return response


@post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    token = request.session.get("staff_token") if request.session else None
    if token:
        await accounts.revoke_token(token)
    request.clear_session()
    response: Response = Redirect(path="/", status_code=303)
    await end_admin_session(request, response)
    return response


@get("/staff", name="staff-dashboard", include_in_schema=False)
async def staff_dashboard(request: Request) -> Response:
    staff = await current_staff(request)
    if staff is None:
        return Redirect(path="/login?next=/staff", status_code=303)
    sections = [item for manifest in manifests() for item in manifest.extra.get("staff_nav", ())]
    return Template("staff/dashboard.html", context={"staff": staff, "sections": sections})


@get("/dev/sms-outbox", name="dev-outbox", include_in_schema=False)
async def dev_outbox(request: Request) -> Response:
    settings = get_settings()
    if settings.env != "development" or settings.sms_backend != "console":
        raise NotFound(_("The page or item was not found."))
    rows = await DevSmsOutbox.select().order_by(DevSmsOutbox.id, ascending=False).limit(200)
    messages = [{"phone": row["phone"], "body": row["body"], "sent_at": row["sent_at"].isoformat()} for row in rows]
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "application/json" not in accept:
        return Template("dev_outbox.html", context={"messages": messages})
    return Response(messages)
