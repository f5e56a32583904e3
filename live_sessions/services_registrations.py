"""Registrations for open meetings (会议开放日): seats, waitlist, offers of freed seats, reminders, check-in.

Seats come in *pools*: one per quota (``live_seat_quota``: residents, enterprises, deputies …) and
the open pool ``""`` holding the seats no quota reserves (all of them when there are no quotas). A
registration counts against exactly one pool, so "never more than the seats, per quota and in
total" is one rule: in each pool, confirmed + offered + checked in ≤ its seats.

Every write that counts seats takes the session's row lock first (``lock_row_for_update``; on
SQLite the IMMEDIATE write transaction already serialises writers), then counts and changes, so
concurrent registrations, cancellations, acceptances and expiries never overbook. State changes go
through the ``REGISTRATION`` workflow (history + audit); SMS go through ``notify_citizen`` with an
``event_key``, so each notice is sent at most once.

The registration code is the secret that opens the registration (as the mailbox's query code):
10 characters from 31 letters and digits without look-alikes, drawn with ``secrets``; only its
keyed hash is stored (``code_hash``, unique across meetings), so the SMS at registration is the
only place it appears. A freed seat is offered to the first waitlisted person of the same pool
until a deadline (``offer_deadline``); the job ``live_sessions.expire_offers`` passes expired offers on.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from engagement import clock, permissions
from engagement.accounts import Staff
from engagement.crypto import keyring
from engagement.db import lock_row_for_update, unit_of_work
from engagement.errors import Conflict, Forbidden, InvalidInput, NotFound
from engagement.i18n import _
from engagement.masking import mask_name
from engagement.notifications import notify_citizen
from engagement.verification import VerifiedCitizen
from live_sessions.services import MAX_NAME_LENGTH, clean_text, get_session
from live_sessions.tables import (
    Allocation,
    LiveSession,
    Registration,
    RegistrationState,
    SeatQuota,
    SessionKind,
    SessionStatus,
)
from live_sessions.workflows import REGISTRATION, REGISTRATION_STATUS_LABELS, SEAT_HOLDING

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out at the door and over the phone
CODE_LENGTH = 10  # 31**10 ≈ 8 * 10**14 codes
MAX_ORGANIZATION_LENGTH = 100
MAX_TOPIC_LENGTH = 200
MAX_CATEGORY_LENGTH = 30
MAX_LABEL_LENGTH = 50
MAX_QUOTAS = 10
OFFER_CUTOFF = timedelta(hours=2)  # an offer never runs later than this before the meeting starts …
MIN_OFFER = timedelta(minutes=30)  # … unless that leaves less than this: then it runs to the start
OPEN_POOL = ""
CREATED_BY_STATE = {
    RegistrationState.confirmed.value: "register",
    RegistrationState.waitlisted.value: "join_waitlist",
    RegistrationState.entered.value: "enter",
}
REGISTRATION_LINK = "/registrations/%s"


# ---------- codes ----------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _index in range(CODE_LENGTH))


def normalise_code(code: object) -> str:
    """As typed at the door: case, spaces and hyphens do not matter."""
    if not isinstance(code, str):
        return ""
    return code.strip().upper().replace(" ", "").replace("-", "")


def code_hash(code: object) -> str:
    return keyring().lookup_hash(f"live-registration:{normalise_code(code)}")


# ---------- the announcement (called by services.create_session) ----------


def clean_open_meeting(*, capacity: int | None, scheduled_at: datetime, allocation: str | None,
                       registration_opens_at: datetime | None, registration_closes_at: datetime | None,
                       quotas: list[dict[str, Any]] | None, offer_hours: int | None) -> dict[str, Any]:
    """The open-meeting columns of a new session, checked (400 naming the problem); quotas under ``"quotas"``."""
    if capacity is None:
        raise InvalidInput(_("An open meeting needs its number of seats (capacity)."), field="capacity")
    allocation = allocation or Allocation.first_come.value
    if allocation not in {a.value for a in Allocation}:
        raise InvalidInput(_("The allocation must be first_come or lottery."), field="allocation")
    for moment, field in ((registration_opens_at, "registration_opens_at"),
                          (registration_closes_at, "registration_closes_at")):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(_("The scheduled time needs a time zone, e.g. 2026-12-05T10:00:00+08:00."), field=field)
    if registration_opens_at and registration_closes_at and registration_opens_at >= registration_closes_at:
        raise InvalidInput(_("Registration must open before it closes."), field="registration_closes_at")
    if registration_closes_at and registration_closes_at > scheduled_at:
        raise InvalidInput(_("Registration must close before the meeting starts."), field="registration_closes_at")
    if allocation == Allocation.lottery.value and registration_closes_at is None:
        raise InvalidInput(_("A lottery needs a registration closing time: the draw takes place then."),
                           field="registration_closes_at")
    if offer_hours is not None and not 1 <= offer_hours <= 24 * 14:
        raise InvalidInput(_("The time to accept an offered seat must be between 1 and 336 hours."), field="offer_hours")
    return {
        "allocation": allocation, "registration_opens_at": registration_opens_at,
        "registration_closes_at": registration_closes_at, "offer_hours": offer_hours or 24,
        "quotas": _clean_quotas(quotas or [], capacity),
    }


def _clean_quotas(quotas: list[dict[str, Any]], capacity: int) -> list[dict[str, Any]]:
    if len(quotas) > MAX_QUOTAS:
        raise InvalidInput(_("At most %(limit)d quotas.") % {"limit": MAX_QUOTAS}, field="quotas")
    cleaned = [_clean_quota(quota) for quota in quotas]
    categories = [quota["category"] for quota in cleaned]
    if len(set(categories)) != len(categories):
        raise InvalidInput(_("Each quota needs its own category."), field="quotas")
    if sum(quota["seats"] for quota in cleaned) > capacity:
        raise InvalidInput(_("The quotas hold more seats than the meeting has."), field="quotas")
    return cleaned


def _clean_quota(quota: Any) -> dict[str, Any]:
    if not isinstance(quota, dict):
        raise InvalidInput(_("Each quota needs a category, a label and its seats."), field="quotas")
    category = clean_text(quota.get("category"), MAX_CATEGORY_LENGTH, _("The quota's category"))
    label = clean_text(quota.get("label"), MAX_LABEL_LENGTH, _("The quota's label"))
    seats = quota.get("seats")
    if not isinstance(seats, int) or isinstance(seats, bool) or seats < 1:
        raise InvalidInput(_("A quota's seats must be a positive number."), field="quotas")
    return {"category": category, "label": label, "seats": seats}


async def save_quotas(session_id: int, quotas: list[dict[str, Any]]) -> None:
    """Inside the creating unit of work."""
    if quotas:
        await SeatQuota.insert(*[
            SeatQuota(quota_key=f"{session_id}:{quota['category']}", session=session_id, category=quota["category"],
                      label=quota["label"], seats=quota["seats"])
            for quota in quotas
        ])


# ---------- seats ----------


async def quotas_of(session_id: int) -> list[dict[str, Any]]:
    return await SeatQuota.select().where(SeatQuota.session == session_id).order_by(SeatQuota.id)


def seat_pools(session: dict[str, Any], quotas: list[dict[str, Any]]) -> dict[str, int]:
    """category -> seats; the open pool ``""`` has the seats no quota reserves (absent when there are none)."""
    pools = {quota["category"]: quota["seats"] for quota in quotas}
    unreserved = (session["capacity"] or 0) - sum(pools.values())
    if unreserved > 0 or not pools:
        pools[OPEN_POOL] = max(unreserved, 0)
    return pools


async def held_seats(session_id: int, category: str) -> int:
    return await Registration.count().where(
        (Registration.session == session_id) & (Registration.category == category)
        & Registration.state.is_in(list(SEAT_HOLDING))
    )


def offer_deadline(session: dict[str, Any], now: datetime) -> datetime:
    """``offer_hours`` from now, but never later than 2 hours before the start; a seat freed later than
    that is offered for at least 30 minutes, and never past the start."""
    starts = clock.aware(session["scheduled_at"])
    usual = min(now + timedelta(hours=session["offer_hours"] or 24), starts - OFFER_CUTOFF)
    return max(usual, min(now + MIN_OFFER, starts))


def _pool_for(category: object, pools: dict[str, int], quotas: list[dict[str, Any]]) -> str:
    """The pool a registration counts against: its quota's category, or the open pool."""
    category = category.strip() if isinstance(category, str) else ""
    if not quotas:
        return OPEN_POOL
    if category in pools:
        return category
    if not category and OPEN_POOL in pools:
        return OPEN_POOL
    names = "、".join(f"{quota['category']} ({quota['label']})" for quota in quotas)
    raise InvalidInput(_("Choose one of the categories: %(names)s.") % {"names": names}, field="category")


