"""The domain operations of live sessions: the sessions themselves and the record of streamed events.

One function per thing a user does, each in its own unit of work (``engagement.db.unit_of_work``);
state changes go through the workflows of ``live_sessions/workflows.py``. The other aggregates have
their own files: ``services_questions.py`` (questions, answers, remarks, votes) and
``services_transcripts.py`` (transcripts and their comments).

Every change a viewer or moderator must see is written, in the same transaction, as a row of
``live_event`` with the next sequence number of its stream (``public`` for viewers, ``staff`` for
moderators); the publish to the stream's channel is registered with ``after_commit``, so it happens
only once the change is committed. The database is the record: a (re)connecting client catches up
from ``live_event`` by sequence number.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from piccolo.querystring import QueryString

from engagement import permissions
from engagement.accounts import Staff
from engagement.clock import aware as _aware
from engagement.clock import now as _now
from engagement.db import after_commit, unit_of_work
from engagement.errors import InvalidInput, NotFound
from engagement.i18n import _
from engagement.live import encode_event
from engagement.masking import mask_name, mask_personal_data
from engagement.prepared import PreparedQuery, prepared
from live_sessions.tables import LiveEvent, LiveSession, LiveSessionHost, SessionKind, SessionStatus
from live_sessions.workflows import SESSION

log = logging.getLogger("live_sessions")

PUBLIC, STAFF = "public", "staff"
MAX_NAME_LENGTH = 50
MAX_TITLE_LENGTH = 200
MAX_TEXT_LENGTH = 5000
MAX_SPEAKER_LENGTH = 100
MAX_GUESTS = 20
MAX_GUEST_NAME_LENGTH = 100
MAX_GUEST_TITLE_LENGTH = 200
MAX_PHOTO_LENGTH = 300
CATCH_UP_LIMIT = 500  # events per catch-up query; the client asks again for more


class Publisher(Protocol):
    """Litestar's ChannelsPlugin, or anything with the same ``publish``."""

    def publish(self, data: bytes, channels: list[str]) -> None: ...


def channel_for(session_id: int, stream: str = PUBLIC) -> str:
    return f"live_session:{session_id}" if stream == PUBLIC else f"live_session:{session_id}:staff"


def epoch_of(session: dict[str, Any]) -> int:
    """Identifies one session for ever (its creation time in microseconds), unlike its id.

    Channel history outlives a database that was reset or restored (ids are then reused): a viewer
    ignores sequenced events whose epoch is not its session's.
    """
    return int(_aware(session["created_at"]).timestamp() * 1_000_000)


# ---------- the record of streamed events ----------


async def record_event(session_id: int, stream: str, type_: str, payload: dict[str, Any],
                       publisher: Publisher | None) -> dict[str, Any]:
    """Write the next event of a stream in the current unit of work; it is published once that has committed."""
    counter = LiveSession.public_seq if stream == PUBLIC else LiveSession.staff_seq
    # The row lock of this UPDATE orders concurrent writers: sequence numbers are contiguous.
    rows = await LiveSession.update({counter: counter + 1}).where(LiveSession.id == session_id).returning(
        counter, LiveSession.created_at
    )
    if not rows:
        raise NotFound(_("The live session was not found."))
    seq = rows[0][counter._meta.name]
    event = {"type": type_, "seq": seq, "epoch": epoch_of(rows[0]), **payload}
    await LiveEvent.insert(
        LiveEvent(session=session_id, stream=stream, seq=seq, event_key=f"{session_id}:{stream}:{seq}",
                  type=type_, payload=event)
    )
    channel = channel_for(session_id, stream)
    await after_commit(lambda: _publish_committed(publisher, channel, event))
    return event


async def _publish_committed(publisher: Publisher | None, channel: str, event: dict[str, Any]) -> None:
    publish(publisher, channel, event)


def publish(publisher: Publisher | None, channel: str, event: dict[str, Any]) -> None:
    """Hand an event to the channels. Without a publisher (demo, CLI) viewers catch up from the database."""
    if publisher is None:
        return
    try:
        publisher.publish(encode_event(event), [channel])
    except Exception:  # the event is in the database; viewers will catch up from there
        log.exception("could not publish to %s", channel)


async def record_peak_viewers(session_id: int, viewers: int) -> None:
    """Keep the most viewers seen at once (over all web processes); never lowers the figure."""
    await LiveSession.update({LiveSession.peak_viewers: viewers}).where(
        (LiveSession.id == session_id) & (LiveSession.peak_viewers < viewers))


