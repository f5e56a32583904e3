"""JSON API of issues (DESIGN section 4, "TV questioning and open meetings"): parse, call the service, answer.

Error statuses are documented on every operation by ``engagement.contract.document_errors``
(401/403 from the guards and identities, 404 from the ids, 400 from bodies and parameters, 409
from writes); the services raise the domain errors that the core maps to them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from engagement.accounts import Staff
from engagement.permissions import guard
from engagement.verification import VerifiedCitizen
from live_sessions import schemas_issues as schemas
from live_sessions import schemas_rectifications, services, services_issues
from live_sessions.tables import IssueState

MODERATE = [guard("issue.moderate")]
SELECT = [guard("issue.select")]
ON_AIR = [guard("issue.on_air")]
Limit = Annotated[int, Parameter(ge=1, le=100)]
Offset = Annotated[int, Parameter(ge=0, le=100_000)]
Sort = Literal["supports", "newest", "status"]


class SessionIssueController(Controller):
    path = "/api/v1/live-sessions/{session_id:int}"
    tags = ("issues",)

    @post("/issues", status_code=HTTP_201_CREATED,
          summary="Propose an issue (citizen token, or phone + code); it waits for a host")
    async def propose(self, session_id: FromPath[int], citizen: NamedDependency[VerifiedCitizen],
                      data: JSONBody[schemas.IssueCreate], channels: NamedDependency[ChannelsPlugin]) -> schemas.IssueCreated:
        row = await services_issues.propose_issue(
            session_id, citizen, title=data.title, content=data.content, location=data.location or "",
            category=data.category or "", name=data.name or "", notify=data.notify, publisher=channels)
        return schemas.IssueCreated(id=row["id"], status=row["state"], session_id=session_id)

    @get("/issues", summary="Public issues (approved, selected, merged) with support counts")
    async def list(self, session_id: FromPath[int], sort: FromQuery[Sort] = "supports", limit: Limit = 50,
                   offset: Offset = 0) -> schemas.IssueList:
        rows, total = await services_issues.public_issues(session_id, sort, limit, offset)
        current = (await services.get_session(session_id))["current_issue_id"]
        return schemas.IssueList(items=[schemas.issue_public(row, current) for row in rows], total=total)

    @get("/issues/similar", summary="Published issues similar to a text being written (Chinese keywords)")
    async def similar(self, session_id: FromPath[int],
                      q: Annotated[str, Parameter(max_length=services_issues.MAX_ISSUE_CONTENT)] = "") -> schemas.IssueList:
        rows = await services_issues.similar_issues(session_id, q)
        return schemas.IssueList(items=[schemas.issue_public(row) for row in rows], total=len(rows))

    @get("/issues/queue", guards=MODERATE, summary="Issues by state for triage (hosts, admins)")
    async def queue(self, session_id: FromPath[int], staff: NamedDependency[Staff],
                    status: FromQuery[IssueState] = IssueState.pending, limit: Limit = 100,
                    offset: Offset = 0) -> schemas.IssueStaffList:
        rows, total = await services_issues.triage_queue(staff, session_id, status, limit, offset)
        return schemas.IssueStaffList(items=[schemas.issue_staff(row) for row in rows], total=total)

    @post("/issues/order", status_code=HTTP_200_OK, guards=SELECT,
          summary="Set the running order of the selected issues (all of them, first on air first)")
    async def reorder(self, session_id: FromPath[int], staff: NamedDependency[Staff],
                      data: JSONBody[schemas.ReorderRequest], channels: NamedDependency[ChannelsPlugin]) -> schemas.IssueList:
        rows = await services_issues.reorder_issues(session_id, staff, data.ids, channels)
        current = (await services.get_session(session_id))["current_issue_id"]
        return schemas.IssueList(items=[schemas.issue_public(row, current) for row in rows], total=len(rows))

    @post("/on-air", status_code=HTTP_200_OK, guards=ON_AIR, summary="Mark the selected issue on air now (live)")
    async def on_air(self, session_id: FromPath[int], staff: NamedDependency[Staff],
                     data: JSONBody[schemas.OnAirRequest], channels: NamedDependency[ChannelsPlugin]) -> schemas.IssueStaff:
        row = await services_issues.put_on_air(session_id, data.issue_id, staff, channels)
        return schemas.issue_staff(row)


class IssueController(Controller):
    path = "/api/v1/issues"
    tags = ("issues",)

    @get("/{issue_id:int}", summary="One public issue; a merged one names the issue it went into")
    async def detail(self, issue_id: FromPath[int]) -> schemas.IssueDetail:
        row = await services_issues.issue_detail(issue_id)
        current = (await services.get_session(row["session"]))["current_issue_id"]
        return schemas.issue_detail(row, current, await schemas_rectifications.rectification_of(issue_id))

    @post("/{issue_id:int}/moderate", status_code=HTTP_200_OK, guards=MODERATE,
          summary="Approve or reject (the reason is sent to the proposer)")
    async def moderate(self, issue_id: FromPath[int], staff: NamedDependency[Staff],
                       data: JSONBody[schemas.IssueModerate], channels: NamedDependency[ChannelsPlugin]) -> schemas.IssueStaff:
        row = await services_issues.moderate_issue(issue_id, staff, data.action, data.reason or "", channels)
        return schemas.issue_staff(row)

    @post("/{issue_id:int}/support", status_code=HTTP_200_OK, summary="Support an issue (one per phone)")
    async def support(self, issue_id: FromPath[int], citizen: NamedDependency[VerifiedCitizen],
                      channels: NamedDependency[ChannelsPlugin],
                      data: JSONBody[schemas.SupportRequest | None] = None) -> schemas.SupportResult:
        counted, count = await services_issues.support_issue(issue_id, citizen, bool(data and data.notify), channels)
        return schemas.SupportResult(support_count=count, counted=counted)

    @post("/{issue_id:int}/merge", status_code=HTTP_200_OK, guards=MODERATE,
          summary="Merge a duplicate into another issue; answers the target")
    async def merge(self, issue_id: FromPath[int], staff: NamedDependency[Staff], data: JSONBody[schemas.MergeRequest],
                    channels: NamedDependency[ChannelsPlugin]) -> schemas.IssueStaff:
        return schemas.issue_staff(await services_issues.merge_issue(issue_id, data.into, staff, channels))

    @post("/{issue_id:int}/select", status_code=HTTP_200_OK, guards=SELECT,
          summary="Select for the programme or agenda, with a public note and a running order")
    async def select(self, issue_id: FromPath[int], staff: NamedDependency[Staff], data: JSONBody[schemas.SelectRequest],
                     channels: NamedDependency[ChannelsPlugin]) -> schemas.IssueStaff:
        row = await services_issues.select_issue(issue_id, staff, data.note, data.running_order, channels)
        return schemas.issue_staff(row)

    @post("/{issue_id:int}/unselect", status_code=HTTP_200_OK, guards=SELECT, summary="Withdraw a selection")
    async def unselect(self, issue_id: FromPath[int], staff: NamedDependency[Staff],
                       channels: NamedDependency[ChannelsPlugin]) -> schemas.IssueStaff:
        return schemas.issue_staff(await services_issues.unselect_issue(issue_id, staff, channels))

    @post("/{issue_id:int}/on-air-answer", status_code=HTTP_200_OK, guards=ON_AIR,
          summary="Record the official's answer on the programme")
    async def on_air_answer(self, issue_id: FromPath[int], staff: NamedDependency[Staff],
                            data: JSONBody[schemas.OnAirAnswerRequest],
                            channels: NamedDependency[ChannelsPlugin]) -> schemas.IssueStaff:
        row = await services_issues.record_on_air_answer(issue_id, staff, data.answer, data.answered_by, channels)
        return schemas.issue_staff(row)


ROUTES = [SessionIssueController, IssueController]
