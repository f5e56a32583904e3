"""Tables of analytics: the published statistics reports (月点评、季通报).

Everything else analytics shows is computed from the feature modules' tables and the core's
``workflow_event`` when asked; a report is the one thing it stores, frozen once computed.
"""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, Date, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from engagement.tables import Department, StaffUser


class ReportStatus(str, Enum):
    """analytics/workflows.py: REPORT."""

    draft = "draft"
    published = "published"


class Report(Table, tablename="statistics_report"):
    """A statistics report for a period: its figures computed once and never recomputed."""

    title = Varchar(length=200, help_text="e.g. 2026年3月市长信箱办理情况月点评.")
    period_start = Date(help_text="First day of the period (Beijing date).")
    period_end = Date(help_text="Last day of the period, included.")
    department = ForeignKey(references=Department, null=True, on_delete=OnDelete.set_null, index=True,
                            help_text="The department reported on; empty: every department.")
    department_slug = Varchar(length=64, default="", help_text="The department's slug when the report was made (hashed).")
    department_label = Varchar(length=200, default="", help_text="The department's name when the report was made.")
    status = Varchar(length=12, choices=ReportStatus, default=ReportStatus.draft.value, index=True,
                     help_text="draft (its department's staff) or published (public).")
    figures = JSON(default={}, help_text="The frozen figures: {dataset: {grouping: {items, total}}}.")
    definitions = JSON(default={}, help_text="The definition of every figure, as written when frozen.")
    data_sha256 = Varchar(length=64, help_text="SHA-256 of the canonical JSON of period, department, figures "
                                               "and definitions (docs/analytics.md), to verify a download.")
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)


class Snapshot(Table, tablename="statistics_snapshot"):
    """The unfiltered figures of one dataset and grouping, precomputed by ``analytics.refresh_statistics``.

    Served instead of computing while it is of today and either nothing changed since (``watermark``)
    or it is younger than the allowed age (analytics/snapshots.py).
    """

    name = Varchar(length=60, unique=True, help_text="dataset:grouping, e.g. adoption:department.")
    payload = JSON(default={}, help_text="The API's answer, as JSON.")
    watermark = Integer(default=0, help_text="The newest workflow_event id when it was computed.")
    day = Date(help_text="The Beijing date it was computed on (overdue letters and open cases depend on it).")
    computed_at = Timestamptz(default=TimestamptzNow())
