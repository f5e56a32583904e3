"""The fixed interface of DESIGN section 4 for interviews, with 401/403/404/409 and bad input."""

from __future__ import annotations

import asyncio

import pytest

from engagement.verification import issue_citizen_token
from tests.live_sessions.factories import (
    approve,
    ask,
    make_citizen,
    make_session,
    session_body,
)
from tests.support import (
    assert_max_queries,
    citizen_headers,
    request_and_read_code,
    staff_headers,
)

PHONE = "13912345678"


async def token_headers(citizen) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_citizen_token(citizen)}"}


async def test_an_interview_from_announcement_to_published_transcript(client, cast):
    host = await staff_headers(client, cast.host)
    created = await client.post("/api/v1/live-sessions", json=session_body(), headers=host)
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["status"] == "announced" and session["kind"] == "interview"
    session_id = session["id"]

    # A citizen asks with phone + code in the body; the question waits for moderation.
    code = await request_and_read_code(client, PHONE)
    asked = await client.post(f"/api/v1/live-sessions/{session_id}/questions",
                              json={"content": "补贴什么时候发放？", "name": "张小明", "phone": PHONE, "code": code})
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending"
    question_id = asked.json()["id"]
    public = await client.get(f"/api/v1/live-sessions/{session_id}/questions")
    assert public.json() == {"items": [], "total": 0}

    moderated = await client.post(f"/api/v1/questions/{question_id}/moderate", json={"action": "approve"}, headers=host)
    assert moderated.status_code == 200, moderated.text
    assert moderated.json()["status"] == "approved"

    started = await client.post(f"/api/v1/live-sessions/{session_id}/start", headers=host)
    assert started.status_code == 200 and started.json()["status"] == "live"
    answered = await client.post(f"/api/v1/questions/{question_id}/answer",
                                 json={"answer": "审核通过后30个工作日内发放。", "speaker": "王建国"}, headers=host)
    assert answered.status_code == 201, answered.text
    assert answered.json()["answered"] is True

    listed = (await client.get(f"/api/v1/live-sessions/{session_id}/questions")).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["content"] == "补贴什么时候发放？" and item["name"] == "张*明" and item["vote_count"] == 0
    assert item["answers"][0]["content"] == "审核通过后30个工作日内发放。" and item["answers"][0]["speaker"] == "王建国"
    assert PHONE not in listed.__repr__() and "phone" not in item

    ended = await client.post(f"/api/v1/live-sessions/{session_id}/end", headers=host)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert (await client.get(f"/api/v1/live-sessions/{session_id}/transcript")).status_code == 404
    draft = await client.get(f"/api/v1/live-sessions/{session_id}/transcript", headers=host)
    assert draft.status_code == 200 and draft.json()["state"] == "draft"
    assert [entry["kind"] for entry in draft.json()["entries"]] == ["question", "answer"]

    published = await client.post(f"/api/v1/live-sessions/{session_id}/transcript/publish", headers=host)
    assert published.status_code == 200, published.text
    assert published.json()["state"] == "published"
    transcript = await client.get(f"/api/v1/live-sessions/{session_id}/transcript")
    assert transcript.status_code == 200
    assert transcript.json()["entries"][1]["content"] == "审核通过后30个工作日内发放。"


async def test_citizen_writes_need_verification(client, cast):
    session_id = await make_session(cast)
    response = await client.post(f"/api/v1/live-sessions/{session_id}/questions", json={"content": "有问题"})
    assert response.status_code == 401
    assert response.json()["detail"]
    response = await client.post(f"/api/v1/live-sessions/{session_id}/questions",
                                 json={"content": "有问题", "phone": PHONE, "code": "000000"})
    assert response.status_code in (400, 401)


@pytest.mark.parametrize("body, fragment", [
    ({"content": ""}, None),
    ({"content": "   "}, None),
    ({"content": "问" * 501}, "500"),
    ({"content": "问题", "name": "名" * 51}, None),
    ({"content": 5}, None),
    ({}, None),
])
async def test_bad_questions_are_400(client, cast, body, fragment):
    session_id = await make_session(cast)
    headers = await token_headers(await make_citizen())
    response = await client.post(f"/api/v1/live-sessions/{session_id}/questions", json=body, headers=headers)
    assert response.status_code == 400, response.text
    if fragment:
        assert fragment in response.json()["detail"]


