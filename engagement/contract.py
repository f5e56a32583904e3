"""The API contract kept once for every module: ids within range, and every error status documented.

- Ids: every ``{...:int}`` path parameter names a row of a Piccolo ``Serial`` (or foreign key)
  column, a 32-bit ``integer`` on PostgreSQL; a value outside 1..2**31-1 cannot exist, so it is
  answered 404 before a query overflows (PostgreSQL refuses it, SQLite past 2**63). Whole-number
  query parameters (ids to filter by, pages, offsets) beyond that range are a 400 naming the field.
- Errors: :func:`document_errors` walks the built application's route handlers and documents, with
  the one error body (:class:`ErrorBody`), each status a handler can answer from what it declares:
  guards or the ``staff``/``citizen`` dependency (401, 403), path parameters or required query
  parameters (404), a body or parameters (400), a body (413), a write method (409), the API's rate
  limit (429), and on every operation 503 (the database or Redis is unavailable). Statuses a handler
  documents itself keep their description.
- The served document (:class:`ContractJsonRenderPlugin`) is tidied once for standard generators and
  fuzzers: each component's ``title`` is its (unique) component name (Litestar titles two
  ``DepartmentRef`` structs of different modules alike, and generators then drop both); every 429 and
  503 documents its ``Retry-After`` header; downloads document their media types (handlers declare
  them with ``opt=downloads(...)``; a ``File`` otherwise gets ``application/octet-stream``), and
  ``Last-Modified`` is an HTTP date, not an ISO date-time.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import HTTPRoute

from engagement.errors import InvalidInput, NotFound
from engagement.i18n import _

MAX_ID = 2**31 - 1
IDENTITY_DEPENDENCIES = {"staff", "citizen"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
NOT_QUERY_PARAMETERS = {"request", "data", "state", "scope", "headers", "cookies", "query", "body", "socket"}

ERROR_DESCRIPTIONS = {
    400: "Bad input: a missing or invalid field (named in `field` when there is one), or a malformed body.",
    401: "Not logged in, or the phone number is not verified (staff or citizen bearer token, or phone + code).",
    403: "Not allowed for this account, role or department.",
    404: "No such item (or not visible to this caller).",
    409: "The item is not in a state that allows this action, or the action was already done.",
    413: "The request body or upload is too large.",
    429: "Too many requests; the Retry-After header says how many seconds to wait.",
    503: "The database or another service is briefly unavailable; the Retry-After header says when to try again.",
}
RETRY_AFTER_STATUSES = ("429", "503")
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
DOWNLOAD_MEDIA_TYPES = "response_media_types"


class ErrorBody(msgspec.Struct, kw_only=True):
    """The error body every /api route answers (engagement/web.py)."""

    status_code: int
    detail: Annotated[str, msgspec.Meta(description="What went wrong, in the request's language.")]
    field: Annotated[str, msgspec.Meta(description="The offending field, for some 400 answers.")] | msgspec.UnsetType = (
        msgspec.UNSET
    )


def reject_ids_out_of_range(request: Request) -> None:
    for value in request.path_params.values():
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            raise NotFound(_("The page or item was not found."))
    for name in _whole_number_query_parameters(request.route_handler):
        digits = request.query_params.get(name, "").strip().lstrip("+-")
        # Checked on the digits: int() refuses more than 4,300 of them (a 500 otherwise).
        if digits.isascii() and digits.isdigit() and (len(digits) > 10 or int(digits) > MAX_ID):
            raise InvalidInput(_("%(field)s must be at most %(n)s.") % {"field": name, "n": MAX_ID}, field=name)


def _whole_number_query_parameters(handler: HTTPRouteHandler) -> tuple[str, ...]:
    """The query keys of ``handler``'s ``int`` parameters, worked out once per handler."""
    names = handler.opt.get("_int_query_parameters")
    if names is None:
        names = handler.opt["_int_query_parameters"] = tuple(
            getattr(parameter.kwarg_definition, "query", None) or name
            for name, parameter in handler.parsed_fn_signature.parameters.items()
            if parameter.annotation is int or (parameter.is_union and int in parameter.args)
        )
    return names


