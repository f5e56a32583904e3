"""Precomputed statistics: the scheduled job stores every unfiltered table; requests serve it while it may be."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import time_machine

from analytics import snapshots
from engagement import clock
from engagement.jobs import REGISTRY, run_eagerly
from tests.analytics import factories
from tests.support import assert_max_queries


async def adoption(client, **params) -> dict:
    response = await client.get("/api/v1/statistics/adoption", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_job_precomputes_and_requests_serve_it_until_it_is_too_old(client, cast, make_consultation):
    admin = await factories.staff(cast.admin)
    consultation = await make_consultation("fgw")
    opinions = [await factories.opinion(consultation["id"]) for _ in range(2)]
    await factories.decide(admin, opinions[0], "adopted")
    live = await adoption(client, by="department")

    await run_eagerly(REGISTRY["analytics.refresh_statistics"], ())
    with assert_max_queries(1):
        served = await adoption(client, by="department")
    assert served["items"] == live["items"] and served["scope"]["computed_at"] != live["scope"]["computed_at"]
    for path in ("mailbox?by=month", "events", "adoption?by=month"):
        with assert_max_queries(1):
            assert (await client.get(f"/api/v1/statistics/{path}")).status_code == 200
    with assert_max_queries(4):
        assert (await client.get("/statistics")).status_code == 200

    await factories.decide(admin, opinions[1], "not_adopted")
    assert (await adoption(client, by="department"))["items"][0]["decided"] == 1  # at most MAX_AGE behind
    filtered = await adoption(client, by="department", department="fgw")  # filters are always computed now
    assert filtered["items"][0]["decided"] == 2
    later = datetime.now(UTC) + timedelta(seconds=snapshots.MAX_AGE + 60)
    with time_machine.travel(later, tick=False):
        assert (await adoption(client, by="department"))["items"][0]["decided"] == 2  # too old, and outdated


async def test_an_old_snapshot_is_served_while_nothing_changed(client, cast, make_consultation):
    consultation = await make_consultation("fgw")
    await factories.opinion(consultation["id"])
    # At 10:00 Beijing time tomorrow, and MAX_AGE + 60 s later: the same Beijing day whatever the hour of the run
    # (a snapshot of yesterday is never served: overdue figures change with the day).
    computed = datetime.combine(clock.today() + timedelta(days=1), time(10), clock.LOCAL_TIMEZONE)
    with time_machine.travel(computed, tick=False):
        await run_eagerly(REGISTRY["analytics.refresh_statistics"], ())
    later = computed + timedelta(seconds=snapshots.MAX_AGE + 60)
    with time_machine.travel(later, tick=False), assert_max_queries(2):  # the snapshot, the newest workflow event
        data = await adoption(client, by="consultation")
    assert data["items"][0]["opinions"] == 1
