"""Request and response shapes of open-meeting registrations (DESIGN section 4), shared by API and HTML forms.

No type here carries a phone number, a citizen id or an unmasked name; the registration code
appears only in the answer to the registration itself.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from engagement.i18n import N_
from engagement.schemas import Code, Phone
from live_sessions import services, services_registrations
from live_sessions.services import public_text

PersonName = Annotated[str, msgspec.Meta(min_length=1, max_length=services.MAX_NAME_LENGTH, title=N_("Your name"))]
Category = Annotated[str, msgspec.Meta(max_length=services_registrations.MAX_CATEGORY_LENGTH,
                                       title=N_("The category"))]
Organization = Annotated[str, msgspec.Meta(max_length=services_registrations.MAX_ORGANIZATION_LENGTH,
                                           title=N_("The organisation"))]
Topic = Annotated[str, msgspec.Meta(max_length=services_registrations.MAX_TOPIC_LENGTH, title=N_("The topic"))]
RegistrationCode = Annotated[str, msgspec.Meta(min_length=1, max_length=40, title=N_("The registration code"))]


class RegistrationCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: PersonName
    category: Category | None = None
    organization: Organization | None = None
    topic: Topic | None = None
    phone: Phone | None = None
    code: Code | None = None


class CitizenAction(msgspec.Struct, forbid_unknown_fields=True):
    """Cancel, accept or decline: the same phone as the registration (citizen token, or phone + code)."""

    phone: Phone | None = None
    code: Code | None = None


class CheckInRequest(msgspec.Struct, forbid_unknown_fields=True):
    registration_code: RegistrationCode


class RegistrationCreated(msgspec.Struct, omit_defaults=True):
    status: str
    registration_code: str
    session_id: int
    waitlist_position: int | None = None


class RegistrationStatus(msgspec.Struct, omit_defaults=True):
    """What the code shows its holder: ``waitlist_position`` only on the waitlist, ``offer_expires_at`` only
    while a seat is offered."""

    status: str
    session_id: int
    category: str = ""
    waitlist_position: int | None = None
    offer_expires_at: str | None = None
    checked_in_at: str | None = None


class CheckInResult(msgspec.Struct):
    status: str
    name: str  # masked
    category: str
    checked_in_at: str | None


class PoolCounts(msgspec.Struct):
    category: str  # "" for the seats no quota reserves
    label: str
    seats: int
    counts: dict[str, int]  # state -> registrations


class RegistrationStaff(msgspec.Struct):
    id: int
    name: str  # masked
    category: str
    organization: str
    topic: str
    status: str
    queue_position: int | None
    draw_rank: int | None
    offer_expires_at: str | None
    checked_in_at: str | None
    created_at: str | None


class RegistrationList(msgspec.Struct):
    items: list[RegistrationStaff]
    total: int
    counts: list[PoolCounts]


class Seats(msgspec.Struct):
    """Public: the seats of each pool and how many are taken (no names)."""

    session_id: int
    allocation: str
    capacity: int
    pools: list[PoolCounts]


# ---------- conversions ----------


def registration_status(row: dict[str, Any], position: int | None) -> RegistrationStatus:
    offered = row["state"] == "offered"
    return RegistrationStatus(
        status=row["state"], session_id=row["session"], category=row["category"], waitlist_position=position,
        offer_expires_at=services._iso(row["offer_expires_at"]) if offered else None,
        checked_in_at=services._iso(row["checked_in_at"]),
    )


def check_in_result(row: dict[str, Any]) -> CheckInResult:
    return CheckInResult(status=row["state"], name=services_registrations.masked_name(row), category=row["category"],
                         checked_in_at=services._iso(row["checked_in_at"]))


def registration_staff(row: dict[str, Any]) -> RegistrationStaff:
    return RegistrationStaff(
        id=row["id"], name=services_registrations.masked_name(row), category=row["category"],
        organization=public_text(row["organization"], [row["name"]]), topic=public_text(row["topic"], [row["name"]]),
        status=row["state"], queue_position=row["queue_position"], draw_rank=row["draw_rank"],
        offer_expires_at=services._iso(row["offer_expires_at"]), checked_in_at=services._iso(row["checked_in_at"]),
        created_at=services._iso(row["created_at"]),
    )


def pool_counts(pools: list[dict[str, Any]]) -> list[PoolCounts]:
    return [PoolCounts(**pool) for pool in pools]
