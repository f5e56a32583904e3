"""JSON API of the core: health, SMS verification, staff login, departments."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from engagement import accounts, audit, logins, verification
from engagement.accounts import Staff
from engagement.contract import ErrorBody
from engagement.phones import mask_e164
from engagement.schemas import (
    CitizenRead,
    CitizenToken,
    DepartmentList,
    DepartmentRead,
    Health,
    LoginRequest,
    LoginResult,
    SmsCodeRequest,
    SmsCodeSent,
    StaffRead,
    StatusMessage,
    VerifyRequest,
)
from engagement.tables import Department
from engagement.verification import VerifiedCitizen
from engagement.web import bearer_token, client_address, staff_guard

VERSION = "0.1.0"


@get("/healthz", tags=["core"], summary="Liveness and database check")
async def healthz() -> Health:
    await Department.count()
    return Health(status="ok", database="ok", version=VERSION)


class SmsController(Controller):
    path = "/api/v1/sms"
    tags = ("verification",)

    @post("/codes", status_code=HTTP_202_ACCEPTED, summary="Send a verification code by SMS")
    async def request_code(self, request: Request, data: JSONBody[SmsCodeRequest]) -> SmsCodeSent:
        sent = await verification.request_code(data.phone, client_address(request))
        return SmsCodeSent(expires_in=sent.expires_in, resend_after=sent.resend_after)

    @post("/verify", status_code=HTTP_200_OK, summary="Exchange a code for a citizen token")
    async def verify(self, data: JSONBody[VerifyRequest]) -> CitizenToken:
        citizen = await verification.verify_code(data.phone, data.code)
        return CitizenToken(
            citizen_token=verification.issue_citizen_token(citizen),
            expires_in=verification.CITIZEN_TOKEN_TTL_SECONDS,
        )


@get("/api/v1/citizen", tags=["verification"], summary="Who a citizen token (or phone + code) stands for")
async def verified_citizen(citizen: NamedDependency[VerifiedCitizen]) -> CitizenRead:
    return CitizenRead(phone=mask_e164(await verification.citizen_phone(citizen.id)))


def staff_read(staff: Staff) -> StaffRead:
    return StaffRead(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,
        department=staff.department_slug,
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ("staff accounts",)

    @post("/login", status_code=HTTP_200_OK, summary="Log in; returns a bearer token", responses={
        401: ResponseSpec(data_container=ErrorBody, description="Wrong user name or password.")})
    async def login(self, request: Request, data: JSONBody[LoginRequest]) -> LoginResult:
        user = await logins.log_in(data.username, data.password, client_address(request), via="api")
        token = await accounts.issue_token(user.id, kind="api")
        staff = await accounts.staff_for_token(token)
        await audit.record(staff, "staff.login", "staff_user", staff.id, {"via": "api"}, client_address(request))
        return LoginResult(token=token, expires_in=accounts.API_TOKEN_TTL_SECONDS, staff=staff_read(staff))

    @post("/logout", status_code=HTTP_200_OK, guards=[staff_guard()], summary="Revoke the bearer token")
    async def logout(self, request: Request) -> StatusMessage:
        await accounts.revoke_token(bearer_token(request) or "")
        return StatusMessage(status="logged_out")

    @get("/me", guards=[staff_guard()], summary="The logged-in staff member")
    async def me(self, staff: NamedDependency[Staff]) -> StaffRead:
        return staff_read(staff)


@get("/api/v1/departments", tags=["departments"], summary="Departments, in display order")
async def list_departments() -> DepartmentList:
    rows = await Department.select(Department.slug, Department.name, Department.description).order_by(
        Department.sort_order
    ).order_by(Department.id)
    return DepartmentList(items=[DepartmentRead(**row) for row in rows], total=len(rows))

