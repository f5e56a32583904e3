"""JSON API of rectification (DESIGN section 4, TV questioning): parse, call the service, answer.

Error statuses are documented on every operation by ``engagement.contract.document_errors`` (401/403
from the guards and the citizen identity, 404 from the ids, 400 from bodies and parameters, 409 from
writes); the services raise the domain errors the core maps to them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from engagement.accounts import Staff
from engagement.permissions import guard
from engagement.verification import VerifiedCitizen
from live_sessions import schemas_rectifications as schemas
from live_sessions import services_rectifications as rectifications

RECORD = [guard("rectification.record")]
REPORT = [guard("rectification.report")]
TAGS = ["rectifications"]
Limit = Annotated[int, Parameter(ge=1, le=100)]
Offset = Annotated[int, Parameter(ge=0, le=100_000)]
Status = Literal["in_progress", "completed", "overdue"]


async def _read(issue_id: int) -> schemas.RectificationRead:
    read = await schemas.rectification_of(issue_id)
    assert read is not None  # the service has just written it
    return read


@post("/api/v1/issues/{issue_id:int}/rectification", status_code=HTTP_201_CREATED, guards=RECORD, tags=TAGS,
      summary="Record the department's commitment and due date for a selected issue (hosts, admins)",
      description="Give `due_date` (a date already past is accepted: overdue at once) or `working_days` "
                  "(due on the N-th working day from today, holidays skipped, make-up working days counted).")
async def record_rectification(issue_id: FromPath[int], staff: NamedDependency[Staff],
                               data: JSONBody[schemas.RectificationCreate]) -> schemas.RectificationRead:
    await rectifications.record_rectification(staff, issue_id, department=data.department, commitment=data.commitment,
                                              due_date=data.due_date, working_days=data.working_days)
    return await _read(issue_id)


@post("/api/v1/issues/{issue_id:int}/progress", status_code=HTTP_201_CREATED, guards=REPORT, tags=TAGS,
      summary="Post a progress update (editors of the responsible department, admins)")
async def post_progress(issue_id: FromPath[int], staff: NamedDependency[Staff],
                        data: JSONBody[schemas.ProgressCreate]) -> schemas.RectificationRead:
    await rectifications.post_progress(staff, issue_id, data.content)
    return await _read(issue_id)


@post("/api/v1/issues/{issue_id:int}/complete", status_code=HTTP_200_OK, guards=REPORT, tags=TAGS,
      summary="Report the rectification completed; the proposer and followers are asked by SMS whether it is solved")
async def complete_rectification(request: Request, issue_id: FromPath[int], staff: NamedDependency[Staff],
                                 data: JSONBody[schemas.CompletionCreate]) -> schemas.RectificationRead:
    await rectifications.complete_rectification(staff, issue_id, data.content, site_url=str(request.base_url))
    return await _read(issue_id)


@post("/api/v1/issues/{issue_id:int}/confirmation", status_code=HTTP_200_OK, tags=TAGS,
      summary="Answer \"is it solved?\" (the proposer and supporters; citizen token, or phone + code)",
      description="One answer per citizen per completion (a second is 409). A majority of `false` among at "
                  "least 3 answers reopens the rectification.")
async def answer_confirmation(issue_id: FromPath[int], citizen: NamedDependency[VerifiedCitizen],
                              data: JSONBody[schemas.ConfirmationCreate]) -> schemas.RectificationRead:
    await rectifications.answer_confirmation(citizen, issue_id, data.solved)
    return await _read(issue_id)


@get("/api/v1/rectifications", tags=TAGS, summary="Rectifications of every programme (public), earliest due first")
async def list_rectifications(department: Annotated[str, Parameter(max_length=64)] = "",
                              overdue: FromQuery[bool | None] = None, status: FromQuery[Status | None] = None,
                              session_id: Annotated[int | None, QueryParameter(name="session", ge=1, le=2**31 - 1)] = None,
                              limit: Limit = 20, offset: Offset = 0) -> schemas.RectificationList:
    rows, total = await rectifications.list_rectifications(department=department or None, status=status,
                                                           overdue=overdue, session_id=session_id, limit=limit,
                                                           offset=offset)
    return schemas.RectificationList(items=[schemas.rectification_read(row) for row in rows], total=total)


ROUTE_HANDLERS = [record_rectification, post_progress, complete_rectification, answer_confirmation,
                  list_rectifications]
