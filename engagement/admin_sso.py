"""Single sign-on into piccolo-admin for administrators.

piccolo-admin authenticates against Piccolo's own user and session tables.
Administrators never get a password there: when one logs in to the site, a
matching piccolo user (with an unusable random password) and a piccolo session
are created, and its cookie is scoped to /admin. The browser never sends that cookie
to /logout, so the site session remembers the piccolo session's token and logout
deletes it on the server.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from litestar import Request, Response
from litestar.datastructures import Cookie
from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase

from engagement.settings import get_settings
from engagement.tables import StaffUser

ADMIN_COOKIE = "id"  # the name piccolo_api's session middleware reads
ADMIN_SESSION_HOURS = 8
SESSION_KEY = "admin_session_token"  # in the site session


async def _piccolo_user_id(user: StaffUser) -> int:
    existing = await BaseUser.select(BaseUser.id).where(BaseUser.username == user.username).first()
    if existing:
        await BaseUser.update({BaseUser.active: True, BaseUser.admin: True}).where(BaseUser.id == existing["id"])
        return existing["id"]
    created = await BaseUser.create_user(
        username=user.username,
        password=secrets.token_urlsafe(32),
        admin=True,
        superuser=True,
        active=True,
    )
    return created.id


async def start_admin_session(request: Request, user: StaffUser, response: Response) -> None:
    # piccolo_api's session table stores naive local times.
    expires = datetime.now() + timedelta(hours=ADMIN_SESSION_HOURS)
    session = await SessionsBase.create_session(
        user_id=await _piccolo_user_id(user), expiry_date=expires, max_expiry_date=expires
    )
    request.session[SESSION_KEY] = session.token
    response.set_cookie(
        Cookie(
            key=ADMIN_COOKIE,
            value=session.token,
            path="/admin",
            httponly=True,
            samesite="strict",
            secure=get_settings().is_production,
            max_age=ADMIN_SESSION_HOURS * 3600,
        )
    )


async def end_admin_session(request: Request, response: Response | None = None) -> None:
    """Call before the site session is cleared: its remembered token is the one ended."""
    session = request.scope.get("session")
    tokens = {session.get(SESSION_KEY) if isinstance(session, dict) else None, request.cookies.get(ADMIN_COOKIE)}
    for token in tokens - {None, ""}:
        await SessionsBase.remove_session(token=token)
    if response is not None:
        response.delete_cookie(ADMIN_COOKIE, path="/admin")


async def revoke_admin_access(username: str) -> None:
    """Called when an account stops being an administrator."""
    await BaseUser.update({BaseUser.active: False, BaseUser.admin: False}).where(BaseUser.username == username)
