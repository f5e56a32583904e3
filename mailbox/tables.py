"""Tables of the mayor's mailbox: letters, replies, notes, the public version.

The status history is the core's ``workflow_event`` (mailbox/workflows.py); the working-day calendar
and the reminders sent are the core's ``calendar_day`` and ``deadline_reminder``.
"""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from engagement.tables import Citizen, Department, StaffUser


class Category(str, Enum):
    consultation = "consultation"  # 咨询
    suggestion = "suggestion"  # 建议
    complaint = "complaint"  # 投诉
    help = "help"  # 求助
    praise = "praise"  # 表扬


class Status(str, Enum):
    received = "received"
    assigned = "assigned"
    replied = "replied"
    closed = "closed"


OPEN_STATUSES = (Status.received.value, Status.assigned.value)
ANSWERED_STATUSES = (Status.replied.value, Status.closed.value)

DEFAULT_DUE_WORKING_DAYS = 5
# Working days allowed for a reply, per category (自受理之日起N个工作日); categories not listed use the default.
DUE_WORKING_DAYS_BY_CATEGORY: dict[str, int] = {
    Category.consultation.value: 5,
    Category.suggestion.value: 10,
    Category.complaint.value: 5,
    Category.help.value: 5,
    Category.praise.value: 5,
}


class LetterCounter(Table, tablename="mailbox_counter"):
    year = Integer(unique=True, help_text="Calendar year of the tracking numbers.")
    last = Integer(default=0, help_text="The last sequence number given out in this year.")


class Letter(Table, tablename="mailbox_letter"):
    tracking_number = Varchar(length=16, unique=True, index=True, help_text="YYYY-NNNNNN, sequential per year.")
    query_code_hash = Varchar(length=64, help_text="Keyed hash of the secret query code; the code is never stored.")
    category = Varchar(length=20, choices=Category, index=True)
    subject = Varchar(length=200)
    body = Text(help_text="As written; up to 5,000 characters. Never public.")
    writer_name = Varchar(length=100, help_text="As written. Never public unmasked.")
    citizen = ForeignKey(references=Citizen, null=True, on_delete=OnDelete.set_null, help_text="The verified phone behind the letter.")
    addressee = ForeignKey(references=Department, null=True, on_delete=OnDelete.set_null, help_text="Whom the citizen wrote to.")
    department = ForeignKey(references=Department, null=True, on_delete=OnDelete.set_null, index=True,
                            help_text="The department responsible now.")
    public_consent = Boolean(default=False, help_text="The writer agreed to publication (masked).")
    status = Varchar(length=12, choices=Status, default=Status.received.value, index=True)
    received_at = Timestamptz(default=TimestamptzNow(), index=True)
    due_date = Date(help_text="Last working day for the reply.")
    reply = Text(default="", help_text="The current reply to the writer.")
    replied_at = Timestamptz(null=True, default=None)
    reply_days = DoublePrecision(null=True, default=None, help_text="Days from receipt to reply.")
    replied_on_time = Boolean(null=True, default=None)
    rating = Integer(null=True, default=None, help_text="1-5, once per letter.")
    rating_comment = Text(default="")
    rated_at = Timestamptz(null=True, default=None)
    published = Boolean(default=False, index=True)
    published_at = Timestamptz(null=True, default=None, index=True)
    public_subject = Varchar(length=200, default="", help_text="Masked and approved by staff.")
    public_body = Text(default="")
    public_reply = Text(default="")
    search_text = Text(default="", help_text="Public subject, body and reply, indexed for search once published.")
    search_bigrams = Text(default="", help_text="search_text as two-character words, for two-character searches on SQLite.")


class LetterAttachment(Table, tablename="mailbox_attachment"):
    letter = ForeignKey(references=Letter, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=100, help_text="Storage key from engagement.uploads.")
    kind = Varchar(length=10)
    content_type = Varchar(length=100)
    size = Integer()
    original_name = Varchar(length=200)


class LetterReply(Table, tablename="mailbox_reply"):
    letter = ForeignKey(references=Letter, on_delete=OnDelete.cascade, index=True)
    body = Text()
    department = ForeignKey(references=Department, null=True, on_delete=OnDelete.set_null)
    author = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class LetterNote(Table, tablename="mailbox_note"):
    """Internal notes between staff; never shown to the writer or the public."""

    letter = ForeignKey(references=Letter, on_delete=OnDelete.cascade, index=True)
    body = Text()
    author = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    author_name = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class ReplyTemplate(Table, tablename="mailbox_reply_template"):
    department = ForeignKey(references=Department, null=True, on_delete=OnDelete.cascade,
                            help_text="Empty: offered to every department.")
    title = Varchar(length=100)
    body = Text()
