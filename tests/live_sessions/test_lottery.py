"""The seat lottery of open meetings: the published record, its verification (the CLI), quotas, the waitlist."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from live_sessions import lottery
from tests.live_sessions.factories import session_body
from tests.support import assert_max_queries, citizen_headers, service_environment, staff_headers

QUOTAS = [{"category": "residents", "label": "居民代表", "seats": 2},
          {"category": "enterprises", "label": "企业代表", "seats": 1}]
CAPACITY = 4  # two for residents, one for enterprises, one in the open pool ("")


# ---------- the pure procedure ----------


@pytest.mark.database_independent
def test_the_canonical_serialisation_is_one_line_per_entrant_in_id_order():
    entrants = [lottery.Entrant(7, "b" * 16, "residents"), lottery.Entrant(3, "a" * 16, "")]
    text = lottery.entrants_text(entrants)
    assert text == f"3\t{'a' * 16}\t\n7\t{'b' * 16}\tresidents\n"
    assert lottery.entrants_hash(entrants) == hashlib.sha256(text.encode()).hexdigest()
    assert lottery.parse_entrants(text) == sorted(entrants, key=lambda e: e.registration_id)
    with pytest.raises(ValueError):
        lottery.entrants_text([lottery.Entrant(1, "x", "a\tb")])


@pytest.mark.database_independent
def test_the_order_follows_hmac_of_the_seed_and_pools_are_never_exceeded():
    seed = lottery.new_seed()
    assert len(seed) == 64 and lottery.seed_matches(seed, hashlib.sha256(seed.encode()).hexdigest())
    entrants = [lottery.Entrant(n, f"{n:016x}", ["residents", "enterprises", ""][n % 3]) for n in range(1, 31)]
    order = lottery.draw_order(seed, entrants)
    import hmac

    expected = sorted(entrants, key=lambda e: hmac.new(seed.encode(), e.public_id.encode(), "sha256").hexdigest())
    assert order == expected
    outcome = lottery.allocate(order, {"residents": 2, "enterprises": 1, "": 1})
    won = [e.category for e in outcome.winners]
    assert sorted(won) == ["", "enterprises", "residents", "residents"]
    for pool, seats in {"residents": 2, "enterprises": 1, "": 1}.items():  # the first of each pool in draw order
        assert [e for e in outcome.winners if e.category == pool] == [e for e in order if e.category == pool][:seats]
    assert list(outcome.waitlist) == [e for e in order if e not in outcome.winners]
    assert lottery.draw_order(lottery.new_seed(), entrants) != order  # another seed, another order (1 in 30!)


# ---------- on the site ----------


async def lottery_meeting(client, host, **overrides) -> tuple[int, datetime]:
    closes = datetime.now(UTC) + timedelta(hours=1)
    body = session_body(kind="open_meeting", title="县政府常务会议开放日", guests=[], capacity=CAPACITY,
                        allocation="lottery", quotas=QUOTAS, place="县政府302会议室", agenda="审议老旧小区改造方案",
                        registration_closes_at=closes.isoformat(),
                        scheduled_at=(datetime.now(UTC) + timedelta(days=3)).isoformat())
    body.update(overrides)
    created = await client.post("/api/v1/live-sessions", headers=host, json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"], closes


async def enter(client, session_id: int, phone: str, category: str) -> str:
    response = await client.post(f"/api/v1/live-sessions/{session_id}/registrations", headers=await citizen_headers(client, phone),
                                 json={"name": "张小明", "category": category})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "entered"
    return response.json()["registration_code"]


async def entrants(client, session_id: int, count: int = 9) -> dict[str, str]:
    """{code: pool}: residents, enterprises and open-pool entrants in turn."""
    pools = ["residents", "enterprises", ""]
    codes = {}
    for n in range(count):
        codes[await enter(client, session_id, f"1390000{n:04d}", pools[n % 3])] = pools[n % 3]
    return codes


async def status_of(client, code: str) -> dict:
    response = await client.get(f"/api/v1/registrations/{code}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_published_record_is_the_frozen_entrant_list_and_the_committed_seed(client, cast):
    host = await staff_headers(client, cast.host)
    session_id, closes = await lottery_meeting(client, host)
    before = (await client.get(f"/api/v1/live-sessions/{session_id}/draw")).json()
    assert len(before["seed_commitment"]) == 64 and before["drawn"] is False
    assert before["seed"] is None and before["entrants"] == [] and before["entrants_hash"] is None
    codes = await entrants(client, session_id)
    cancelled = next(iter(codes))
    assert (await client.post(f"/api/v1/registrations/{cancelled}/cancel",
                              headers=await citizen_headers(client, "13900000000"))).status_code == 200

    with time_machine.travel(closes + timedelta(minutes=1), tick=True):
        drawn = await client.post(f"/api/v1/live-sessions/{session_id}/draw", headers=host)
        assert drawn.status_code == 200, drawn.text
        record = (await client.get(f"/api/v1/live-sessions/{session_id}/draw")).json()
    assert record == drawn.json()
    assert record["seed_commitment"] == before["seed_commitment"]  # the seed is the one committed in advance
    assert hashlib.sha256(record["seed"].encode()).hexdigest() == record["seed_commitment"]
    assert hashlib.sha256(record["entrants_text"].encode()).hexdigest() == record["entrants_hash"]
    lines = record["entrants_text"].splitlines()
    assert len(lines) == len(codes) - 1  # the registration cancelled before the close is not in the draw
    assert [int(line.split("\t")[0]) for line in lines] == sorted(e["registration_id"] for e in record["entrants"])
    assert record["pools"] == {"residents": 2, "enterprises": 1, "": 1}
    text = json.dumps(record, ensure_ascii=False)
    assert "张" not in text and "1390000" not in text and not any(code in text for code in codes)


async def test_quotas_are_respected_and_the_others_wait_in_draw_order(client, cast):
    host = await staff_headers(client, cast.host)
    session_id, closes = await lottery_meeting(client, host)
    codes = await entrants(client, session_id, count=10)
    with time_machine.travel(closes + timedelta(minutes=1), tick=True):
        record = (await client.post(f"/api/v1/live-sessions/{session_id}/draw", headers=host)).json()
    results = record["results"]
    assert [r["draw_rank"] for r in results] == list(range(1, 11))
    winners = [r for r in results if r["won"]]
    pool_of = {e["registration_id"]: e["category"] for e in record["entrants"]}
    assert sorted(pool_of[r["registration_id"]] for r in winners) == ["", "enterprises", "residents", "residents"]
    losers = [r for r in results if not r["won"]]
    assert [r["queue_position"] for r in losers] == list(range(1, 7))  # the waitlist is the draw order

    statuses = {code: await status_of(client, code) for code in codes}
    assert sorted(s["status"] for s in statuses.values()) == ["confirmed"] * 4 + ["waitlisted"] * 6
    for pool in ("residents", "enterprises", ""):  # the waitlist position counts within the pool, in draw order
        waiting = [s["waitlist_position"] for s in statuses.values() if s["status"] == "waitlisted" and s.get("category", "") == pool]
        assert sorted(waiting) == list(range(1, len(waiting) + 1))
    seats = (await client.get(f"/api/v1/live-sessions/{session_id}/seats")).json()
    for pool in seats["pools"]:
        assert pool["counts"]["confirmed"] <= pool["seats"]


async def test_the_documented_verification_reproduces_the_winners(client, cast, tmp_path):
    host = await staff_headers(client, cast.host)
    session_id, closes = await lottery_meeting(client, host)
    await entrants(client, session_id, count=8)
    with time_machine.travel(closes + timedelta(minutes=1), tick=True):
        record = (await client.post(f"/api/v1/live-sessions/{session_id}/draw", headers=host)).json()
    winners = [str(r["registration_id"]) for r in record["results"] if r["won"]]

    from_database = run_cli("verify-draw", "--session", str(session_id))
    assert from_database.returncode == 0, from_database.stdout + from_database.stderr
    assert f"winners: {' '.join(winners)}" in from_database.stdout
    assert "FAIL" not in from_database.stdout and from_database.stdout.count("OK  ") == 4

    saved = tmp_path / "draw.json"
    saved.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    from_file = run_cli("verify-draw", "--entrants", str(saved))
    assert from_file.returncode == 0 and f"winners: {' '.join(winners)}" in from_file.stdout

    text = tmp_path / "entrants.txt"
    text.write_text(record["entrants_text"], encoding="utf-8")
    by_hand = run_cli("verify-draw", "--entrants", str(text), "--seed", record["seed"], "--seats", "1",
                      "--quota", "residents=2", "--quota", "enterprises=1")
    assert by_hand.returncode == 0 and f"winners: {' '.join(winners)}" in by_hand.stdout

    tampered = run_cli("verify-draw", "--entrants", str(saved), "--seed", lottery.new_seed())
    assert tampered.returncode == 1 and "FAIL seed commitment" in tampered.stdout


async def test_the_verification_reads_the_public_record_over_http(client, cast, live_server):
    host = await staff_headers(client, cast.host)
    session_id, closes = await lottery_meeting(client, host)
    await entrants(client, session_id, count=4)
    with time_machine.travel(closes + timedelta(minutes=1), tick=True):
        record = (await client.post(f"/api/v1/live-sessions/{session_id}/draw", headers=host)).json()
    winners = " ".join(str(r["registration_id"]) for r in record["results"] if r["won"])
    checked = run_cli("verify-draw", "--session", str(session_id), "--url", live_server)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"winners: {winners}" in checked.stdout
    unknown = run_cli("verify-draw", "--session", "99999", "--url", live_server)
    assert unknown.returncode == 2 and "error" in unknown.stderr


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engagement", *args], env=service_environment(), capture_output=True,
                          text=True, check=False, timeout=120)


async def test_a_meeting_is_drawn_once(client, cast):
    host = await staff_headers(client, cast.host)
    admin = await staff_headers(client, cast.admin)
    session_id, closes = await lottery_meeting(client, host)
    await entrants(client, session_id, count=3)
    early = await client.post(f"/api/v1/live-sessions/{session_id}/draw", headers=host)
    assert early.status_code == 409 and early.json()["detail"]
    with time_machine.travel(closes + timedelta(minutes=1), tick=True):
        responses = await asyncio.gather(*[client.post(f"/api/v1/live-sessions/{session_id}/draw", headers=headers)
                                           for headers in (host, admin, host)])
        assert sorted(r.status_code for r in responses) == [200, 409, 409], [r.text for r in responses]
        again = await client.post(f"/api/v1/live-sessions/{session_id}/draw", headers=admin)
        assert again.status_code == 409
        from live_sessions.tasks import draw_due

        await draw_due()  # the scheduled job finds nothing left to draw
    record = (await client.get(f"/api/v1/live-sessions/{session_id}/draw")).json()
    assert len(record["results"]) == 3


async def test_the_scheduled_job_draws_when_registration_has_closed(client, cast):
    host = await staff_headers(client, cast.host)
    session_id, closes = await lottery_meeting(client, host)
    await entrants(client, session_id, count=3)
    from live_sessions.tasks import draw_due

    await draw_due()
    assert (await client.get(f"/api/v1/live-sessions/{session_id}/draw")).json()["drawn"] is False
    with time_machine.travel(closes + timedelta(minutes=1), tick=True):
        await draw_due()
        await draw_due()
    record = (await client.get(f"/api/v1/live-sessions/{session_id}/draw")).json()
    assert record["drawn"] and sum(r["won"] for r in record["results"]) == 3


async def test_who_may_draw(client, cast):
    host = await staff_headers(client, cast.host)
    session_id, closes = await lottery_meeting(client, host)
    first_come, _closes = await lottery_meeting(client, host, allocation="first_come")
    with time_machine.travel(closes + timedelta(minutes=1), tick=True):
        assert (await client.post(f"/api/v1/live-sessions/{session_id}/draw")).status_code == 401
        editor = await staff_headers(client, cast.fgw_editor)
        assert (await client.post(f"/api/v1/live-sessions/{session_id}/draw", headers=editor)).status_code == 403
        assert (await client.post(f"/api/v1/live-sessions/{first_come}/draw", headers=host)).status_code == 409
        assert (await client.post("/api/v1/live-sessions/99999/draw", headers=host)).status_code == 404
    assert (await client.get("/api/v1/live-sessions/99999/draw")).status_code == 404


async def test_the_public_record_reads_in_a_fixed_number_of_queries(client, cast):
    host = await staff_headers(client, cast.host)
    counts = []
    for size in (3, 12):
        session_id, closes = await lottery_meeting(client, host)
        for n in range(size):
            await enter(client, session_id, f"1370{size:02d}0{n:04d}", "residents")
        with time_machine.travel(closes + timedelta(minutes=1), tick=True):
            assert (await client.post(f"/api/v1/live-sessions/{session_id}/draw", headers=host)).status_code == 200
        with assert_max_queries(6) as statements:
            assert (await client.get(f"/api/v1/live-sessions/{session_id}/draw")).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