# ---------- registering ----------


async def register(session_id: int, citizen: VerifiedCitizen, *, name: object, category: object = "",
                   organization: object = "", topic: object = "") -> tuple[dict[str, Any], str]:
    """Register ``citizen`` for an open meeting: (the registration, its code). The code is shown once."""
    name_text = clean_text(name, MAX_NAME_LENGTH, _("Your name"))
    organization_text = clean_text(organization, MAX_ORGANIZATION_LENGTH, _("The organisation"), required=False)
    topic_text = clean_text(topic, MAX_TOPIC_LENGTH, _("The topic"), required=False)
    code = new_code()
    async with unit_of_work():
        await lock_row_for_update(LiveSession, session_id)
        session = await open_meeting(session_id)
        _require_registration_open(session, clock.now())
        quotas = await quotas_of(session_id)
        pools = seat_pools(session, quotas)
        pool = _pool_for(category, pools, quotas)
        await _refuse_second_registration(session_id, citizen)
        state = await _initial_state(session, pool, pools[pool])
        row = await _insert(session_id, citizen, code, state, pool, name_text, organization_text, topic_text)
        await REGISTRATION.record(CREATED_BY_STATE[state], row["id"], from_state="", actor=citizen,
                                  detail={"session": session_id, "category": pool})
        await notify_citizen(citizen.id, _registered_message(session, state, code), purpose="registration",
                             event_key=f"registration:{row['id']}:created")
    return row, code


