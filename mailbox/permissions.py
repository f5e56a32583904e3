"""Who may do what with a letter: one table, denying anything it does not name.

The mayor's office routes letters: administrators and staff of the office department
(``OFFICE_SLUG``). A department sees, answers, transfers back, annotates and publishes only
the letters routed to it. Used by the services' loader and by the templates (to show buttons).
"""

from __future__ import annotations

from collections.abc import Callable

from engagement.accounts import Staff

OFFICE_SLUG = "szfbgt"
STAFF_ROLES = ("admin", "editor")


def is_office(staff: Staff) -> bool:
    return staff.is_admin or (staff.role == "editor" and staff.department_slug == OFFICE_SLUG)


def _responsible(staff: Staff, department_id: int | None) -> bool:
    return staff.role in STAFF_ROLES and staff.can_act_for(department_id)


def _view(staff: Staff, department_id: int | None) -> bool:
    return is_office(staff) or _responsible(staff, department_id)


RULES: dict[str, Callable[[Staff, int | None], bool]] = {
    "view": _view,
    "note": _view,
    "assign": lambda staff, _department_id: is_office(staff),
    "reply": _responsible,
    "transfer": _responsible,
    "publish": _view,
    "close": _view,
}


def allowed(staff: Staff | None, action: str, department_id: int | None) -> bool:
    """True only when a rule names ``action`` and admits ``staff`` for a letter of ``department_id``."""
    rule = RULES.get(action)
    return bool(staff is not None and rule is not None and rule(staff, department_id))


def actions_for(staff: Staff, department_id: int | None) -> set[str]:
    return {action for action in RULES if allowed(staff, action, department_id)}
