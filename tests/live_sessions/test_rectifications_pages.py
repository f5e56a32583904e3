"""The rectification board, the department's pages, photos without metadata, privacy and query counts."""

from __future__ import annotations

from datetime import timedelta

from engagement import clock
from engagement.uploads import strip_image_metadata
from tests.live_sessions.factories import (
    GPS_MARK,
    complete,
    jpeg_with_metadata,
    make_programme,
    progress,
    rectified_issue,
    support,
)
from tests.support import assert_max_queries, log_in_page

PROPOSER_PHONE = "13907550123"
ID_NUMBER = "110101199003077517"



async def test_the_board_shows_status_department_due_date_and_filters(client, cast):
    session_id = await make_programme(cast)
    await rectified_issue(cast, session_id, title="路灯坏了", commitment="两周内修好路灯")
    await rectified_issue(cast, session_id, title="井盖缺失", department="fgw",
                          due_date=clock.today() - timedelta(days=7))
    page = await client.get("/rectifications")
    assert page.status_code == 200
    assert "路灯坏了" in page.text and "两周内修好路灯" in page.text and "市住房和城乡建设局" in page.text
    assert "已超期" in page.text and "整改中" in page.text
    fgw_only = await client.get("/rectifications", params={"department": "fgw"})
    assert "井盖缺失" in fgw_only.text and "路灯坏了" not in fgw_only.text
    overdue = await client.get("/rectifications", params={"status": "overdue"})
    assert "井盖缺失" in overdue.text and "路灯坏了" not in overdue.text
    assert (await client.get("/rectifications", params={"status": "nonsense"})).status_code == 200


async def test_an_editor_posts_progress_with_a_photo_whose_metadata_is_removed(client, cast):
    _session, issue_id = await rectified_issue(cast)
    csrf = await log_in_page(client, cast.zjj_editor)
    listed = await client.get("/staff/rectifications")
    assert listed.status_code == 200 and f"/staff/rectifications/{issue_id}" in listed.text
    form = await client.get(f"/staff/rectifications/{issue_id}")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    posted = await client.post(f"/staff/rectifications/{issue_id}/progress", headers=csrf,
                               data={"content": "已更换三盏路灯"},
                               files={"photos": ("现场.jpg", jpeg_with_metadata(), "image/jpeg")})
    assert posted.status_code == 303, posted.text
    board = await client.get("/rectifications")
    assert "已更换三盏路灯" in board.text
    photo_path = (await client.get(f"/api/v1/issues/{issue_id}")).json()["rectification"]["updates"][0]["photos"][0]
    served = await client.get(photo_path)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert GPS_MARK not in served.content and b"Exif" not in served.content
    assert served.content.startswith(b"\xff\xd8") and served.content.endswith(b"\xff\xd9")
    assert (await client.get("/api/v1/rectification-photos/99999")).status_code == 404


async def test_another_department_cannot_open_or_post(client, cast):
    _session, issue_id = await rectified_issue(cast)
    csrf = await log_in_page(client, cast.fgw_editor)
    assert (await client.get(f"/staff/rectifications/{issue_id}")).status_code == 403
    refused = await client.post(f"/staff/rectifications/{issue_id}/progress", headers=csrf,
                                data={"content": "越权"}, files={"photos": ("a.jpg", b"", "image/jpeg")})
    assert refused.status_code == 403
    assert "越权" not in (await client.get("/rectifications")).text


async def test_the_editor_completes_and_a_bad_photo_is_refused_with_the_reason(client, cast):
    _session, issue_id = await rectified_issue(cast)
    csrf = await log_in_page(client, cast.zjj_editor)
    refused = await client.post(f"/staff/rectifications/{issue_id}/progress", headers=csrf,
                                data={"content": "附件"}, files={"photos": ("x.jpg", b"MZ\x90\x00", "image/jpeg")})
    assert refused.status_code == 400 and "已开展的工作" in refused.text
    done = await client.post(f"/staff/rectifications/{issue_id}/complete", headers=csrf, data={"content": "已修复"})
    assert done.status_code == 303
    assert "已完成" in (await client.get(f"/staff/rectifications/{issue_id}")).text


async def test_a_host_records_a_commitment_in_working_days_from_the_staff_page(client, cast):
    from tests.live_sessions.factories import selected_issue

    session_id = await make_programme(cast)
    issue_id = await selected_issue(cast, session_id, title="公交站台破损")
    csrf = await log_in_page(client, cast.host)
    page = await client.get("/staff/rectifications")
    assert page.status_code == 200 and "公交站台破损" in page.text
    recorded = await client.post(f"/staff/rectifications/{issue_id}/record", headers=csrf, data={
        "department": "zjj", "commitment": "一个月内修复", "due": "working_days", "working_days": "10", "due_date": ""})
    assert recorded.status_code == 303, recorded.text
    assert "一个月内修复" in (await client.get("/rectifications")).text
    again = await client.post(f"/staff/rectifications/{issue_id}/record", headers=csrf, data={
        "department": "zjj", "commitment": "x", "due": "date", "due_date": ""})
    assert again.status_code in (400, 409)


