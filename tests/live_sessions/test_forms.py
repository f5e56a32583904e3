"""The HTML forms and the API parse into the same request structs: what one refuses, the other refuses
with the same message (engagement.forms.parse_form, live_sessions/schemas.py)."""

from __future__ import annotations

import html

from engagement.verification import issue_citizen_token
from tests.live_sessions.factories import approve, ask, make_citizen, make_session, session_body
from tests.support import staff_headers


def csrf(client) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get("engagement_csrf", "")}


def alert_of(page: str) -> str:
    start = page.index('role="alert">') + len('role="alert">')
    return html.unescape(page[start:page.index("</p>", start)])


async def log_in(client, person) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"username": person.username, "password": person.password},
                                 headers=csrf(client), follow_redirects=False)
    assert response.status_code == 303, response.text


async def test_a_question_over_500_characters_is_refused_alike(client, cast):
    session_id = await make_session(cast)
    too_long = "问" * 501
    citizen = {"Authorization": f"Bearer {issue_citizen_token(await make_citizen())}"}
    api = await client.post(f"/api/v1/live-sessions/{session_id}/questions", json={"content": too_long},
                            headers=citizen)
    await client.get(f"/live-sessions/{session_id}")
    page = await client.post(f"/live-sessions/{session_id}/questions", headers=csrf(client),
                             data={"content": too_long, "name": ""})
    assert api.status_code == page.status_code == 400
    assert "500" in api.json()["detail"]
    assert alert_of(page.text) == api.json()["detail"]


async def test_a_session_title_over_200_characters_is_refused_alike(client, cast):
    title = "题" * 201
    api = await client.post("/api/v1/live-sessions", json=session_body(title=title),
                            headers=await staff_headers(client, cast.host))
    await log_in(client, cast.host)
    page = await client.post("/staff/live-sessions", headers=csrf(client), data={
        "title": title, "description": "", "guests": "王建国，市住房和城乡建设局局长", "scheduled_at": "2030-01-01T10:00"})
    assert api.status_code == page.status_code == 400
    assert "200" in api.json()["detail"]
    assert alert_of(page.text) == api.json()["detail"]


async def test_an_empty_answer_from_the_console_is_refused_as_the_api_refuses_it(client, cast):
    session_id = await make_session(cast, status="live")
    question_id = await ask(cast, session_id)
    await approve(cast, question_id)
    api = await client.post(f"/api/v1/questions/{question_id}/answer", json={"answer": ""},
                            headers=await staff_headers(client, cast.host))
    await log_in(client, cast.host)
    console = await client.post(f"/staff/live-sessions/{session_id}/questions/{question_id}",
                                headers={**csrf(client), "X-Requested-With": "fetch"},
                                data={"action": "answer", "answer": "", "speaker": "王建国"})
    assert api.status_code == console.status_code == 400
    assert console.json()["detail"] == api.json()["detail"]
