"""The public pages and the host console, server-rendered (no JavaScript)."""

from __future__ import annotations

import re

import pytest

from live_sessions import services, services_questions, services_transcripts
from tests.live_sessions.factories import approve, ask, make_citizen, make_session, staff_of
from tests.support import assert_max_queries, read_code, request_and_read_code

PHONE = "13812345678"


def csrf(client) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get("engagement_csrf", "")}


async def test_the_announcement_shows_guests_time_countdown_and_approved_questions_only(client, cast):
    session_id = await make_session(cast)
    shown = await ask(cast, session_id, content="补贴标准是多少？", name="张小明")
    await approve(cast, shown)
    await ask(cast, session_id, content="这条还在审核")
    response = await client.get(f"/live-sessions/{session_id}")
    assert response.status_code == 200
    html = response.text
    assert "老旧小区加装电梯怎么办" in html and "王建国" in html and "市住房和城乡建设局局长" in html
    assert "data-countdown" in html and "data-target=" in html
    assert "补贴标准是多少？" in html and "张*明" in html
    assert "这条还在审核" not in html
    assert 'name="phone"' in html  # the SMS widget in the question form
    assert "<script>" not in html and "style=" not in html


async def test_asking_without_javascript_with_phone_and_code(client, cast):
    session_id = await make_session(cast)
    await client.get(f"/live-sessions/{session_id}")
    code = await request_and_read_code(client, PHONE)
    response = await client.post(f"/live-sessions/{session_id}/questions", headers=csrf(client),
                                 data={"content": "电梯维护费用谁承担？", "name": "", "phone": PHONE, "code": code})
    assert response.status_code == 303
    queue, total, _seq = await services_questions.moderation_queue(await staff_of(cast.host), session_id)
    assert total == 1 and queue[0]["content"] == "电梯维护费用谁承担？"
    # the verification is remembered for the next question
    again = await client.post(f"/live-sessions/{session_id}/questions", headers=csrf(client), data={"content": "还有一个问题"})
    assert again.status_code == 303


async def test_get_code_without_javascript_comes_back_to_the_question_form_with_the_draft(client, cast):
    session_id = await make_session(cast)
    page = await client.get(f"/live-sessions/{session_id}")
    assert f'name="return_to" value="/live-sessions/{session_id}#sms-phone"' in page.text
    sent = await client.post("/verify/code", headers=csrf(client), data={
        "content": "加装电梯要多少钱？", "name": "张小明", "phone": PHONE, "return_to": f"/live-sessions/{session_id}#sms-phone"})
    assert sent.status_code == 303 and sent.headers["location"] == f"/live-sessions/{session_id}#sms-phone"
    again = await client.get(f"/live-sessions/{session_id}")
    assert "加装电梯要多少钱？" in again.text and 'value="张小明"' in again.text and f'value="{PHONE}"' in again.text
    assert "加装电梯要多少钱？" not in (await client.get(f"/live-sessions/{session_id}")).text  # shown once
    code = await read_code(client, PHONE)
    asked = await client.post(f"/live-sessions/{session_id}/questions", headers=csrf(client),
                              data={"content": "加装电梯要多少钱？", "phone": PHONE, "code": code})
    assert asked.status_code == 303
    assert (await client.post(f"/live-sessions/{session_id}/questions/code", headers=csrf(client),
                              data={"phone": PHONE})).status_code in (404, 405)  # the wing's own fallback is gone


async def test_a_bad_question_shows_the_form_again_with_the_reason(client, cast):
    session_id = await make_session(cast)
    await client.get(f"/live-sessions/{session_id}")
    response = await client.post(f"/live-sessions/{session_id}/questions", headers=csrf(client), data={"content": "问"})
    assert response.status_code == 401
    assert 'role="alert"' in response.text


