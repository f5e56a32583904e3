"""Named permissions, denied unless declared: one API for guards, services and templates.

Each module declares its permissions in its manifest:

    permissions=[
        Permission("letter.reply", roles=DEPARTMENT_STAFF),               # editors of the row's department
        Permission("letter.assign", roles=DEPARTMENT_STAFF, rule=is_receiving_desk),
        Permission("session.run", roles=HOSTS, scope=GLOBAL),             # no department
    ]

and asks, with the department of the object at hand:

    permissions.require(staff, "letter.reply", letter["department"])   # services: 401/403
    permissions.allowed(staff, "letter.reply", letter["department"])   # templates: show the button
    guards=[permissions.guard("letter.reply")]                          # routes: role check

Scopes: ``department`` (the default) admits administrators for every department and other roles only
for their own; ``global`` ignores departments; a ``rule`` replaces the department check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from engagement.accounts import Staff
from engagement.errors import Forbidden, NotAuthenticated
from engagement.i18n import _

DEPARTMENT, GLOBAL = "department", "global"
ADMINS = frozenset({"admin"})
DEPARTMENT_STAFF = frozenset({"admin", "editor"})
HOSTS = frozenset({"admin", "host"})

Rule = Callable[[Staff, int | None], bool]


@dataclass(frozen=True)
class Permission:
    name: str
    roles: frozenset[str]
    scope: str = DEPARTMENT
    rule: Rule | None = None

    def admits(self, staff: Staff, department_id: int | None) -> bool:
        if staff.role not in self.roles:
            return False
        if self.rule is not None:
            return self.rule(staff, department_id)
        return self.scope == GLOBAL or staff.can_act_for(department_id)


def is_receiving_desk(staff: Staff, _department_id: int | None = None) -> bool:
    """Administrators, and editors of the department marked as the receiving desk (the mayor's office)."""
    return staff.is_admin or (staff.role == "editor" and staff.department_is_desk)


def desk_or_department(staff: Staff, department_id: int | None) -> bool:
    return is_receiving_desk(staff) or staff.can_act_for(department_id)


@lru_cache(maxsize=1)
def registry() -> dict[str, Permission]:
    from engagement.modules import manifests

    declared: dict[str, Permission] = {}
    for manifest in manifests():
        for permission in manifest.permissions:
            if permission.name in declared:
                raise ValueError(f"permission {permission.name!r} declared twice")
            declared[permission.name] = permission
    return declared


def get(name: str) -> Permission | None:
    return registry().get(name)


def allowed(staff: Staff | None, name: str, department_id: int | None = None) -> bool:
    permission = get(name)
    return staff is not None and permission is not None and permission.admits(staff, department_id)


def require(staff: Staff | None, name: str, department_id: int | None = None) -> Staff:
    """``staff`` when allowed; 401 for nobody, 403 otherwise (naming why, where it helps)."""
    if staff is None:
        raise NotAuthenticated(_("Please log in."))
    permission = get(name)
    if permission is None or staff.role not in permission.roles:
        raise Forbidden(_("Your account may not do this."))
    if not permission.admits(staff, department_id):
        raise Forbidden(_("This belongs to another department."))
    return staff


def roles_for(names: Iterable[str]) -> frozenset[str]:
    found = [get(name) for name in names]
    if any(permission is None for permission in found):
        raise KeyError(f"undeclared permission among {list(names)}")
    return frozenset().union(*(permission.roles for permission in found if permission))


def guard(*names: str):
    """A route guard: logged-in staff whose role holds one of the permissions (departments: in the service)."""

    async def check(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        from engagement.web import current_staff

        staff = await current_staff(connection)
        if staff is None:
            raise NotAuthenticated(_("Please log in."))
        if staff.role not in roles_for(names):
            raise Forbidden(_("Your account may not do this."))

    check.permissions = names  # type: ignore[attr-defined]  # read by the roles × routes test
    return check
