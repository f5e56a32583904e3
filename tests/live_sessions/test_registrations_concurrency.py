"""Seats under concurrency: simultaneous registrations, cancellations, acceptances, expiries and check-ins
never give more seats than the meeting has (SQLite serialises writers; PostgreSQL takes the session's row lock)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

import time_machine

from engagement.verification import issue_citizen_token
from live_sessions import services_registrations
from live_sessions.tables import Registration
from live_sessions.workflows import SEAT_HOLDING
from tests.live_sessions.factories import make_citizen, make_meeting, register
from tests.support import staff_headers


def token_of(citizen) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_citizen_token(citizen)}"}


async def held(meeting_id: int) -> int:
    return await Registration.count().where(
        (Registration.session == meeting_id) & Registration.state.is_in(list(SEAT_HOLDING)))


async def states(meeting_id: int) -> Counter:
    rows = await Registration.select(Registration.state).where(Registration.session == meeting_id)
    return Counter(row["state"] for row in rows)


async def test_fifty_simultaneous_registrations_for_three_seats_give_exactly_three_confirmed(client, cast):
    meeting_id = await make_meeting(cast, capacity=3)
    people = [await make_citizen() for _ in range(50)]
    responses = await asyncio.gather(*[
        client.post(f"/api/v1/live-sessions/{meeting_id}/registrations", json={"name": f"居民{index}"},
                    headers=token_of(citizen))
        for index, citizen in enumerate(people)
    ])
    assert [r.status_code for r in responses] == [201] * 50, [r.text for r in responses if r.status_code != 201]
    assert Counter(r.json()["status"] for r in responses) == {"confirmed": 3, "waitlisted": 47}
    positions = sorted(r.json()["waitlist_position"] for r in responses if r.json()["status"] == "waitlisted")
    assert positions == list(range(1, 48))
    assert len({r.json()["registration_code"] for r in responses}) == 50


async def test_the_same_phone_registering_twice_at_once_gets_one_registration(client, cast):
    meeting_id = await make_meeting(cast, capacity=3)
    headers = token_of(await make_citizen())
    responses = await asyncio.gather(*[
        client.post(f"/api/v1/live-sessions/{meeting_id}/registrations", json={"name": "张小明"}, headers=headers)
        for _ in range(5)
    ])
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]


async def test_simultaneous_cancellations_and_acceptances_never_exceed_the_seats(client, cast):
    seats = 5
    meeting_id = await make_meeting(cast, capacity=seats)
    people = [await make_citizen() for _ in range(20)]
    codes = [(await register(meeting_id, citizen))[1] for citizen in people]
    for index in range(3):  # three offers open before the burst
        await services_registrations.cancel(codes[index], people[index])
    assert (await states(meeting_id))["offered"] == 3

    highest = 0
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal highest
        while not done.is_set():
            highest = max(highest, await held(meeting_id))
            await asyncio.sleep(0)

    def action(index: int):
        kind = "cancel" if index < 5 or index % 2 else "accept"
        return client.post(f"/api/v1/registrations/{codes[index]}/{kind}", headers=token_of(people[index]))

    watcher = asyncio.create_task(watch())
    responses = await asyncio.gather(*[action(index) for index in range(20)])
    done.set()
    await watcher
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses if r.status_code >= 500]
    assert responses[3].status_code == responses[6].status_code == 200  # a seat holder cancelled, an offer accepted
    assert max(highest, await held(meeting_id)) <= seats
    final = await states(meeting_id)
    # Whoever is still waiting has a seat offered as soon as one is free.
    assert final["waitlisted"] == 0 or await held(meeting_id) == seats, final


async def test_two_simultaneous_check_ins_of_one_code_give_one(client, cast):
    meeting_id = await make_meeting(cast, capacity=3)
    _row, code = await register(meeting_id)
    host = await staff_headers(client, cast.host)
    admin = await staff_headers(client, cast.admin)
    responses = await asyncio.gather(*[
        client.post(f"/api/v1/live-sessions/{meeting_id}/check-in", json={"registration_code": code}, headers=headers)
        for headers in (host, admin)
    ])
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    assert (await states(meeting_id)) == {"checked_in": 1}


async def test_an_expiry_run_twice_at_once_passes_the_seat_on_once(client, cast):
    meeting_id = await make_meeting(cast, capacity=1)
    people = [await make_citizen() for _ in range(4)]
    codes = [(await register(meeting_id, citizen))[1] for citizen in people]
    await services_registrations.cancel(codes[0], people[0])
    offer = await services_registrations.registration_by_code(codes[1])
    with time_machine.travel(offer["offer_expires_at"] + timedelta(seconds=1), tick=False):
        expired = await asyncio.gather(*[services_registrations.expire_offers() for _ in range(3)])
    assert sum(expired) == 1
    assert (await states(meeting_id)) == {"cancelled": 1, "declined": 1, "offered": 1, "waitlisted": 1}
    assert (await services_registrations.registration_by_code(codes[2]))["state"] == "offered"
    assert isinstance(offer["offer_expires_at"], datetime)
