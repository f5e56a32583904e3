"""What piccolo-admin may change in the core's tables, and the audit entries for what it changes there.

piccolo-admin 1.14 has a read-only switch for the whole admin only (``create_admin(read_only=True)``),
so the audit log is made read-only with PiccoloCRUD validators that refuse every write to it. Changes
to staff accounts are audited from PiccoloCRUD hooks, which run just before the write (pre_save,
pre_patch, pre_delete); PUT is refused for staff accounts because PiccoloCRUD runs no hook for it
(the admin's edit form sends PATCH).
"""

from __future__ import annotations

from typing import Any

from piccolo_api.crud.hooks import Hook, HookType
from piccolo_api.crud.validators import Validators
from starlette.exceptions import HTTPException
from starlette.requests import Request

from engagement import audit
from engagement.accounts import Staff
from engagement.admin_sso import revoke_admin_access
from engagement.i18n import N_, _
from engagement.tables import Role, StaffUser

AUDITED_STAFF_COLUMNS = ("username", "role", "department", "is_active")


def _refuse(message: str):
    def refuse(piccolo_crud: Any, request: Request) -> None:
        raise HTTPException(status_code=405, detail=_(message))

    return refuse


_refuse_audit_writes = [_refuse(N_("The audit log is read-only: its entries cannot be added, changed or deleted."))]
AUDIT_LOG_VALIDATORS = Validators(post_single=_refuse_audit_writes, put_single=_refuse_audit_writes,
                                  patch_single=_refuse_audit_writes, delete_single=_refuse_audit_writes,
                                  delete_all=_refuse_audit_writes)
STAFF_VALIDATORS = Validators(put_single=[_refuse(N_("Change staff accounts with the edit form (PATCH)."))])


async def _actor(request: Request) -> Staff | None:
    """The staff account behind the piccolo user (admin_sso gives both the same username)."""
    username = getattr(getattr(request.user, "user", None), "username", None)
    row = await StaffUser.select(StaffUser.id, StaffUser.username, StaffUser.display_name, StaffUser.role,
                                 StaffUser.department).where(StaffUser.username == username).first()
    if row is None:
        return None
    return Staff(id=row["id"], username=row["username"], display_name=row["display_name"], role=row["role"],
                 department_id=row["department"], department_slug=None)


async def _record(request: Request, action: str, target_id: object, detail: dict[str, Any]) -> None:
    detail = {**detail, "via": "admin"}
    await audit.record(await _actor(request), action, "staff_user", target_id, detail,
                       request.client.host if request.client else "")


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


async def staff_created(row: StaffUser, request: Request) -> StaffUser:
    await _record(request, "staff.create", "", {"username": row.username, "role": _plain(row.role),
                                                 "department": _plain(row.department)})
    return row


async def staff_patched(row_id: Any, values: dict[Any, Any], request: Request) -> dict[Any, Any]:
    new = {column._meta.name: _plain(value) for column, value in values.items()
           if column._meta.name in AUDITED_STAFF_COLUMNS}
    if not new:
        return values
    old = await StaffUser.select(*(getattr(StaffUser, name) for name in AUDITED_STAFF_COLUMNS)).where(
        StaffUser.id == row_id).first()
    changes = {name: {"from": old[name], "to": value} for name, value in new.items() if old and old[name] != value}
    if changes:
        await _record(request, "staff.role_change" if "role" in changes else "staff.change", row_id, changes)
    if "role" in changes and old["role"] == Role.admin.value:
        await revoke_admin_access(old["username"])
    return values


async def staff_deleted(row_id: Any, request: Request) -> None:
    old = await StaffUser.select(StaffUser.username, StaffUser.role).where(StaffUser.id == row_id).first()
    await _record(request, "staff.delete", row_id, dict(old or {}))
    if old and old["role"] == Role.admin.value:
        await revoke_admin_access(old["username"])


STAFF_HOOKS = [
    Hook(HookType.pre_save, staff_created),
    Hook(HookType.pre_patch, staff_patched),
    Hook(HookType.pre_delete, staff_deleted),
]
