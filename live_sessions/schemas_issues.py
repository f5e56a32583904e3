"""Request and response shapes of the issues API (TV questioning and open meetings).

Public read types are ``PublicRead`` structs: every text is masked when they are built and none
has a field for the proposer's phone, citizen id or unmasked name. Staff types are separate.
The HTML forms are parsed into these same request structs (``engagement.forms.parse_form``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from engagement.i18n import N_
from engagement.masking import PublicRead
from engagement.schemas import Code, Phone
from live_sessions import services, services_issues
from live_sessions.schemas_rectifications import RectificationRead
from live_sessions.services import _iso

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=services_issues.MAX_ISSUE_TITLE, title=N_("The title"))]
Content = Annotated[str, msgspec.Meta(min_length=1, max_length=services_issues.MAX_ISSUE_CONTENT,
                                      title=N_("The description"))]
Location = Annotated[str, msgspec.Meta(max_length=services_issues.MAX_LOCATION, title=N_("The location"))]
Category = Annotated[str, msgspec.Meta(max_length=services_issues.MAX_CATEGORY, title=N_("The category"))]
Name = Annotated[str, msgspec.Meta(max_length=services.MAX_NAME_LENGTH, title=N_("The name"))]
Reason = Annotated[str, msgspec.Meta(max_length=services_issues.MAX_REASON, title=N_("The reason"))]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=services_issues.MAX_REASON, title=N_("The note"))]
Position = Annotated[int, msgspec.Meta(ge=1, le=10_000, title=N_("The running order"))]
IssueId = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1, title=N_("The issue"))]


class IssueCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    content: Content
    location: Location | None = None
    category: Category | None = None
    name: Name | None = None
    notify: Annotated[bool, msgspec.Meta(description="Send me SMS notices about this issue.")] = False
    phone: Phone | None = None
    code: Code | None = None


class IssueCreated(msgspec.Struct):
    id: int
    status: str
    session_id: int


class IssueModerate(msgspec.Struct, forbid_unknown_fields=True):
    action: Annotated[Literal["approve", "reject"], msgspec.Meta(title=N_("The action"))]
    reason: Reason | None = None


class SupportRequest(msgspec.Struct, forbid_unknown_fields=True):
    notify: Annotated[bool, msgspec.Meta(description="Send me SMS notices about this issue.")] = False
    phone: Phone | None = None
    code: Code | None = None


class SupportResult(msgspec.Struct):
    support_count: int
    counted: bool


class MergeRequest(msgspec.Struct, forbid_unknown_fields=True):
    into: IssueId


class SelectRequest(msgspec.Struct, forbid_unknown_fields=True):
    note: Note
    running_order: Position | None = None


class ReorderRequest(msgspec.Struct, forbid_unknown_fields=True):
    ids: Annotated[list[IssueId], msgspec.Meta(min_length=1, max_length=500, title=N_("The running order"))]


class OnAirRequest(msgspec.Struct, forbid_unknown_fields=True):
    issue_id: IssueId


class OnAirAnswerRequest(msgspec.Struct, forbid_unknown_fields=True):
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=services_issues.MAX_ANSWER, title=N_("The answer"))]
    answered_by: Annotated[str, msgspec.Meta(min_length=1, max_length=services_issues.MAX_ANSWERED_BY,
                                             title=N_("Who answered"))]


class IssuePublic(PublicRead):
    public_safe = frozenset({"status", "created_at", "photos"})
    public_names = frozenset({"name"})

    id: int
    session_id: int
    title: str
    content: str
    location: str
    category: str
    name: str  # the name, masked
    status: str
    support_count: int
    merged_into: int | None
    running_order: int | None
    note: str  # why it was selected (public); empty otherwise
    on_air: bool
    on_air_answer: str
    answered_by: str
    created_at: str | None
    photos: list[str] = msgspec.field(default_factory=list)


class IssueDetail(IssuePublic):
    merged_into_title: str = ""
    rectification: RectificationRead | None = None


class IssueList(msgspec.Struct):
    items: list[IssuePublic]
    total: int


class IssueStaff(msgspec.Struct):
    id: int
    session_id: int
    title: str
    content: str
    location: str
    category: str
    name: str
    status: str
    reason: str
    support_count: int
    merged_into: int | None
    running_order: int | None
    on_air_answer: str
    answered_by: str
    created_at: str | None
    moderated_at: str | None
    masked_title: str
    masked_content: str
    flagged_words: list[str] = []


class IssueStaffList(msgspec.Struct):
    items: list[IssueStaff]
    total: int


# ---------- conversions ----------


def photo_url(photo: dict[str, Any]) -> str:
    return f"/api/v1/issue-photos/{photo['id']}"


def issue_public(row: dict[str, Any], current_issue_id: int | None = None) -> IssuePublic:
    return IssuePublic(**_public_fields(row, current_issue_id))


def issue_detail(row: dict[str, Any], current_issue_id: int | None = None,
                 rectification: RectificationRead | None = None) -> IssueDetail:
    target = row.get("target")
    return IssueDetail(**_public_fields(row, current_issue_id), merged_into_title=target["title"] if target else "",
                       rectification=rectification)


def _public_fields(row: dict[str, Any], current_issue_id: int | None) -> dict[str, Any]:
    """The row as written: the PublicRead struct masks it."""
    selected = row["state"] == services_issues.IssueState.selected
    return {
        "id": row["id"], "session_id": row["session"], "title": row["title"], "content": row["content"],
        "location": row["location"], "category": row["category"], "name": row["display_name"] or "",
        "status": row["state"], "support_count": row["support_count"], "merged_into": row["merged_into"],
        "running_order": row["running_order"] if selected else None, "note": row["reason"] if selected else "",
        "on_air": current_issue_id is not None and current_issue_id == row["id"],
        "on_air_answer": row["on_air_answer"], "answered_by": row["answered_by"],
        "created_at": _iso(row["created_at"]), "photos": [photo_url(p) for p in row.get("photos", [])],
    }


def issue_staff(row: dict[str, Any]) -> IssueStaff:
    names = [row["display_name"]]
    return IssueStaff(
        id=row["id"], session_id=row["session"], title=row["title"], content=row["content"],
        location=row["location"], category=row["category"], name=row["display_name"], status=row["state"],
        reason=row["reason"], support_count=row["support_count"], merged_into=row["merged_into"],
        running_order=row["running_order"], on_air_answer=row["on_air_answer"], answered_by=row["answered_by"],
        created_at=_iso(row["created_at"]), moderated_at=_iso(row["moderated_at"]),
        masked_title=services.public_text(row["title"], names), masked_content=services.public_text(row["content"], names),
        flagged_words=row.get("flagged_words", []),
    )
