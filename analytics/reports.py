"""Published statistics reports (月点评、季通报): computed once, frozen, then published.

``create_report`` computes every table for the period (adoption by department, topic,
consultation and month; the mailbox by department and month; events by kind for a site-wide
report), stores them as JSON with the definitions of every figure as written that day, and a
SHA-256 of the canonical JSON of what it stored. Nothing recomputes a report afterwards, so later
decisions, replies or corrections never change it; ``export_report(..., "json")`` gives the very
bytes that were hashed, so anyone can check a download with ``sha256sum``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

import msgspec

from analytics import exports
from analytics.definitions import frozen_definitions
from analytics.filters import Filters, resolve
from analytics.schemas import (
    ADOPTION_GROUPINGS,
    MAILBOX_GROUPINGS,
    RECTIFICATION_GROUPINGS,
    DepartmentRef,
    ReportList,
    ReportRead,
    ReportSummary,
)
from analytics.services import compute_many
from analytics.tables import Report, ReportStatus
from analytics.workflows import REPORT
from engagement import clock, permissions
from engagement.accounts import Staff
from engagement.db import unit_of_work
from engagement.errors import InvalidInput, NotFound
from engagement.i18n import DEFAULT_LANGUAGE, _, current_language
from engagement.prepared import prepared

MAX_PER_PAGE = 100
REPORT_FORMATS = ("csv", "xlsx", "json")
MAX_PERIOD_DAYS = 366 * 5


async def create_report(staff: Staff, title: str, period_start: date, period_end: date,
                        department: str | None = None, client_address: str = "") -> ReportRead:
    """A draft report with frozen figures (admin, or an editor for their own department)."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("The report needs a title."))
    filters = await resolve(period_start, period_end, department or None)
    if (period_end - period_start).days > MAX_PERIOD_DAYS:
        raise InvalidInput(_("A report covers at most five years."))
    permissions.require(staff, "statistics.report.create", filters.department_id)
    figures = await _frozen_figures(filters)
    definitions = frozen_definitions()
    digest = hashlib.sha256(canonical(filters.period_start, filters.period_end, filters.department, figures,
                                      definitions)).hexdigest()
    async with unit_of_work():
        inserted = await Report.insert(Report(
            title=title[:200], period_start=period_start, period_end=period_end, department=filters.department_id,
            department_slug=filters.department or "", department_label=filters.department_name, status=ReportStatus.draft.value, figures=figures,
            definitions=definitions, data_sha256=digest, created_by=staff.id,
        )).returning(Report.id)
        report_id = inserted[0]["id"]
        await REPORT.record("create", report_id, "", actor=staff, client_address=client_address,
                            detail={"data_sha256": digest})
    return await get_report(staff, report_id)


async def _frozen_figures(filters: Filters) -> dict[str, Any]:
    figures = {"adoption": await _plain("adoption", ADOPTION_GROUPINGS, filters),
               "mailbox": await _plain("mailbox", MAILBOX_GROUPINGS, filters),
               "rectifications": await _plain("rectifications", RECTIFICATION_GROUPINGS, filters)}
    if filters.department_id is None:  # live sessions belong to no department
        figures["events"] = await _plain("events", ("kind",), filters)
    return figures


async def _plain(dataset: str, groupings: tuple[str, ...], filters: Filters) -> dict[str, Any]:
    tables = msgspec.to_builtins(await compute_many(dataset, list(groupings), filters))
    for data in tables.values():
        data.pop("scope", None)
    return tables


def canonical(period_start: date, period_end: date, department: str | None, figures: dict[str, Any],
              definitions: dict[str, Any]) -> bytes:
    """The hashed bytes: sorted keys, no spaces, UTF-8 (docs/analytics.md, "Reports")."""
    payload = {"period_start": period_start.isoformat(), "period_end": period_end.isoformat(),
               "department": department, "figures": figures, "definitions": definitions}
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def publish_report(staff: Staff, report_id: int, client_address: str = "") -> ReportRead:
    await REPORT.apply("publish", report_id, actor=staff, values={Report.published_at: clock.now()},
                       client_address=client_address)
    return await get_report(staff, report_id)


# ---------- reads ----------

_COLUMNS = Report.all_columns()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _visible_to(staff: Staff | None, row: dict[str, Any]) -> bool:
    return row["status"] == ReportStatus.published or permissions.allowed(
        staff, "statistics.report.view_draft", row["department"])


async def _row(staff: Staff | None, report_id: int) -> dict[str, Any]:
    row = await Report.select(*_COLUMNS).where(Report.id == report_id).first()
    if row is None or not _visible_to(staff, row):  # a draft is not found by anyone who may not see it
        raise NotFound(_("The statistics report was not found."))
    return row


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    department = DepartmentRef(slug=row["department_slug"], name=row["department_label"]) \
        if row["department_slug"] else None
    return {"id": row["id"], "title": row["title"], "status": row["status"], "period_start": row["period_start"],
            "period_end": row["period_end"], "department": department, "data_sha256": row["data_sha256"],
            "created_at": clock.aware(row["created_at"]), "published_at": clock.aware(row["published_at"])}


