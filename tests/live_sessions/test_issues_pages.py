"""The issue pages without JavaScript: the board, proposing, supporting, the issue page, the hosts' triage."""

from __future__ import annotations

import re

from live_sessions import services_issues
from tests.live_sessions.factories import (
    make_citizen,
    make_programme,
    make_session,
    propose,
    published_issue,
    selected_issue,
    staff_of,
    support,
)
from tests.support import assert_max_queries, request_and_read_code

PHONE = "13812345678"


def csrf(client) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get("engagement_csrf", "")}


async def log_in(client, person) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"username": person.username, "password": person.password,
                                                 "next": "/staff"}, headers=csrf(client))
    assert response.status_code == 303, response.text


async def test_the_programme_page_shows_the_board_in_running_order_and_the_form(client, cast):
    session_id = await make_programme(cast, status="live")
    first = await selected_issue(cast, session_id, title="路灯坏了三个月", note="支持人数最多")
    second = await selected_issue(cast, session_id, title="菜市场噪音扰民")
    await published_issue(cast, session_id, title="公园器材损坏", name="张小明")
    await propose(session_id, title="还在审核的问题")
    await services_issues.put_on_air(session_id, second, await staff_of(cast.host))
    html = (await client.get(f"/live-sessions/{session_id}")).text
    assert 'id="issues"' in html and "还在审核的问题" not in html
    order = re.findall(r'id="selected-(\d+)"', html)
    assert order == [str(first), str(second)]
    on_air = html[html.index(f'id="selected-{second}"'):]
    assert "data-on-air-marker>" in on_air.split("</li>")[0]  # not hidden on the issue on air
    assert "支持人数最多" in html and "张*明" in html and "张小明" not in html
    assert f'action="/live-sessions/{session_id}/issues"' in html and 'name="phone"' in html
    newest = (await client.get(f"/live-sessions/{session_id}", params={"sort": "newest"})).text
    assert newest.index("公园器材损坏") < newest.index(f'id="issue-{first}"')


async def test_an_interview_page_has_no_issue_board(client, cast):
    session_id = await make_session(cast)
    assert 'id="issues"' not in (await client.get(f"/live-sessions/{session_id}")).text


