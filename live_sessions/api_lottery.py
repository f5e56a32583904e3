"""JSON API of the seat lottery: the public record of a draw, and the draw itself (hosts, admins)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from engagement.accounts import Staff
from engagement.permissions import guard
from live_sessions import services_lottery
from live_sessions.schemas_lottery import DrawRecord, draw_record

DRAW = [guard("registration.draw")]


class DrawController(Controller):
    path = "/api/v1/live-sessions/{session_id:int}/draw"
    tags = ("open meetings",)

    @get("/", summary="The lottery's public record: commitment; after the draw the entrants, hash, seed, outcome")
    async def record(self, session_id: FromPath[int]) -> DrawRecord:
        return draw_record(await services_lottery.published_draw(session_id))

    @post("/", status_code=HTTP_200_OK, guards=DRAW,
          summary="Run the draw once registration has closed (hosts, admins); a second draw is 409")
    async def draw(self, session_id: FromPath[int], staff: NamedDependency[Staff]) -> DrawRecord:
        return draw_record(await services_lottery.draw(staff, session_id))


ROUTE_HANDLERS = [DrawController]
