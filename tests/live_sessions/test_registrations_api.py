"""Open meetings through the fixed interface of DESIGN section 4: announcement, registration, waitlist,
offers of freed seats, reminders and check-in, with their 400/401/403/404/409 answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine

from engagement import clock
from engagement.tables import SmsMessage, WorkflowEvent
from engagement.verification import issue_citizen_token
from live_sessions import services_registrations
from live_sessions.services_registrations import CODE_ALPHABET
from tests.live_sessions.factories import (
    QUOTAS,
    make_citizen,
    make_meeting,
    make_session,
    meeting_body,
    register,
)
from tests.support import assert_max_queries, e164, request_and_read_code, staff_headers, wait_until

PHONE = "13912345678"
OTHER_PHONE = "13987654321"


def token_of(citizen) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_citizen_token(citizen)}"}


async def sms_to(client, phone: str, containing: str) -> str:
    """The newest SMS to ``phone`` containing ``containing``, from the development outbox."""

    async def found() -> str | None:
        messages = (await client.get("/dev/sms-outbox")).json()
        return next((m["body"] for m in messages if m["phone"] == e164(phone) and containing in m["body"]), None)

    return await wait_until(found, f"an SMS with {containing!r} to {phone}")


async def status_of(client, code: str) -> dict:
    response = await client.get(f"/api/v1/registrations/{code}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_open_meeting_from_announcement_to_check_in_at_the_door(client, cast):
    host = await staff_headers(client, cast.host)
    created = await client.post("/api/v1/live-sessions", json=meeting_body(quotas=QUOTAS), headers=host)
    assert created.status_code == 201, created.text
    meeting = created.json()
    assert meeting["status"] == "announced" and meeting["guests"] == [] and meeting["capacity"] == 3
    assert meeting["place"] == "县行政中心三楼会议室" and meeting["allocation"] == "first_come"
    seats = (await client.get(f"/api/v1/live-sessions/{meeting['id']}/seats")).json()
    assert [(pool["category"], pool["seats"]) for pool in seats["pools"]] == [("resident", 2), ("enterprise", 1)]

    # Registration verified by SMS code in the body; the answer carries the registration code, once.
    code = await request_and_read_code(client, PHONE)
    registered = await client.post(f"/api/v1/live-sessions/{meeting['id']}/registrations", json={
        "name": "张小明", "category": "resident", "organization": "幸福社区", "topic": "加装电梯",
        "phone": PHONE, "code": code})
    assert registered.status_code == 201, registered.text
    answer = registered.json()
    assert answer["status"] == "confirmed"
    registration_code = answer["registration_code"]
    assert len(registration_code) >= 8 and set(registration_code) <= set(CODE_ALPHABET)
    assert not set(registration_code) & set("0O1IL")
    sms = await sms_to(client, PHONE, registration_code)
    assert f"/registrations/{registration_code}" in sms

    assert await status_of(client, registration_code) == {"status": "confirmed", "session_id": meeting["id"],
                                                          "category": "resident"}
    assert await status_of(client, registration_code.lower()) == await status_of(client, registration_code)
    again = await client.post(f"/api/v1/live-sessions/{meeting['id']}/registrations",
                              json={"name": "张小明", "category": "resident"}, headers=token_of(await make_citizen_for(PHONE)))
    assert again.status_code == 409, again.text

    with time_machine.travel(datetime.now(UTC).replace(hour=1, minute=12) + timedelta(days=1), tick=False):
        at_the_door = await staff_headers(client, cast.host)  # 09:12 in Beijing, the day after tomorrow at the latest
        checked = await client.post(f"/api/v1/live-sessions/{meeting['id']}/check-in",
                                    json={"registration_code": registration_code}, headers=at_the_door)
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "checked_in" and checked.json()["name"] == "张*明"
    twice = await client.post(f"/api/v1/live-sessions/{meeting['id']}/check-in",
                              json={"registration_code": registration_code}, headers=host)
    assert twice.status_code == 409 and "09:12" in twice.json()["detail"]

    listed = await client.get(f"/api/v1/live-sessions/{meeting['id']}/registrations", headers=host)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 1 and body["items"][0]["name"] == "张*明" and "张小明" not in listed.text
    resident = next(pool for pool in body["counts"] if pool["category"] == "resident")
    assert resident["counts"]["checked_in"] == 1 and resident["seats"] == 2
    history = await WorkflowEvent.select(WorkflowEvent.transition).where(WorkflowEvent.aggregate == "live_registration").order_by(WorkflowEvent.id)
    assert [row["transition"] for row in history] == ["register", "check_in"]


async def make_citizen_for(phone: str):
    from engagement.verification import citizen_for_phone

    return await citizen_for_phone(phone)


async def test_announcing_an_open_meeting_checks_seats_quotas_and_window(client, cast):
    host = await staff_headers(client, cast.host)
    bad = [
        meeting_body(capacity=None),
        meeting_body(quotas=[{"category": "resident", "label": "居民", "seats": 3},
                             {"category": "enterprise", "label": "企业", "seats": 1}]),
        meeting_body(quotas=[{"category": "resident", "label": "居民", "seats": 1}] * 2),
        meeting_body(quotas=[{"category": "resident", "label": "居民", "seats": 0}]),
        meeting_body(allocation="lottery", registration_closes_at=None),
        meeting_body(allocation="raffle"),
        meeting_body(registration_closes_at=(datetime.now(UTC) + timedelta(days=9)).isoformat()),
        meeting_body(registration_opens_at=(datetime.now(UTC) + timedelta(days=4)).isoformat(),
                     registration_closes_at=(datetime.now(UTC) + timedelta(days=3)).isoformat()),
        meeting_body(kind="interview"),  # an interview still needs its guests
    ]
    for body in bad:
        response = await client.post("/api/v1/live-sessions", json=body, headers=host)
        assert response.status_code == 400, (body, response.text)
    assert (await client.post("/api/v1/live-sessions", json=meeting_body())).status_code == 401
    editor = await staff_headers(client, cast.fgw_editor)
    assert (await client.post("/api/v1/live-sessions", json=meeting_body(), headers=editor)).status_code == 403


async def test_registration_answers_400_401_404_409(client, cast):
    meeting_id = await make_meeting(cast, quotas=QUOTAS)
    headers = token_of(await make_citizen())
    url = f"/api/v1/live-sessions/{meeting_id}/registrations"
    assert (await client.post(url, json={"name": "张小明", "category": "resident"})).status_code == 401
    assert (await client.post(url, json={"category": "resident"}, headers=headers)).status_code == 400
    assert (await client.post(url, json={"name": "张小明", "category": "farmer"}, headers=headers)).status_code == 400
    assert (await client.post(url, json={"name": "", "category": "resident"}, headers=headers)).status_code == 400
    assert (await client.post(url, json={"name": "张小明", "seat": 1}, headers=headers)).status_code == 400
    interview = await make_session(cast)
    for missing in (f"/api/v1/live-sessions/{interview}/registrations", "/api/v1/live-sessions/999/registrations",
                    "/api/v1/live-sessions/99999999999/registrations"):
        assert (await client.post(missing, json={"name": "张小明"}, headers=headers)).status_code == 404, missing
    assert (await client.get("/api/v1/registrations/ABCDEFGHJK")).status_code == 404

    opens = datetime.now(UTC) + timedelta(days=1)
    later = await make_meeting(cast, registration_opens_at=opens.isoformat())
    early = await client.post(f"/api/v1/live-sessions/{later}/registrations", json={"name": "张小明"}, headers=headers)
    assert early.status_code == 409, early.text
    with time_machine.travel(datetime.now(UTC) + timedelta(days=4, hours=1), tick=False):  # past the closing time
        late = await client.post(url, json={"name": "张小明", "category": "resident"},
                                 headers=token_of(await make_citizen()))
    assert late.status_code == 409, late.text


async def test_first_come_waitlist_and_a_freed_seat_offered_then_accepted(client, cast):
    meeting_id = await make_meeting(cast, capacity=1)
    first, second, third = [await make_citizen() for _ in range(3)]
    url = f"/api/v1/live-sessions/{meeting_id}/registrations"
    answers = [await client.post(url, json={"name": name}, headers=token_of(citizen))
               for name, citizen in (("王一", first), ("李二", second), ("赵三", third))]
    assert [a.json()["status"] for a in answers] == ["confirmed", "waitlisted", "waitlisted"]
    codes = [a.json()["registration_code"] for a in answers]
    assert (await status_of(client, codes[2]))["waitlist_position"] == 2

    refused = await client.post(f"/api/v1/registrations/{codes[0]}/cancel", headers=token_of(second))
    assert refused.status_code == 403
    assert (await client.post(f"/api/v1/registrations/{codes[0]}/cancel")).status_code == 401
    assert (await client.post("/api/v1/registrations/ZZZZZZZZZZ/cancel", headers=token_of(first))).status_code == 404
    cancelled = await client.post(f"/api/v1/registrations/{codes[0]}/cancel", headers=token_of(first))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (await client.post(f"/api/v1/registrations/{codes[0]}/cancel", headers=token_of(first))).status_code == 409

    offered = await status_of(client, codes[1])
    assert offered["status"] == "offered" and offered["offer_expires_at"]
    assert (await status_of(client, codes[2]))["waitlist_position"] == 1
    assert (await client.post(f"/api/v1/registrations/{codes[2]}/accept", headers=token_of(third))).status_code == 409
    accepted = await client.post(f"/api/v1/registrations/{codes[1]}/accept", headers=token_of(second))
    assert accepted.status_code == 200 and accepted.json()["status"] == "confirmed"
    assert (await client.post(f"/api/v1/registrations/{codes[1]}/decline", headers=token_of(second))).status_code == 409

    again = await client.post(url, json={"name": "王一"}, headers=token_of(first))
    assert again.status_code == 409, again.text  # not after cancelling either (docs/live_sessions.md)


async def test_a_declined_offer_passes_to_the_next_person(client, cast):
    meeting_id = await make_meeting(cast, capacity=1)
    people = [await make_citizen() for _ in range(3)]
    codes = [(await register(meeting_id, citizen))[1] for citizen in people]
    await services_registrations.cancel(codes[0], people[0])
    declined = await client.post(f"/api/v1/registrations/{codes[1]}/decline", headers=token_of(people[1]))
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert (await status_of(client, codes[2]))["status"] == "offered"


async def test_an_expired_offer_passes_to_the_next_person_once_even_when_the_job_runs_twice(client, cast):
    meeting_id = await make_meeting(cast, capacity=1, offer_hours=24)
    people = [await make_citizen() for _ in range(3)]
    codes = [(await register(meeting_id, citizen))[1] for citizen in people]
    await services_registrations.cancel(codes[0], people[0])
    deadline = datetime.fromisoformat((await status_of(client, codes[1]))["offer_expires_at"])
    assert timedelta(hours=23) < deadline - datetime.now(UTC) <= timedelta(hours=24)

    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        assert await services_registrations.expire_offers() == 1
        assert await services_registrations.expire_offers() == 0
        late = await client.post(f"/api/v1/registrations/{codes[1]}/accept", headers=token_of(people[1]))
    assert late.status_code == 409, late.text
    assert [(await status_of(client, code))["status"] for code in codes] == ["cancelled", "declined", "offered"]
    expiries = await WorkflowEvent.count().where((WorkflowEvent.aggregate == "live_registration")
                                                 & (WorkflowEvent.transition == "expire"))
    offers = await SmsMessage.count().where(SmsMessage.event_key.like("registration:%:offer"))
    assert (expiries, offers) == (1, 2)


async def test_an_offer_accepted_after_its_deadline_is_refused_and_passed_on(client, cast):
    meeting_id = await make_meeting(cast, capacity=1)
    people = [await make_citizen() for _ in range(3)]
    codes = [(await register(meeting_id, citizen))[1] for citizen in people]
    await services_registrations.cancel(codes[0], people[0])
    deadline = datetime.fromisoformat((await status_of(client, codes[1]))["offer_expires_at"])
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):  # before the job has run
        late = await client.post(f"/api/v1/registrations/{codes[1]}/accept", headers=token_of(people[1]))
    assert late.status_code == 409 and clock.display(deadline) in late.json()["detail"], late.text
    assert (await status_of(client, codes[1]))["status"] == "declined"
    assert (await status_of(client, codes[2]))["status"] == "offered"


async def test_the_offer_deadline_is_shortened_near_the_meeting(cast):
    now = datetime.now(UTC)
    session = {"scheduled_at": now + timedelta(hours=10), "offer_hours": 24}
    assert services_registrations.offer_deadline(session, now) == now + timedelta(hours=8)
    session = {"scheduled_at": now + timedelta(hours=1), "offer_hours": 24}
    assert services_registrations.offer_deadline(session, now) == now + timedelta(minutes=30)
    session = {"scheduled_at": now + timedelta(minutes=10), "offer_hours": 24}
    assert services_registrations.offer_deadline(session, now) == now + timedelta(minutes=10)
    session = {"scheduled_at": now + timedelta(days=5), "offer_hours": 6}
    assert services_registrations.offer_deadline(session, now) == now + timedelta(hours=6)


async def test_quotas_are_respected_and_a_freed_seat_stays_in_its_quota(client, cast):
    meeting_id = await make_meeting(cast, quotas=QUOTAS)
    people = [await make_citizen() for _ in range(5)]
    categories = ["resident", "resident", "resident", "enterprise", "enterprise"]
    results = [await register(meeting_id, citizen, category=category) for citizen, category in zip(people, categories)]
    assert [row["state"] for row, _code in results] == ["confirmed", "confirmed", "waitlisted", "confirmed", "waitlisted"]
    await services_registrations.cancel(results[3][1], people[3])  # the enterprise seat
    assert (await status_of(client, results[4][1]))["status"] == "offered"
    assert (await status_of(client, results[2][1]))["status"] == "waitlisted"
    assert (await status_of(client, results[2][1]))["waitlist_position"] == 1


async def test_a_lottery_meeting_answers_entered_until_the_draw(client, cast):
    meeting_id = await make_meeting(cast, allocation="lottery", capacity=1)
    answers = [await client.post(f"/api/v1/live-sessions/{meeting_id}/registrations", json={"name": "张小明"},
                                 headers=token_of(await make_citizen())) for _ in range(2)]
    assert [answer.json()["status"] for answer in answers] == ["entered", "entered"]
    assert "waitlist_position" not in await status_of(client, answers[0].json()["registration_code"])


async def test_the_reminder_the_day_before_goes_once_to_confirmed_registrants(client, cast):
    starts = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0) + timedelta(days=3)  # 10:00 Beijing
    meeting_id = await make_meeting(cast, capacity=1, scheduled_at=starts.isoformat(),
                                    registration_closes_at=(starts - timedelta(days=1)).isoformat())
    confirmed, waitlisted = await make_citizen(), await make_citizen()
    await register(meeting_id, confirmed)
    await register(meeting_id, waitlisted)
    assert await services_registrations.send_reminders() == 0  # three days before
    with time_machine.travel(starts - timedelta(hours=20), tick=False):  # the day before, 14:00 in Beijing
        assert await services_registrations.send_reminders() == 1
        assert await services_registrations.send_reminders() == 0
    assert await SmsMessage.count().where(SmsMessage.purpose == "registration_reminder") == 1


async def test_check_in_answers_400_401_403_404_409(client, cast):
    meeting_id = await make_meeting(cast, capacity=1)
    other_meeting = await make_meeting(cast, capacity=1)
    _row, confirmed_code = await register(meeting_id)
    _row, waitlisted_code = await register(meeting_id)
    _row, elsewhere_code = await register(other_meeting)
    host = await staff_headers(client, cast.host)
    url = f"/api/v1/live-sessions/{meeting_id}/check-in"
    assert (await client.post(url, json={"registration_code": confirmed_code})).status_code == 401
    editor = await staff_headers(client, cast.zjj_editor)
    assert (await client.post(url, json={"registration_code": confirmed_code}, headers=editor)).status_code == 403
    assert (await client.post(url, json={}, headers=host)).status_code == 400
    for unknown in ("ABCDEFGHJK", elsewhere_code):
        assert (await client.post(url, json={"registration_code": unknown}, headers=host)).status_code == 404
    assert (await client.post("/api/v1/live-sessions/999/check-in", json={"registration_code": confirmed_code},
                              headers=host)).status_code == 404
    refused = await client.post(url, json={"registration_code": waitlisted_code}, headers=host)
    assert refused.status_code == 409, refused.text
    admin = await staff_headers(client, cast.admin)
    typed = confirmed_code.lower()[:5] + " " + confirmed_code.lower()[5:]  # as typed at the door
    assert (await client.post(url, json={"registration_code": typed}, headers=admin)).status_code == 200


async def list_queries(client, url, headers) -> int:
    with assert_max_queries(7) as statements:
        response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return len(statements)


async def test_the_staff_list_is_masked_paged_and_bounded_in_queries(client, cast):
    meeting_id = await make_meeting(cast, capacity=3, quotas=QUOTAS)
    host = await staff_headers(client, cast.host)
    url = f"/api/v1/live-sessions/{meeting_id}/registrations"
    for index in range(3):
        await register(meeting_id, name=f"欧阳小明{index}", category="resident" if index % 2 else "enterprise")
    few = await list_queries(client, url, host)
    for index in range(3, 8):
        await register(meeting_id, name=f"欧阳小明{index}", category="resident" if index % 2 else "enterprise")
    assert await list_queries(client, url, host) == few  # the same count whatever the number of rows
    listed = await client.get(url, params={"limit": 5}, headers=host)
    body = listed.json()
    assert listed.status_code == 200 and body["total"] == 8 and len(body["items"]) == 5
    assert all(re.fullmatch(r"欧\*+\d", item["name"]) for item in body["items"])
    waiting = await client.get(url, params={"status": "waitlisted"}, headers=host)
    assert waiting.json()["total"] == 5
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=await staff_headers(client, cast.fgw_editor))).status_code == 403
    assert (await client.get(url, params={"status": "lost"}, headers=host)).status_code == 400


async def test_openapi_documents_the_registration_routes_and_their_errors(client):
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    expected = {
        ("/api/v1/live-sessions/{session_id}/registrations", "post"): {"201", "400", "401", "404", "409"},
        ("/api/v1/registrations/{registration_code}", "get"): {"200", "404"},
        ("/api/v1/registrations/{registration_code}/cancel", "post"): {"200", "401", "403", "404", "409"},
        ("/api/v1/live-sessions/{session_id}/check-in", "post"): {"200", "400", "401", "403", "404", "409"},
        ("/api/v1/live-sessions/{session_id}/registrations", "get"): {"200", "401", "403", "404"},
    }
    for (path, method), statuses in expected.items():
        assert statuses <= set(paths[path][method]["responses"]), (path, method)
