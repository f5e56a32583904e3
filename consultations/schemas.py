"""Request and response shapes of the consultations API (msgspec, so OpenAPI documents them).

Public read types (``ConsultationRead``, ``OpinionPublic``) and staff read types
(``OpinionStaff``) are different classes: a phone number exists only on the staff type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

DecisionValue = Literal["adopted", "partially_adopted", "not_adopted"]
Phone = Annotated[str, msgspec.Meta(max_length=32, description="With `code`: verify in the same request.")]
Code = Annotated[str, msgspec.Meta(max_length=12)]


# ---------- requests ----------

class SectionInput(msgspec.Struct):
    heading: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    body: Annotated[str, msgspec.Meta(max_length=100_000)] = ""


class ConsultationCreate(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(max_length=200)]
    department: Annotated[str, msgspec.Meta(max_length=64, description="Department slug.")]
    closes_at: datetime
    summary: Annotated[str, msgspec.Meta(max_length=5000)] = ""
    body: Annotated[str, msgspec.Meta(max_length=200_000)] = ""
    opens_at: datetime | None = None
    topic: int | None = None
    sections: list[SectionInput] | None = None


class ConsultationUpdate(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    summary: Annotated[str, msgspec.Meta(max_length=5000)] | None = None
    body: Annotated[str, msgspec.Meta(max_length=200_000)] | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    topic: int | None = None
    sections: list[SectionInput] | None = None


class DeadlineExtend(msgspec.Struct):
    closes_at: datetime
    reason: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class OutcomeInput(msgspec.Struct):
    final_text: Annotated[str, msgspec.Meta(max_length=200_000)] = ""
    interpretation: Annotated[str, msgspec.Meta(max_length=100_000)] = ""


class OpinionCreate(msgspec.Struct):
    content: Annotated[str, msgspec.Meta(max_length=20_000, description="5 to 5,000 characters.")]
    name: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    organization: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    section: int | None = msgspec.field(default=None)  # section number
    notify_by_sms: bool = False
    phone: Phone | None = None
    code: Code | None = None


class CitizenAction(msgspec.Struct):
    phone: Phone | None = None
    code: Code | None = None


class ReviewInput(msgspec.Struct):
    decision: DecisionValue
    reply: Annotated[str, msgspec.Meta(max_length=5000)] = ""


class BulkReviewInput(msgspec.Struct):
    ids: Annotated[list[int], msgspec.Meta(min_length=1, max_length=500)]
    decision: DecisionValue
    reply: Annotated[str, msgspec.Meta(max_length=5000)] = ""


class ModerateInput(msgspec.Struct):
    action: Literal["approve", "reject"]


class TopicCreate(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    description: Annotated[str, msgspec.Meta(max_length=5000)] = ""


# ---------- public reads ----------

class SectionRead(msgspec.Struct):
    number: int
    heading: str
    body: str


class AttachmentRead(msgspec.Struct):
    id: int
    purpose: str
    name: str
    kind: str
    size: int
    url: str


class ExtensionRead(msgspec.Struct):
    previous_closes_at: datetime
    new_closes_at: datetime
    reason: str
    created_at: datetime


class DepartmentRef(msgspec.Struct):
    slug: str
    name: str


class ConsultationRead(msgspec.Struct):
    id: int
    title: str
    summary: str
    status: str  # draft, open, closed, concluded (closed as soon as the deadline passed)
    accepting_opinions: bool
    department: DepartmentRef
    topic: int | None
    opens_at: datetime | None
    closes_at: datetime
    published_at: datetime | None
    opinion_count: int
    adopted_count: int  # adopted + partially adopted
    partially_adopted_count: int
    not_adopted_count: int
    adoption_rate: float  # adopted_count / decided opinions, 0..1
    view_count: int


class OutcomeGroup(msgspec.Struct):
    section: int | None
    heading: str
    opinions: list[OpinionPublic]


class OutcomeRead(msgspec.Struct):
    final_text: str
    interpretation: str
    published_at: datetime | None
    attachments: list[AttachmentRead]
    opinion_count: int
    adopted_count: int
    partially_adopted_count: int
    not_adopted_count: int
    pending_count: int
    adoption_rate: float
    groups: list[OutcomeGroup]  # the adopted and partially adopted opinions with replies, by section


class ConsultationDetail(ConsultationRead):
    body: str = ""
    sections: list[SectionRead] = []
    attachments: list[AttachmentRead] = []
    extensions: list[ExtensionRead] = []
    outcome: OutcomeRead | None = None


class ConsultationList(msgspec.Struct):
    items: list[ConsultationRead]
    total: int
    page: int
    per_page: int


class OpinionPublic(msgspec.Struct):
    """What anyone may see: no phone, the name masked, personal data in the text masked."""

    id: int
    content: str
    author: str  # masked name, or empty
    organization: str
    section: int | None
    decision: str
    reply: str
    support_count: int
    created_at: datetime
    reviewed_at: datetime | None


class OpinionList(msgspec.Struct):
    items: list[OpinionPublic]
    total: int
    page: int
    per_page: int


class OpinionSubmitted(msgspec.Struct):
    id: int
    status: str  # approved (published) or pending (held for review)
    consultation: int


class SupportResult(msgspec.Struct):
    support_count: int
    counted: bool


class TopicRead(msgspec.Struct):
    id: int
    title: str
    description: str
    consultations: list[ConsultationRead] = []


class TopicList(msgspec.Struct):
    items: list[TopicRead]
    total: int


# ---------- staff reads ----------

class OpinionStaff(msgspec.Struct):
    """For staff of the responsible department: the full name and the contact number."""

    id: int
    consultation: int
    content: str
    name: str
    organization: str
    contact_phone: str
    section: int | None
    status: str  # moderation: pending, approved, rejected
    decision: str
    reply: str
    reviewer: str
    reviewed_at: datetime | None
    notify_by_sms: bool
    support_count: int
    created_at: datetime


class OpinionStaffList(msgspec.Struct):
    items: list[OpinionStaff]
    total: int
    page: int
    per_page: int


class BulkReviewResult(msgspec.Struct):
    reviewed: int
    items: list[OpinionStaff]


class ConsultationStaffList(msgspec.Struct):
    items: list[ConsultationRead]
    total: int
