"""JSON API of open-meeting registrations (DESIGN section 4): register, look up, cancel, answer an offer, check in."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from engagement.accounts import Staff
from engagement.permissions import guard
from engagement.verification import VerifiedCitizen
from live_sessions import services_registrations as registrations
from live_sessions.schemas_registrations import (
    CheckInRequest,
    CheckInResult,
    CitizenAction,
    RegistrationCreate,
    RegistrationCreated,
    RegistrationList,
    RegistrationStatus,
    Seats,
    check_in_result,
    pool_counts,
    registration_staff,
    registration_status,
)
from live_sessions.tables import RegistrationState

CHECK_IN = [guard("registration.check_in")]
VIEW = [guard("registration.view")]
Limit = Annotated[int, Parameter(ge=1, le=200)]
Offset = Annotated[int, Parameter(ge=0, le=100_000)]
CodeInPath = Annotated[str, Parameter(max_length=40)]


class MeetingRegistrationController(Controller):
    path = "/api/v1/live-sessions/{session_id:int}"
    tags = ("open meetings",)

    @post("/registrations", status_code=HTTP_201_CREATED,
          summary="Register for an open meeting (citizen token, or phone + code); one per phone")
    async def register(self, session_id: FromPath[int], citizen: NamedDependency[VerifiedCitizen],
                       data: JSONBody[RegistrationCreate]) -> RegistrationCreated:
        row, code = await registrations.register(session_id, citizen, name=data.name, category=data.category or "",
                                                 organization=data.organization or "", topic=data.topic or "")
        return RegistrationCreated(status=row["state"], registration_code=code, session_id=session_id,
                                   waitlist_position=await registrations.waitlist_position(row))

    @get("/registrations", guards=VIEW, summary="Registrations of a meeting, names masked, with counts (staff)")
    async def list(self, session_id: FromPath[int], staff: NamedDependency[Staff],
                   status: FromQuery[RegistrationState | None] = None, limit: Limit = 50,
                   offset: Offset = 0) -> RegistrationList:
        rows, total = await registrations.list_registrations(staff, session_id, status.value if status else None,
                                                             limit, offset)
        counts = await registrations.registration_counts(session_id)
        return RegistrationList(items=[registration_staff(row) for row in rows], total=total,
                                counts=pool_counts(counts))

    @get("/seats", summary="Seats of an open meeting per quota, and how many are taken")
    async def seats(self, session_id: FromPath[int]) -> Seats:
        session = await registrations.open_meeting(session_id)
        return Seats(session_id=session_id, allocation=session["allocation"], capacity=session["capacity"] or 0,
                     pools=pool_counts(await registrations.registration_counts(session_id, session)))

    @post("/check-in", status_code=HTTP_200_OK, guards=CHECK_IN,
          summary="Check a registration code in at the door (hosts, admins)")
    async def check_in(self, session_id: FromPath[int], staff: NamedDependency[Staff],
                       data: JSONBody[CheckInRequest]) -> CheckInResult:
        return check_in_result(await registrations.check_in(session_id, data.registration_code, staff))


class RegistrationController(Controller):
    """The registration code is the secret: whoever holds it may read the state; changes need the same phone."""

    path = "/api/v1/registrations/{registration_code:str}"
    tags = ("open meetings",)

    @get("/", summary="A registration's state, by its code")
    async def detail(self, registration_code: CodeInPath) -> RegistrationStatus:
        row = await registrations.registration_by_code(registration_code)
        return registration_status(row, await registrations.waitlist_position(row))

    @post("/cancel", status_code=HTTP_200_OK, summary="Cancel (the same phone); a freed seat is offered on")
    async def cancel(self, registration_code: CodeInPath, citizen: NamedDependency[VerifiedCitizen],
                     data: JSONBody[CitizenAction | None] = None) -> RegistrationStatus:
        return registration_status(await registrations.cancel(registration_code, citizen), None)

    @post("/accept", status_code=HTTP_200_OK, summary="Accept an offered seat before its deadline (the same phone)")
    async def accept(self, registration_code: CodeInPath, citizen: NamedDependency[VerifiedCitizen],
                     data: JSONBody[CitizenAction | None] = None) -> RegistrationStatus:
        return registration_status(await registrations.accept_offer(registration_code, citizen), None)

    @post("/decline", status_code=HTTP_200_OK, summary="Decline an offered seat (the same phone)")
    async def decline(self, registration_code: CodeInPath, citizen: NamedDependency[VerifiedCitizen],
                      data: JSONBody[CitizenAction | None] = None) -> RegistrationStatus:
        return registration_status(await registrations.decline_offer(registration_code, citizen), None)


ROUTE_HANDLERS = [MeetingRegistrationController, RegistrationController]
