"""HTTP glue shared by every module: preferences, security headers, errors, identities.

- Preferences: language and elder mode come from cookies; ``?lang=`` and
  ``?elder=1|0`` on any URL switch them and are remembered.
- Errors: domain errors and framework errors answer JSON ``{"status_code", "detail"}``
  on API paths and a Chinese HTML page elsewhere; a database or Redis that cannot be reached is a
  503 with ``Retry-After`` (engagement.resilience), a number the database cannot hold a 400.
- Identities: ``staff_guard(*roles)`` for staff routes, the ``staff`` and
  ``citizen`` dependencies for handlers.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, unquote

import asyncpg
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Message, Scope
from litestar.utils import normalize_path

from engagement.accounts import Staff, require_role, staff_for_token
from engagement.contract import reject_ids_out_of_range
from engagement.errors import DomainError, NotAuthenticated, ServiceUnavailable, TooManyRequests
from engagement.forms import validation_detail
from engagement.i18n import DEFAULT_LANGUAGE, N_, _, current_language, current_module, module_of, normalise_language
from engagement.ratelimit import WINDOW_SECONDS as RATE_LIMIT_WINDOW_SECONDS
from engagement.resilience import RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE_ERRORS
from engagement.verification import VerifiedCitizen, citizen_from_token, verify_code

log = logging.getLogger("engagement.web")
VALUE_OUT_OF_RANGE_ERRORS = (OverflowError, asyncpg.DataError, asyncpg.exceptions._base.DataError)

LANGUAGE_COOKIE = "lang"
ELDER_COOKIE = "elder"
PREFERENCE_MAX_AGE = 365 * 86400
JSON_PATH_PREFIXES = ("/api/", "/healthz", "/schema", "/dev/sms-outbox", "/ws/")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# piccolo-admin's bundled Vue app sets inline styles; it is reachable by administrators only.
ADMIN_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}
# Production only: a development server on http://localhost must not pin HTTPS for the host.
HSTS_HEADER = ("strict-transport-security", "max-age=31536000; includeSubDomains")


@dataclass(frozen=True)
class Preferences:
    language: str
    elder: bool
    changed: dict[str, str]


def _cookies(scope: Scope) -> dict[str, str]:
    raw = "; ".join(value.decode("latin-1") for key, value in scope.get("headers", []) if key == b"cookie")
    if not raw:  # no cookie header (what SimpleCookie would make of it)
        return {}
    parsed = SimpleCookie()
    try:
        parsed.load(raw)
    except CookieError:  # a malformed cookie header must not break the page
        return {}
    return {key: morsel.value for key, morsel in parsed.items()}


def preferences_for(scope: Scope) -> Preferences:
    """Resolve (once per request) the language and elder mode and make the language current."""
    state = scope.setdefault("state", {})
    if "preferences" in state:
        current_language.set(state["preferences"].language)
        return state["preferences"]
    cookies = _cookies(scope)
    query_string = scope.get("query_string", b"")
    query = parse_qs(query_string.decode("latin-1")) if query_string else {}
    changed: dict[str, str] = {}
    language = normalise_language(cookies.get(LANGUAGE_COOKIE)) or DEFAULT_LANGUAGE
    asked_language = normalise_language((query.get("lang") or [""])[0])
    if asked_language:
        language = changed[LANGUAGE_COOKIE] = asked_language
    elder = cookies.get(ELDER_COOKIE) == "1"
    asked_elder = (query.get("elder") or [""])[0]
    if asked_elder in {"0", "1"}:
        elder = asked_elder == "1"
        changed[ELDER_COOKIE] = asked_elder
    preferences = Preferences(language=language, elder=elder, changed=changed)
    state["preferences"] = preferences
    current_language.set(language)
    return preferences


async def apply_preferences(request: Request) -> None:
    preferences_for(request.scope)
    current_module.set(module_of(getattr(request.route_handler.fn, "__module__", None)))
    reject_ids_out_of_range(request)


def _encoded(pairs) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs)


# The headers add_headers sets, encoded once: (admin path?, HSTS?) -> in the order they are set.
_ENCODED_SECURITY_HEADERS = {
    (is_admin, hsts): _encoded([
        ("content-security-policy", ADMIN_CONTENT_SECURITY_POLICY if is_admin else CONTENT_SECURITY_POLICY),
        *SECURITY_HEADERS.items(),
        *([HSTS_HEADER] if hsts else []),
    ])
    for is_admin in (False, True) for hsts in (False, True)
}
_SECURITY_HEADER_NAMES = frozenset(name for name, _ in _ENCODED_SECURITY_HEADERS[False, True])
_PERMISSIONS_POLICY = b"permissions-policy"


async def add_headers(message: Message, scope: Scope, hsts: bool = False) -> None:
    """Security headers on every response (HSTS with ``hsts``); preference cookies when the URL changed them."""
    if message["type"] != "http.response.start":
        return
    headers = message.get("headers")
    handler = scope.get("route_handler")
    policy = (getattr(handler, "opt", None) or {}).get("permissions_policy")
    if type(headers) is list and not any(name.lower() in _SECURITY_HEADER_NAMES for name, _ in headers):
        # The usual answer: none of these headers yet, so setting each one appends it, in this order.
        added = _ENCODED_SECURITY_HEADERS[scope.get("path", "").startswith("/admin"), hsts]
        if policy:  # a page that needs a device, e.g. the camera of a check-in scanner: opt={"permissions_policy": ...}
            value = policy.encode("latin-1")
            added = tuple((name, value) if name == _PERMISSIONS_POLICY else (name, old) for name, old in added)
        headers.extend(added)
    else:
        _set_headers(message, scope, hsts, policy)
    preferences = scope.get("state", {}).get("preferences")
    if preferences is not None:
        for name, value in preferences.changed.items():
            message["headers"].append(
                (b"set-cookie", f"{name}={value}; Path=/; Max-Age={PREFERENCE_MAX_AGE}; SameSite=Lax".encode("latin-1")))


def _set_headers(message: Message, scope: Scope, hsts: bool, policy: str | None) -> None:
    """The general case of add_headers (a header already there is replaced), through Litestar's header mapping."""
    headers = MutableScopeHeaders.from_message(message)
    is_admin = scope.get("path", "").startswith("/admin")
    headers["content-security-policy"] = ADMIN_CONTENT_SECURITY_POLICY if is_admin else CONTENT_SECURITY_POLICY
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    if policy:
        headers["permissions-policy"] = policy
    if hsts:
        headers[HSTS_HEADER[0]] = HSTS_HEADER[1]


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PATH_PREFIXES)


