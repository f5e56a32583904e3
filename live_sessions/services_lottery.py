"""The seat lottery of open meetings on the database: seed commitment, the draw, the published record.

The procedure itself (serialisation, shuffle, seats) is ``live_sessions/lottery.py``, pure and
re-runnable by anyone (``python -m engagement verify-draw``). Here:

- ``ensure_seed_commitment`` gives a lottery meeting its secret seed and publishes the commitment
  (called when the meeting is announced, and by the scheduled job for meetings that lack one);
- ``draw`` (hosts and administrators, once, after registration closed; a second call is 409) and
  the scheduled job ``live_sessions.draw_due`` freeze the entrants, publish their hash, reveal the
  seed and move every entrant through the registration workflow (``draw_confirm`` /
  ``draw_waitlist``) with its ``draw_rank`` and, for the waitlist, ``queue_position``;
- ``published_draw`` is what the public endpoint and the meeting page show.

The seed is kept in ``live_session.draw_seed`` from the start and never shown before ``drawn_at``
is set (``published_draw`` and the pages read it only through here).
"""

from __future__ import annotations

import logging
from typing import Any

from engagement import audit, permissions
from engagement.accounts import Staff
from engagement.clock import aware, now
from engagement.crypto import keyring
from engagement.db import lock_row_for_update, unit_of_work
from engagement.errors import Conflict, NotFound
from engagement.i18n import _
from engagement.notifications import notify_citizen
from engagement.workflow import history_of
from live_sessions import lottery, services_registrations
from live_sessions.tables import Allocation, LiveSession, Registration, RegistrationState, SessionKind
from live_sessions.workflows import REGISTRATION

log = logging.getLogger("live_sessions.lottery")

PUBLIC_ID_LABEL = "live_sessions/draw-public-id:"
DRAW_TRANSITIONS = ("draw_confirm", "draw_waitlist")


def public_id_for(code_hash: str) -> str:
    """The registration's identifier in the published draw: a keyed hash of its code's hash, shortened.

    The registrant sees it on their registration page; nobody can tell a code or a person from it.
    """
    return keyring().lookup_hash(PUBLIC_ID_LABEL + code_hash)[: lottery.PUBLIC_ID_LENGTH]


def is_lottery(session: dict[str, Any]) -> bool:
    return session["kind"] == SessionKind.open_meeting and session["allocation"] == Allocation.lottery


def registration_closed(session: dict[str, Any]) -> bool:
    closes = aware(session["registration_closes_at"])
    return closes is not None and closes <= now()


async def ensure_seed_commitment(session_id: int) -> str:
    """Draw and keep the secret seed of a lottery meeting and publish its commitment (once)."""
    seed = lottery.new_seed()
    await LiveSession.update({LiveSession.draw_seed: seed, LiveSession.draw_seed_commitment: lottery.commitment(seed)}).where(
        (LiveSession.id == session_id) & (LiveSession.draw_seed_commitment == "") & LiveSession.drawn_at.is_null()
    )
    row = await LiveSession.select(LiveSession.draw_seed_commitment).where(LiveSession.id == session_id).first()
    return row["draw_seed_commitment"] if row else ""


def lottery_seed_columns(allocation: str) -> dict[str, str]:
    """For a meeting being announced: a lottery gets its secret seed and the published commitment."""
    if allocation != Allocation.lottery.value:
        return {}
    seed = lottery.new_seed()
    return {"draw_seed": seed, "draw_seed_commitment": lottery.commitment(seed)}


async def pools_of(session: dict[str, Any]) -> dict[str, int]:
    return services_registrations.seat_pools(session, await services_registrations.quotas_of(session["id"]))


async def _entrants(session_id: int) -> list[tuple[lottery.Entrant, dict[str, Any]]]:
    rows = await Registration.select(Registration.id, Registration.code_hash, Registration.category,
                                     Registration.citizen).where(
        (Registration.session == session_id) & (Registration.state == RegistrationState.entered)
    ).order_by(Registration.id)
    return [(lottery.Entrant(row["id"], public_id_for(row["code_hash"]), row["category"]), row) for row in rows]