async def open_meeting(session_id: int) -> dict[str, Any]:
    session = await get_session(session_id)
    if session["kind"] != SessionKind.open_meeting.value:
        raise NotFound(_("This session takes no registrations: it is not an open meeting."))
    return session


def _require_registration_open(session: dict[str, Any], now: datetime) -> None:
    opens = clock.aware(session["registration_opens_at"])
    closes = clock.aware(session["registration_closes_at"]) or clock.aware(session["scheduled_at"])
    if session["status"] != SessionStatus.announced.value or session["drawn_at"] is not None:
        raise Conflict(_("Registration for this meeting is closed."))
    if opens is not None and now < opens:
        raise Conflict(_("Registration opens at %(time)s.") % {"time": clock.display(opens)})
    if now >= closes:
        raise Conflict(_("Registration for this meeting is closed."))


async def _refuse_second_registration(session_id: int, citizen: VerifiedCitizen) -> None:
    """One registration per phone per meeting, for good: a cancelled one is not replaced (docs/live_sessions.md)."""
    previous = await Registration.select(Registration.state).where(
        Registration.registration_key == f"{session_id}:{citizen.id}"
    ).first()
    if previous is None:
        return
    if previous["state"] == RegistrationState.cancelled.value:
        raise Conflict(_("This phone number cancelled its registration for this meeting; it cannot register again."))
    raise Conflict(_("This phone number is already registered for this meeting."))


async def _initial_state(session: dict[str, Any], pool: str, seats: int) -> str:
    if session["allocation"] == Allocation.lottery.value:
        return RegistrationState.entered.value
    if await held_seats(session["id"], pool) < seats:
        return RegistrationState.confirmed.value
    return RegistrationState.waitlisted.value


async def _insert(session_id: int, citizen: VerifiedCitizen, code: str, state: str, pool: str, name: str,
                  organization: str, topic: str) -> dict[str, Any]:
    position = await _next_queue_position(session_id) if state == RegistrationState.waitlisted.value else None
    rows = await Registration.insert(
        Registration(registration_key=f"{session_id}:{citizen.id}", code_hash=code_hash(code), session=session_id,
                     citizen=citizen.id, name=name, category=pool, organization=organization, topic=topic,
                     state=state, queue_position=position)
    ).returning(*Registration.all_columns())
    return rows[0]


