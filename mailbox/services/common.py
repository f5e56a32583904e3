"""What every part of the mailbox's services shares: labels, the values handed to the faces, loaders."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import msgspec

from engagement import permissions
from engagement.accounts import Staff, receiving_desk
from engagement.crypto import constant_time_equals, keyring
from engagement.errors import InvalidInput, NotFound
from engagement.forms import field_label
from engagement.i18n import N_, _
from engagement.prepared import prepared
from engagement.tables import Department
from engagement.workflow import history_of
from mailbox.tables import OPEN_STATUSES, Category, Letter, Status
from mailbox.workflows import TIMELINE_ACTIONS, label_of

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

CATEGORY_LABELS = {
    Category.consultation.value: N_("Enquiry"),
    Category.suggestion.value: N_("Suggestion"),
    Category.complaint.value: N_("Complaint"),
    Category.help.value: N_("Request for help"),
    Category.praise.value: N_("Praise"),
}
STATUS_LABELS = {
    Status.received.value: N_("Received"),
    Status.assigned.value: N_("Assigned to a department"),
    Status.replied.value: N_("Replied"),
    Status.closed.value: N_("Closed"),
}


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def page_numbers(page: int | None, page_size: int | None) -> tuple[int, int]:
    size = min(max(int(page_size or PAGE_SIZE), 1), MAX_PAGE_SIZE)
    return max(int(page or 1), 1), size


def clean_text(value: object, struct: type[msgspec.Struct], field: str, required: bool = True) -> str:
    """``value`` stripped, within the limit ``struct`` declares for ``field``, refused in the API's words.

    The services are also called with plain values (demo data, jobs), and a text of spaces passes the
    struct's ``min_length``: so they check again, saying what the API and the forms say.
    """
    text = value.strip() if isinstance(value, str) else ""
    label = field_label(struct, field)
    if required and not text:
        raise InvalidInput(_("%(field)s is required.") % {"field": label})
    maximum = max_length(struct, field)
    if maximum is not None and len(text) > maximum:
        raise InvalidInput(_("%(field)s may have at most %(n)s characters.") % {"field": label, "n": maximum})
    return text


@cache
def max_length(struct: type[msgspec.Struct], field: str) -> int | None:
    for item in msgspec.inspect.type_info(struct).fields:
        if item.name == field:
            for candidate in getattr(item.type, "types", (item.type,)):
                found = getattr(getattr(candidate, "type", candidate), "max_length", None)
                if found is not None:
                    return found
    return None


def letter_columns() -> list[Any]:
    return [
        *Letter.all_columns(exclude=[Letter.search_text, Letter.search_bigrams]),
        Letter.department.slug.as_alias("department_slug"),
        Letter.department.name.as_alias("department_name"),
        Letter.addressee.slug.as_alias("addressee_slug"),
        Letter.addressee.name.as_alias("addressee_name"),
    ]


@cache  # the joined columns cost a fifth of building each public query; Piccolo only reads them
def public_columns() -> tuple[Any, ...]:
    """What the public may see of a published letter: the masked version, never the original."""
    return (
        Letter.id,
        Letter.tracking_number,
        Letter.category,
        Letter.public_subject,
        Letter.public_body,
        Letter.public_reply,
        Letter.received_at,
        Letter.replied_at,
        Letter.published_at,
        Letter.rating,
        Letter.department.slug.as_alias("department_slug"),
        Letter.department.name.as_alias("department_name"),
    )


def is_open(letter: dict[str, Any]) -> bool:
    return letter["status"] in OPEN_STATUSES


async def department_by_slug(slug: str) -> dict[str, Any]:
    row = await Department.select(Department.id, Department.slug, Department.name, Department.is_receiving_desk).where(
        Department.slug == (slug or "").strip().lower()
    ).first()
    if row is None:
        raise InvalidInput(_("No department with this slug."))
    return row


async def desk_id() -> int | None:
    """The receiving desk's department, or None when none is configured (administrators route then)."""
    desk = await receiving_desk()
    return desk["id"] if desk else None


# Prepared (engagement/prepared.py): the SQL of this hot query is built once, not by Piccolo on every call.
_DEPARTMENTS = prepared(lambda p: Department.select(
    Department.id, Department.slug, Department.name, Department.is_receiving_desk,
).order_by(Department.sort_order).order_by(Department.id))


async def departments() -> list[dict[str, Any]]:
    return await _DEPARTMENTS.run()


async def fetch_letter(tracking_number: str) -> dict[str, Any]:
    number = (tracking_number or "").strip()
    row = await Letter.select(*letter_columns()).where(Letter.tracking_number == number).first()
    if row is None:
        raise NotFound(_("No letter with this tracking number."))
    return row


async def letter_for_staff(staff: Staff | None, tracking_number: str,
                           permission: str = "letter.view") -> dict[str, Any]:
    """The only way a staff action gets its letter: 404 when unknown, 401/403 when not theirs to act on."""
    letter = await fetch_letter(tracking_number)
    permissions.require(staff, permission, letter["department"])
    return letter


def query_code_hash(tracking_number: str, code: str) -> str:
    return keyring().lookup_hash(f"mailbox-query:{tracking_number}:{code.strip().upper()}")


async def letter_for_writer(tracking_number: str, query_code: str) -> dict[str, Any]:
    """The writer's own letter by tracking number and query code; a wrong code is a 404 like an unknown number."""
    try:
        letter = await fetch_letter(tracking_number)
    except NotFound:
        raise NotFound(_("No letter matches this tracking number and query code.")) from None
    expected = query_code_hash(letter["tracking_number"], query_code or "")
    if not constant_time_equals(letter["query_code_hash"], expected):
        raise NotFound(_("No letter matches this tracking number and query code."))
    return letter


async def timeline(letter_id: int, hidden: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The letter's history from the core's workflow_event, oldest first, with department names (two queries)."""
    rows = [row for row in await history_of("letter", [letter_id]) if row["transition"] not in hidden]
    details = [_detail(row["detail"]) for row in rows]
    names = await _department_names({detail.get("department") for detail in details} - {None})
    return [
        {
            "transition": row["transition"],
            "action": TIMELINE_ACTIONS.get(row["transition"], row["transition"]),
            "label": label_of(row["transition"]),
            "status": row["to_state"],
            "department_name": names.get(detail.get("department")),
            "actor_name": row["actor_name"] if row["actor"] else "",
            "note": row["note"],
            "created_at": row["created_at"],
        }
        for row, detail in zip(rows, details, strict=True)
    ]


def _detail(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else (value or {})


async def _department_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await Department.select(Department.id, Department.name).where(Department.id.is_in(list(ids)))
    return {row["id"]: row["name"] for row in rows}
