"""HTML pages of statistics: the public /statistics page, a published report, the staff dashboard.

Readable without JavaScript: filters are a GET form, charts are inline SVG drawn on the server
(analytics/charts.py), each with a table of the same figures. Handlers call the services and
render; the report forms are parsed into the API's request struct (engagement.forms.parse_form).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from analytics import dashboard, labels, memo, reports, services, views
from analytics.filters import Filters, resolve
from analytics.schemas import ReportCreate
from engagement.errors import DomainError, InvalidInput
from engagement.forms import parse_form
from engagement.i18n import DEFAULT_LANGUAGE, _, current_language
from engagement.permissions import guard
from engagement.prepared import prepared
from engagement.tables import Department
from engagement.web import client_address, current_staff, preferences_for

INDEX = "/statistics"
CONTENT_TEMPLATE = "analytics/_statistics_content.html"
# The page's figures and its body drawn from them, while the facts are unchanged (analytics/memo.py).
PAGE_MEMO = memo.Memo()
PAGE_SECTIONS = {"adoption": ("department", "month"), "mailbox": ("department", "month"),
                 "rectifications": ("department",), "events": ("kind",)}


def _elder(request: Request) -> bool:
    return preferences_for(request.scope).elder


def _date(value: str | None, label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("%(field)s must be a date (YYYY-MM-DD).") % {"field": label}) from None


def _date_text(value: str | None) -> str:
    """A typed date to show again in its <input type=date> (which accepts only a valid one)."""
    try:
        return date.fromisoformat(value).isoformat() if value else ""
    except ValueError:
        return ""


async def _filters(period_start: str | None, period_end: str | None, department: str | None) -> Filters:
    return await resolve(_date(period_start, _("From")), _date(period_end, _("To")), department or None)


async def _figures(filters: Filters) -> dict[str, dict[str, Any]]:
    wanted = {dataset: list(groupings) for dataset, groupings in PAGE_SECTIONS.items()}
    return msgspec.to_builtins(await services.figures_of_many(wanted, filters))


_ALL_DEPARTMENTS = prepared(lambda p: Department.select(Department.id, Department.slug, Department.name)
                            .order_by(Department.sort_order).order_by(Department.id))


async def _departments() -> list[dict[str, Any]]:
    """Every department in order: the form's choices, and the names of the figures' groups."""
    return await _ALL_DEPARTMENTS.run()


@get(INDEX, name="statistics", include_in_schema=False)
async def statistics_page(request: Request, period_start: FromQuery[str | None] = None,
                          period_end: FromQuery[str | None] = None,
                          department: FromQuery[str | None] = None) -> Template:
    """The figures, and the page's body drawn from them, come from ``PAGE_MEMO`` while the facts are unchanged:
    then a render costs the surrounding layout only."""
    elder, language = _elder(request), current_language.get()
    key, version = (period_start, period_end, department, language), await PAGE_MEMO.version()
    shown = await PAGE_MEMO.get(key, lambda: _page_figures(period_start, period_end, department), version)
    content = await PAGE_MEMO.get((*key, elder), lambda: _page_content(request, shown, elder, {
        "period_start": _date_text(period_start), "period_end": _date_text(period_end),
        "department": department or ""}), version)
    return Template("analytics/statistics.html", context={"content": content}, status_code=shown["status"])


async def _page_figures(period_start: str | None, period_end: str | None, department: str | None) -> dict[str, Any]:
    """Everything the page shows that depends on the records and the language, not on elder mode."""
    error, status = None, 200
    try:
        filters = await _filters(period_start, period_end, department)
    except InvalidInput as refused:  # shown beside the form; the figures fall back to no filter
        error, status, filters = refused.detail, 400, Filters()
    departments = await _departments()
    with labels.departments_known(departments):
        figures = await _figures(filters)
    return {"filters": filters, "error": error, "status": status, "figures": figures,
            "departments": departments, "headline": views.headline(figures),
            "definitions": views.definitions(), "reports": await reports.latest_published(),
            "query": _export_query(filters)}


async def _page_content(request: Request, shown: dict[str, Any], elder: bool, form: dict[str, str]) -> Markup:
    """The body of the page (analytics/_statistics_content.html): everything below the site's header."""
    context = {**shown, "form": form, "sections": views.sections(shown["figures"], elder)}
    return Markup(request.app.template_engine.get_template(CONTENT_TEMPLATE).render(**context))


