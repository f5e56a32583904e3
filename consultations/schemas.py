"""Request and response shapes of the consultations API (msgspec, so OpenAPI documents them).

Public read types (``ConsultationRead``, ``OpinionPublic``) and staff read types
(``OpinionStaff``) are different classes: a phone number exists only on the staff type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from engagement.i18n import N_
from engagement.masking import PublicRead

DecisionValue = Literal["adopted", "partially_adopted", "not_adopted"]  # the values of tables.DECIDED
Phone = Annotated[str, msgspec.Meta(max_length=32, title=N_("Mobile phone number"),
                                    description="With `code`: verify in the same request.")]
Code = Annotated[str, msgspec.Meta(max_length=12, title=N_("Verification code"))]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, title=N_("Title"))]
Summary = Annotated[str, msgspec.Meta(max_length=5000, title=N_("Summary"))]
Preamble = Annotated[str, msgspec.Meta(max_length=200_000, title=N_("Preamble of the draft"))]
Opens = Annotated[datetime, msgspec.Meta(title=N_("Opens"), description="Without an offset: Beijing time.")]
Deadline = Annotated[datetime, msgspec.Meta(title=N_("Deadline"), description="Without an offset: Beijing time.")]
TopicId = Annotated[int, msgspec.Meta(title=N_("Topic"))]
Reply = Annotated[str, msgspec.Meta(max_length=5000, title=N_("Reply"))]

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MIN_OPINION_LENGTH = 5
MAX_OPINION_LENGTH = 5000


def page_bounds(page: int, per_page: int) -> tuple[int, int]:
    return max(1, page), max(1, min(MAX_PER_PAGE, per_page))


# ---------- requests (the API's bodies and the HTML forms, engagement.forms.parse_form) ----------

class SectionInput(msgspec.Struct):
    heading: Annotated[str, msgspec.Meta(min_length=1, max_length=200, title=N_("Section heading"))]
    body: Annotated[str, msgspec.Meta(max_length=100_000, title=N_("Section text"))] = ""


Sections = Annotated[list[SectionInput], msgspec.Meta(title=N_("Numbered sections"))]


class ConsultationCreate(msgspec.Struct):
    title: Title
    department: Annotated[str, msgspec.Meta(min_length=1, max_length=64, title=N_("Department"),
                                            description="Department slug.")]
    closes_at: Deadline
    summary: Summary = ""
    body: Preamble = ""
    opens_at: Opens | None = None
    topic: TopicId | None = None
    sections: Sections | None = None


class ConsultationUpdate(msgspec.Struct):
    title: Title | None = None
    summary: Summary | None = None
    body: Preamble | None = None
    opens_at: Opens | None = None
    closes_at: Deadline | None = None
    topic: TopicId | None = None
    sections: Sections | None = None


class DeadlineExtend(msgspec.Struct):
    closes_at: Annotated[datetime, msgspec.Meta(title=N_("New deadline"),
                                                description="Without an offset: Beijing time.")]
    reason: Annotated[str, msgspec.Meta(max_length=1000, title=N_("Reason for the extension"))] = ""


class OutcomeInput(msgspec.Struct):
    final_text: Annotated[str, msgspec.Meta(max_length=200_000, title=N_("Final document"))] = ""
    interpretation: Annotated[str, msgspec.Meta(max_length=100_000, title=N_("Plain-language interpretation"))] = ""


class OpinionCreate(msgspec.Struct):
    content: Annotated[str, msgspec.Meta(min_length=MIN_OPINION_LENGTH, max_length=MAX_OPINION_LENGTH,
                                         title=N_("Your opinion"),
                                         description="5 to 5,000 characters.")]
    name: Annotated[str, msgspec.Meta(max_length=50, title=N_("Name"))] | None = None
    organization: Annotated[str, msgspec.Meta(max_length=100, title=N_("Employer or organisation"))] | None = None
    section: Annotated[int, msgspec.Meta(title=N_("Section"), description="The section number.")] | None = None
    notify_by_sms: bool = False
    phone: Phone | None = None
    code: Code | None = None


class CitizenAction(msgspec.Struct):
    phone: Phone | None = None
    code: Code | None = None


class ReviewInput(msgspec.Struct):
    decision: Annotated[DecisionValue, msgspec.Meta(title=N_("Decision"))]
    reply: Reply = ""


class BulkReviewInput(msgspec.Struct):
    ids: Annotated[list[int], msgspec.Meta(min_length=1, max_length=500, title=N_("Selected opinions"))]
    decision: Annotated[DecisionValue, msgspec.Meta(title=N_("Decision"))]
    reply: Reply = ""


class ModerateInput(msgspec.Struct):
    action: Annotated[Literal["approve", "reject"], msgspec.Meta(title=N_("Moderation"))]


class TopicCreate(msgspec.Struct):
    title: Title
    description: Annotated[str, msgspec.Meta(max_length=5000, title=N_("Description"))] = ""


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
    id: int
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


class OpinionPublic(PublicRead):
    """What anyone may see: no phone; built from the text as written, PublicRead masks it."""

    public_safe = frozenset({"decision"})
    public_names = frozenset({"author"})

    id: int
    content: str
    author: str  # the name, masked; or empty
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
    consultation: int  # the opinion's consultation (the website returns there)


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