@pytest.mark.parametrize("change", [
    {"kind": "party"},
    {"title": ""},
    {"guests": []},
    {"guests": [{"name": "王建国"}]},
    {"scheduled_at": "next tuesday"},
    {"scheduled_at": "2026-12-05T10:00:00"},
    {"guests": [{"name": "王", "title": "局长", "photo": "https://evil.example/x.png"}]},
])
async def test_bad_sessions_are_400(client, cast, change):
    host = await staff_headers(client, cast.host)
    response = await client.post("/api/v1/live-sessions", json=session_body(**change), headers=host)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


async def test_unknown_objects_are_404(client, cast):
    host = await staff_headers(client, cast.host)
    headers = await token_headers(await make_citizen())
    assert (await client.post("/api/v1/live-sessions/999/start", headers=host)).status_code == 404
    assert (await client.post("/api/v1/questions/999/moderate", json={"action": "approve"}, headers=host)).status_code == 404
    assert (await client.post("/api/v1/questions/999/vote", headers=headers)).status_code == 404
    assert (await client.get("/api/v1/live-sessions/999/questions")).status_code == 404
    assert (await client.post("/api/v1/live-sessions/999/questions", json={"content": "问"}, headers=headers)).status_code == 404
    assert (await client.get("/api/v1/live-sessions/999")).status_code == 404


async def test_pending_questions_cannot_be_voted_for(client, cast):
    session_id = await make_session(cast)
    question_id = await ask(cast, session_id)
    response = await client.post(f"/api/v1/questions/{question_id}/vote", headers=await token_headers(await make_citizen()))
    assert response.status_code == 404


async def test_state_conflicts_are_409(client, cast):
    host = await staff_headers(client, cast.host)
    session_id = await make_session(cast)
    question_id = await ask(cast, session_id)
    # answering before approval, ending before start, publishing before the end
    assert (await client.post(f"/api/v1/questions/{question_id}/answer", json={"answer": "答"}, headers=host)).status_code == 409
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/end", headers=host)).status_code == 409
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/transcript/publish", headers=host)).status_code == 409
    await approve(cast, question_id)
    # approving twice; answering while announced
    assert (await client.post(f"/api/v1/questions/{question_id}/moderate", json={"action": "approve"}, headers=host)).status_code == 409
    assert (await client.post(f"/api/v1/questions/{question_id}/answer", json={"answer": "答"}, headers=host)).status_code == 409
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/start", headers=host)).status_code == 200
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/start", headers=host)).status_code == 409
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/end", headers=host)).status_code == 200
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/end", headers=host)).status_code == 409
    citizen = await token_headers(await make_citizen())
    late = await client.post(f"/api/v1/live-sessions/{session_id}/questions", json={"content": "还能问吗？"}, headers=citizen)
    assert late.status_code == 409
    comment = await client.post(f"/api/v1/live-sessions/{session_id}/transcript/comments", json={"content": "好"}, headers=citizen)
    assert comment.status_code == 409
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/transcript/publish", headers=host)).status_code == 200
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/transcript/publish", headers=host)).status_code == 409


async def test_bad_moderation_and_answer_input_is_400(client, cast):
    host = await staff_headers(client, cast.host)
    session_id = await make_session(cast, status="live")
    question_id = await ask(cast, session_id)
    assert (await client.post(f"/api/v1/questions/{question_id}/moderate", json={"action": "delete"}, headers=host)).status_code == 400
    await approve(cast, question_id)
    response = await client.post(f"/api/v1/questions/{question_id}/answer", json={"answer": "答", "speaker": "路人甲"}, headers=host)
    assert response.status_code == 400 and "speaker" in response.json()["detail"].lower() or "嘉宾" in response.json()["detail"]
    assert (await client.post(f"/api/v1/questions/{question_id}/answer", json={"answer": ""}, headers=host)).status_code == 400


async def test_staff_routes_need_a_login(client, cast):
    session_id = await make_session(cast)
    response = await client.post("/api/v1/live-sessions", json=session_body())
    assert response.status_code == 401
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/start")).status_code == 401
    # a citizen token is no staff token
    citizen = await token_headers(await make_citizen())
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/start", headers=citizen)).status_code == 401


