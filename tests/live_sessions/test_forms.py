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


async def test_a_host_announces_an_open_meeting_with_quotas_through_the_form(client, cast):
    await log_in(client, cast.host)
    form = await client.get("/staff/live-sessions")
    assert 'value="open_meeting"' in form.text and 'name="quotas"' in form.text
    page = await client.post("/staff/live-sessions", headers=csrf(client), data={
        "kind": "open_meeting", "title": "县政府第86次常务会议", "description": "邀请群众代表列席。", "guests": "",
        "scheduled_at": "2030-01-10T09:00", "place": "县行政中心三楼", "agenda": "审议老旧小区改造方案",
        "capacity": "5", "quotas": "resident, 居民代表, 3\nenterprise，企业代表，2", "allocation": "lottery",
        "registration_closes_at": "2030-01-08T18:00", "offer_hours": "12"}, follow_redirects=False)
    assert page.status_code == 303, page.text
    session_id = int(page.headers["location"].rsplit("/", 1)[1])
    read = (await client.get(f"/api/v1/live-sessions/{session_id}")).json()
    assert (read["kind"], read["place"], read["capacity"], read["guests"]) == ("open_meeting", "县行政中心三楼", 5, [])
    assert read["registration_closes_at"].startswith("2030-01-08T10:00")  # 18:00 Beijing time
    seats = (await client.get(f"/api/v1/live-sessions/{session_id}/seats")).json()
    assert "居民代表" in str(seats) and "企业代表" in str(seats)


async def test_a_quota_line_without_seats_is_refused_with_a_message(client, cast):
    await log_in(client, cast.host)
    page = await client.post("/staff/live-sessions", headers=csrf(client), data={
        "kind": "open_meeting", "title": "开放日", "guests": "", "scheduled_at": "2030-01-10T09:00", "capacity": "5",
        "quotas": "resident, 居民代表"})
    assert page.status_code == 400
    assert "居民代表, 5" in alert_of(page.text)


async def test_a_host_announces_a_tv_programme_with_a_collection_deadline(client, cast):
    await log_in(client, cast.host)
    page = await client.post("/staff/live-sessions", headers=csrf(client), data={
        "kind": "tv_questioning", "title": "电视问政：城市管理专场", "guests": "王建国，市城管局局长",
        "scheduled_at": "2030-01-10T20:00", "issues_close_at": "2030-01-05T18:00"}, follow_redirects=False)
    assert page.status_code == 303, page.text
    session_id = int(page.headers["location"].rsplit("/", 1)[1])
    read = (await client.get(f"/api/v1/live-sessions/{session_id}")).json()
    assert read["kind"] == "tv_questioning" and read["issues_close_at"].startswith("2030-01-05T10:00")