async def test_the_text_view_refreshes_itself_while_live(client, cast):
    session_id = await make_session(cast, status="live")
    question_id = await ask(cast, session_id, content="直播中的问题")
    await approve(cast, question_id)
    await services_questions.answer_question(await staff_of(cast.host), question_id, "直播中的回答", "王建国")
    response = await client.get(f"/live-sessions/{session_id}/text")
    assert response.status_code == 200
    assert re.search(r'<meta http-equiv="refresh" content="\d+">', response.text)
    assert "直播中的问题" in response.text and "直播中的回答" in response.text


async def test_the_published_transcript_is_on_the_session_page_and_searchable(client, cast):
    host = await staff_of(cast.host)
    session_id = await make_session(cast, status="live")
    await services_questions.post_remark(host, session_id, "欢迎收看垃圾分类专题访谈。")
    await services.end_session(host, session_id)
    await services_transcripts.publish_transcript(host, session_id)
    page = await client.get(f"/live-sessions/{session_id}")
    assert "欢迎收看垃圾分类专题访谈。" in page.text and 'id="comments"' in page.text
    found = await client.get("/live-sessions/search", params={"q": "垃圾分类"})
    assert found.status_code == 200 and f"/live-sessions/{session_id}" in found.text
    nothing = await client.get("/live-sessions/search", params={"q": "不存在的词"})
    assert f"/live-sessions/{session_id}\"" not in nothing.text


async def test_the_host_console_moderates_without_javascript(client, cast):
    session_id = await make_session(cast, status="live")
    question_id = await ask(cast, session_id, content="控制台里的问题")
    login = await client.post("/login", data={"username": "host", "password": cast.host.password}, follow_redirects=False,
                              headers=csrf(client) if client.cookies.get("engagement_csrf") else {})
    if login.status_code == 403:  # fetch the CSRF cookie first
        await client.get("/login")
        login = await client.post("/login", data={"username": "host", "password": cast.host.password},
                                  headers=csrf(client), follow_redirects=False)
    assert login.status_code == 303
    console = await client.get(f"/staff/live-sessions/{session_id}")
    assert console.status_code == 200 and "控制台里的问题" in console.text and "data-queue" in console.text
    done = await client.post(f"/staff/live-sessions/{session_id}/questions/{question_id}", headers=csrf(client),
                             data={"action": "approve"}, follow_redirects=False)
    assert done.status_code == 303
    again = await client.post(f"/staff/live-sessions/{session_id}/questions/{question_id}", headers=csrf(client),
                              data={"action": "approve"}, follow_redirects=False)
    assert again.status_code == 409 and 'role="alert"' in again.text

    # The console's script sends the same forms with fetch and gets 204, or the error as JSON.
    in_place = {**csrf(client), "X-Requested-With": "fetch"}
    other = await ask(cast, session_id, content="第二个问题")
    edited = await client.post(f"/staff/live-sessions/{session_id}/questions/{other}", headers=in_place,
                               data={"action": "edit", "content": "第二个问题（已改）"})
    assert edited.status_code == 204
    rejected = await client.post(f"/staff/live-sessions/{session_id}/questions/{other}", headers=in_place,
                                 data={"action": "reject"})
    assert rejected.status_code == 204
    late = await client.post(f"/staff/live-sessions/{session_id}/questions/{other}", headers=in_place,
                             data={"action": "reject"})
    assert late.status_code == 409 and late.json()["detail"]


@pytest.mark.parametrize("rows", [5, 200])
async def test_the_session_page_takes_a_fixed_number_of_queries(client, cast, rows):
    session_id = await make_session(cast, status="live")
    host = await staff_of(cast.host)
    citizens = [await make_citizen() for _ in range(rows // 3 + 1)]
    for n in range(rows):
        question_id = await ask(cast, session_id, content=f"问题{n}", citizen=citizens[n // 3])
        await approve(cast, question_id)
        if n % 2:
            await services_questions.answer_question(host, question_id, f"回答{n}")
    with assert_max_queries(8):
        response = await client.get(f"/live-sessions/{session_id}")
    assert response.status_code == 200 and f"问题{rows - 1}" in response.text