async def events_after(session_id: int, stream: str, after: int, limit: int = CATCH_UP_LIMIT,
                       before: int | None = None) -> list[dict[str, Any]]:
    """Events of one stream with seq > after (and < before), in order, from the record."""
    where = (LiveEvent.session == session_id) & (LiveEvent.stream == stream) & (LiveEvent.seq > after)
    if before is not None:
        where = where & (LiveEvent.seq < before)
    rows = await LiveEvent.select(LiveEvent.payload).where(where).order_by(LiveEvent.seq).limit(limit)
    return [_payload(row["payload"]) for row in rows]


# ---------- shapes and checks shared by the aggregates ----------


def public_name(display_name: str) -> str:
    return mask_name(display_name) if display_name else ""


def public_text(text: str, names: Iterable[str] = ()) -> str:
    """User-written text as published: phone, ID, e-mail and card numbers masked."""
    return mask_personal_data(text, [name for name in names if name])


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def guests_of(session: dict[str, Any]) -> list[dict[str, Any]]:
    return _payload(session["guests"]) or []


def _payload(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def clean_text(value: Any, limit: int, what: str, required: bool = True) -> str:
    """Stripped text within ``limit`` (the request structs check the same limits at the door)."""
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise InvalidInput(_("%(field)s must be text.") % {"field": what})
    if required and not text:
        raise InvalidInput(_("%(field)s is required.") % {"field": what})
    if len(text) > limit:
        raise InvalidInput(_("%(field)s may have at most %(limit)d characters.") % {"field": what, "limit": limit})
    return text


# ---------- loaders (the only way a handler gets a session) ----------


SESSION_BY_ID = prepared(lambda p: LiveSession.select().where(LiveSession.id == p.id).first())
SESSION_COUNT = prepared(lambda p: LiveSession.count())


async def get_session(session_id: int) -> dict[str, Any]:
    row = await SESSION_BY_ID.run(id=session_id)
    if row is None:
        raise NotFound(_("The live session was not found."))
    return row


async def session_for_staff(staff: Staff | None, session_id: int, permission: str) -> dict[str, Any]:
    permissions.require(staff, permission)
    return await get_session(session_id)


LISTED_COLUMNS = (LiveSession.id, LiveSession.title, LiveSession.status, LiveSession.scheduled_at, LiveSession.guests)


_TOTAL = "sessions_in_all"  # each row of a page also carries the number of sessions, counted in the same statement


@functools.lru_cache(maxsize=32)
def _sessions_page(limit: int, offset: int, listed: bool) -> PreparedQuery:
    """Newest first; limit and offset are part of a prepared query's SQL, so one query per page asked for."""
    total = QueryString(f"(SELECT COUNT(*) FROM {LiveSession._meta.tablename})").as_alias(_TOTAL)
    return prepared(lambda p: LiveSession.select(*(LISTED_COLUMNS if listed else LiveSession.all_columns()), total)
                    .order_by(LiveSession.scheduled_at, ascending=False).limit(limit).offset(offset))


async def list_sessions(limit: int = 20, offset: int = 0, listed: bool = False) -> tuple[list[dict[str, Any]], int]:
    """A page of sessions and how many there are, in one query (two for a page after the last).

    ``listed``: only the columns of the public list (``LISTED_COLUMNS``)."""
    rows = await _sessions_page(limit, offset, listed).run()
    if not rows:
        return rows, 0 if offset == 0 else await SESSION_COUNT.run()
    total = rows[0][_TOTAL]
    for row in rows:
        del row[_TOTAL]
    return rows, total


# ---------- sessions ----------


def _clean_guests(guests: Any) -> list[dict[str, str]]:
    if not isinstance(guests, list) or not guests:
        raise InvalidInput(_("Name at least one guest."))
    if len(guests) > MAX_GUESTS:
        raise InvalidInput(_("At most %(limit)d guests.") % {"limit": MAX_GUESTS})
    return [_clean_guest(guest) for guest in guests]


def _clean_guest(guest: Any) -> dict[str, str]:
    if not isinstance(guest, dict):
        raise InvalidInput(_("Each guest needs a name and a title."))
    item = {
        "name": clean_text(guest.get("name"), MAX_GUEST_NAME_LENGTH, _("The guest's name")),
        "title": clean_text(guest.get("title"), MAX_GUEST_TITLE_LENGTH, _("The guest's title")),
    }
    photo = guest.get("photo")
    if photo:
        photo = clean_text(photo, MAX_PHOTO_LENGTH, _("The guest's photo"))
        if not photo.startswith("/static/"):
            raise InvalidInput(_("A guest photo must be an image on this site (/static/…)."))
        item["photo"] = photo
    return item


async def create_session(
    staff: Staff | None,
    *,
    kind: str,
    title: str,
    description: str,
    guests: list[dict[str, Any]],
    scheduled_at: datetime,
    capacity: int | None = None,
    place: str = "",
    agenda: str = "",
    allocation: str | None = None,
    registration_opens_at: datetime | None = None,
    registration_closes_at: datetime | None = None,
    quotas: list[dict[str, Any]] | None = None,
    offer_hours: int | None = None,
    issues_close_at: datetime | None = None,
) -> dict[str, Any]:
    """Announce a session; an open meeting also takes its place, agenda, seats, quotas and registration window."""
    from live_sessions import services_registrations  # that module builds on this one
    from live_sessions.services_lottery import lottery_seed_columns

    permissions.require(staff, "session.create")
    if kind not in {k.value for k in SessionKind}:
        raise InvalidInput(_("The kind must be interview, tv_questioning or open_meeting."))
    title = clean_text(title, MAX_TITLE_LENGTH, _("The session title"))
    description = clean_text(description, MAX_TEXT_LENGTH, _("The description"), required=False)
    is_open_meeting = kind == SessionKind.open_meeting.value
    guests = _clean_guests(guests) if guests or not is_open_meeting else []  # an open meeting may have no guests
    if scheduled_at.tzinfo is None:
        raise InvalidInput(_("The scheduled time needs a time zone, e.g. 2026-12-05T10:00:00+08:00."))
    if capacity is not None and capacity < 1:
        raise InvalidInput(_("The capacity must be a positive number."))
    meeting: dict[str, Any] = {}
    if is_open_meeting:
        meeting = services_registrations.clean_open_meeting(
            capacity=capacity, scheduled_at=scheduled_at, allocation=allocation, quotas=quotas,
            registration_opens_at=registration_opens_at, registration_closes_at=registration_closes_at,
            offer_hours=offer_hours)
        meeting["place"] = clean_text(place, MAX_TITLE_LENGTH, _("The place"), required=False)
        meeting["agenda"] = clean_text(agenda, MAX_TEXT_LENGTH, _("The agenda"), required=False)
        meeting.update(lottery_seed_columns(meeting["allocation"]))  # the seed's commitment is public from now on
    seat_quotas = meeting.pop("quotas", [])
    if issues_close_at is not None:  # TV questioning and open meetings: the issue collection deadline
        if issues_close_at.tzinfo is None:
            raise InvalidInput(_("The collection deadline needs a time zone, e.g. 2026-12-05T10:00:00+08:00."))
        meeting["issues_close_at"] = issues_close_at
    async with unit_of_work():
        rows = await LiveSession.insert(
            LiveSession(kind=kind, title=title, description=description, guests=guests, scheduled_at=scheduled_at,
                        capacity=capacity, status=SessionStatus.announced, created_by=staff.id, **meeting)
        ).returning(LiveSession.id)
        session_id = rows[0]["id"]
        await LiveSessionHost.insert(LiveSessionHost(session=session_id, staff=staff.id))
        await services_registrations.save_quotas(session_id, seat_quotas)
        await SESSION.record("announce", session_id, from_state="", actor=staff, detail={"title": title})
    return await get_session(session_id)


async def start_session(staff: Staff | None, session_id: int, publisher: Publisher | None = None) -> dict[str, Any]:
    permissions.require(staff, "session.run")
    async with unit_of_work():
        await SESSION.apply("start", session_id, actor=staff, values={LiveSession.started_at: _now()})
        await record_event(session_id, PUBLIC, "status", {"status": SessionStatus.live.value}, publisher)
    return await get_session(session_id)


async def end_session(staff: Staff | None, session_id: int, publisher: Publisher | None = None) -> dict[str, Any]:
    """End the session; the draft transcript is assembled in the same transaction."""
    from live_sessions.services_transcripts import draft_transcript  # that module builds on this one

    permissions.require(staff, "session.run")
    async with unit_of_work():
        await SESSION.apply("end", session_id, actor=staff, values={LiveSession.ended_at: _now()})
        await record_event(session_id, PUBLIC, "status", {"status": SessionStatus.ended.value}, publisher)
        await draft_transcript(session_id)
    return await get_session(session_id)