async def _next_queue_position(session_id: int) -> int:
    row = await Registration.select(Registration.queue_position.as_alias("position")).where(
        (Registration.session == session_id) & Registration.queue_position.is_not_null()
    ).order_by(Registration.queue_position, ascending=False).first()
    return (row["position"] if row else 0) + 1


# ---------- reading ----------


async def registration_by_code(code: object) -> dict[str, Any]:
    """The registration a code opens; 404 for an unknown (or mistyped) code."""
    if not normalise_code(code):
        raise NotFound(_("No registration matches this code."))
    row = await Registration.select().where(Registration.code_hash == code_hash(code)).first()
    if row is None:
        raise NotFound(_("No registration matches this code."))
    return row


async def waitlist_position(registration: dict[str, Any]) -> int | None:
    """1 for the next in line of its pool; None when not on the waitlist."""
    if registration["state"] != RegistrationState.waitlisted.value:
        return None
    ahead = await Registration.count().where(
        (Registration.session == registration["session"]) & (Registration.category == registration["category"])
        & (Registration.state == RegistrationState.waitlisted.value)
        & (Registration.queue_position < registration["queue_position"])
    )
    return ahead + 1


async def list_registrations(staff: Staff | None, session_id: int, state: str | None = None, limit: int = 50,
                             offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Staff: the registrations of a meeting in registration order (names as written: mask when shown)."""
    permissions.require(staff, "registration.view")
    await open_meeting(session_id)
    where = Registration.session == session_id
    if state:
        where = where & (Registration.state == state)
    rows = await (
        Registration.select(*Registration.all_columns(exclude=[Registration.code_hash, Registration.registration_key]))
        .where(where).order_by(Registration.id).limit(limit).offset(offset)
    )
    return rows, await Registration.count().where(where)


async def registration_counts(session_id: int, session: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Per pool: {"category", "label", "seats", "counts": {state: n}} (two queries when ``session`` is given)."""
    session = session or await get_session(session_id)
    quotas = await quotas_of(session["id"])
    labels = {quota["category"]: quota["label"] for quota in quotas}
    rows = await Registration.raw(
        "SELECT category, state, COUNT(*) AS n FROM live_registration WHERE session = {} GROUP BY category, state",
        session["id"],
    )
    pools = seat_pools(session, quotas)
    counts: dict[str, dict[str, int]] = {pool: {} for pool in pools}
    for row in rows:
        counts.setdefault(row["category"], {})[row["state"]] = row["n"]
    return [
        {"category": pool, "label": labels.get(pool, ""), "seats": pools.get(pool, 0),
         "counts": {state.value: by_state.get(state.value, 0) for state in RegistrationState}}
        for pool, by_state in counts.items()
    ]


def masked_name(registration: dict[str, Any]) -> str:
    return mask_name(registration["name"])


def state_label(state: str) -> str:
    return _(REGISTRATION_STATUS_LABELS[RegistrationState(state)])


# ---------- cancelling, offers ----------


async def cancel(code: object, citizen: VerifiedCitizen) -> dict[str, Any]:
    """The registrant cancels (same phone: 403 otherwise); a freed seat is offered to the next in its pool."""
    registration = await own_registration(code, citizen)
    async with unit_of_work():
        await lock_row_for_update(LiveSession, registration["session"])
        current = await _reload(registration["id"])
        row = await REGISTRATION.apply("cancel", current["id"], actor=citizen, expect=current["state"],
                                       values={Registration.offer_expires_at: None})
        if current["state"] in SEAT_HOLDING:
            await fill_freed_seats(current["session"], current["category"])
    return row


async def own_registration(code: object, citizen: VerifiedCitizen) -> dict[str, Any]:
    registration = await registration_by_code(code)
    if registration["citizen"] != citizen.id:
        raise Forbidden(_("This registration was made with another phone number."))
    return registration


async def _reload(registration_id: int) -> dict[str, Any]:
    row = await Registration.select().where(Registration.id == registration_id).first()
    if row is None:
        raise NotFound(_("No registration matches this code."))
    return row


async def fill_freed_seats(session_id: int, category: str) -> list[dict[str, Any]]:
    """Offer the free seats of a pool to its first waitlisted people. Call with the session's row lock held.

    No offers once the meeting has started (or ended).
    """
    session = await get_session(session_id)
    now = clock.now()
    if session["status"] != SessionStatus.announced.value or now >= clock.aware(session["scheduled_at"]):
        return []
    pools = seat_pools(session, await quotas_of(session_id))
    free = pools.get(category, 0) - await held_seats(session_id, category)
    if free <= 0:
        return []
    waiting = await (
        Registration.select(Registration.id, Registration.citizen).where(
            (Registration.session == session_id) & (Registration.category == category)
            & (Registration.state == RegistrationState.waitlisted.value)
        ).order_by(Registration.queue_position).order_by(Registration.id).limit(free)
    )
    deadline = offer_deadline(session, now)
    offered = []
    for person in waiting:
        offered.append(await REGISTRATION.apply("offer", person["id"], expect=RegistrationState.waitlisted,
                                                values={Registration.offer_expires_at: deadline}))
        await notify_citizen(person["citizen"], _offer_message(session, deadline), purpose="registration_offer",
                             event_key=f"registration:{person['id']}:offer")
    return offered


async def accept_offer(code: object, citizen: VerifiedCitizen) -> dict[str, Any]:
    """Take the offered seat before its deadline; after it → 409 (and the seat goes to the next person)."""
    registration = await own_registration(code, citizen)
    too_late = False
    async with unit_of_work():
        await lock_row_for_update(LiveSession, registration["session"])
        current = await _reload(registration["id"])
        if current["state"] == RegistrationState.offered.value and _expired(current, clock.now()):
            too_late = True
        else:
            row = await REGISTRATION.apply("accept", current["id"], actor=citizen, expect=current["state"])
            session = await get_session(current["session"])
            await notify_citizen(citizen.id, _accepted_message(session), purpose="registration",
                                 event_key=f"registration:{current['id']}:accepted")
    if too_late:
        await expire_offer(registration["id"])
        raise Conflict(_("The offer expired at %(time)s; the seat has gone to the next person on the waitlist.")
                       % {"time": clock.display(current["offer_expires_at"])})
    return row


async def decline_offer(code: object, citizen: VerifiedCitizen) -> dict[str, Any]:
    registration = await own_registration(code, citizen)
    async with unit_of_work():
        await lock_row_for_update(LiveSession, registration["session"])
        current = await _reload(registration["id"])
        row = await REGISTRATION.apply("decline", current["id"], actor=citizen, expect=current["state"],
                                       values={Registration.offer_expires_at: None})
        await fill_freed_seats(current["session"], current["category"])
    return row


def _expired(registration: dict[str, Any], now: datetime) -> bool:
    expires = clock.aware(registration["offer_expires_at"])
    return expires is not None and expires <= now


async def expire_offers() -> int:
    """The scheduled job: offers past their deadline are declined and their seats offered on. Idempotent."""
    due = await Registration.select(Registration.id).where(
        (Registration.state == RegistrationState.offered.value) & (Registration.offer_expires_at <= clock.now())
    ).order_by(Registration.offer_expires_at)
    expired = 0
    for row in due:
        expired += await expire_offer(row["id"])
    return expired


async def expire_offer(registration_id: int) -> bool:
    """Expire one offer if it is still open and past its deadline (once, however many run it at once)."""
    async with unit_of_work():
        registration = await _reload(registration_id)
        await lock_row_for_update(LiveSession, registration["session"])
        current = await _reload(registration_id)  # as it is now that the lock is ours
        if current["state"] != RegistrationState.offered.value or not _expired(current, clock.now()):
            return False
        await REGISTRATION.apply("expire", registration_id, expect=RegistrationState.offered)
        session = await get_session(current["session"])
        await notify_citizen(current["citizen"], _expired_message(session), purpose="registration",
                             event_key=f"registration:{registration_id}:expired")
        await fill_freed_seats(current["session"], current["category"])
    return True


# ---------- reminders ----------


async def send_reminders() -> int:
    """The scheduled job: the day before (Beijing dates), each confirmed registrant gets one reminder."""
    tomorrow = clock.today() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=clock.LOCAL_TIMEZONE)
    sessions = await LiveSession.select(
        LiveSession.id, LiveSession.title, LiveSession.place, LiveSession.scheduled_at
    ).where(
        (LiveSession.kind == SessionKind.open_meeting.value) & (LiveSession.status == SessionStatus.announced.value)
        & (LiveSession.scheduled_at >= start) & (LiveSession.scheduled_at < start + timedelta(days=1))
    )
    sent = 0
    for session in sessions:
        people = await Registration.select(Registration.id, Registration.citizen).where(
            (Registration.session == session["id"]) & (Registration.state == RegistrationState.confirmed.value)
        )
        for person in people:
            async with unit_of_work():
                sent += await notify_citizen(person["citizen"], _reminder_message(session), purpose="registration_reminder",
                                             event_key=f"registration:{person['id']}:reminder") is not None
    return sent


