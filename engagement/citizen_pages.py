"""Citizen identity on pages: the verified session, the SMS widget's fallback, the form draft.

A citizen proves their phone once per session; every module's form then accepts them without a
new code until the verification expires (30 minutes):

    citizen = await form_citizen(request, data)        # phone + code in the form, else the session
    context = {**page_identity(request, "/mailbox"), ...}   # verified?, the draft typed before "Get code"

Without JavaScript the widget's "Get code" button posts the whole form to ``POST /verify/code``
(``send_code_and_return``) with ``return_to`` = the form's page: the code is sent, what the citizen
typed is kept in the session, and the browser returns to the form, filled in again, with the notice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request

from engagement import verification
from engagement.errors import DomainError, NotAuthenticated
from engagement.i18n import _
from engagement.sessions import renew_session_id
from engagement.verification import VerifiedCitizen

SESSION_TOKEN_KEY = "citizen_token"
DRAFT_KEY = "form_draft"
NEVER_KEPT = frozenset({"code", "_csrf_token", "return_to", "password"})
MAX_DRAFT_VALUE = 20_000


def _session(request: Request) -> dict[str, Any] | None:
    return request.session if "session" in request.scope else None


def page_citizen(request: Request) -> VerifiedCitizen | None:
    """The citizen verified earlier in this browser session, while the verification lasts."""
    session = _session(request)
    token = session.get(SESSION_TOKEN_KEY) if session else None
    if not token:
        return None
    try:
        return verification.citizen_from_token(token)
    except NotAuthenticated:
        return None


def remember_citizen(request: Request, citizen: VerifiedCitizen) -> None:
    request.session[SESSION_TOKEN_KEY] = verification.issue_citizen_token(citizen)
    renew_session_id(request)  # an id planted before the verification does not become a verified one


async def form_citizen(request: Request, data: Mapping[str, Any]) -> VerifiedCitizen:
    """phone + code from the form (then remembered), else the session's verification, else 401."""
    if data.get("phone") or data.get("code"):
        citizen = await verification.verify_code(data.get("phone"), data.get("code"))
        remember_citizen(request, citizen)
        return citizen
    citizen = page_citizen(request)
    if citizen is None:
        raise NotAuthenticated(_("Please verify your mobile phone number first."))
    return citizen


def page_identity(request: Request, page: str | None = None) -> dict[str, Any]:
    """Template context for a form page: ``verified``, and the draft kept by the widget's fallback.

    Keys: ``verified`` (bool), ``form`` (the fields typed before "Get code"), ``phone``,
    ``sms_notice`` / ``sms_error``. The draft is shown once, on the page it was typed on.
    """
    page = page or request.url.path
    session = _session(request)
    draft = session.get(DRAFT_KEY) if session else None
    context: dict[str, Any] = {"verified": page_citizen(request) is not None, "form": {}, "phone": ""}
    if draft and draft.get("page") == page:
        session.pop(DRAFT_KEY, None)
        fields = draft.get("fields", {})
        context.update(form=fields, phone=fields.get("phone", ""), sms_notice=draft.get("notice"),
                       sms_error=draft.get("error"))
    return context


def safe_return_path(target: object) -> str | None:
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


async def send_code_and_return(request: Request, data: Mapping[str, Any], return_to: str, client_address: str) -> str:
    """Send a code for the form's phone, keep the draft, and give the URL to go back to."""
    fields = {key: str(value)[:MAX_DRAFT_VALUE] for key, value in data.items()
              if key not in NEVER_KEPT and isinstance(value, str)}
    draft: dict[str, Any] = {"page": return_to.split("?")[0].split("#")[0], "fields": fields}
    try:
        await verification.request_code(data.get("phone", ""), client_address)
        draft["notice"] = _("The code has been sent.")
    except DomainError as error:
        draft["error"] = error.detail
    request.session[DRAFT_KEY] = draft
    return return_to
