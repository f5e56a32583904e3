"""Request and response shapes of rectification (整改), shared by the API and the HTML forms.

``RectificationRead`` is the public read type (a ``PublicRead``: every text is masked when it is
built); it has no field for a citizen, a phone or a staff account. The issue's own read schema
(schemas_issues.py) carries it as its ``rectification``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec

from engagement.i18n import N_
from engagement.masking import PublicRead
from engagement.schemas import Code, Phone
from live_sessions import services_rectifications as rectifications

Content = Annotated[str, msgspec.Meta(min_length=1, max_length=rectifications.MAX_UPDATE_LENGTH,
                                      title=N_("The progress update"))]


class RectificationCreate(msgspec.Struct, forbid_unknown_fields=True):
    department: Annotated[str, msgspec.Meta(min_length=1, max_length=64, title=N_("The department"),
                                            description="The responsible department's slug.")]
    commitment: Annotated[str, msgspec.Meta(min_length=1, max_length=rectifications.MAX_COMMITMENT_LENGTH,
                                            title=N_("The commitment"))]
    due_date: Annotated[date, msgspec.Meta(title=N_("The due date"),
                                           description="YYYY-MM-DD (Beijing). A date already past is accepted.")] | None = None
    working_days: Annotated[int, msgspec.Meta(ge=1, le=rectifications.MAX_WORKING_DAYS, title=N_("Working days"),
                                              description="Instead of due_date: due on the N-th working day from today.")] | None = None


class ProgressCreate(msgspec.Struct, forbid_unknown_fields=True):
    content: Content


class CompletionCreate(msgspec.Struct, forbid_unknown_fields=True):
    content: Annotated[str, msgspec.Meta(min_length=1, max_length=rectifications.MAX_UPDATE_LENGTH,
                                         title=N_("The completion report"))]


class ConfirmationCreate(msgspec.Struct, forbid_unknown_fields=True):
    solved: Annotated[bool, msgspec.Meta(title=N_("Solved"))]
    phone: Phone | None = None
    code: Code | None = None


class UpdateRead(PublicRead):
    public_safe = frozenset({"kind", "created_at", "photos"})

    id: int
    kind: str  # progress, completion or reopened
    content: str
    created_at: str | None
    photos: list[str]  # paths of the photos (re-encoded without metadata)


class Confirmations(msgspec.Struct):
    round: int  # the completion being confirmed (0: not completed yet)
    solved: int
    not_solved: int


class RectificationRead(PublicRead):
    public_safe = frozenset({"department", "department_name", "due_date", "status", "created_at", "updated_at",
                             "completed_at", "last_update_at"})
    public_names = frozenset({"issue_name"})

    issue_id: int
    session_id: int
    issue_title: str
    issue_name: str  # the proposer's display name, masked (and masked wherever it occurs in the texts)
    department: str  # slug
    department_name: str
    commitment: str
    due_date: str
    status: str  # in_progress or completed
    overdue: bool  # in progress past the due date (computed when read)
    working_days_overdue: int
    created_at: str | None
    updated_at: str | None
    completed_at: str | None
    last_update_at: str | None
    updates: list[UpdateRead]
    confirmations: Confirmations


class RectificationList(msgspec.Struct):
    items: list[RectificationRead]
    total: int


def update_read(update: dict[str, Any]) -> UpdateRead:
    return UpdateRead(id=update["id"], kind=update["kind"], content=update["content"],
                      created_at=rectifications.iso(update["created_at"]),
                      photos=[rectifications.photo_path(photo_id) for photo_id in update.get("photos", [])])


def rectification_read(row: dict[str, Any]) -> RectificationRead:
    """From a row with details (``services_rectifications.attach_details``)."""
    return RectificationRead(
        issue_id=row["issue"], session_id=row["session_id"], issue_title=row["issue_title"],
        issue_name=row["issue_name"] or "",
        department=row["department_slug"], department_name=row["department_name"], commitment=row["commitment"],
        due_date=row["due_date"].isoformat(), status=row["state"], overdue=row["overdue"],
        working_days_overdue=row["working_days_overdue"], created_at=rectifications.iso(row["created_at"]),
        updated_at=rectifications.iso(row["updated_at"]), completed_at=rectifications.iso(row["completed_at"]),
        last_update_at=rectifications.iso(row["last_update_at"]),
        updates=[update_read(update) for update in row["updates"]],
        confirmations=Confirmations(round=row["confirmation_round"], solved=row["solved"],
                                    not_solved=row["not_solved"]),
    )


async def rectification_of(issue_id: int) -> RectificationRead | None:
    """The ``rectification`` field of an issue's read schema: None until one is recorded."""
    row = await rectifications.rectification_details(issue_id)
    return rectification_read(row) if row else None
