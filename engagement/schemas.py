"""Request and response shapes of the core API (msgspec, so OpenAPI documents them)."""

from __future__ import annotations

from typing import Annotated

import msgspec

Phone = Annotated[str, msgspec.Meta(max_length=32, description="Mobile number; mainland numbers may omit +86.")]
Code = Annotated[str, msgspec.Meta(max_length=12, description="The six digits from the SMS.")]


class SmsCodeRequest(msgspec.Struct, forbid_unknown_fields=False):
    phone: Phone


class SmsCodeSent(msgspec.Struct):
    expires_in: int
    resend_after: int


class VerifyRequest(msgspec.Struct):
    phone: Phone
    code: Code


class CitizenToken(msgspec.Struct):
    citizen_token: str
    expires_in: int


class CitizenRead(msgspec.Struct):
    phone: str = msgspec.field(name="phone")  # masked, e.g. 138****8000


class LoginRequest(msgspec.Struct):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class StaffRead(msgspec.Struct):
    id: int
    username: str
    display_name: str
    role: str
    department: str | None


class LoginResult(msgspec.Struct):
    token: str
    expires_in: int
    staff: StaffRead


class StatusMessage(msgspec.Struct):
    status: str


class DepartmentRead(msgspec.Struct):
    slug: str
    name: str
    description: str


class DepartmentList(msgspec.Struct):
    items: list[DepartmentRead]
    total: int


class Health(msgspec.Struct):
    status: str
    database: str
    version: str


class OutboxMessage(msgspec.Struct):
    phone: str
    body: str
    sent_at: str
