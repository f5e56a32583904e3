"""The fixed rectification interface of DESIGN section 4, with 400/401/403/404/409."""

from __future__ import annotations

from datetime import date, timedelta

from engagement import clock
from tests.live_sessions.factories import (
    complete,
    make_citizen,
    make_programme,
    progress,
    propose,
    rectified_issue,
    selected_issue,
    support,
)
from tests.support import assert_max_queries, citizen_headers, staff_headers


async def test_a_commitment_is_tracked_from_record_to_completion(client, cast):
    session_id = await make_programme(cast)
    issue_id = await selected_issue(cast, session_id)
    host = await staff_headers(client, cast.host)
    due = (clock.today() + timedelta(days=20)).isoformat()
    recorded = await client.post(f"/api/v1/issues/{issue_id}/rectification", headers=host,
                                 json={"department": "zjj", "commitment": "两周内修复路灯", "due_date": due})
    assert recorded.status_code == 201, recorded.text
    body = recorded.json()
    assert (body["status"], body["department"], body["due_date"]) == ("in_progress", "zjj", due)
    assert body["overdue"] is False and body["issue_id"] == issue_id

    editor = await staff_headers(client, cast.zjj_editor)
    posted = await client.post(f"/api/v1/issues/{issue_id}/progress", headers=editor, json={"content": "已更换灯具"})
    assert posted.status_code == 201, posted.text
    assert [u["content"] for u in posted.json()["updates"]] == ["已更换灯具"]

    done = await client.post(f"/api/v1/issues/{issue_id}/complete", headers=editor, json={"content": "已全部修复"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed" and done.json()["confirmations"]["round"] == 1

    issue = (await client.get(f"/api/v1/issues/{issue_id}")).json()
    rectification = issue["rectification"]
    assert rectification["status"] == "completed" and rectification["commitment"] == "两周内修复路灯"
    assert [u["kind"] for u in rectification["updates"]] == ["progress", "completion"]
    listed = (await client.get("/api/v1/rectifications", params={"department": "zjj"})).json()
    assert listed["total"] == 1 and listed["items"][0]["issue_id"] == issue_id


async def test_an_issue_without_rectification_says_null(client, cast):
    session_id = await make_programme(cast)
    issue_id = await selected_issue(cast, session_id)
    assert (await client.get(f"/api/v1/issues/{issue_id}")).json()["rectification"] is None


async def test_working_days_instead_of_a_date(client, cast):
    session_id = await make_programme(cast)
    issue_id = await selected_issue(cast, session_id)
    host = await staff_headers(client, cast.host)
    recorded = await client.post(f"/api/v1/issues/{issue_id}/rectification", headers=host,
                                 json={"department": "zjj", "commitment": "整改", "working_days": 5})
    assert recorded.status_code == 201, recorded.text
    assert date.fromisoformat(recorded.json()["due_date"]) > clock.today()


async def test_a_past_due_date_is_accepted_and_overdue_at_once(client, cast):
    session_id = await make_programme(cast)
    issue_id = await selected_issue(cast, session_id)
    host = await staff_headers(client, cast.host)
    past = (clock.today() - timedelta(days=10)).isoformat()
    recorded = await client.post(f"/api/v1/issues/{issue_id}/rectification", headers=host,
                                 json={"department": "zjj", "commitment": "整改", "due_date": past})
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["overdue"] is True and recorded.json()["working_days_overdue"] > 0
    overdue = (await client.get("/api/v1/rectifications", params={"overdue": "true"})).json()
    assert [item["issue_id"] for item in overdue["items"]] == [issue_id]
    assert (await client.get("/api/v1/rectifications", params={"overdue": "false"})).json()["total"] == 0


async def test_recording_refusals(client, cast):
    session_id = await make_programme(cast)
    issue_id = await selected_issue(cast, session_id)
    approved_only = await propose(session_id)
    host = await staff_headers(client, cast.host)
    editor = await staff_headers(client, cast.zjj_editor)
    body = {"department": "zjj", "commitment": "整改", "due_date": "2030-01-10"}
    path = f"/api/v1/issues/{issue_id}/rectification"
    assert (await client.post(path, json=body)).status_code == 401
    assert (await client.post(path, json=body, headers=editor)).status_code == 403
    assert (await client.post("/api/v1/issues/99999/rectification", json=body, headers=host)).status_code == 404
    assert (await client.post("/api/v1/issues/99999999999/rectification", json=body, headers=host)).status_code == 404
    assert (await client.post(f"/api/v1/issues/{approved_only}/rectification", json=body,
                              headers=host)).status_code == 409
    for bad in ({**body, "department": "nope"}, {**body, "due_date": "tomorrow"}, {**body, "commitment": ""},
                {"department": "zjj", "commitment": "整改"}, {**body, "working_days": 3}, {**body, "extra": 1},
                {"department": "zjj", "commitment": "整改", "working_days": 0}):
        refused = await client.post(path, json=bad, headers=host)
        assert refused.status_code == 400, (bad, refused.text)
        assert refused.json()["detail"]
    assert (await client.post(path, json=body, headers=host)).status_code == 201
    assert (await client.post(path, json=body, headers=host)).status_code == 409


async def test_only_the_responsible_department_reports(client, cast):
    _session, issue_id = await rectified_issue(cast)
    fgw = await staff_headers(client, cast.fgw_editor)
    host = await staff_headers(client, cast.host)
    admin = await staff_headers(client, cast.admin)
    for path in (f"/api/v1/issues/{issue_id}/progress", f"/api/v1/issues/{issue_id}/complete"):
        assert (await client.post(path, json={"content": "x"})).status_code == 401
        assert (await client.post(path, json={"content": "x"}, headers=fgw)).status_code == 403
        assert (await client.post(path, json={"content": "x"}, headers=host)).status_code == 403
        assert (await client.post(path, json={"content": ""}, headers=admin)).status_code == 400
    assert (await client.post("/api/v1/issues/99999/progress", json={"content": "x"}, headers=admin)).status_code == 404
    assert (await client.post(f"/api/v1/issues/{issue_id}/progress", json={"content": "管理员代为更新"},
                              headers=admin)).status_code == 201
    assert (await client.post(f"/api/v1/issues/{issue_id}/complete", json={"content": "完成"},
                              headers=admin)).status_code == 200
    # Completed: no more progress, no second completion, until citizens reopen it.
    assert (await client.post(f"/api/v1/issues/{issue_id}/progress", json={"content": "x"},
                              headers=admin)).status_code == 409
    assert (await client.post(f"/api/v1/issues/{issue_id}/complete", json={"content": "x"},
                              headers=admin)).status_code == 409


async def test_confirmation_refusals(client, cast):
    session_id = await make_programme(cast)
    proposer = await make_citizen()
    _session, issue_id = await rectified_issue(cast, session_id, citizen=proposer)
    path = f"/api/v1/issues/{issue_id}/confirmation"
    stranger = await citizen_headers(client, "13911112222")
    assert (await client.post(path, json={"solved": True})).status_code == 401
    assert (await client.post(path, json={"solved": "maybe"}, headers=stranger)).status_code == 400
    assert (await client.post("/api/v1/issues/99999/confirmation", json={"solved": True},
                              headers=stranger)).status_code == 404
    assert (await client.post(path, json={"solved": True}, headers=stranger)).status_code == 403
    from engagement.verification import issue_citizen_token

    mine = {"Authorization": f"Bearer {issue_citizen_token(proposer)}"}
    assert (await client.post(path, json={"solved": True}, headers=mine)).status_code == 409  # not completed yet
    await complete(cast, issue_id)
    answered = await client.post(path, json={"solved": True}, headers=mine)
    assert answered.status_code == 200, answered.text
    assert answered.json()["confirmations"] == {"round": 1, "solved": 1, "not_solved": 0}
    again = await client.post(path, json={"solved": False}, headers=mine)
    assert again.status_code == 409 and again.json()["detail"]


async def test_the_list_filters_and_pages(client, cast):
    session_id = await make_programme(cast)
    _s, on_time = await rectified_issue(cast, session_id)
    _s, late = await rectified_issue(cast, session_id, department="fgw", due_date=clock.today() - timedelta(days=3))
    _s, done = await rectified_issue(cast, session_id)
    await complete(cast, done)

    async def ids(**params):
        answer = await client.get("/api/v1/rectifications", params=params)
        assert answer.status_code == 200, answer.text
        return sorted(item["issue_id"] for item in answer.json()["items"])

    assert await ids() == sorted([on_time, late, done])
    assert await ids(department="fgw") == [late]
    assert await ids(status="completed") == [done]
    assert await ids(status="in_progress") == sorted([on_time, late])
    assert await ids(status="overdue") == [late]
    assert await ids(session=session_id, limit=1, offset=1) != []
    assert await ids(session=99999) == []
    assert (await client.get("/api/v1/rectifications", params={"status": "lost"})).status_code == 400
    assert (await client.get("/api/v1/rectifications", params={"limit": 0})).status_code == 400


async def test_the_list_costs_the_same_queries_for_3_and_for_12_rows(client, cast):
    session_id = await make_programme(cast)

    async def add(n):
        for _ in range(n):
            _s, issue_id = await rectified_issue(cast, session_id)
            await progress(cast, issue_id)
            await support(issue_id)

    await add(3)
    with assert_max_queries(6) as few:
        assert (await client.get("/api/v1/rectifications")).json()["total"] == 3
    await add(9)
    with assert_max_queries(len(few)):
        assert (await client.get("/api/v1/rectifications")).json()["total"] == 12