async def test_proposing_without_javascript_and_finding_similar_issues(client, cast):
    session_id = await make_programme(cast)
    lamp = await published_issue(cast, session_id, title="幸福路路灯不亮")
    form = await client.get(f"/live-sessions/{session_id}")
    assert f'formaction="/live-sessions/{session_id}/issues/similar"' in form.text
    page = await client.post(f"/live-sessions/{session_id}/issues/similar", headers=csrf(client), files={"x": ("", b"")},
                             data={"title": "我们这里的路灯不亮", "location": "幸福路"})
    assert page.status_code == 200
    assert f'href="/live-sessions/{session_id}/issues/{lamp}"' in page.text
    assert 'value="我们这里的路灯不亮"' in page.text and 'value="幸福路"' in page.text
    assert "_csrf_token" not in page.url.query.decode()
    code = await request_and_read_code(client, PHONE)
    response = await client.post(f"/live-sessions/{session_id}/issues", headers=csrf(client), files={"x": ("", b"")},
                                 data={"title": "路灯坏了", "content": "门口路灯坏了很久。", "phone": PHONE, "code": code,
                                       "notify": "1"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/live-sessions/{session_id}?proposed=1#issues"
    queue, total = await services_issues.triage_queue(await staff_of(cast.host), session_id)
    assert total == 1 and queue[0]["title"] == "路灯坏了" and queue[0]["support_count"] == 0


async def test_a_refused_proposal_shows_the_form_again_with_the_reason(client, cast):
    session_id = await make_programme(cast)
    await client.get(f"/live-sessions/{session_id}")
    response = await client.post(f"/live-sessions/{session_id}/issues", headers=csrf(client), files={"x": ("", b"")},
                                 data={"title": "路灯", "content": "坏了"})
    assert response.status_code == 401
    assert 'role="alert"' in response.text and 'value="路灯"' in response.text


async def test_photos_are_stored_without_their_metadata(client, cast):
    session_id = await make_programme(cast)
    citizen = await make_citizen()
    exif = b"\xff\xe1\x00\x16Exif\x00\x00GPS=30.1,121.2"
    jpeg = b"\xff\xd8" + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + exif + b"\xff\xda\x00\x02pixels\xff\xd9"
    issue = await services_issues.propose_issue(session_id, citizen, title="路面塌陷", content="有个大坑。",
                                                photos=[services_issues.Photo(data=jpeg, filename="IMG_0001.jpg")])
    await services_issues.moderate_issue(issue["id"], await staff_of(cast.host), "approve", "")
    page = (await client.get(f"/live-sessions/{session_id}/issues/{issue['id']}")).text
    [photo_url] = re.findall(r'src="(/api/v1/issue-photos/\d+)"', page)
    served = await client.get(photo_url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in served.content and b"GPS" not in served.content and b"pixels" in served.content
    pending = await services_issues.propose_issue(session_id, citizen, title="另一个坑", content="也有坑。",
                                                  photos=[services_issues.Photo(data=jpeg + b"x", filename="b.jpg")])
    photo_id = int(photo_url.rsplit("/", 1)[1])
    assert pending["id"] and (await client.get(f"/api/v1/issue-photos/{photo_id + 1}")).status_code == 404


async def test_supporting_from_the_board_once_verified(client, cast):
    session_id = await make_programme(cast)
    issue_id = await published_issue(cast, session_id)
    await client.get(f"/live-sessions/{session_id}")
    refused = await client.post(f"/live-sessions/{session_id}/issues/{issue_id}/support", headers=csrf(client), data={})
    assert refused.status_code == 401 and 'name="phone"' in refused.text  # the issue page asks for the phone
    code = await request_and_read_code(client, PHONE)
    done = await client.post(f"/live-sessions/{session_id}/issues/{issue_id}/support", headers=csrf(client),
                             data={"phone": PHONE, "code": code})
    assert done.status_code == 303
    again = await client.post(f"/live-sessions/{session_id}/issues/{issue_id}/support", headers=csrf(client), data={})
    assert again.status_code == 303
    page = (await client.get(f"/live-sessions/{session_id}/issues/{issue_id}")).text
    assert "1 support" in page or "1 人支持" in page or "1" in page
    assert (await services_issues.public_issue(issue_id))["support_count"] == 1


async def test_a_merged_issue_page_points_to_the_target(client, cast):
    session_id = await make_programme(cast)
    target = await published_issue(cast, session_id, title="幸福路路灯不亮")
    duplicate = await published_issue(cast, session_id, title="路灯坏了")
    await services_issues.merge_issue(duplicate, target, await staff_of(cast.host))
    page = (await client.get(f"/live-sessions/{session_id}/issues/{duplicate}")).text
    assert f'href="/live-sessions/{session_id}/issues/{target}"' in page and "幸福路路灯不亮" in page
    assert f'action="/live-sessions/{session_id}/issues/{duplicate}/support"' not in page
    assert (await client.get(f"/live-sessions/{session_id + 1}/issues/{duplicate}")).status_code == 404


async def test_hosts_triage_merge_select_order_and_answer_on_pages(client, cast):
    session_id = await make_programme(cast, status="live")
    pending = await propose(session_id, title="待审核的问题")
    target = await published_issue(cast, session_id, title="路灯不亮")
    duplicate = await published_issue(cast, session_id, title="路灯坏了")
    await log_in(client, cast.host)
    page = await client.get(f"/staff/live-sessions/{session_id}/issues")
    assert page.status_code == 200 and "待审核的问题" in page.text
    base = f"/staff/live-sessions/{session_id}/issues"
    assert (await client.post(f"{base}/{pending}", headers=csrf(client),
                              data={"action": "reject", "reason": "与主题无关"})).status_code == 303
    assert (await client.post(f"{base}/{duplicate}", headers=csrf(client),
                              data={"action": "merge", "into": str(target)})).status_code == 303
    assert (await client.post(f"{base}/{target}", headers=csrf(client),
                              data={"action": "select", "note": "支持最多"})).status_code == 303
    second = await selected_issue(cast, session_id, title="第二个")
    assert (await client.post(f"{base}/order", headers=csrf(client),
                              data={f"order-{target}": "2", f"order-{second}": "1"})).status_code == 303
    assert (await client.post(f"{base}/on-air", headers=csrf(client), data={"issue_id": str(target)})).status_code == 303
    assert (await client.post(f"{base}/{target}", headers=csrf(client), data={
        "action": "answer", "answer": "一周内修好。", "answered_by": "住建局局长"})).status_code == 303
    refused = await client.post(f"{base}/{target}", headers=csrf(client), data={"action": "select", "note": "再选"})
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    shown = await services_issues.issue_detail(target)
    assert shown["state"] == "selected" and shown["running_order"] == 2 and shown["on_air_answer"] == "一周内修好。"
    assert (await client.get("/staff/issues")).status_code == 200


async def test_staff_pages_are_for_hosts(client, cast):
    session_id = await make_programme(cast)
    assert (await client.get(f"/staff/live-sessions/{session_id}/issues")).status_code in (302, 303, 401)
    await log_in(client, cast.fgw_editor)
    assert (await client.get(f"/staff/live-sessions/{session_id}/issues")).status_code == 403
    assert (await client.get("/staff/issues")).status_code == 403


async def test_issue_pages_take_a_fixed_number_of_queries(client, cast):
    host = await staff_of(cast.host)
    session_id = await make_programme(cast)
    counts: dict[int, list[int]] = {}
    for size in (2, 10):
        while len((await services_issues.public_issues(session_id))[0]) < size:
            issue_id = await published_issue(cast, session_id, title=f"路灯问题{size}")
            await support(issue_id)
            await propose(session_id, title="待审")
        selected = await selected_issue(cast, session_id, title=f"入选{size}")
        await log_in(client, cast.host)
        paths = [f"/live-sessions/{session_id}", f"/live-sessions/{session_id}?sort=status",
                 f"/live-sessions/{session_id}/issues/new?title=路灯问题", f"/live-sessions/{session_id}/issues/{selected}",
                 f"/staff/live-sessions/{session_id}/issues", "/staff/issues"]
        for position, path in enumerate(paths):
            with assert_max_queries(25) as statements:
                response = await client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            counts.setdefault(position, []).append(len(statements))
    assert host and {paths[n]: pair for n, pair in counts.items() if pair[0] != pair[1]} == {}


async def test_no_phone_or_unmasked_name_on_any_public_issue_page_or_response(client, cast):
    session_id = await make_programme(cast)
    citizen = await make_citizen()
    issue = await services_issues.propose_issue(
        session_id, citizen, title="王小明反映13912340000的问题", content="联系我：13912340000，身份证110101199003071234。",
        location="幸福路", name="王小明", notify=True)
    await services_issues.moderate_issue(issue["id"], await staff_of(cast.host), "approve", "")
    await services_issues.select_issue(issue["id"], await staff_of(cast.host), "联系人王小明 13912340000")
    from engagement.verification import citizen_phone

    own_phone = await citizen_phone(citizen.id)
    for path in [f"/live-sessions/{session_id}", f"/live-sessions/{session_id}/issues/{issue['id']}",
                 f"/live-sessions/{session_id}/issues/new?title=反映的问题",
                 f"/api/v1/live-sessions/{session_id}/issues", f"/api/v1/issues/{issue['id']}",
                 f"/api/v1/live-sessions/{session_id}/issues/similar?q=王小明反映的问题",
                 f"/api/v1/live-sessions/{session_id}/events"]:
        text = (await client.get(path)).text
        for secret in ("13912340000", "110101199003071234", "王小明", own_phone, own_phone.removeprefix("+86")):
            assert secret not in text, (path, secret)


async def test_the_demo_programme_has_issues_in_every_state(client, cast):
    from live_sessions.demo_issues import create_programme
    from live_sessions.tables import LiveIssue

    ids = await create_programme(await staff_of(cast.host))
    rows = await LiveIssue.select(LiveIssue.state).where(LiveIssue.session == ids["programme"])
    states = [row["state"] for row in rows]
    assert len(states) == 20 and states.count("merged") == 3 and states.count("selected") == 6
    assert {"pending", "approved", "rejected"} <= set(states) and len(ids["selected"]) == 6
    page = await client.get(f"/live-sessions/{ids['programme']}")
    assert page.status_code == 200 and len(re.findall(r'id="selected-\d+"', page.text)) == 6
