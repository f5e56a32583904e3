"""The report's state machine, as data (engagement.workflow applies it).

    create:   (new) -> draft        figures computed and frozen; its department's staff see it
    publish:  draft -> published    public from now on; never changes again

Each change writes a ``workflow_event`` row (aggregate "statistics_report") and the audit entry
``statistics_report.<transition>``.
"""

from __future__ import annotations

from analytics.tables import Report, ReportStatus
from engagement.i18n import N_
from engagement.workflow import Transition, Workflow

REPORT = Workflow(
    aggregate="statistics_report",
    table=Report,
    states=ReportStatus,
    column="status",
    department_column="department",
    not_found=N_("The statistics report was not found."),
    transitions=[
        Transition("create", sources=(), target=ReportStatus.draft, permission="statistics.report.create",
                   label=N_("Report computed")),
        Transition("publish", sources={ReportStatus.draft}, target=ReportStatus.published,
                   permission="statistics.report.publish", label=N_("Report published"),
                   refusal=N_("The report is already published.")),
    ],
)