# ---------- check-in ----------


async def check_in(session_id: int, code: object, staff: Staff | None) -> dict[str, Any]:
    """Staff at the door: a confirmed code of this meeting → checked in; anything else → 404 or 409."""
    permissions.require(staff, "registration.check_in")
    await open_meeting(session_id)
    async with unit_of_work():
        registration = await Registration.select(Registration.id).where(
            (Registration.code_hash == code_hash(code)) & (Registration.session == session_id)
        ).first() if normalise_code(code) else None
        if registration is None:
            raise NotFound(_("No registration for this meeting matches this code."))
        await lock_row_for_update(Registration, registration["id"])
        current = await _reload(registration["id"])
        _require_checkable(current)
        return await REGISTRATION.apply(
            "check_in", current["id"], actor=staff, expect=RegistrationState.confirmed,
            values={Registration.checked_in_at: clock.now(), Registration.checked_in_by: staff.id},
        )


def _require_checkable(registration: dict[str, Any]) -> None:
    state = registration["state"]
    if state == RegistrationState.checked_in.value:
        at = registration["checked_in_at"]
        raise Conflict(_("Already checked in at %(time)s.") % {"time": clock.display(at, "time")},
                       checked_in_at=clock.machine_datetime(at), name=masked_name(registration))
    if state != RegistrationState.confirmed.value:
        raise Conflict(_("Refused: this code does not hold a confirmed seat (%(state)s).") % {"state": state_label(state)},
                       state=state, name=masked_name(registration))


