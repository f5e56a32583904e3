"""Tables of analytics: the published statistics reports (月点评、季通报).

Everything else analytics shows is computed from the feature modules' tables and the core's
``workflow_event``; a report is the one thing it stores frozen. The snapshots and the opinion facts
are derived data, rebuilt from those tables whenever needed (analytics/snapshots.py, analytics/facts.py).
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


class OpinionFact(Table, tablename="statistics_opinion_fact"):
    """One line per opinion: what the adoption figures need, folded from its decision history.

    Kept up to date from the ``workflow_event`` rows after ``FactState.watermark`` (analytics/facts.py),
    so a filtered adoption figure is one GROUP BY over these plain columns. The department and topic
    are not copied: they are read from the consultation, which may be edited without an event.
    """

    opinion = Integer(unique=True, help_text="consultation_opinion.id.")
    consultation = Integer(index=True)
    moderation = Varchar(length=10, help_text="Today's moderation state (only approved ones are counted).")
    decision = Varchar(length=20, help_text="Today's decision (the current basis).")
    submitted_at = Timestamptz()
    submitted_month = Varchar(length=7, help_text="Beijing month of submission, YYYY-MM.")
    first_decided_at = Timestamptz(null=True, default=None, help_text="When the first decision was recorded.")
    first_month = Varchar(length=7, null=True, default=None, help_text="Its Beijing month, YYYY-MM.")
    settled_decision = Varchar(length=20, null=True, default=None,
                               help_text="The last decision recorded in the Beijing month of the first one.")
    redecided_at = Timestamptz(null=True, default=None, index=True,
                               help_text="When the last decision of that month was recorded, if later than the "
                                         "first: a period ending between the two needs the history (analytics/facts.py).")


class AdoptionCount(Table, tablename="statistics_adoption_count"):
    """The opinion facts counted per consultation and Beijing day: what a filtered adoption figure sums.

    ``kind`` submitted: published opinions by the day they were submitted; decided: opinions by the
    day of their first decision and their settled decision; current: published opinions by today's
    decision (no day). ``sub_month`` and ``dec_month``: the submitted and decided rows summed per Beijing
    month (``day`` the month's first day), read for the whole months of a period. Recounted per
    consultation whenever one of its opinions changes.
    """

    consultation = Integer(index=True)
    kind = Varchar(length=10, index=True)
    day = Date(null=True, default=None, index=True)
    month = Varchar(length=7, default="", help_text="The day's month, YYYY-MM.")
    decision = Varchar(length=20, default="")
    n = Integer(default=0)


class FactState(Table, tablename="statistics_fact_state"):
    """How far ``statistics_opinion_fact`` has read: one row."""

    watermark = Integer(default=0, help_text="The newest workflow_event id folded into the facts.")
    last_opinion = Integer(default=0, help_text="The newest opinion id folded into the facts.")
    rebuilt_on = Date(null=True, default=None, help_text="Beijing date of the last full rebuild.")
    updated_at = Timestamptz(default=TimestamptzNow())


class LetterCount(Table, tablename="statistics_letter_count"):
    """The letters counted per department and Beijing day of receipt: what a mailbox figure sums.

    ``grain`` day: answered letters per department, day, working days to reply and on-time flag;
    month: the same summed per Beijing month (``day`` is its first day), read for whole months of a
    period; open: unanswered letters per department, day and due date (their time to reply is
    censored at today, and whether they are overdue depends on today: both computed when read).
    Recounted per day of receipt whenever one of its letters changes (analytics/letter_facts.py).
    """

    department = Integer(null=True, default=None, help_text="The department responsible now (empty: none).")
    grain = Varchar(length=5, index=True, help_text="day, month or open.")
    day = Date(index=True, help_text="Beijing date of receipt (month: the month's first day).")
    month = Varchar(length=7, default="", help_text="Beijing month of receipt, YYYY-MM.")
    days = Integer(null=True, default=None, help_text="Working days from receipt to the reply (answered).")
    on_time = Integer(default=0, help_text="1: answered by the due date.")
    due_date = Date(null=True, default=None, help_text="The due date (open letters).")
    n = Integer(default=0, help_text="Letters.")
    rated = Integer(default=0, help_text="Of these, letters with a rating.")
    rating_sum = Integer(default=0, help_text="The sum of their ratings.")


class Workday(Table, tablename="statistics_workday"):
    """Working days counted from the first day of the letter counts: working days between two dates in SQL."""

    day = Date(unique=True)
    cumulative = Integer(help_text="Working days from the first day of this table up to and including this day.")


class LetterFactState(Table, tablename="statistics_letter_state"):
    """How far ``statistics_letter_count`` has read: one row."""

    watermark = Integer(default=0, help_text="The newest workflow_event id folded into the counts.")
    last_letter = Integer(default=0, help_text="The newest letter id folded into the counts.")
    calendar_sha256 = Varchar(length=64, default="", help_text="The working-day calendar the counts were made with.")
    first_day = Date(null=True, default=None, help_text="The first day statistics_workday covers.")
    last_day = Date(null=True, default=None, help_text="The last day statistics_workday covers.")
    rebuilt_on = Date(null=True, default=None, help_text="Beijing date of the last full rebuild.")
    updated_at = Timestamptz(default=TimestamptzNow())
