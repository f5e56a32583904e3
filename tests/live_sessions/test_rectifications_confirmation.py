"""Citizens confirm a completion: only the proposer and supporters; three "not solved" reopen it."""

from __future__ import annotations

import asyncio
import re

from engagement.tables import Reminder, SmsMessage
from engagement.verification import issue_citizen_token
from live_sessions import services_issues
from tests.live_sessions.factories import (
    complete,
    make_citizen,
    make_programme,
    propose,
    rectified_issue,
    staff_of,
    support,
)
from tests.support import citizen_headers, wait_until

PROPOSER = "+8613900007001"


def bearer(citizen) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_citizen_token(citizen)}"}


async def _issue_with_supporters(cast, supporters=3):
    from engagement.verification import citizen_for_phone

    session_id = await make_programme(cast)
    proposer = await citizen_for_phone(PROPOSER)
    _s, issue_id = await rectified_issue(cast, session_id, citizen=proposer, notify=True)
    people = [await make_citizen() for _ in range(supporters)]
    for person in people:
        await support(issue_id, person, notify=True)
    return session_id, issue_id, proposer, people


async def test_three_not_solved_reopen_it_and_the_department_is_told(client, cast):
    _session, issue_id, proposer, people = await _issue_with_supporters(cast)
    stranger = await citizen_headers(client, "13911110000")
    await complete(cast, issue_id)
    path = f"/api/v1/issues/{issue_id}/confirmation"
    assert (await client.post(path, json={"solved": False}, headers=stranger)).status_code == 403
    assert (await client.post(path, json={"solved": True}, headers=bearer(proposer))).status_code == 200
    assert (await client.post(path, json={"solved": False}, headers=bearer(people[0]))).status_code == 200
    # 1 solved, 1 not solved: no majority yet; the third answer makes 2 of 3.
    state = (await client.get(f"/api/v1/issues/{issue_id}")).json()["rectification"]
    assert state["status"] == "completed" and state["confirmations"] == {"round": 1, "solved": 1, "not_solved": 1}
    third = await client.post(path, json={"solved": False}, headers=bearer(people[1]))
    assert third.status_code == 200, third.text
    reopened = third.json()
    assert reopened["status"] == "in_progress" and reopened["updates"][-1]["kind"] == "reopened"
    # A late answer to the round that is over is refused.
    assert (await client.post(path, json={"solved": False}, headers=bearer(people[2]))).status_code == 409
    assert await Reminder.exists().where(Reminder.reminder_key.like("rectification-reopened:%"))
    # The department reports again and completes: a new round, everyone may answer again.
    await complete(cast, issue_id, content="重新修复")
    again = await client.post(path, json={"solved": True}, headers=bearer(people[0]))
    assert again.json()["confirmations"] == {"round": 2, "solved": 1, "not_solved": 0}


async def test_three_simultaneous_not_solved_reopen_it_once(client, cast):
    _session, issue_id, proposer, people = await _issue_with_supporters(cast, supporters=2)
    await complete(cast, issue_id)
    path = f"/api/v1/issues/{issue_id}/confirmation"
    answers = await asyncio.gather(*(client.post(path, json={"solved": False}, headers=bearer(person))
                                     for person in [proposer, *people]))
    assert sorted(a.status_code for a in answers) == [200, 200, 200], [a.text for a in answers]
    final = (await client.get(f"/api/v1/issues/{issue_id}")).json()["rectification"]
    assert final["status"] == "in_progress"
    assert [u["kind"] for u in final["updates"]].count("reopened") == 1


async def test_one_answer_per_citizen_per_round_under_concurrency(client, cast):
    _session, issue_id, proposer, _people = await _issue_with_supporters(cast, supporters=0)
    await complete(cast, issue_id)
    path = f"/api/v1/issues/{issue_id}/confirmation"
    answers = await asyncio.gather(*(client.post(path, json={"solved": True}, headers=bearer(proposer))
                                     for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7


async def test_supporters_of_a_merged_duplicate_may_answer(client, cast):
    session_id = await make_programme(cast)
    _s, issue_id = await rectified_issue(cast, session_id)
    duplicate = await propose(session_id, title="路灯不亮", content="幸福路的路灯坏了")
    host = await staff_of(cast.host)
    await services_issues.moderate_issue(duplicate, host, "approve", "")
    dup_proposer_issue = duplicate
    backer = await make_citizen()
    await support(duplicate, backer)
    await services_issues.merge_issue(duplicate, issue_id, host)
    await complete(cast, issue_id)
    answered = await client.post(f"/api/v1/issues/{issue_id}/confirmation", json={"solved": True},
                                 headers=bearer(backer))
    assert answered.status_code == 200, answered.text
    assert dup_proposer_issue


async def test_completion_asks_the_proposer_and_followers_once_with_a_one_tap_link(client, cast):
    _session, issue_id, _proposer, _people = await _issue_with_supporters(cast, supporters=2)
    await complete(cast, issue_id)
    # Stored with the completion (sent after its commit): counted at once, whatever the worker is doing.
    asked = await SmsMessage.count().where(SmsMessage.purpose == "rectification_confirmation")
    assert asked == 3  # the proposer and two supporters who asked for notices

    async def link():
        for message in (await client.get("/dev/sms-outbox")).json():
            found = re.search(r"(/rectifications/\d+/confirm\?t=\S+)", message["body"])
            if message["phone"] == PROPOSER and found:
                assert "是否已解决" in message["body"]
                return found.group(1)
        return None

    one_tap = await wait_until(link, "the confirmation SMS")
    page = await client.get(one_tap)
    assert page.status_code == 200 and 'name="t"' in page.text and 'name="phone"' not in page.text
    token = re.search(r'name="t" value="([^"]+)"', page.text).group(1)
    csrf = {"x-csrftoken": client.cookies.get("engagement_csrf", "")}
    answered = await client.post(f"/rectifications/{issue_id}/confirm", headers=csrf,
                                 data={"t": token, "solved": "no"})
    assert answered.status_code == 303, answered.text
    twice = await client.post(f"/rectifications/{issue_id}/confirm", headers=csrf, data={"t": token, "solved": "no"})
    assert twice.status_code == 409
    forged = await client.post(f"/rectifications/{issue_id}/confirm", headers=csrf, data={"t": "x" + token,
                                                                                           "solved": "yes"})
    assert forged.status_code == 401
    counts = (await client.get(f"/api/v1/issues/{issue_id}")).json()["rectification"]["confirmations"]
    assert counts == {"round": 1, "solved": 0, "not_solved": 1}