async def test_no_personal_data_in_the_public_pages_and_api(client, cast):
    from engagement.verification import citizen_for_phone

    session_id = await make_programme(cast)
    proposer = await citizen_for_phone(PROPOSER_PHONE)
    _s, issue_id = await rectified_issue(
        cast, session_id, citizen=proposer, name="张小明",
        title=f"张小明反映路灯问题，电话{PROPOSER_PHONE}",
        commitment=f"联系张小明（{PROPOSER_PHONE}，身份证{ID_NUMBER}）后两周内修复")
    await progress(cast, issue_id, content=f"已回访{PROPOSER_PHONE}，身份证号{ID_NUMBER}")
    await support(issue_id)
    await complete(cast, issue_id)
    pages = [await client.get(path) for path in (
        "/rectifications", f"/rectifications/{issue_id}/confirm", "/api/v1/rectifications",
        f"/api/v1/issues/{issue_id}")]
    for response in pages:
        assert response.status_code == 200, response.url
        assert PROPOSER_PHONE not in response.text and ID_NUMBER not in response.text, response.url
        assert "张小明" not in response.text and "张*明" in response.text, response.url
        if "/api/" in str(response.url):
            assert "phone" not in response.text and "citizen" not in response.text


async def test_board_and_staff_list_queries_do_not_grow_with_rows(client, cast):
    session_id = await make_programme(cast)

    async def add(n):
        for _ in range(n):
            _s, issue_id = await rectified_issue(cast, session_id)
            await progress(cast, issue_id)

    await add(3)
    with assert_max_queries(8) as few:
        assert (await client.get("/rectifications")).status_code == 200
    await log_in_page(client, cast.zjj_editor)
    with assert_max_queries(12) as staff_few:
        assert (await client.get("/staff/rectifications")).status_code == 200
    await add(9)
    with assert_max_queries(len(few)):
        assert (await client.get("/rectifications")).status_code == 200
    with assert_max_queries(len(staff_few)):
        assert (await client.get("/staff/rectifications")).status_code == 200


def test_strip_image_metadata_keeps_the_picture_and_drops_the_rest():
    from tests.live_sessions.factories import PLAIN_JPEG

    assert strip_image_metadata(jpeg_with_metadata()) == PLAIN_JPEG


async def test_the_demo_programme_has_rectifications_on_time_overdue_and_completed(client, cast):
    from live_sessions import demo_issues, demo_rectifications
    from tests.live_sessions.factories import staff_of

    host = await staff_of(cast.host)
    programme = await demo_issues.create_programme(host)
    assert len(await demo_rectifications.create_rectifications(host, programme["selected"])) == 6
    items = (await client.get("/api/v1/rectifications", params={"limit": 10})).json()["items"]
    states = sorted("overdue" if item["overdue"] else item["status"] for item in items)
    assert states == ["completed", "completed", "in_progress", "in_progress", "overdue", "overdue"]
    confirmed = [item["confirmations"] for item in items if item["status"] == "completed"]
    assert sorted((c["solved"], c["not_solved"]) for c in confirmed) == [(2, 1), (3, 0)]


async def test_the_issue_page_shows_its_rectification(client, cast):
    session_id, issue_id = await rectified_issue(cast, commitment="一周内清理占道堆物")
    await progress(cast, issue_id, content="已清理一半")
    page = await client.get(f"/live-sessions/{session_id}/issues/{issue_id}")
    assert page.status_code == 200
    assert "一周内清理占道堆物" in page.text and "已清理一半" in page.text and "整改中" in page.text


async def test_the_programme_page_shows_its_rectifications(client, cast):
    session_id = await make_programme(cast)
    _, on_track = await rectified_issue(cast, session_id, title="路灯坏了", commitment="两周内修好路灯")
    await progress(cast, on_track, content="已更换三盏灯")
    await rectified_issue(cast, session_id, title="井盖缺失", department="fgw",
                          due_date=clock.today() - timedelta(days=7))
    await rectified_issue(cast, title="别的节目的问题", commitment="另一个承诺")

    page = await client.get(f"/live-sessions/{session_id}")
    assert page.status_code == 200
    section = page.text.split("data-programme-rectifications")[1]
    assert "两周内修好路灯" in section and "已更换三盏灯" in section and "井盖缺失" in section
    assert "另一个承诺" not in page.text


async def test_the_programme_page_queries_do_not_grow_with_rectifications(client, cast):
    session_id = await make_programme(cast)
    await rectified_issue(cast, session_id, title="路灯坏了")
    with assert_max_queries(100) as few:
        assert (await client.get(f"/live-sessions/{session_id}")).status_code == 200
    for title in ("井盖缺失", "公交站台没有遮雨棚", "河道垃圾"):
        await rectified_issue(cast, session_id, title=title)
    with assert_max_queries(len(few)):
        assert (await client.get(f"/live-sessions/{session_id}")).status_code == 200