async def test_the_host_posts_remarks_and_edits_typos_keeping_the_original(client, cast):
    host = await staff_headers(client, cast.host)
    session_id = await make_session(cast, status="live")
    question_id = await ask(cast, session_id, content="加装电提的补贴是多少")
    edited = await client.post(f"/api/v1/questions/{question_id}/edit", json={"content": "加装电梯的补贴是多少？"}, headers=host)
    assert edited.status_code == 200
    assert edited.json()["content"] == "加装电梯的补贴是多少？"
    assert edited.json()["original_content"] == "加装电提的补贴是多少"
    remark = await client.post(f"/api/v1/live-sessions/{session_id}/remarks", json={"content": "欢迎各位网友。"}, headers=host)
    assert remark.status_code == 201 and remark.json()["speaker_role"] == "host"
    queue = await client.get(f"/api/v1/live-sessions/{session_id}/moderation-queue", headers=host)
    assert queue.status_code == 200 and queue.json()["total"] == 1
    assert queue.json()["items"][0]["name"] == "张小明"  # staff see the name, never a phone
    assert "phone" not in queue.json()["items"][0]


async def test_questions_are_rate_limited_per_citizen(client, cast):
    session_id = await make_session(cast)
    headers = await token_headers(await make_citizen())
    for n in range(3):
        response = await client.post(f"/api/v1/live-sessions/{session_id}/questions", json={"content": f"问题{n}"}, headers=headers)
        assert response.status_code == 201
    response = await client.post(f"/api/v1/live-sessions/{session_id}/questions", json={"content": "再问一个"}, headers=headers)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    other = await token_headers(await make_citizen())
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/questions", json={"content": "我也问"}, headers=other)).status_code == 201


async def test_simultaneous_questions_of_one_citizen_respect_the_limit(client, cast):
    session_id = await make_session(cast)
    headers = await token_headers(await make_citizen())
    responses = await asyncio.gather(*[
        client.post(f"/api/v1/live-sessions/{session_id}/questions", json={"content": f"同时提问{n}"}, headers=headers)
        for n in range(8)
    ])
    assert sorted(response.status_code for response in responses) == [201] * 3 + [429] * 5
    queue = await client.get(f"/api/v1/live-sessions/{session_id}/moderation-queue",
                             headers=await staff_headers(client, cast.host))
    assert queue.json()["total"] == 3


async def test_two_hosts_approving_at_once_yield_one_approval(client, cast):
    session_id = await make_session(cast)
    question_id = await ask(cast, session_id)
    host = await staff_headers(client, cast.host)
    admin = await staff_headers(client, cast.admin)
    responses = await asyncio.gather(*[
        client.post(f"/api/v1/questions/{question_id}/moderate", json={"action": "approve"}, headers=headers)
        for headers in [host, admin, host, admin]
    ])
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409], [r.text for r in responses]
    events = (await client.get(f"/api/v1/live-sessions/{session_id}/events")).json()["items"]
    assert [event["type"] for event in events] == ["question"]


async def test_fifty_simultaneous_votes_from_one_citizen_count_once(client, cast):
    session_id = await make_session(cast)
    question_id = await ask(cast, session_id)
    await approve(cast, question_id)
    headers = await citizen_headers(client, PHONE)
    responses = await asyncio.gather(*[client.post(f"/api/v1/questions/{question_id}/vote", headers=headers) for _ in range(50)])
    assert all(r.status_code == 200 for r in responses), {r.text for r in responses}
    assert sum(r.json()["counted"] for r in responses) == 1
    listed = (await client.get(f"/api/v1/live-sessions/{session_id}/questions")).json()
    assert listed["items"][0]["vote_count"] == 1
    second = await client.post(f"/api/v1/questions/{question_id}/vote", headers=await token_headers(await make_citizen()))
    assert second.json() == {"vote_count": 2, "counted": True}


async def test_most_wanted_questions_rise(client, cast):
    session_id = await make_session(cast)
    first = await ask(cast, session_id, content="第一个问题")
    second = await ask(cast, session_id, content="第二个问题")
    for question_id in (first, second):
        await approve(cast, question_id)
    for _ in range(2):
        await client.post(f"/api/v1/questions/{second}/vote", headers=await token_headers(await make_citizen()))
    listed = (await client.get(f"/api/v1/live-sessions/{session_id}/questions")).json()
    assert [item["id"] for item in listed["items"]] == [second, first]
    by_time = (await client.get(f"/api/v1/live-sessions/{session_id}/questions?order=time")).json()
    assert [item["id"] for item in by_time["items"]] == [first, second]