def document_errors(app: Litestar) -> None:
    """Give every documented operation its error responses (see the module docstring)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.include_in_schema:
                handler.responses = _responses(handler, route)


def _responses(handler: HTTPRouteHandler, route: HTTPRoute) -> dict[int, ResponseSpec]:
    own = dict(handler.responses or {})
    statuses = _error_statuses(handler, route) | {code for code in own if 400 <= code < 600}
    responses = {code: spec for code, spec in own.items() if not 400 <= code < 600}
    for code in sorted(statuses):  # 5xx too: they share the one error body
        description = own[code].description if code in own else ERROR_DESCRIPTIONS[code]
        responses[code] = ResponseSpec(data_container=ErrorBody, description=description, generate_examples=False)
    return responses


def _error_statuses(handler: HTTPRouteHandler, route: HTTPRoute) -> set[int]:
    parameters = handler.parsed_fn_signature.parameters
    dependencies = set(handler.resolve_dependencies())
    path_parameters = set(route.path_parameters)
    query = {name: p for name, p in parameters.items()
             if name not in dependencies | path_parameters | NOT_QUERY_PARAMETERS}
    statuses: set[int] = {503}
    if handler.resolve_guards() or IDENTITY_DEPENDENCIES & set(parameters):
        statuses |= {401, 403}
    if path_parameters or any(p.is_required for p in query.values()):
        statuses.add(404)
    if "data" in parameters:
        statuses |= {400, 413}
    if query or path_parameters or "citizen" in parameters:
        statuses.add(400)
    if handler.http_methods & WRITE_METHODS:
        statuses.add(409)
    if route.path.startswith("/api/"):
        statuses.add(429)
    return statuses


def downloads(*media_types: str) -> dict[str, Any]:
    """``opt=`` for a handler answering a file: the media types its 200 response can have.

    Client generators use the first type they know (JSON, text, ``application/octet-stream``), so a
    download of binary types only is documented with ``application/octet-stream`` first.
    """
    return {DOWNLOAD_MEDIA_TYPES: tuple(media_types)}


class ContractJsonRenderPlugin(JsonRenderPlugin):
    """``/schema/openapi.json``, tidied once for generators and fuzzers (see the module docstring)."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        if not openapi_schema.get("x-contract-tidied"):
            tidy_schema(openapi_schema, _download_types(request.app))
        return super().render(request, openapi_schema)


def tidy_schema(schema: dict[str, Any], download_types: dict[tuple[str, str], tuple[str, ...]]) -> None:
    """Change the schema document in place (it is built once per application and kept)."""
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        if isinstance(component, dict) and "title" in component:
            component["title"] = name
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _tidy_responses(operation["responses"], download_types.get((path, method)))
    schema["x-contract-tidied"] = True


def _tidy_responses(responses: dict[str, Any], media_types: tuple[str, ...] | None) -> None:
    for code in RETRY_AFTER_STATUSES:
        if code in responses:
            responses[code].setdefault("headers", {})["Retry-After"] = RETRY_AFTER_HEADER
    success = responses.get("200")
    if not success:
        return
    content = success.get("content", {})
    if media_types or "" in content:
        types = [full.split(";")[0].strip() for full in media_types or ()]
        if not any(kind == "application/json" or kind.startswith("text/") for kind in types):
            types.insert(0, "application/octet-stream")
        success["content"] = {kind: {"schema": {"type": "object"} if kind == "application/json"
                                     else {"type": "string", "format": "binary"}}
                              for kind in dict.fromkeys(types)}
    last_modified = success.get("headers", {}).get("last-modified", {}).get("schema")
    if last_modified:
        last_modified.pop("format", None)  # an HTTP date ("Wed, 02 Dec 2026 06:48:22 GMT")


def _download_types(app: Litestar) -> dict[tuple[str, str], tuple[str, ...]]:
    return {
        (route.path_format, method.lower()): handler.opt[DOWNLOAD_MEDIA_TYPES]
        for route in app.routes if isinstance(route, HTTPRoute)
        for handler in route.route_handlers if DOWNLOAD_MEDIA_TYPES in handler.opt
        for method in handler.http_methods
    }
