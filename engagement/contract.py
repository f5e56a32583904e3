"""The API contract kept once for every module: ids within range, and every error status documented.

- Ids: every ``{...:int}`` path parameter names a row of a Piccolo ``Serial`` (or foreign key)
  column, a 32-bit ``integer`` on PostgreSQL; a value outside 1..2**31-1 cannot exist, so it is
  answered 404 before a query overflows (PostgreSQL refuses it, SQLite past 2**63). Whole-number
  query parameters (ids to filter by, pages, offsets) beyond that range are a 400 naming the field.
- Errors: :func:`document_errors` walks the built application's route handlers and documents, with
  the one error body (:class:`ErrorBody`), each status a handler can answer from what it declares:
  guards or the ``staff``/``citizen`` dependency (401, 403), path parameters or required query
  parameters (404), a body or parameters (400), a body (413), a write method (409), the API's rate
  limit (429). Statuses a handler documents itself keep their description.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
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
}


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
    statuses = _error_statuses(handler, route) | {code for code in own if 400 <= code < 500}
    responses = {code: spec for code, spec in own.items() if not 400 <= code < 500}
    for code in sorted(statuses):
        description = own[code].description if code in own else ERROR_DESCRIPTIONS[code]
        responses[code] = ResponseSpec(data_container=ErrorBody, description=description, generate_examples=False)
    return responses


def _error_statuses(handler: HTTPRouteHandler, route: HTTPRoute) -> set[int]:
    parameters = handler.parsed_fn_signature.parameters
    dependencies = set(handler.resolve_dependencies())
    path_parameters = set(route.path_parameters)
    query = {name: p for name, p in parameters.items()
             if name not in dependencies | path_parameters | NOT_QUERY_PARAMETERS}
    statuses: set[int] = set()
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