@pytest.mark.parametrize("rows", [5, 200])
async def test_the_question_list_takes_a_fixed_number_of_queries(client, cast, rows):
    session_id = await make_session(cast)
    citizens = [await make_citizen() for _ in range(max(1, rows // 3 + 1))]
    for n in range(rows):
        question_id = await ask(cast, session_id, content=f"问题{n}", citizen=citizens[n // 3])
        await approve(cast, question_id)
    with assert_max_queries(4):
        response = await client.get(f"/api/v1/live-sessions/{session_id}/questions?limit=100")
    assert response.status_code == 200 and response.json()["total"] == rows


async def test_transcripts_are_searchable_with_chinese_keywords(client, cast):
    from live_sessions import services, services_questions, services_transcripts
    from tests.live_sessions.factories import staff_of

    host = await staff_of(cast.host)
    session_id = await make_session(cast, status="live")
    question_id = await ask(cast, session_id, content="老旧小区加装电梯的补贴标准是多少？")
    await approve(cast, question_id)
    await services_questions.answer_question(host, question_id, "每台电梯最高补贴20万元。", "王建国")
    await services.end_session(host, session_id)
    other = await make_session(cast, status="ended", title="垃圾分类")
    assert (await client.get("/api/v1/transcripts", params={"q": "电梯 补贴"})).json()["total"] == 0  # draft only
    await services_transcripts.publish_transcript(host, session_id)
    await services_transcripts.publish_transcript(host, other)
    hits = (await client.get("/api/v1/transcripts", params={"q": "电梯 补贴"})).json()
    assert hits["total"] == 1 and hits["items"][0]["session_id"] == session_id
    assert "补贴" in hits["items"][0]["matches"][0]["content"]
    assert (await client.get("/api/v1/transcripts", params={"q": "%"})).json()["total"] == 0


async def test_transcript_edits_before_publication_and_moderated_comments(client, cast):
    host = await staff_headers(client, cast.host)
    session_id = await make_session(cast, status="live")
    await client.post(f"/api/v1/live-sessions/{session_id}/remarks", json={"content": "欢迎收看。"}, headers=host)
    await client.post(f"/api/v1/live-sessions/{session_id}/end", headers=host)
    draft = (await client.get(f"/api/v1/live-sessions/{session_id}/transcript", headers=host)).json()
    entry_id = draft["entries"][0]["id"]
    edited = await client.patch(f"/api/v1/transcript-entries/{entry_id}", json={"content": "欢迎收看本期访谈。"}, headers=host)
    assert edited.status_code == 200 and edited.json()["content"] == "欢迎收看本期访谈。"
    await client.post(f"/api/v1/live-sessions/{session_id}/transcript/publish", headers=host)
    again = await client.patch(f"/api/v1/transcript-entries/{entry_id}", json={"content": "改"}, headers=host)
    assert again.status_code == 409

    citizen = await token_headers(await make_citizen())
    comment = await client.post(f"/api/v1/live-sessions/{session_id}/transcript/comments",
                                json={"content": "访谈很有帮助，联系我13800138000", "name": "李四"}, headers=citizen)
    assert comment.status_code == 201 and comment.json()["status"] == "pending"
    assert (await client.get(f"/api/v1/live-sessions/{session_id}/transcript/comments")).json()["total"] == 0
    moderated = await client.post(f"/api/v1/transcript-comments/{comment.json()['id']}/moderate",
                                  json={"action": "approve"}, headers=host)
    assert moderated.status_code == 200
    public = (await client.get(f"/api/v1/live-sessions/{session_id}/transcript/comments")).json()
    assert public["total"] == 1
    assert "13800138000" not in public["items"][0]["content"] and public["items"][0]["name"] == "李*"


async def test_the_openapi_schema_documents_the_routes(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/live-sessions/{session_id}/questions" in schema["paths"]
    assert "/api/v1/questions/{question_id}/moderate" in schema["paths"]
