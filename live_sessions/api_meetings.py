"""JSON API of an open meeting's outcome: the decisions taken (hosts, admins)."""

from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from engagement.accounts import Staff
from engagement.permissions import guard
from live_sessions import schemas, services_meetings
from live_sessions.schemas_meetings import DecisionsRequest


@post("/api/v1/live-sessions/{session_id:int}/decisions", status_code=HTTP_200_OK, guards=[guard("meeting.publish_outcome")],
      tags=("open meetings",), summary="Publish the decisions taken at an open meeting (once it has begun)")
async def publish_decisions(session_id: FromPath[int], staff: NamedDependency[Staff],
                            data: JSONBody[DecisionsRequest]) -> schemas.SessionRead:
    return schemas.session_read(await services_meetings.publish_decisions(staff, session_id, data.decisions))


ROUTE_HANDLERS = [publish_decisions]