def error_response(request: Request, status_code: int, detail: str, extra: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    preferences_for(request.scope)
    if wants_json(request):
        return Response({"status_code": status_code, "detail": detail, **(extra or {})}, status_code=status_code,
                        headers=headers)
    return Template(
        template_name="error.html",
        context={"status_code": status_code, "detail": detail},
        status_code=status_code,
        headers=headers,
    )


def handle_domain_error(request: Request, error: DomainError) -> Response:
    waits = isinstance(error, TooManyRequests | ServiceUnavailable)
    headers = {"retry-after": str(error.retry_after)} if waits else None
    if error.status_code == 401 and not wants_json(request):
        return Response(content=b"", status_code=303, headers={"location": f"/login?next={request.url.path}"})
    return error_response(request, error.status_code, error.detail, dict(error.extra), headers)


def handle_validation_error(request: Request, error: ValidationException) -> Response:
    """400 naming each problem in the visitor's language, worded as the HTML forms word it (engagement.forms)."""
    struct_type = _body_struct(request)
    problems = []
    for item in error.extra or []:
        if isinstance(item, dict) and item.get("message"):
            key = item.get("key") or ""
            problems.append(validation_detail(item["message"], "" if key == "data" else key, struct_type))
    detail = "; ".join(problems) if problems else _("The request is not valid.")
    extra: dict[str, Any] = {"errors": error.extra or []}
    field = next((item.get("key") for item in error.extra or [] if isinstance(item, dict) and item.get("key")), None)
    if field and field != "data":
        extra["field"] = field
    return error_response(request, 400, detail, extra)


def _body_struct(request: Request) -> type | None:
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters.get("data")
    except (AttributeError, KeyError):  # not every connection has a route handler (e.g. a 404)
        return None
    if parameter is None:
        return None
    annotation = getattr(parameter, "type_", None) or parameter.annotation
    annotation = getattr(annotation, "__origin__", annotation) if hasattr(annotation, "__metadata__") else annotation
    return annotation if isinstance(annotation, type) else None


HTTP_DETAILS = {
    401: N_("Please log in."),
    403: N_("You may not open this page."),
    404: N_("The page or item was not found."),
    405: N_("This method is not allowed here."),
    413: N_("The upload is too large."),
    429: N_("Too many requests. Please try again later."),
}


def handle_http_error(request: Request, error: HTTPException) -> Response:
    status_code = error.status_code
    if status_code == 401 and not wants_json(request):
        return Response(content=b"", status_code=303, headers={"location": f"/login?next={request.url.path}"})
    message = HTTP_DETAILS.get(status_code)
    preferences_for(request.scope)
    detail = _(message) if message and (status_code >= 404 or not error.detail) else error.detail
    headers = {k: v for k, v in (error.headers or {}).items()}
    if status_code == 429:  # engagement.ratelimit says when its window ends; any other 429: a window
        headers.setdefault("retry-after", str(RATE_LIMIT_WINDOW_SECONDS))
    return error_response(request, status_code, detail or _("Something went wrong."), None, headers)


def handle_server_error(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    preferences_for(request.scope)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, _("Something went wrong on our side. Please try again later."))


def handle_service_unavailable(request: Request, error: Exception) -> Response:
    if isinstance(error, asyncpg.InterfaceError) and not any(word in str(error) for word in ("closed", "pool")):
        return handle_server_error(request, error)  # a misuse of the driver, not an outage
    log.warning("service unavailable on %s %s: %r", request.method, request.url.path, error)
    return handle_domain_error(request, ServiceUnavailable(
        _("The service is briefly unavailable. Please try again in a moment."), retry_after=RETRY_AFTER_SECONDS))


def handle_value_out_of_range(request: Request, error: Exception) -> Response:
    """A number (an id in a body, say) or a text the database cannot hold: bad input, not a server error."""
    log.info("value refused by the database on %s %s: %s", request.method, request.url.path, error)
    return error_response(request, 400, _("A value in the request is out of range or cannot be stored."))


EXCEPTION_HANDLERS = {
    DomainError: handle_domain_error,
    ValidationException: handle_validation_error,
    HTTPException: handle_http_error,
    HTTP_500_INTERNAL_SERVER_ERROR: handle_server_error,
    **dict.fromkeys(SERVICE_UNAVAILABLE_ERRORS, handle_service_unavailable),
    # PostgreSQL: a value outside a column's type (int4 ids, NUL in text); SQLite: past 64 bits.
    **dict.fromkeys(VALUE_OUT_OF_RANGE_ERRORS, handle_value_out_of_range),
}


def bearer_token(connection: ASGIConnection) -> str | None:
    value = connection.headers.get("authorization", "")
    scheme, _sep, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def current_staff(connection: ASGIConnection) -> Staff | None:
    """The staff member behind the bearer token or, on the website, the session cookie."""
    state = connection.scope.setdefault("state", {})
    if "staff" not in state:
        token = bearer_token(connection)
        # The API authenticates by bearer token only, so cookies (and CSRF) never matter there.
        if token is None and not is_api_path(connection.scope) and "session" in connection.scope:
            token = (connection.session or {}).get("staff_token")
        state["staff"] = await staff_for_token(token) if token else None
    return state["staff"]


def is_api_path(scope: Scope) -> bool:
    """Whether the request goes to the JSON API, judged on the path as routing and the CSRF exclusions see it.

    That is the decoded, normalised path (``/%61pi//v1`` is routed to ``/api/v1``), rebuilt from ``raw_path``
    because mounted apps such as /admin see a shortened ``scope["path"]``.
    """
    raw = scope.get("raw_path")
    path = unquote(raw.decode("latin-1")) if raw else scope.get("root_path", "") + scope.get("path", "")
    return f"{normalize_path(path)}/".startswith("/api/")


def staff_guard(*roles: str):
    """A guard admitting logged-in staff with one of ``roles`` (any role when none given)."""

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        require_role(await current_staff(connection), *roles)

    return guard


async def provide_staff(request: Request) -> Staff:
    return require_role(await current_staff(request))


async def provide_citizen(request: Request) -> VerifiedCitizen:
    """The verified citizen behind a write: a citizen token, or ``phone`` + ``code`` in the body."""
    token = bearer_token(request)
    if token:
        return citizen_from_token(token)
    body = await _body_fields(request)
    if not body.get("phone") and not body.get("code"):
        raise NotAuthenticated(_("Please verify your mobile phone number first."))
    return await verify_code(body.get("phone"), body.get("code"))


async def _body_fields(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return dict(await request.form())
    try:
        body = await request.json()
    except (ValueError, SerializationException):
        return {}
    return body if isinstance(body, dict) else {}


def client_address(request: Request) -> str:
    """The client address; the ASGI server already trusts forwarded headers only from configured proxies."""
    return request.client.host if request.client else "unknown"


# --- load shedding -----------------------------------------------------------

SHED_RETRY_AFTER_SECONDS = 2
_SHED_HTML = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>服务繁忙 · Busy</title></head>'
    "<body><h1>服务繁忙</h1><p>访问的人太多，请稍后再试。</p>"
    '<p lang="en">Too many visitors at once. Please try again in a moment.</p></body></html>'
).encode()
_SHED_JSON = json.dumps(
    {"status_code": 503, "detail": "服务繁忙，请稍后再试。 Too busy, please try again in a moment."}, ensure_ascii=False
).encode()


class InFlight:
    """The number of HTTP requests in progress in this process (one for all routes' middleware stacks)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0


class ShedLoad:
    """Outermost middleware: beyond ``gate.limit`` requests in progress in this process, answer 503 at once.

    A burst beyond capacity would otherwise queue without bound inside the process (every request
    holding memory and, soon, a database connection) until clients time out: a hang for everyone.
    Refusing costs about as much as the bare framework's "ok", so the process keeps answering.
    Websockets are not counted (they live for hours; ``WebsocketsPerAddress`` limits them).
    Litestar builds one middleware stack per route, hence the shared ``gate``.
    """

    def __init__(self, app: Any, gate: InFlight) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        gate = self.gate
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if gate.count >= gate.limit:
            await self._refuse(scope, send)
            return
        gate.count += 1
        try:
            await self.app(scope, receive, send)
        finally:
            gate.count -= 1

    @staticmethod
    async def _refuse(scope: Scope, send: Any) -> None:
        is_json = scope.get("path", "").startswith(JSON_PATH_PREFIXES)
        body = _SHED_JSON if is_json else _SHED_HTML
        content_type = b"application/json" if is_json else b"text/html; charset=utf-8"
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                   (b"retry-after", str(SHED_RETRY_AFTER_SECONDS).encode()), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