async def draw(staff: Staff | None, session_id: int) -> dict[str, Any]:
    """The draw of a lottery meeting, by a host or an administrator (once; after registration closed)."""
    permissions.require(staff, "registration.draw")
    return await _draw(session_id, staff)


async def _draw(session_id: int, staff: Staff | None) -> dict[str, Any]:
    async with unit_of_work():
        await lock_row_for_update(LiveSession, session_id)
        session = await LiveSession.select().where(LiveSession.id == session_id).first()
        if session is None:
            raise NotFound(_("The live session was not found."))
        _check_drawable(session)
        if not session["draw_seed"]:  # a meeting made before seeds were committed: the seed is new now
            seed = lottery.new_seed()
            session["draw_seed"], session["draw_seed_commitment"] = seed, lottery.commitment(seed)
        entrants = await _entrants(session_id)
        outcome = lottery.run_draw(session["draw_seed"], [entrant for entrant, _row in entrants],
                                   await pools_of(session))
        drawn = await LiveSession.update({
            LiveSession.drawn_at: now(), LiveSession.draw_seed: session["draw_seed"],
            LiveSession.draw_seed_commitment: session["draw_seed_commitment"],
            LiveSession.entrants_hash: lottery.entrants_hash(entrant for entrant, _row in entrants),
        }).where((LiveSession.id == session_id) & LiveSession.drawn_at.is_null()).returning(LiveSession.id)
        if not drawn:
            raise Conflict(_("The draw has already taken place."))
        await _apply_outcome(session, outcome, {entrant.registration_id: row for entrant, row in entrants}, staff)
        await audit.record(staff, "live_session.draw", "live_session", session_id,
                           {"entrants": len(entrants), "winners": len(outcome.winners)})
    return await published_draw(session_id)


def _check_drawable(session: dict[str, Any]) -> None:
    if not is_lottery(session):
        raise Conflict(_("This meeting does not allocate its seats by lottery."))
    if session["drawn_at"] is not None:
        raise Conflict(_("The draw has already taken place."))
    if not registration_closed(session):
        raise Conflict(_("The draw takes place after registration has closed."))


async def _apply_outcome(session: dict[str, Any], outcome: lottery.Outcome, rows: dict[int, dict[str, Any]],
                         staff: Staff | None) -> None:
    ranks = {entrant.registration_id: rank for rank, entrant in enumerate(outcome.order, 1)}
    for entrant in outcome.winners:
        registration_id = entrant.registration_id
        await REGISTRATION.apply("draw_confirm", registration_id, actor=staff,
                                 values={Registration.draw_rank: ranks[registration_id]},
                                 detail={"draw_rank": ranks[registration_id]})
        await _tell(session, rows[registration_id]["citizen"], registration_id, won=True)
    for position, entrant in enumerate(outcome.waitlist, 1):
        registration_id = entrant.registration_id
        await REGISTRATION.apply("draw_waitlist", registration_id, actor=staff,
                                 values={Registration.draw_rank: ranks[registration_id],
                                         Registration.queue_position: position},
                                 detail={"draw_rank": ranks[registration_id], "queue_position": position})
        await _tell(session, rows[registration_id]["citizen"], registration_id, won=False, position=position)


async def _tell(session: dict[str, Any], citizen_id: int, registration_id: int, *, won: bool, position: int = 0) -> None:
    if won:
        body = _("[Government Engagement] You have a seat at the open meeting “%(title)s”. Please bring your registration code.") % {
            "title": session["title"]}
    else:
        body = _("[Government Engagement] The draw for “%(title)s” has taken place: you are number %(position)d on the waitlist.") % {
            "title": session["title"], "position": position}
    await notify_citizen(citizen_id, body, purpose="registration_draw", event_key=f"registration:{registration_id}:draw")


