"""Staff accounts: departments, argon2 passwords, login tokens, role and department checks."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engagement.crypto import random_token, sha256_hex
from engagement.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from engagement.i18n import _
from engagement.prepared import prepared
from engagement.settings import get_settings
from engagement.tables import Department, Role, StaffToken, StaffUser

API_TOKEN_TTL_SECONDS = 12 * 3600
SESSION_TOKEN_TTL_SECONDS = 8 * 3600
STAFF_TOKEN_PREFIX = "stf_"
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MIN_PASSWORD_LENGTH = 8


@cache
def _hasher() -> PasswordHasher:
    if get_settings().password_hash_profile == "test":
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # argon2id's minimum; tests only
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both paths take the same time."""
    return _hasher().hash("not-a-real-password")


@dataclass(frozen=True)
class Staff:
    """The acting staff member, as handlers and services see them."""

    id: int
    username: str
    display_name: str
    role: str
    department_id: int | None
    department_slug: str | None
    department_is_desk: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin.value

    def can_act_for(self, department_id: int | None) -> bool:
        """Admins act for every department; editors only for their own."""
        return self.is_admin or (department_id is not None and department_id == self.department_id)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


async def create_department(slug: str, name: str, description: str = "", receiving_desk: bool = False) -> Department:
    """``receiving_desk``: this department receives and routes the letters written to the mayor (at most one)."""
    slug = slug.strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise InvalidInput(_("The slug may use lower-case letters, digits and hyphens (2-63 characters)."))
    if not name.strip():
        raise InvalidInput(_("The department needs a name."))
    if await Department.exists().where(Department.slug == slug):
        raise Conflict(_("A department with this slug already exists."))
    department = Department(slug=slug, name=name.strip(), description=description)
    await department.save()
    if receiving_desk:
        await mark_receiving_desk(slug)
    return department


async def mark_receiving_desk(slug: str | None) -> None:
    """Make ``slug`` the receiving desk (None: no desk; administrators then route letters to the mayor)."""
    from engagement.db import write_transaction

    async with write_transaction(Department._meta.db):
        if slug is not None and not await Department.exists().where(Department.slug == slug):
            raise NotFound(_("No department with this slug."))
        await Department.update({Department.is_receiving_desk: False}).where(Department.is_receiving_desk == True)  # noqa: E712
        if slug is not None:
            await Department.update({Department.is_receiving_desk: True}).where(Department.slug == slug)


async def receiving_desk() -> dict | None:
    return await Department.select(Department.id, Department.slug, Department.name).where(
        Department.is_receiving_desk == True  # noqa: E712
    ).first()


async def create_staff(
    username: str, password: str, role: str, department_slug: str | None = None, display_name: str = ""
) -> StaffUser:
    username = username.strip()
    if not username or len(username) > 100:
        raise InvalidInput(_("The username is required (at most 100 characters)."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("The password needs at least 8 characters."))
    if role not in {r.value for r in Role}:
        raise InvalidInput(_("The role must be admin, editor or host."))
    department = None
    if department_slug:
        department = await Department.objects().get(Department.slug == department_slug)
        if department is None:
            raise NotFound(_("No department with this slug."))
    if role == Role.editor.value and department is None:
        raise InvalidInput(_("An editor belongs to a department: give --department."))
    if await StaffUser.exists().where(StaffUser.username == username):
        raise Conflict(_("This username is taken."))
    user = StaffUser(
        username=username,
        password_hash=hash_password(password),
        display_name=display_name or username,
        role=role,
        department=department.id if department else None,
    )
    await user.save()
    return user


async def authenticate(username: str, password: str) -> StaffUser:
    user = await StaffUser.objects().get((StaffUser.username == username) & (StaffUser.is_active == True))  # noqa: E712
    stored = user.password_hash if user else _dummy_hash()
    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated(_("Wrong username or password.")) from None
    if user is None:
        raise NotAuthenticated(_("Wrong username or password."))
    updates = {StaffUser.last_login_at: _now_datetime()}
    if _hasher().check_needs_rehash(stored):
        updates[StaffUser.password_hash] = hash_password(password)
    await StaffUser.update(updates).where(StaffUser.id == user.id)
    return user


def _now_datetime():
    from datetime import datetime

    return datetime.now(UTC)


async def issue_token(user_id: int, kind: str = "api") -> str:
    token = random_token(STAFF_TOKEN_PREFIX)
    ttl = API_TOKEN_TTL_SECONDS if kind == "api" else SESSION_TOKEN_TTL_SECONDS
    now = time.time()
    await StaffToken.insert(
        StaffToken(token_hash=sha256_hex(token), staff=user_id, kind=kind, created_at=now, expires_at=now + ttl)
    )
    return token


async def revoke_token(token: str) -> None:
    await StaffToken.delete().where(StaffToken.token_hash == sha256_hex(token))


# Every staff request (the API's bearer token, the back office's session) looks its token up: built once.
_STAFF_OF_TOKEN = prepared(lambda p: StaffToken.select(
    StaffToken.staff.id,
    StaffToken.staff.username,
    StaffToken.staff.display_name,
    StaffToken.staff.role,
    StaffToken.staff.department.id,
    StaffToken.staff.department.slug,
    StaffToken.staff.department.is_receiving_desk,
    StaffToken.staff.is_active,
).where((StaffToken.token_hash == p.token_hash) & (StaffToken.expires_at > p.now)).first())


async def staff_for_token(token: str) -> Staff | None:
    if not token.startswith(STAFF_TOKEN_PREFIX):
        return None
    row = await _STAFF_OF_TOKEN.run(token_hash=sha256_hex(token), now=time.time())
    if row is None or not row["staff.is_active"]:
        return None
    return Staff(
        id=row["staff.id"],
        username=row["staff.username"],
        display_name=row["staff.display_name"],
        role=row["staff.role"],
        department_id=row["staff.department.id"],
        department_slug=row["staff.department.slug"],
        department_is_desk=bool(row["staff.department.is_receiving_desk"]),
    )


def require_role(staff: Staff | None, *roles: str) -> Staff:
    """Logged-in staff with one of ``roles``. Actions name a permission instead (engagement.permissions)."""
    if staff is None:
        raise NotAuthenticated(_("Please log in."))
    if roles and staff.role not in roles:
        raise Forbidden(_("Your account may not do this."))
    return staff