def _export_query(filters: Filters) -> str:
    parts = [f"{name}={value}" for name, value in (("period_start", filters.period_start),
                                                   ("period_end", filters.period_end),
                                                   ("department", filters.department)) if value]
    return "".join(f"&{part}" for part in parts)


@get(f"{INDEX}/reports/{{report_id:int}}", name="statistics-report", include_in_schema=False)
async def report_page(request: Request, report_id: FromPath[int]) -> Template:
    staff = await current_staff(request)
    report = await reports.get_report(staff, report_id)
    context = {"report": report, "sections": views.sections(report.figures, _elder(request)),
               "headline": views.headline(report.figures), "definitions": views.definitions(_texts(report)),
               "may_publish": await reports.may_publish(staff, report_id) if staff else False}
    return Template("analytics/report.html", context=context)


def _texts(report: reports.ReportRead) -> dict[str, dict[str, str]]:
    """The report's frozen definitions in the current language (else the default one)."""
    language = current_language.get()
    return {dataset: {field: texts.get(language) or texts.get(DEFAULT_LANGUAGE, "") for field, texts in fields.items()}
            for dataset, fields in report.definitions.items()}


# ---------- staff ----------

STAFF_INDEX = "/staff/statistics"


def _of_department(report: Any, slug: str, staff: Any) -> bool:
    """The department's reports, and (for administrators) the site-wide ones."""
    return report.department.slug == slug if report.department else staff.is_admin


def _table(title: str, data: Any, fields: list[str]) -> views.Table:
    plain = msgspec.to_builtins(data)
    return views.table(title, plain["items"], fields, plain["total"])


async def _dashboard_context(request: Request, department: str | None, **extra: Any) -> dict[str, Any]:
    staff = await current_staff(request)
    board = await dashboard.department_dashboard(staff, department)
    listed = await reports.list_reports(staff, 1, 50)
    mine = [item for item in listed.items if _of_department(item, board.department["slug"], staff)]
    return {"staff": staff, "board": board, "reports": mine, "form": {}, "error": None,
            "adoption_table": _table(_("Adoption by consultation"), board.adoption,
                                     ["opinions", "decided", "adopted", "not_adopted", "adoption_rate"]),
            "mailbox_table": _table(_("Letters this year by month"), board.mailbox,
                                    ["letters", "replied", "on_time", "overdue", "on_time_rate", "satisfaction",
                                     "median_reply_working_days"]),
            **extra}


@get(STAFF_INDEX, name="statistics-dashboard", guards=[guard("statistics.dashboard")], include_in_schema=False)
async def staff_dashboard(request: Request, department: FromQuery[str | None] = None) -> Template:
    return Template("analytics/staff_dashboard.html", context=await _dashboard_context(request, department))


@post(f"{STAFF_INDEX}/reports", guards=[guard("statistics.report.create")], include_in_schema=False)
async def create_report(request: Request) -> Response:
    form = dict(await request.form())
    staff = await current_staff(request)
    try:
        data = parse_form(ReportCreate, {key: value for key, value in form.items() if key != "_csrf_token"})
        report = await reports.create_report(staff, data.title, data.period_start, data.period_end, data.department,
                                             client_address(request))
    except DomainError as error:
        context = await _dashboard_context(request, form.get("board_department") or None, error=error.detail,
                                           form=form)
        return Template("analytics/staff_dashboard.html", context=context, status_code=error.status_code)
    return Redirect(path=f"{INDEX}/reports/{report.id}", status_code=303)


@post(f"{STAFF_INDEX}/reports/{{report_id:int}}/publish", guards=[guard("statistics.report.publish")],
      include_in_schema=False)
async def publish_report(request: Request, report_id: FromPath[int]) -> Response:
    await reports.publish_report(await current_staff(request), report_id, client_address(request))
    return Redirect(path=f"{INDEX}/reports/{report_id}", status_code=303)


PUBLIC_PAGES = [INDEX, f"{INDEX}/reports/{{report_id:int}}"]
ROUTE_HANDLERS = [statistics_page, report_page, staff_dashboard, create_report, publish_report]
