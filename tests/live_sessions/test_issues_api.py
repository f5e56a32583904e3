"""The fixed issue API of DESIGN section 4 (TV questioning and open meetings), with 401/403/404/409/400."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engagement import clock
from engagement.verification import issue_citizen_token
from tests.live_sessions.factories import (
    make_citizen,
    make_programme,
    make_session,
    propose,
    published_issue,
    selected_issue,
    session_body,
    support,
)
from tests.support import assert_max_queries, citizen_headers, request_and_read_code, staff_headers

PHONE = "13912345678"


async def token_headers(citizen) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_citizen_token(citizen)}"}


async def test_a_programme_from_collection_to_selection(client, cast):
    host = await staff_headers(client, cast.host)
    closes = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = await client.post("/api/v1/live-sessions", headers=host,
                                json=session_body(kind="tv_questioning", title="电视问政", issues_close_at=closes))
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    assert created.json()["issues_close_at"]

    # A citizen proposes with phone + code in the body; the issue waits for a host and has no supports.
    code = await request_and_read_code(client, PHONE)
    proposed = await client.post(f"/api/v1/live-sessions/{session_id}/issues", json={
        "title": "路灯坏了三个月", "content": "幸福路12号门口路灯不亮，联系电话13812345678。", "location": "幸福路12号",
        "name": "张小明", "phone": PHONE, "code": code})
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["status"] == "pending"
    issue_id = proposed.json()["id"]
    assert (await client.get(f"/api/v1/live-sessions/{session_id}/issues")).json() == {"items": [], "total": 0}
    assert (await client.get(f"/api/v1/issues/{issue_id}")).status_code == 404

    moderated = await client.post(f"/api/v1/issues/{issue_id}/moderate", json={"action": "approve"}, headers=host)
    assert moderated.status_code == 200, moderated.text
    assert moderated.json()["status"] == "approved"
    listed = (await client.get(f"/api/v1/live-sessions/{session_id}/issues")).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["id"] == issue_id and item["support_count"] == 0 and item["status"] == "approved"
    assert item["name"] == "张*明" and "138****5678" in item["content"]
    assert "13812345678" not in str(listed) and PHONE not in str(listed) and "phone" not in item

    supporter = await citizen_headers(client, "13700001111")
    supported = await client.post(f"/api/v1/issues/{issue_id}/support", headers=supporter)
    assert supported.status_code == 200, supported.text
    assert supported.json()["support_count"] == 1
    again = await client.post(f"/api/v1/issues/{issue_id}/support", headers=supporter)
    assert again.json() == {"support_count": 1, "counted": False}

    # A duplicate, supported by someone else, is merged: the target counts both supporters.
    duplicate = await published_issue(cast, session_id, title="幸福路路灯不亮")
    await support(duplicate)
    merged = await client.post(f"/api/v1/issues/{duplicate}/merge", json={"into": issue_id}, headers=host)
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == issue_id and merged.json()["support_count"] == 2
    shown = (await client.get(f"/api/v1/issues/{duplicate}")).json()
    assert shown["status"] == "merged" and shown["merged_into"] == issue_id and shown["merged_into_title"]

    selected = await client.post(f"/api/v1/issues/{issue_id}/select", json={"note": "支持人数最多"}, headers=host)
    assert selected.status_code == 200, selected.text
    assert selected.json()["status"] == "selected" and selected.json()["running_order"] == 1
    detail = (await client.get(f"/api/v1/issues/{issue_id}")).json()
    assert detail["status"] == "selected" and detail["note"] == "支持人数最多" and detail["rectification"] is None
    by_status = (await client.get(f"/api/v1/live-sessions/{session_id}/issues", params={"sort": "status"})).json()
    assert [i["status"] for i in by_status["items"]] == ["selected", "merged"]


async def test_an_open_meeting_takes_issues_too_and_an_interview_does_not(client, cast):
    headers = await token_headers(await make_citizen())
    body = {"title": "停车难", "content": "小区周边停车位不足。"}
    interview = await make_session(cast)
    response = await client.post(f"/api/v1/live-sessions/{interview}/issues", json=body, headers=headers)
    assert response.status_code == 409 and response.json()["detail"]
    assert (await client.get(f"/api/v1/live-sessions/{interview}/issues")).status_code == 409
    host = await staff_headers(client, cast.host)
    created = await client.post("/api/v1/live-sessions", json=session_body(kind="open_meeting", capacity=50), headers=host)
    meeting = created.json()["id"]
    response = await client.post(f"/api/v1/live-sessions/{meeting}/issues", json=body, headers=headers)
    assert response.status_code == 201, response.text


async def test_citizen_writes_need_verification(client, cast):
    session_id = await make_programme(cast)
    issue_id = await published_issue(cast, session_id)
    body = {"title": "停车难", "content": "小区周边停车位不足。"}
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/issues", json=body)).status_code == 401
    wrong = await client.post(f"/api/v1/live-sessions/{session_id}/issues", json={**body, "phone": PHONE, "code": "000000"})
    assert wrong.status_code in (400, 401)
    assert (await client.post(f"/api/v1/issues/{issue_id}/support")).status_code == 401


async def test_triage_is_for_hosts_and_admins(client, cast):
    session_id = await make_programme(cast)
    issue_id = await propose(session_id)
    other = await published_issue(cast, session_id, title="另一个问题")
    editor = await staff_headers(client, cast.fgw_editor)
    citizen = await token_headers(await make_citizen())
    calls = [
        (f"/api/v1/issues/{issue_id}/moderate", {"action": "approve"}),
        (f"/api/v1/issues/{issue_id}/merge", {"into": other}),
        (f"/api/v1/issues/{other}/select", {"note": "重要"}),
        (f"/api/v1/issues/{other}/on-air-answer", {"answer": "马上修", "answered_by": "局长"}),
        (f"/api/v1/live-sessions/{session_id}/issues/order", {"ids": [other]}),
        (f"/api/v1/live-sessions/{session_id}/on-air", {"issue_id": other}),
    ]
    for path, body in calls:
        assert (await client.post(path, json=body)).status_code == 401, path
        assert (await client.post(path, json=body, headers=citizen)).status_code == 401, path
        assert (await client.post(path, json=body, headers=editor)).status_code == 403, path
    assert (await client.get(f"/api/v1/live-sessions/{session_id}/issues/queue", headers=editor)).status_code == 403
    admin = await staff_headers(client, cast.admin)
    response = await client.post(f"/api/v1/issues/{issue_id}/moderate", json={"action": "reject", "reason": "重复"},
                                 headers=admin)
    assert response.status_code == 200 and response.json()["status"] == "rejected"


async def test_unknown_or_unpublished_issues_are_404(client, cast):
    host = await staff_headers(client, cast.host)
    headers = await token_headers(await make_citizen())
    session_id = await make_programme(cast)
    pending = await propose(session_id)
    assert (await client.get("/api/v1/issues/999")).status_code == 404
    assert (await client.get(f"/api/v1/issues/{2**31}")).status_code == 404
    assert (await client.post("/api/v1/issues/999/moderate", json={"action": "approve"}, headers=host)).status_code == 404
    assert (await client.post("/api/v1/issues/999/support", headers=headers)).status_code == 404
    assert (await client.post(f"/api/v1/issues/{pending}/support", headers=headers)).status_code == 404
    assert (await client.get("/api/v1/live-sessions/999/issues")).status_code == 404
    assert (await client.get("/api/v1/live-sessions/999/issues/similar", params={"q": "路灯"})).status_code == 404
    body = {"title": "停车难", "content": "停车位不足。"}
    assert (await client.post("/api/v1/live-sessions/999/issues", json=body, headers=headers)).status_code == 404
    assert (await client.post(f"/api/v1/issues/{pending}/merge", json={"into": 999}, headers=host)).status_code == 404


async def test_state_conflicts_are_409(client, cast):
    host = await staff_headers(client, cast.host)
    session_id = await make_programme(cast)
    issue_id = await published_issue(cast, session_id)
    assert (await client.post(f"/api/v1/issues/{issue_id}/moderate", json={"action": "approve"}, headers=host)).status_code == 409
    rejected = await propose(session_id, title="已驳回")
    await client.post(f"/api/v1/issues/{rejected}/moderate", json={"action": "reject", "reason": "无关"}, headers=host)
    pending = await propose(session_id, title="待审核")
    # merging into a rejected or pending issue, selecting an issue not approved, answering one not selected
    assert (await client.post(f"/api/v1/issues/{issue_id}/merge", json={"into": rejected}, headers=host)).status_code == 409
    assert (await client.post(f"/api/v1/issues/{issue_id}/merge", json={"into": pending}, headers=host)).status_code == 409
    assert (await client.post(f"/api/v1/issues/{pending}/select", json={"note": "好"}, headers=host)).status_code == 409
    answer = {"answer": "马上修", "answered_by": "局长"}
    assert (await client.post(f"/api/v1/issues/{issue_id}/on-air-answer", json=answer, headers=host)).status_code == 409
    # merged: no second merge, no merge into it, no support
    other = await published_issue(cast, session_id, title="重复的问题")
    assert (await client.post(f"/api/v1/issues/{other}/merge", json={"into": issue_id}, headers=host)).status_code == 200
    assert (await client.post(f"/api/v1/issues/{other}/merge", json={"into": issue_id}, headers=host)).status_code == 409
    third = await published_issue(cast, session_id, title="第三个问题")
    assert (await client.post(f"/api/v1/issues/{third}/merge", json={"into": other}, headers=host)).status_code == 409
    response = await client.post(f"/api/v1/issues/{other}/support", headers=await token_headers(await make_citizen()))
    assert response.status_code == 409 and str(issue_id) in response.json()["detail"]
    # on air only while live
    selected = await selected_issue(cast, session_id, title="入选的问题")
    on_air = await client.post(f"/api/v1/live-sessions/{session_id}/on-air", json={"issue_id": selected}, headers=host)
    assert on_air.status_code == 409


async def test_the_collection_deadline_stops_new_issues_and_supports(client, cast):
    session_id = await make_programme(cast, issues_close_at=datetime.now(UTC) + timedelta(hours=1))
    issue_id = await published_issue(cast, session_id)
    headers = await token_headers(await make_citizen())
    assert (await client.post(f"/api/v1/issues/{issue_id}/support", headers=headers)).status_code == 200
    from live_sessions.tables import LiveSession

    await LiveSession.update({LiveSession.issues_close_at: clock.now() - timedelta(seconds=1)}).where(
        LiveSession.id == session_id)
    late = await client.post(f"/api/v1/live-sessions/{session_id}/issues", headers=headers,
                             json={"title": "晚了", "content": "截止后提交。"})
    assert late.status_code == 409 and late.json()["detail"]
    late_support = await client.post(f"/api/v1/issues/{issue_id}/support", headers=await token_headers(await make_citizen()))
    assert late_support.status_code == 409
    assert (await client.get(f"/api/v1/issues/{issue_id}")).json()["support_count"] == 1


async def test_without_a_deadline_collection_ends_with_the_session(client, cast):
    session_id = await make_programme(cast, status="ended")
    response = await client.post(f"/api/v1/live-sessions/{session_id}/issues", headers=await token_headers(await make_citizen()),
                                 json={"title": "晚了", "content": "结束后提交。"})
    assert response.status_code == 409


@pytest.mark.parametrize("body", [
    {"title": "", "content": "内容"},
    {"title": "标题", "content": ""},
    {"title": "题" * 101, "content": "内容"},
    {"title": "标题", "content": "内" * 2001},
    {"title": "标题", "content": "内容", "name": "名" * 51},
    {"title": "标题", "content": "内容", "location": "地" * 201},
    {"title": 5, "content": "内容"},
    {"content": "内容"},
    {"title": "标题", "content": "内容", "unknown": 1},
])
async def test_bad_issues_are_400(client, cast, body):
    session_id = await make_programme(cast)
    response = await client.post(f"/api/v1/live-sessions/{session_id}/issues", json=body,
                                 headers=await token_headers(await make_citizen()))
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


async def test_bad_triage_input_is_400(client, cast):
    host = await staff_headers(client, cast.host)
    session_id = await make_programme(cast)
    issue_id = await published_issue(cast, session_id)
    elsewhere = await published_issue(cast, await make_programme(cast))
    post = client.post
    assert (await post(f"/api/v1/issues/{issue_id}/moderate", json={"action": "delete"}, headers=host)).status_code == 400
    assert (await post(f"/api/v1/issues/{issue_id}/merge", json={"into": issue_id}, headers=host)).status_code == 400
    assert (await post(f"/api/v1/issues/{issue_id}/merge", json={"into": elsewhere}, headers=host)).status_code == 400
    assert (await post(f"/api/v1/issues/{issue_id}/merge", json={"into": "x"}, headers=host)).status_code == 400
    assert (await post(f"/api/v1/issues/{issue_id}/select", json={"note": ""}, headers=host)).status_code == 400
    assert (await post(f"/api/v1/issues/{issue_id}/select", json={"note": "好", "running_order": 0}, headers=host)).status_code == 400
    assert (await post(f"/api/v1/live-sessions/{session_id}/issues/order", json={"ids": [issue_id]}, headers=host)).status_code == 400
    assert (await client.get(f"/api/v1/live-sessions/{session_id}/issues", params={"sort": "random"})).status_code == 400


async def test_running_order_on_air_and_the_answer(client, cast):
    host = await staff_headers(client, cast.host)
    session_id = await make_programme(cast, status="live")
    first = await selected_issue(cast, session_id, title="第一个")
    second = await selected_issue(cast, session_id, title="第二个")
    reordered = await client.post(f"/api/v1/live-sessions/{session_id}/issues/order", json={"ids": [second, first]},
                                  headers=host)
    assert reordered.status_code == 200, reordered.text
    assert [(i["id"], i["running_order"]) for i in reordered.json()["items"]] == [(second, 1), (first, 2)]
    on_air = await client.post(f"/api/v1/live-sessions/{session_id}/on-air", json={"issue_id": second}, headers=host)
    assert on_air.status_code == 200, on_air.text
    assert (await client.get(f"/api/v1/live-sessions/{session_id}")).json()["current_issue_id"] == second
    answer = await client.post(f"/api/v1/issues/{second}/on-air-answer", headers=host,
                               json={"answer": "一个月内完成维修。", "answered_by": "县住建局局长"})
    assert answer.status_code == 200, answer.text
    shown = (await client.get(f"/api/v1/issues/{second}")).json()
    assert shown["on_air"] is True and shown["on_air_answer"] == "一个月内完成维修。" and shown["answered_by"] == "县住建局局长"
    listed = (await client.get(f"/api/v1/live-sessions/{session_id}/issues", params={"sort": "status"})).json()
    assert [i["id"] for i in listed["items"]] == [second, first]


async def test_similar_published_issues_while_writing(client, cast):
    session_id = await make_programme(cast)
    lamp = await published_issue(cast, session_id, title="幸福路路灯不亮", content="晚上一片漆黑。")
    await published_issue(cast, session_id, title="菜市场噪音扰民", content="凌晨四点就开始卸货。")
    await propose(session_id, title="路灯坏了", content="待审核的路灯问题不应出现。")
    found = await client.get(f"/api/v1/live-sessions/{session_id}/issues/similar", params={"q": "我家门口的路灯不亮了"})
    assert found.status_code == 200
    assert [item["id"] for item in found.json()["items"]] == [lamp]
    assert (await client.get(f"/api/v1/live-sessions/{session_id}/issues/similar", params={"q": ""})).json()["total"] == 0


async def test_lists_take_a_fixed_number_of_queries(client, cast):
    host = await staff_headers(client, cast.host)
    session_id = await make_programme(cast)
    for n in range(8):
        issue_id = await published_issue(cast, session_id, title=f"问题{n}号路灯")
        await support(issue_id)
    for n in range(3):
        await propose(session_id, title=f"待审{n}")
    for sort in ("supports", "newest", "status"):
        with assert_max_queries(4):
            response = await client.get(f"/api/v1/live-sessions/{session_id}/issues", params={"sort": sort})
        assert response.json()["total"] == 8
    with assert_max_queries(4):
        assert (await client.get(f"/api/v1/live-sessions/{session_id}/issues/similar", params={"q": "号路灯坏了"})).json()["total"] == 5
    with assert_max_queries(8):
        assert (await client.get(f"/api/v1/live-sessions/{session_id}/issues/queue", headers=host)).json()["total"] == 3


async def test_the_openapi_schema_documents_the_issue_routes_and_their_errors(client):
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    expected = {
        ("/api/v1/live-sessions/{session_id}/issues", "post"): {"201", "400", "401", "404", "409"},
        ("/api/v1/live-sessions/{session_id}/issues", "get"): {"200", "400", "404"},
        ("/api/v1/issues/{issue_id}/moderate", "post"): {"200", "400", "401", "403", "404", "409"},
        ("/api/v1/issues/{issue_id}/support", "post"): {"200", "400", "401", "404", "409"},
        ("/api/v1/issues/{issue_id}/merge", "post"): {"200", "400", "401", "403", "404", "409"},
        ("/api/v1/issues/{issue_id}/select", "post"): {"200", "400", "401", "403", "404", "409"},
        ("/api/v1/issues/{issue_id}", "get"): {"200", "404"},
    }
    for (path, method), statuses in expected.items():
        assert statuses <= set(paths[path][method]["responses"]), (path, method)
