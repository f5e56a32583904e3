"""Who may do what in live sessions. Deny by default: an action not listed here is refused.

Used by the API guards, the page handlers and the templates (to show or hide buttons).
"""

from __future__ import annotations

from engagement.accounts import Staff
from engagement.errors import Forbidden, NotAuthenticated
from engagement.i18n import _

# action -> roles allowed. Hosts and administrators run sessions; editors do not.
RULES: dict[str, frozenset[str]] = {
    "create_session": frozenset({"host", "admin"}),
    "run_session": frozenset({"host", "admin"}),  # start, end, remarks
    "moderate_questions": frozenset({"host", "admin"}),  # approve, reject, edit, answer, mark answered
    "read_queue": frozenset({"host", "admin"}),
    "edit_transcript": frozenset({"host", "admin"}),  # assemble, edit entries, publish, read the draft
    "moderate_comments": frozenset({"host", "admin"}),
}

STAFF_ROLES = tuple(sorted(set().union(*RULES.values())))


def can(staff: Staff | None, action: str) -> bool:
    return staff is not None and staff.role in RULES.get(action, frozenset())


def require(staff: Staff | None, action: str) -> Staff:
    if staff is None:
        raise NotAuthenticated(_("Please log in."))
    if not can(staff, action):
        raise Forbidden(_("Only hosts and administrators may do this."))
    return staff
