"""piccolo-admin at /admin: back-office CRUD for administrators (departments, staff, words, notices)."""

from __future__ import annotations

from urllib.parse import urlparse

from litestar import asgi
from litestar.connection import ASGIConnection
from litestar.types import Receive, Scope, Send
from piccolo.apps.user.tables import BaseUser
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.session_auth.tables import SessionsBase

from engagement.admin_audit import AUDIT_LOG_VALIDATORS, STAFF_HOOKS, STAFF_VALIDATORS
from engagement.settings import Settings
from engagement.tables import AuditEntry, CalendarDay, Department, Notice, SensitiveWord, StaffUser
from engagement.web import current_staff


def build_admin_app(settings: Settings):
    tables = [
        TableConfig(Department, menu_group="Organisation"),
        TableConfig(
            StaffUser,
            menu_group="Organisation",
            exclude_visible_columns=[StaffUser.password_hash, StaffUser.phone_encrypted],
            hooks=STAFF_HOOKS,
            validators=STAFF_VALIDATORS,
        ),
        TableConfig(CalendarDay, menu_group="Organisation"),
        TableConfig(SensitiveWord, menu_group="Moderation"),
        TableConfig(Notice, menu_group="Site"),
        TableConfig(AuditEntry, menu_group="Audit", validators=AUDIT_LOG_VALIDATORS),
    ]
    return create_admin(
        tables=tables,
        auth_table=BaseUser,
        session_table=SessionsBase,
        site_name=f"{settings.site_name} 管理后台",
        production=settings.is_production,
        allowed_hosts=[urlparse(origin).hostname or origin for origin in settings.allowed_origins],
    )


def admin_mount(settings: Settings):
    admin_app = build_admin_app(settings)

    @asgi("/admin", is_mount=True, copy_scope=True, include_in_schema=False)
    async def admin(scope: Scope, receive: Receive, send: Send) -> None:
        staff = await current_staff(ASGIConnection(scope, receive=receive, send=send))
        if staff is None or not staff.is_admin:
            await send({"type": "http.response.start", "status": 303, "headers": [(b"location", b"/login?next=/admin/")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await admin_app(scope, receive, send)

    return admin
