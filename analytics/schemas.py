"""Request and response shapes of the statistics API (msgspec, so OpenAPI documents them).

Every figure's description is its definition (analytics/definitions.py). No type here has a
field for a name, a phone number or any text a citizen wrote: statistics are counts.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from analytics.definitions import ADOPTION, COMMON, EVENTS, MAILBOX, RECTIFICATIONS
from engagement.i18n import N_

AdoptionGrouping = Literal["department", "topic", "month", "consultation"]
MailboxGrouping = Literal["department", "month"]
RectificationGrouping = Literal["department", "month"]
Dataset = Literal["adoption", "mailbox", "events", "rectifications"]
ExportFormat = Literal["csv", "xlsx"]

ADOPTION_GROUPINGS: tuple[str, ...] = ("department", "topic", "month", "consultation")
MAILBOX_GROUPINGS: tuple[str, ...] = ("department", "month")
EVENT_GROUPINGS: tuple[str, ...] = ("kind",)
RECTIFICATION_GROUPINGS: tuple[str, ...] = ("department", "month")
GROUPINGS = {"adoption": ADOPTION_GROUPINGS, "mailbox": MAILBOX_GROUPINGS, "events": EVENT_GROUPINGS,
             "rectifications": RECTIFICATION_GROUPINGS}


def _described(kind: Any, text: str) -> Any:
    return Annotated[kind, msgspec.Meta(description=text)]


Key = _described(str, COMMON["key"])
Label = _described(str, COMMON["label"])


class AdoptionRow(msgspec.Struct):
    key: Key
    label: Label
    opinions: _described(int, ADOPTION["opinions"])
    decided: _described(int, ADOPTION["decided"])
    adopted: _described(int, ADOPTION["adopted"])
    partially_adopted: _described(int, ADOPTION["partially_adopted"])
    not_adopted: _described(int, ADOPTION["not_adopted"])
    adoption_rate: _described(float | None, ADOPTION["adoption_rate"])
    ci_low: _described(float | None, ADOPTION["ci_low"])
    ci_high: _described(float | None, ADOPTION["ci_high"])
    ranked: _described(bool, ADOPTION["ranked"])


class MailboxRow(msgspec.Struct):
    key: Key
    label: Label
    letters: _described(int, MAILBOX["letters"])
    replied: _described(int, MAILBOX["replied"])
    reply_rate: _described(float | None, MAILBOX["reply_rate"])
    on_time: _described(int, MAILBOX["on_time"])
    overdue: _described(int, MAILBOX["overdue"])
    on_time_rate: _described(float | None, MAILBOX["on_time_rate"])
    rated: _described(int, MAILBOX["rated"])
    satisfaction: _described(float | None, MAILBOX["satisfaction"])
    median_reply_working_days: _described(float | None, MAILBOX["median_reply_working_days"])


class EventRow(msgspec.Struct):
    key: Key
    label: Label
    sessions: _described(int, EVENTS["sessions"])
    peak_viewers: _described(int, EVENTS["peak_viewers"])
    questions_asked: _described(int, EVENTS["questions_asked"])
    questions_approved: _described(int, EVENTS["questions_approved"])
    questions_answered: _described(int, EVENTS["questions_answered"])
    issues_collected: _described(int, EVENTS["issues_collected"])
    issues_selected: _described(int, EVENTS["issues_selected"])
    rectifications: _described(int, EVENTS["rectifications"])
    rectifications_on_time: _described(int, EVENTS["rectifications_on_time"])
    rectifications_overdue: _described(int, EVENTS["rectifications_overdue"])
    rectifications_completed: _described(int, EVENTS["rectifications_completed"])
    confirmations_solved: _described(int, EVENTS["confirmations_solved"])
    confirmations_not_solved: _described(int, EVENTS["confirmations_not_solved"])
    registrations: _described(int, EVENTS["registrations"])
    registrations_confirmed: _described(int, EVENTS["registrations_confirmed"])
    registrations_checked_in: _described(int, EVENTS["registrations_checked_in"])


class RectificationRow(msgspec.Struct):
    key: Key
    label: Label
    rectifications: _described(int, RECTIFICATIONS["rectifications"])
    completed: _described(int, RECTIFICATIONS["completed"])
    on_time: _described(int, RECTIFICATIONS["on_time"])
    overdue: _described(int, RECTIFICATIONS["overdue"])
    open: _described(int, RECTIFICATIONS["open"])
    on_time_rate: _described(float | None, RECTIFICATIONS["on_time_rate"])
    ci_low: _described(float | None, RECTIFICATIONS["ci_low"])
    ci_high: _described(float | None, RECTIFICATIONS["ci_high"])
    ranked: _described(bool, RECTIFICATIONS["ranked"])
    confirmations_solved: _described(int, RECTIFICATIONS["confirmations_solved"])
    confirmations_not_solved: _described(int, RECTIFICATIONS["confirmations_not_solved"])


Basis = _described(Literal["current", "history"],
                   "current: today's decisions (no period given); history: from the decision history, for a "
                   "period or by month.")


class Scope(msgspec.Struct):
    """What the figures cover."""

    period_start: date | None
    period_end: date | None
    department: str | None
    computed_at: datetime


class AdoptionStatistics(msgspec.Struct):
    by: AdoptionGrouping
    basis: Basis
    items: list[AdoptionRow]
    total: AdoptionRow
    scope: Scope


class MailboxStatistics(msgspec.Struct):
    by: MailboxGrouping
    items: list[MailboxRow]
    total: MailboxRow
    scope: Scope


class EventStatistics(msgspec.Struct):
    by: Literal["kind"]
    items: list[EventRow]
    total: EventRow
    scope: Scope


class RectificationStatistics(msgspec.Struct):
    by: RectificationGrouping
    items: list[RectificationRow]
    total: RectificationRow
    scope: Scope


class ErrorRead(msgspec.Struct):
    """The error body every /api route answers (engagement/web.py)."""

    status_code: int
    detail: Annotated[str, msgspec.Meta(description="What went wrong, in the request's language.")]


# ---------- reports ----------

ReportTitle = Annotated[str, msgspec.Meta(min_length=1, max_length=200, title=N_("Title"))]


class ReportCreate(msgspec.Struct):
    title: ReportTitle
    period_start: Annotated[date, msgspec.Meta(title=N_("First day"))]
    period_end: Annotated[date, msgspec.Meta(title=N_("Last day"))]
    department: Annotated[str, msgspec.Meta(max_length=64, title=N_("Department"),
                                            description="Department slug; empty or absent: every department "
                                                        "(administrators only).")] | None = None


class DepartmentRef(msgspec.Struct):
    slug: str
    name: str


class ReportSummary(msgspec.Struct):
    id: int
    title: str
    status: Literal["draft", "published"]
    period_start: date
    period_end: date
    department: DepartmentRef | None
    data_sha256: Annotated[str, msgspec.Meta(description="SHA-256 (hex) of the canonical JSON of period_start, "
                                                         "period_end, department, figures and definitions.")]
    created_at: datetime
    published_at: datetime | None


class ReportRead(ReportSummary):
    figures: dict[str, Any]
    definitions: dict[str, Any]


class ReportList(msgspec.Struct):
    items: list[ReportSummary]
    total: int
    page: int
    per_page: int
