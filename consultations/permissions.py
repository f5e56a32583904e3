"""Who may do what in consultations: named permissions, denied unless listed here.

Every staff action names one permission. ``allowed`` answers for templates (show or hide a
button); ``require`` is what services call, raising Forbidden. Department scoping: editors act
only for their own department, admins for every department (``Staff.can_act_for``).
"""

from __future__ import annotations

from engagement.accounts import Staff
from engagement.errors import Forbidden
from engagement.i18n import _

ADMIN_ONLY = frozenset({"admin"})
DEPARTMENT_STAFF = frozenset({"admin", "editor"})

# permission -> roles that hold it; a permission not listed is denied to everyone.
PERMISSIONS: dict[str, frozenset[str]] = {
    "consultation.view_staff": DEPARTMENT_STAFF,
    "consultation.create": DEPARTMENT_STAFF,
    "consultation.edit": DEPARTMENT_STAFF,
    "consultation.publish": DEPARTMENT_STAFF,
    "consultation.close": DEPARTMENT_STAFF,
    "consultation.extend": DEPARTMENT_STAFF,
    "consultation.conclude": DEPARTMENT_STAFF,
    "consultation.export": DEPARTMENT_STAFF,
    "opinion.review": DEPARTMENT_STAFF,
    "opinion.moderate": DEPARTMENT_STAFF,
    "topic.manage": ADMIN_ONLY,
}

# Roles let through the route guards of the module's staff routes.
STAFF_ROLES = tuple(sorted(DEPARTMENT_STAFF))


def allowed(staff: Staff | None, permission: str, department_id: int | None = None) -> bool:
    if staff is None:
        return False
    roles = PERMISSIONS.get(permission)
    if roles is None or staff.role not in roles:
        return False
    if permission == "topic.manage":
        return True
    return staff.can_act_for(department_id)


def require(staff: Staff, permission: str, department_id: int | None = None) -> None:
    if allowed(staff, permission, department_id):
        return
    roles = PERMISSIONS.get(permission)
    if roles is None or staff.role not in roles:
        raise Forbidden(_("Your account may not do this."))
    raise Forbidden(_("This belongs to another department."))
