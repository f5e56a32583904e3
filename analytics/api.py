"""JSON API of statistics (DESIGN §4): HTTP in, a service call, a read schema out.

Figures and published reports are public; the report routes for staff are guarded by their
permission (engagement.permissions.guard: the role) and checked again with the report's department.
Every figure's definition is its field description in the schema (analytics/definitions.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from analytics import exports, reports, services
from analytics.schemas import (
    ADOPTION_GROUPINGS,
    MAILBOX_GROUPINGS,
    RECTIFICATION_GROUPINGS,
    AdoptionStatistics,
    ErrorRead,
    EventStatistics,
    ExportFormat,
    MailboxStatistics,
    RectificationStatistics,
    ReportCreate,
    ReportList,
    ReportRead,
)
from engagement.accounts import Staff
from engagement.contract import downloads
from engagement.permissions import guard
from engagement.web import client_address, current_staff

PERIOD = "Beijing dates, both included; without a period the figures are today's."
Start = Annotated[date | None, QueryParameter(description=f"First day of the period. {PERIOD}")]
End = Annotated[date | None, QueryParameter(description=f"Last day of the period. {PERIOD}")]
DepartmentSlug = Annotated[str | None, QueryParameter(description="Only this department (slug).", max_length=64)]


def _grouping(choices: tuple[str, ...]) -> Any:
    return Annotated[str, QueryParameter(description=f"One of: {', '.join(choices)}. Anything else is a 400.",
                                         schema_extra={"enum": list(choices)}, max_length=40)]


AdoptionBy = _grouping(ADOPTION_GROUPINGS)
MailboxBy = _grouping(MAILBOX_GROUPINGS)
RectificationBy = _grouping(RECTIFICATION_GROUPINGS)
DatasetName = _grouping(("adoption", "mailbox", "events", "rectifications"))
ReportFormat = Annotated[str, QueryParameter(description="csv, xlsx or json.", max_length=10,
                                             schema_extra={"enum": list(reports.REPORT_FORMATS)})]


ERRORS = {400: "Bad input: an unknown grouping, dataset or format, a bad date or department.",
          401: "Not logged in.", 403: "Not allowed for this account or department.",
          404: "No such report (drafts are not found by those who may not see them).",
          409: "The report is already published."}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    return {code: ResponseSpec(data_container=ErrorRead, description=ERRORS[code]) for code in codes}


def file_response(content: bytes, filename: str, media_type: str) -> Response:
    return Response(content=content, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


class StatisticsController(Controller):
    path = "/api/v1/statistics"
    tags = ("statistics",)

    @get("/adoption", responses=errors(400), summary="Opinions received, decided and adopted, with 95% Wilson intervals")
    async def adoption(self, by: AdoptionBy = "department", period_start: Start = None,
                       period_end: End = None, department: DepartmentSlug = None) -> AdoptionStatistics:
        return await services.statistics("adoption", by, period_start, period_end, department)

    @get("/mailbox", responses=errors(400), summary="Letters, replies, replies on time, satisfaction and the median time to reply")
    async def mailbox(self, by: MailboxBy = "department", period_start: Start = None,
                      period_end: End = None, department: DepartmentSlug = None) -> MailboxStatistics:
        return await services.statistics("mailbox", by, period_start, period_end, department)

    @get("/events", responses=errors(400), summary="Live sessions per kind: questions, issues, rectifications, registrations (site-wide)")
    async def events(self, period_start: Start = None, period_end: End = None) -> EventStatistics:
        return await services.statistics("events", "kind", period_start, period_end)

    @get("/rectifications", responses=errors(400),
         summary="TV questioning's rectifications per department or month: on time, overdue, completed, confirmations")
    async def rectifications(self, by: RectificationBy = "department", period_start: Start = None,
                             period_end: End = None, department: DepartmentSlug = None) -> RectificationStatistics:
        return await services.statistics("rectifications", by, period_start, period_end, department)

    @get("/export", responses=errors(400), opt=downloads(*exports.MEDIA_TYPES.values()),
         summary="The rows of adoption, mailbox, events or rectifications as CSV (UTF-8 with BOM) or XLSX")
    async def export(self, dataset: DatasetName = "adoption",
                     by: FromQuery[str | None] = None, format: FromQuery[ExportFormat] = "csv",
                     period_start: Start = None, period_end: End = None,
                     department: DepartmentSlug = None) -> Response:
        by = services.check_grouping(dataset, by)
        statistics = await services.statistics(dataset, by, period_start, period_end, department)
        content, filename = exports.export(dataset, by, statistics, format)
        return file_response(content, filename, exports.MEDIA_TYPES[format])

    @get("/open-data", responses=errors(400), opt=downloads("application/zip"),
         summary="Every statistics table as CSV in one ZIP, with a README defining each field and SHA256SUMS")
    async def open_data(self, period_start: Start = None, period_end: End = None,
                        department: DepartmentSlug = None) -> Response:
        content = await services.open_data(period_start, period_end, department)
        return file_response(content, "statistics-open-data.zip", "application/zip")

    @get("/reports", responses=errors(400), summary="Published reports (and, for staff, the drafts of their department)")
    async def list_reports(self, request: Request, page: FromQuery[int] = 1,
                           per_page: FromQuery[int] = 20) -> ReportList:
        return await reports.list_reports(await current_staff(request), page, per_page)

    @get("/reports/{report_id:int}", responses=errors(404), summary="A report with its frozen figures and definitions")
    async def get_report(self, request: Request, report_id: FromPath[int]) -> ReportRead:
        return await reports.get_report(await current_staff(request), report_id)

    @get("/reports/{report_id:int}/export", responses=errors(400, 404),
         opt=downloads(*exports.MEDIA_TYPES.values(), "application/json"),
         summary="A report as frozen: CSV (one line per figure), XLSX, or the JSON whose SHA-256 is data_sha256")
    async def export_report(self, request: Request, report_id: FromPath[int],
                            format: ReportFormat = "csv") -> Response:
        return file_response(*await reports.export_report(await current_staff(request), report_id, format))

    @post("/reports", status_code=HTTP_201_CREATED, responses=errors(400, 401, 403), guards=[guard("statistics.report.create")], tags=["statistics (staff)"],
          summary="Compute and freeze a report for a period (admin, or an editor for their department)")
    async def create_report(self, request: Request, staff: NamedDependency[Staff],
                            data: JSONBody[ReportCreate]) -> ReportRead:
        return await reports.create_report(staff, data.title, data.period_start, data.period_end, data.department,
                                           client_address(request))

    @post("/reports/{report_id:int}/publish", status_code=HTTP_200_OK, responses=errors(401, 403, 404, 409), guards=[guard("statistics.report.publish")],
          tags=["statistics (staff)"], summary="Publish a draft report (it never changes afterwards)")
    async def publish_report(self, request: Request, staff: NamedDependency[Staff],
                             report_id: FromPath[int]) -> ReportRead:
        return await reports.publish_report(staff, report_id, client_address(request))


ROUTE_HANDLERS = [StatisticsController]
