"""Issue supports and merges under concurrent requests, and what supporters are told of a merge."""

from __future__ import annotations

import asyncio

from engagement.tables import SmsMessage
from engagement.verification import citizen_for_phone, issue_citizen_token
from tests.live_sessions.factories import make_citizen, make_programme, published_issue, support
from tests.support import citizen_headers, e164, staff_headers, wait_until

PHONE = "13912345678"


async def token_headers(citizen) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_citizen_token(citizen)}"}


async def test_fifty_simultaneous_supports_from_one_phone_count_once(client, cast):
    session_id = await make_programme(cast)
    issue_id = await published_issue(cast, session_id)
    headers = await citizen_headers(client, PHONE)
    responses = await asyncio.gather(*[client.post(f"/api/v1/issues/{issue_id}/support", headers=headers)
                                       for _ in range(50)])
    assert all(r.status_code == 200 for r in responses), {r.text for r in responses}
    assert sum(r.json()["counted"] for r in responses) == 1
    assert {r.json()["support_count"] for r in responses} == {1}
    assert (await client.get(f"/api/v1/issues/{issue_id}")).json()["support_count"] == 1
    other = await client.post(f"/api/v1/issues/{issue_id}/support", headers=await token_headers(await make_citizen()))
    assert other.json() == {"support_count": 2, "counted": True}


async def test_simultaneous_supports_from_different_phones_all_count(client, cast):
    session_id = await make_programme(cast)
    issue_id = await published_issue(cast, session_id)
    headers = [await token_headers(await make_citizen()) for _ in range(12)]
    responses = await asyncio.gather(*[client.post(f"/api/v1/issues/{issue_id}/support", headers=h) for h in headers])
    assert all(r.status_code == 200 for r in responses)
    assert (await client.get(f"/api/v1/issues/{issue_id}")).json()["support_count"] == 12


async def test_two_hosts_merging_the_same_pair_at_once_give_one_merge(client, cast):
    session_id = await make_programme(cast)
    target = await published_issue(cast, session_id, title="路灯不亮")
    duplicate = await published_issue(cast, session_id, title="路灯坏了")
    await support(duplicate)
    await support(target)
    host, admin = await staff_headers(client, cast.host), await staff_headers(client, cast.admin)
    responses = await asyncio.gather(*[
        client.post(f"/api/v1/issues/{duplicate}/merge", json={"into": target}, headers=headers)
        for headers in [host, admin, host, admin]
    ])
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409], [r.text for r in responses]
    assert (await client.get(f"/api/v1/issues/{target}")).json()["support_count"] == 2
    events = (await client.get(f"/api/v1/live-sessions/{session_id}/events")).json()["items"]
    assert [e["type"] for e in events].count("issue_merged") == 1


async def test_merges_in_both_directions_at_once_leave_one_issue(client, cast):
    session_id = await make_programme(cast)
    first = await published_issue(cast, session_id, title="甲")
    second = await published_issue(cast, session_id, title="乙")
    host, admin = await staff_headers(client, cast.host), await staff_headers(client, cast.admin)
    responses = await asyncio.gather(
        client.post(f"/api/v1/issues/{first}/merge", json={"into": second}, headers=host),
        client.post(f"/api/v1/issues/{second}/merge", json={"into": first}, headers=admin),
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    statuses = {(await client.get(f"/api/v1/issues/{i}")).json()["status"] for i in (first, second)}
    assert statuses == {"approved", "merged"}


async def test_a_phone_that_supported_both_counts_once_after_the_merge(client, cast):
    session_id = await make_programme(cast)
    target = await published_issue(cast, session_id, title="路灯不亮")
    duplicate = await published_issue(cast, session_id, title="路灯坏了")
    both = await make_citizen()
    await support(target, both)
    await support(duplicate, both)
    await support(duplicate)  # someone who supported only the duplicate
    merged = await client.post(f"/api/v1/issues/{duplicate}/merge", json={"into": target},
                               headers=await staff_headers(client, cast.host))
    assert merged.json()["support_count"] == 2
    again = await client.post(f"/api/v1/issues/{target}/support", headers=await token_headers(both))
    assert again.json() == {"support_count": 2, "counted": False}


async def test_supports_during_a_merge_are_never_lost(client, cast):
    session_id = await make_programme(cast)
    target = await published_issue(cast, session_id, title="路灯不亮")
    duplicate = await published_issue(cast, session_id, title="路灯坏了")
    supporters = [await token_headers(await make_citizen()) for _ in range(10)]
    host = await staff_headers(client, cast.host)
    responses = await asyncio.gather(
        *[client.post(f"/api/v1/issues/{duplicate}/support", headers=h) for h in supporters],
        client.post(f"/api/v1/issues/{duplicate}/merge", json={"into": target}, headers=host),
    )
    counted = sum(1 for r in responses[:-1] if r.status_code == 200)
    assert responses[-1].status_code == 200
    assert all(r.status_code in (200, 409) for r in responses[:-1])
    assert (await client.get(f"/api/v1/issues/{target}")).json()["support_count"] == counted


async def test_followers_of_a_merged_issue_are_told_where_their_support_went_once(client, cast):
    session_id = await make_programme(cast)
    target = await published_issue(cast, session_id, title="幸福路路灯不亮")
    duplicate = await published_issue(cast, session_id, title="路灯坏了三个月")
    follower = await citizen_for_phone(e164(PHONE))
    await support(duplicate, follower, notify=True)
    await support(duplicate)  # asked for no notices
    host = await staff_headers(client, cast.host)
    assert (await client.post(f"/api/v1/issues/{duplicate}/merge", json={"into": target}, headers=host)).status_code == 200
    assert (await client.post(f"/api/v1/issues/{duplicate}/merge", json={"into": target}, headers=host)).status_code == 409

    async def notice():
        messages = (await client.get("/dev/sms-outbox")).json()
        return [m for m in messages if m["phone"] == e164(PHONE) and "幸福路路灯不亮" in m["body"]]

    [message] = await wait_until(notice, "the merge notice")
    assert "路灯坏了三个月" in message["body"]
    assert await SmsMessage.count().where(SmsMessage.event_key.like(f"live_issue:{duplicate}:merged:%")) == 1
    # the follower now follows the target too
    from live_sessions.services_issues import followers_of

    assert follower.id in await followers_of(target)