async def get_report(staff: Staff | None, report_id: int) -> ReportRead:
    row = await _row(staff, report_id)
    return ReportRead(**_summary(row), figures=_json(row["figures"]), definitions=_json(row["definitions"]))


async def may_publish(staff: Staff | None, report_id: int) -> bool:
    """For the page's button: the same answer ``publish_report`` gives (one query)."""
    row = await Report.select(Report.status, Report.department).where(Report.id == report_id).first()
    return row is not None and row["status"] == ReportStatus.draft and permissions.allowed(
        staff, "statistics.report.publish", row["department"])


async def list_reports(staff: Staff | None, page: int = 1, per_page: int = 20) -> ReportList:
    """Published reports, newest period first, and the drafts ``staff`` may see: two queries."""
    page, per_page = max(1, page), max(1, min(MAX_PER_PAGE, per_page))
    where = Report.status == ReportStatus.published.value
    if staff is not None and staff.is_admin:
        where = where | (Report.status == ReportStatus.draft.value)
    elif staff is not None and permissions.allowed(staff, "statistics.report.view_draft", staff.department_id):
        where = where | ((Report.status == ReportStatus.draft.value) & (Report.department == staff.department_id))
    rows = await Report.select(*_SUMMARY_COLUMNS).where(where).order_by(Report.period_end, ascending=False) \
        .order_by(Report.id, ascending=False).limit(per_page).offset((page - 1) * per_page)
    total = await Report.count().where(where)
    return ReportList(items=[ReportSummary(**_summary(row)) for row in rows], total=total, page=page,
                      per_page=per_page)


_SUMMARY_COLUMNS = [column for column in _COLUMNS if column._meta.name not in ("figures", "definitions")]
PUBLISHED_ON_PAGE = 20
_LATEST_PUBLISHED = prepared(lambda p: Report.select(*_SUMMARY_COLUMNS).where(
    Report.status == ReportStatus.published.value).order_by(Report.period_end, ascending=False)
    .order_by(Report.id, ascending=False).limit(PUBLISHED_ON_PAGE))


async def latest_published() -> list[ReportSummary]:
    """The items of ``list_reports(None, 1, 20)`` (the public page's list) in one query, without the total."""
    return [ReportSummary(**_summary(row)) for row in await _LATEST_PUBLISHED.run()]


async def export_report(staff: Staff | None, report_id: int, fmt: str) -> tuple[bytes, str, str]:
    """(content, filename, media type) of a report as frozen: CSV (long format), XLSX or the hashed JSON."""
    if fmt not in REPORT_FORMATS:
        raise InvalidInput(_("The format must be csv, xlsx or json."))
    report = await get_report(staff, report_id)
    name = f"statistics-report-{report.id}"
    if fmt == "json":
        department = report.department.slug if report.department else None
        content = canonical(report.period_start, report.period_end, department, report.figures, report.definitions)
        return content, f"{name}.json", "application/json"
    if fmt == "csv":
        return exports.to_csv(_long_rows(report)), f"{name}.csv", exports.MEDIA_TYPES["csv"]
    sheets = {"report": _about_rows(report)}
    for dataset, groupings in report.figures.items():
        for by, data in groupings.items():
            sheets[f"{dataset}-{by}"] = exports.table(dataset, data)
    sheets[exports.definitions_sheet_name()] = _definition_rows(report)
    return exports.to_xlsx(sheets), f"{name}.xlsx", exports.MEDIA_TYPES["xlsx"]


def _long_rows(report: ReportRead) -> list[list[Any]]:
    """One line per figure: dataset, grouping, group key and name, figure, value (every table in one file)."""
    rows: list[list[Any]] = [["dataset", "by", "key", "label", "figure", "value"]]
    for dataset, groupings in report.figures.items():
        for by, data in groupings.items():
            for item in [*data["items"], data["total"]]:
                for figure, value in item.items():
                    if figure not in ("key", "label"):
                        rows.append([dataset, by, item["key"], exports.safe_cell(item["label"]), figure,
                                     exports.plain(value)])
    return rows


def _definition_rows(report: ReportRead) -> list[list[Any]]:
    """The definitions frozen with the report, in the current language (else the default one)."""
    language = current_language.get()
    rows: list[list[Any]] = [["dataset", "field", _("Definition")]]
    for dataset, fields in report.definitions.items():
        for field, texts in fields.items():
            rows.append([dataset, field, exports.safe_cell(texts.get(language) or texts.get(DEFAULT_LANGUAGE, ""))])
    return rows


def _about_rows(report: ReportRead) -> list[list[Any]]:
    return [[_("Field"), _("Value")], ["title", exports.safe_cell(report.title)],
            ["period_start", report.period_start.isoformat()], ["period_end", report.period_end.isoformat()],
            ["department", report.department.name if report.department else _("All departments")],
            ["status", report.status], ["published_at", report.published_at.isoformat() if report.published_at else ""],
            ["data_sha256", report.data_sha256]]