async def close_registration(staff: Staff | None, session_id: int) -> dict[str, Any]:
    """Close a lottery meeting's registration now (before the announced time), so the draw can run."""
    permissions.require(staff, "registration.draw")
    async with unit_of_work():
        await lock_row_for_update(LiveSession, session_id)
        session = await LiveSession.select().where(LiveSession.id == session_id).first()
        if session is None:
            raise NotFound(_("The live session was not found."))
        if not is_lottery(session) or session["drawn_at"] is not None or registration_closed(session):
            raise Conflict(_("Registration for this meeting is closed."))
        closed_at = now()
        await LiveSession.update({LiveSession.registration_closes_at: closed_at}).where(LiveSession.id == session_id)
        await audit.record(staff, "live_session.close_registration", "live_session", session_id,
                           {"announced": str(session["registration_closes_at"]), "closed": closed_at.isoformat()})
    return await published_draw(session_id)


async def draw_due_sessions() -> int:
    """Scheduled: every lottery meeting whose registration closed is drawn (idempotent); returns how many."""
    due = await LiveSession.select(LiveSession.id).where(
        (LiveSession.kind == SessionKind.open_meeting) & (LiveSession.allocation == Allocation.lottery)
        & LiveSession.drawn_at.is_null() & LiveSession.registration_closes_at.is_not_null()
        & (LiveSession.registration_closes_at <= now())
    )
    drawn = 0
    for row in due:
        try:
            await _draw(row["id"], None)
            drawn += 1
        except Conflict:  # drawn meanwhile by a host or another worker
            continue
    return drawn


async def commit_missing_seeds() -> int:
    """Scheduled: lottery meetings announced without a commitment get one while registration is open."""
    rows = await LiveSession.select(LiveSession.id).where(
        (LiveSession.kind == SessionKind.open_meeting) & (LiveSession.allocation == Allocation.lottery)
        & (LiveSession.draw_seed_commitment == "") & LiveSession.drawn_at.is_null()
    )
    for row in rows:
        await ensure_seed_commitment(row["id"])
    return len(rows)


# ---------- the published record ----------


async def published_draw(session_id: int) -> dict[str, Any]:
    """What anyone may see of a meeting's draw; the seed and the entrants only once it took place."""
    session = await LiveSession.select().where(LiveSession.id == session_id).first()
    if session is None or session["kind"] != SessionKind.open_meeting:
        raise NotFound(_("The live session was not found."))
    record: dict[str, Any] = {
        "session_id": session_id,
        "allocation": session["allocation"],
        "capacity": session["capacity"],
        "pools": await pools_of(session),
        "registration_closes_at": session["registration_closes_at"],
        "seed_commitment": session["draw_seed_commitment"],
        "drawn": session["drawn_at"] is not None,
        "drawn_at": session["drawn_at"],
        "seed": None, "entrants_hash": None, "entrants": [], "entrants_text": None, "results": [],
    }
    if session["drawn_at"] is None:
        return record
    rows = await Registration.select(Registration.id, Registration.code_hash, Registration.category).where(
        (Registration.session == session_id) & Registration.draw_rank.is_not_null()
    ).order_by(Registration.id)
    entrants = [lottery.Entrant(row["id"], public_id_for(row["code_hash"]), row["category"]) for row in rows]
    record.update(
        seed=session["draw_seed"], entrants_hash=session["entrants_hash"],
        entrants=[{"registration_id": e.registration_id, "public_id": e.public_id, "category": e.category}
                  for e in entrants],
        entrants_text=lottery.entrants_text(entrants),
        results=await _results(entrants),
    )
    return record


async def _results(entrants: list[lottery.Entrant]) -> list[dict[str, Any]]:
    """The outcome as the draw recorded it (the workflow history), in draw order: later changes do not alter it."""
    public_ids = {entrant.registration_id: entrant.public_id for entrant in entrants}
    history = await history_of(REGISTRATION.aggregate, public_ids)
    results = []
    for event in history:
        if event["transition"] in DRAW_TRANSITIONS:
            detail = event["detail"] or {}
            results.append({"registration_id": event["target_id"], "public_id": public_ids[event["target_id"]],
                            "draw_rank": detail.get("draw_rank"), "won": event["transition"] == "draw_confirm",
                            "queue_position": detail.get("queue_position")})
    return sorted(results, key=lambda item: item["draw_rank"] or 0)
