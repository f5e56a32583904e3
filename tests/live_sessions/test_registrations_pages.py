"""Open-meeting pages without JavaScript: the meeting page, registering, a registration's page, check-in, the office."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import time_machine

from engagement.tables import AuditEntry
from tests.live_sessions.factories import make_citizen, session_body, staff_of
from tests.support import assert_max_queries, citizen_headers, log_in_page, request_and_read_code, staff_headers

PHONE = "13812345678"
QUOTAS = [{"category": "residents", "label": "居民代表", "seats": 2},
          {"category": "enterprises", "label": "企业代表", "seats": 1}]


def csrf(client) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get("engagement_csrf", "")}



async def meeting(client, cast, **overrides) -> int:
    body = session_body(kind="open_meeting", title="县政府第86次常务会议开放日", guests=[], capacity=4, quotas=QUOTAS,
                        place="县政府302会议室", agenda="审议老旧小区改造实施方案",
                        scheduled_at=(datetime.now(UTC) + timedelta(days=3)).isoformat())
    body.update(overrides)
    created = await client.post("/api/v1/live-sessions", headers=await staff_headers(client, cast.host), json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def register(client, session_id: int, phone: str, category: str = "residents", name: str = "张小明") -> str:
    response = await client.post(f"/api/v1/live-sessions/{session_id}/registrations",
                                 headers=await citizen_headers(client, phone), json={"name": name, "category": category})
    assert response.status_code == 201, response.text
    return response.json()["registration_code"]


async def test_the_meeting_page_announces_seats_and_offers_the_form(client, cast):
    session_id = await meeting(client, cast)
    await register(client, session_id, "13900000001")
    page = await client.get(f"/live-sessions/{session_id}")
    assert page.status_code == 200
    html = page.text
    assert "县政府302会议室" in html and "审议老旧小区改造实施方案" in html
    assert "居民代表" in html and "企业代表" in html  # seats by quota, and the category radio
    assert len(re.findall(r'type="radio" id="registration-category-\d+" name="category"', html)) == 3  # quotas, open pool
    assert f'action="/live-sessions/{session_id}/registrations"' in html
    assert "张小明" not in html and "13900000001" not in html
    assert "data-issue-board" in html  # agenda issues: the issue mechanism's board, on the meeting page too


async def test_registering_through_the_form_shows_the_code_and_its_qr_code(client, cast):
    session_id = await meeting(client, cast)
    await client.get(f"/live-sessions/{session_id}")
    code = await request_and_read_code(client, PHONE)
    answer = await client.post(f"/live-sessions/{session_id}/registrations", headers=csrf(client), data={
        "name": "李小红", "category": "enterprises", "organization": "县工商联", "phone": PHONE, "code": code})
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    registration_code = re.fullmatch(r"/registrations/([A-Z0-9]{10})\?new=1", location).group(1)
    page = await client.get(location)
    assert page.status_code == 200
    assert registration_code in page.text and "李*红" in page.text and "李小红" not in page.text
    assert 'src="data:image/svg+xml' in page.text and "企业代表" in page.text
    assert (await client.get(f"/api/v1/registrations/{registration_code}")).json()["status"] == "confirmed"

    again = await client.post(f"/live-sessions/{session_id}/registrations", headers=csrf(client),
                              data={"name": "李小红", "category": "enterprises"})
    assert again.status_code == 409 and 'role="alert"' in again.text and 'value="李小红"' in again.text


async def test_cancelling_needs_the_same_phone(client, cast):
    session_id = await meeting(client, cast)
    registration_code = await register(client, session_id, PHONE)
    await client.get(f"/registrations/{registration_code}")
    other = await request_and_read_code(client, "13700000002")
    refused = await client.post(f"/registrations/{registration_code}/cancel", headers=csrf(client),
                                data={"phone": "13700000002", "code": other})
    assert refused.status_code == 403 and 'role="alert"' in refused.text
    code = await request_and_read_code(client, PHONE)
    done = await client.post(f"/registrations/{registration_code}/cancel", headers=csrf(client),
                             data={"phone": PHONE, "code": code})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=cancelled")
    page = await client.get(done.headers["location"])
    assert "已取消" in page.text or "Cancelled" in page.text
    assert f"/registrations/{registration_code}/cancel" not in page.text  # nothing left to cancel


async def test_a_waitlisted_person_accepts_an_offered_seat(client, cast):
    session_id = await meeting(client, cast, quotas=[], capacity=1)
    first = await register(client, session_id, "13900000011", category="")
    second = await register(client, session_id, PHONE, category="")
    page = await client.get(f"/registrations/{second}")
    assert "1</dd>" in page.text  # first on the waitlist
    cancelled = await client.post(f"/api/v1/registrations/{first}/cancel", headers=await citizen_headers(client, "13900000011"))
    assert cancelled.status_code == 200
    offered = await client.get(f"/registrations/{second}")
    assert f'action="/registrations/{second}/accept"' in offered.text
    code = await request_and_read_code(client, PHONE)
    accepted = await client.post(f"/registrations/{second}/accept", headers=csrf(client), data={"phone": PHONE, "code": code})
    assert accepted.status_code == 303
    assert (await client.get(f"/api/v1/registrations/{second}")).json()["status"] == "confirmed"


async def test_an_unknown_code_is_a_404_page(client):
    assert (await client.get("/registrations/NOSUCHCODE")).status_code == 404


async def test_check_in_at_the_door_without_javascript(client, cast):
    session_id = await meeting(client, cast)
    registration_code = await register(client, session_id, PHONE, name="王大伟")
    await register(client, session_id, "13900000021", category="enterprises")  # the enterprises' one seat …
    waiting = await register(client, session_id, "13900000022", category="enterprises")  # … so this one waits
    headers = await log_in_page(client, cast.host)
    page = await client.get(f"/staff/live-sessions/{session_id}/check-in")
    assert page.status_code == 200 and 'name="registration_code"' in page.text
    assert "camera=(self)" in page.headers["permissions-policy"]
    assert "camera=()" in (await client.get(f"/live-sessions/{session_id}")).headers["permissions-policy"]

    done = await client.post(f"/staff/live-sessions/{session_id}/check-in", headers=headers,
                             data={"registration_code": registration_code.lower()})
    assert done.status_code == 200 and "王*伟" in done.text and "王大伟" not in done.text and "居民代表" in done.text
    twice = await client.post(f"/staff/live-sessions/{session_id}/check-in", headers=headers,
                              data={"registration_code": registration_code})
    assert twice.status_code == 409
    assert re.search(r"(已于|at )\d{2}:\d{2}", twice.text), twice.text
    unknown = await client.post(f"/staff/live-sessions/{session_id}/check-in", headers=headers,
                                data={"registration_code": "ZZZZZZZZZZ"})
    assert unknown.status_code == 404
    assert (await client.get(f"/api/v1/registrations/{waiting}")).json()["status"] == "waitlisted"
    refused = await client.post(f"/staff/live-sessions/{session_id}/check-in", headers=headers,
                                data={"registration_code": waiting})
    assert refused.status_code == 409 and 'role="alert"' in refused.text


async def test_check_in_and_the_office_are_for_hosts(client, cast):
    session_id = await meeting(client, cast)
    assert (await client.get(f"/staff/live-sessions/{session_id}/check-in", follow_redirects=False)).status_code in (302, 303, 401)
    await log_in_page(client, cast.fgw_editor)
    assert (await client.get(f"/staff/live-sessions/{session_id}/check-in")).status_code == 403
    assert (await client.get(f"/staff/live-sessions/{session_id}/meeting")).status_code == 403
    assert (await client.get(f"/staff/live-sessions/{session_id}/attendance.csv")).status_code == 403


async def test_the_office_lists_masked_names_and_reveals_contact_details_with_an_audit_entry(client, cast):
    session_id = await meeting(client, cast)
    for n in range(3):
        await register(client, session_id, f"1390000003{n}", name=f"赵{'一二三'[n]}明")
    headers = await log_in_page(client, cast.host)
    page = await client.get(f"/staff/live-sessions/{session_id}/meeting")
    assert page.status_code == 200
    assert "赵*明" in page.text and "赵一明" not in page.text and "13900000030" not in page.text
    registration_id = int(re.search(r'id="registration-(\d+)"', page.text).group(1))
    revealed = await client.post(f"/staff/live-sessions/{session_id}/registrations/{registration_id}/contact", headers=headers)
    assert revealed.status_code == 200
    assert "赵一明" in revealed.text and "+8613900000030" in revealed.text
    assert "赵二明" not in revealed.text  # only the one asked for
    entries = await AuditEntry.select(AuditEntry.action, AuditEntry.actor_name, AuditEntry.target_id).where(
        AuditEntry.action == "live_registration.reveal_contact")
    assert entries == [{"action": "live_registration.reveal_contact", "actor_name": "host",
                        "target_id": str(registration_id)}]


async def test_the_attendance_list_exports_as_csv_and_xlsx(client, cast):
    session_id = await meeting(client, cast)
    await register(client, session_id, PHONE, name="=cmd|calc")
    await register(client, session_id, "13900000041", name="钱二", category="enterprises")
    await log_in_page(client, cast.host)
    exported = await client.get(f"/staff/live-sessions/{session_id}/attendance.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 3 and "钱二" in rows[2] and rows[1][1] == "'=cmd|calc"
    assert PHONE not in exported.text
    workbook = await client.get(f"/staff/live-sessions/{session_id}/attendance.xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet.max_row == 3
    assert (await client.get(f"/staff/live-sessions/{session_id}/attendance.pdf")).status_code in (404, 405)
    assert await AuditEntry.count().where(AuditEntry.action == "live_registration.export") == 2


async def test_published_decisions_and_agenda_replies_appear_on_the_meeting_page(client, cast):
    from live_sessions import services, services_issues

    session_id = await meeting(client, cast)
    host = await staff_of(cast.host)
    issue = await services_issues.propose_issue(session_id, await make_citizen(), title="小区停车难",
                                                content="希望增加停车位，联系13812345678。")
    await services_issues.moderate_issue(issue["id"], host, "approve")
    await services_issues.select_issue(issue["id"], host, "列入会议议程")
    headers = await log_in_page(client, cast.host)
    early = await client.post(f"/staff/live-sessions/{session_id}/decisions", headers=headers,
                              data={"decisions": "同意实施方案"})
    assert early.status_code == 409  # not before the meeting has begun
    await services.start_session(host, session_id)
    await services.end_session(host, session_id)
    published = await client.post(f"/staff/live-sessions/{session_id}/decisions", headers=headers,
                                  data={"decisions": "会议原则同意老旧小区改造实施方案。"})
    assert published.status_code == 303
    replied = await client.post(f"/staff/live-sessions/{session_id}/agenda-issues/{issue['id']}/reply", headers=headers,
                                data={"answer": "明年新增停车位200个。", "answered_by": "县住建局"})
    assert replied.status_code == 303, replied.text
    page = (await client.get(f"/live-sessions/{session_id}")).text
    assert "会议原则同意老旧小区改造实施方案。" in page and "明年新增停车位200个。" in page and "县住建局" in page
    assert "小区停车难" in page and "13812345678" not in page
    api = await client.post(f"/api/v1/live-sessions/{session_id}/decisions", headers=await staff_headers(client, cast.host),
                            json={"decisions": "更正后的决定"})
    assert api.status_code == 200 and api.json()["decisions"] == "更正后的决定"


async def test_the_lottery_meeting_page_shows_the_commitment_then_the_seed(client, cast):
    closes = datetime.now(UTC) + timedelta(hours=1)
    session_id = await meeting(client, cast, allocation="lottery", registration_closes_at=closes.isoformat())
    registration_code = await register(client, session_id, PHONE)
    before = (await client.get(f"/live-sessions/{session_id}")).text
    record = (await client.get(f"/api/v1/live-sessions/{session_id}/draw")).json()
    assert record["seed_commitment"] in before and "verify-draw" not in before
    mine = (await client.get(f"/registrations/{registration_code}")).text
    with time_machine.travel(closes + timedelta(minutes=1), tick=True):
        drawn = (await client.post(f"/api/v1/live-sessions/{session_id}/draw",
                                   headers=await staff_headers(client, cast.host))).json()
        after = (await client.get(f"/live-sessions/{session_id}")).text
    assert drawn["seed"] in after and drawn["entrants_hash"] in after
    assert f"python -m engagement verify-draw --session {session_id}" in after
    assert drawn["entrants"][0]["public_id"] in mine  # the registrant can find themselves in the record


async def test_pages_read_in_a_fixed_number_of_queries(client, cast):
    counts: dict[str, list[int]] = {"meeting": [], "registration": [], "office": [], "check-in": []}
    headers = None
    for size in (3, 15):
        client.cookies.clear()
        session_id = await meeting(client, cast, capacity=30, quotas=[])
        codes = [await register(client, session_id, f"137{size:02d}00{n:04d}", category="") for n in range(size)]
        headers = headers or True
        for name, path in (("meeting", f"/live-sessions/{session_id}"), ("registration", f"/registrations/{codes[-1]}")):
            with assert_max_queries(20) as statements:
                assert (await client.get(path)).status_code == 200
            counts[name].append(len(statements))
        await log_in_page(client, cast.host)
        for name, path in (("office", f"/staff/live-sessions/{session_id}/meeting"),
                           ("check-in", f"/staff/live-sessions/{session_id}/check-in")):
            with assert_max_queries(16) as statements:
                assert (await client.get(path)).status_code == 200
            counts[name].append(len(statements))
    assert all(small == large for small, large in counts.values()), counts
