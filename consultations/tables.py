"""Tables of the consultations module: topics, consultations, sections, attachments, opinions, outcomes."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from engagement.moderation import ModerationState
from engagement.tables import Citizen, Department, StaffUser


class Status(str, Enum):
    """A consultation's states (consultations/workflows.py: CONSULTATION)."""

    draft = "draft"
    open = "open"
    closed = "closed"
    concluded = "concluded"


class Decision(str, Enum):
    """The department's decision on an opinion (OPINION_DECISION); ``pending``: not decided yet."""

    pending = "pending"
    adopted = "adopted"
    partially_adopted = "partially_adopted"
    not_adopted = "not_adopted"


DECIDED = (Decision.adopted, Decision.partially_adopted, Decision.not_adopted)
ADOPTED = (Decision.adopted, Decision.partially_adopted)  # counted as "采纳" (docs/consultations.md)

# Pre-moderation of an opinion (OPINION_MODERATION): the core's states, pending / approved / rejected.
Moderation = ModerationState


class Topic(Table, tablename="consultation_topic"):
    """专题: a series of consultations shown together, e.g. 十四五系列规划."""

    title = Varchar(length=200, help_text="Shown as the topic page's heading.")
    description = Text(default="", help_text="What the series is about.")
    created_at = Timestamptz(default=TimestamptzNow())

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.title])


class Consultation(Table, tablename="consultation"):
    """A draft plan open for public comment (征求意见稿)."""

    department = ForeignKey(references=Department, help_text="The department that runs it; its editors manage it.")
    topic = ForeignKey(references=Topic, null=True, on_delete=OnDelete.set_null, help_text="Optional topic (专题).")
    topic_position = Integer(default=0, help_text="Order within the topic.")
    title = Varchar(length=200)
    summary = Text(default="", help_text="A short plain-language summary.")
    body = Text(default="", help_text="The draft text before the numbered sections (preamble).")
    status = Varchar(length=12, default=Status.draft.value, choices=Status, index=True,
                     help_text="draft, open, closed or concluded.")
    opens_at = Timestamptz(null=True, default=None, help_text="When comments start being accepted.")
    closes_at = Timestamptz(help_text="Deadline; submissions are refused from this moment.")
    original_closes_at = Timestamptz(null=True, default=None, help_text="The deadline before any extension.")
    view_count = Integer(default=0)
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    concluded_at = Timestamptz(null=True, default=None)

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.title])


class Section(Table, tablename="consultation_section"):
    """A numbered section of the draft; opinions may refer to one."""

    consultation = ForeignKey(references=Consultation, on_delete=OnDelete.cascade, index=True)
    number = Integer(help_text="1, 2, 3 … in reading order.")
    heading = Varchar(length=200)
    body = Text(default="")


class Attachment(Table, tablename="consultation_attachment"):
    """A file checked by content (engagement.uploads): the draft, the final document or an infographic."""

    consultation = ForeignKey(references=Consultation, on_delete=OnDelete.cascade, index=True)
    purpose = Varchar(length=20, default="draft", help_text="draft, final or interpretation (images such as 一图读懂).")
    file_key = Varchar(length=100, help_text="Content hash and extension under var/uploads.")
    kind = Varchar(length=10)
    content_type = Varchar(length=100)
    size = Integer()
    original_name = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())


class Opinion(Table, tablename="consultation_opinion"):
    """One citizen's comment; the department records a decision and a reply."""

    consultation = ForeignKey(references=Consultation, on_delete=OnDelete.cascade, index=True)
    section = ForeignKey(references=Section, null=True, on_delete=OnDelete.set_null)
    content = Text(help_text="5 to 5,000 characters, shown as plain text.")
    name = Varchar(length=50, default="", help_text="Optional; published masked (张*明).")
    organization = Varchar(length=100, default="", help_text="Optional employer or organisation.")
    citizen = ForeignKey(references=Citizen, on_delete=OnDelete.cascade, help_text="The verified phone behind it.")
    dedupe_key = Varchar(length=200, unique=True,
                         help_text="consultation:citizen:hash of the text; the same phone cannot post the same text twice.")
    moderation = Varchar(length=10, default=Moderation.approved.value, index=True,
                         help_text="pending (held), approved or rejected.")
    decision = Varchar(length=20, default=Decision.pending.value, choices=Decision, index=True)
    reply = Text(default="", help_text="The department's answer, published with the decision.")
    reviewer = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    reviewed_at = Timestamptz(null=True, default=None)
    notify_by_sms = Boolean(default=False, help_text="The citizen asked for an SMS when answered.")
    created_at = Timestamptz(default=TimestamptzNow())


class Outcome(Table, tablename="consultation_outcome"):
    """The final plan, its plain-language interpretation, published at conclusion."""

    consultation = ForeignKey(references=Consultation, on_delete=OnDelete.cascade, unique=True)
    final_text = Text(default="", help_text="The final document as adopted.")
    interpretation = Text(default="", help_text="Plain-language interpretation (政策解读).")
    published_at = Timestamptz(null=True, default=None)