# ---------- messages ----------


def _registered_message(session: dict[str, Any], state: str, code: str) -> str:
    values = {"title": session["title"], "code": code, "link": REGISTRATION_LINK % code,
              "time": clock.display(session["scheduled_at"]), "place": session["place"]}
    if state == RegistrationState.confirmed.value:
        text = _("[Government Engagement] Your seat at %(title)s (%(time)s, %(place)s) is confirmed. "
                 "Registration code %(code)s; show it at the door: %(link)s")
    elif state == RegistrationState.waitlisted.value:
        text = _("[Government Engagement] You are on the waitlist for %(title)s (%(time)s). We will send you an SMS if "
                 "a seat is freed. Registration code %(code)s: %(link)s")
    else:
        text = _("[Government Engagement] You are entered in the draw for the seats at %(title)s (%(time)s). "
                 "Registration code %(code)s: %(link)s")
    return text % values


def _offer_message(session: dict[str, Any], deadline: datetime) -> str:
    return _("[Government Engagement] A seat at %(title)s (%(time)s) is free for you. Accept or decline it before "
             "%(deadline)s with the link and registration code of our first message (/live-sessions/%(id)s).") % {
        "title": session["title"], "time": clock.display(session["scheduled_at"]),
        "deadline": clock.display(deadline), "id": session["id"]}


def _accepted_message(session: dict[str, Any]) -> str:
    return _("[Government Engagement] Your seat at %(title)s (%(time)s, %(place)s) is confirmed.") % {
        "title": session["title"], "time": clock.display(session["scheduled_at"]), "place": session["place"]}


def _expired_message(session: dict[str, Any]) -> str:
    return _("[Government Engagement] The seat offered to you at %(title)s was not accepted in time and has gone to "
             "the next person on the waitlist.") % {"title": session["title"]}


def _reminder_message(session: dict[str, Any]) -> str:
    return _("[Government Engagement] Reminder: %(title)s is tomorrow, %(time)s, at %(place)s. Please bring your "
             "registration code.") % {"title": session["title"], "time": clock.display(session["scheduled_at"]),
                                      "place": session["place"]}
