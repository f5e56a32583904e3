"""The public pages and the department's back office, through HTTP as a browser without JavaScript."""

from __future__ import annotations

import re

from tests.support import citizen_headers, e164, request_and_read_code, staff_headers

PHONE = "13800138000"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>建议'


async def csrf_client_login(client, person) -> str:
    """Log in through the website form; returns the CSRF token for later form posts."""
    await client.get("/login")
    token = client.cookies.get("engagement_csrf")
    response = await client.post("/login", data={"username": person.username, "password": person.password,
                                                 "next": "/staff", "_csrf_token": token})
    assert response.status_code == 303, response.text
    return token


async def csrf_token(client) -> str:
    await client.get("/consultations")
    return client.cookies.get("engagement_csrf")


async def test_list_page_with_filters(client, make_consultation):
    await make_consultation(title="交通发展规划征求意见")
    await make_consultation(department="zjj", title="住房保障规划征求意见")
    page = await client.get("/consultations")
    assert page.status_code == 200
    assert "交通发展规划征求意见" in page.text and "住房保障规划征求意见" in page.text
    filtered = await client.get("/consultations?department=zjj")
    assert "住房保障规划征求意见" in filtered.text and "交通发展规划征求意见" not in filtered.text
    searched = await client.get("/consultations?q=交通")
    assert "交通发展规划征求意见" in searched.text and "住房保障规划征求意见" not in searched.text


async def test_opinion_form_without_javascript(client, make_consultation):
    consultation = await make_consultation(sections=[{"heading": "总体要求", "body": "坚持人民至上。"}])
    url = f"/consultations/{consultation['id']}"
    page = await client.get(url)
    assert page.status_code == 200 and "坚持人民至上。" in page.text and 'name="phone"' in page.text
    token = await csrf_token(client)
    # The "get code" button without JavaScript posts to the core's /verify/code, which sends the code and
    # brings the browser back to the form, filled in as it was (engagement.citizen_pages).
    assert f'value="{url}#sms-phone"' in page.text and 'formaction="/verify/code"' in page.text
    sent = await client.post("/verify/code", data={"phone": PHONE, "content": "我的意见草稿",
                                                   "return_to": f"{url}#sms-phone", "_csrf_token": token})
    assert sent.status_code == 303 and sent.headers["location"] == f"{url}#sms-phone"
    back = await client.get(url)
    assert back.status_code == 200 and "我的意见草稿" in back.text
    from tests.support import read_code

    code = await read_code(client, PHONE)
    done = await client.post(f"{url}/opinions", data={
        "content": XSS, "name": "张小明", "section": "1", "phone": PHONE, "code": code, "_csrf_token": token})
    assert done.status_code == 201, done.text
    assert 'data-submitted-status="approved"' in done.text
    page = await client.get(url)
    assert "张*明" in page.text and "张小明" not in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
    assert "<img src=x" not in page.text
    assert PHONE not in page.text and e164(PHONE) not in page.text


async def test_opinion_form_errors_keep_the_text(client, make_consultation):
    consultation = await make_consultation()
    token = await csrf_token(client)
    response = await client.post(f"/consultations/{consultation['id']}/opinions",
                                 data={"content": "一条没有验证的意见", "_csrf_token": token})
    assert response.status_code == 400
    assert "一条没有验证的意见" in response.text and 'role="alert"' in response.text


async def test_held_opinion_tells_the_citizen(client, make_consultation):
    from engagement.tables import SensitiveWord

    await SensitiveWord.insert(SensitiveWord(word="赌博"))
    consultation = await make_consultation()
    token = await csrf_token(client)
    code = await request_and_read_code(client, PHONE)
    done = await client.post(f"/consultations/{consultation['id']}/opinions", data={
        "content": "小区里有人聚众赌博，建议整治。", "phone": PHONE, "code": code, "_csrf_token": token})
    assert done.status_code == 201
    assert 'data-submitted-status="pending"' in done.text
    assert "聚众赌博" not in (await client.get(f"/consultations/{consultation['id']}")).text


async def test_support_button_uses_the_verified_session(client, make_consultation):
    consultation = await make_consultation()
    opinion = (await client.post(f"/api/v1/consultations/{consultation['id']}/opinions",
                                 json={"content": "建议增加公共厕所。"}, headers=await citizen_headers(client, PHONE))).json()
    token = await csrf_token(client)
    url = f"/consultations/opinions/{opinion['id']}/support"
    anonymous = await client.post(url, data={"consultation": consultation["id"], "_csrf_token": token})
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/verify"
    code = await request_and_read_code(client, "13912345678")
    await client.post("/verify", data={"phone": "13912345678", "code": code, "_csrf_token": token})
    supported = await client.post(url, data={"consultation": consultation["id"], "_csrf_token": token})
    assert supported.status_code == 303
    page = await client.get(f"/consultations/{consultation['id']}")
    assert re.search(r"支持（1）|Support \(1\)", page.text)


async def test_staff_review_in_the_back_office_and_decision_shown_publicly(client, cast, make_consultation):
    consultation = await make_consultation()
    cid = consultation["id"]
    opinion = (await client.post(f"/api/v1/consultations/{cid}/opinions", json={"content": XSS},
                                 headers=await citizen_headers(client, PHONE))).json()
    token = await csrf_client_login(client, cast.fgw_editor)
    queue = await client.get(f"/staff/consultations/{cid}/opinions")
    assert queue.status_code == 200
    assert "<script>alert" not in queue.text and "&lt;script&gt;" in queue.text
    assert e164(PHONE) in queue.text  # staff of the department may call back
    reviewed = await client.post(f"/staff/opinions/{opinion['id']}/review",
                                 data={"decision": "adopted", "reply": "感谢，已采纳。", "_csrf_token": token})
    assert reviewed.status_code == 303
    summary = await client.get(f"/staff/consultations/{cid}")
    assert summary.status_code == 200
    public = await client.get(f"/consultations/{cid}")
    assert "感谢，已采纳。" in public.text
    assert 'c-decision-adopted' in public.text
    # The outcome report repeats the adopted opinion: as text there too.
    editor = await staff_headers(client, cast.fgw_editor)
    await client.post(f"/api/v1/consultations/{cid}/close", headers=editor)
    await client.put(f"/api/v1/consultations/{cid}/outcome", json={"final_text": "正式稿"}, headers=editor)
    assert (await client.post(f"/api/v1/consultations/{cid}/conclude", headers=editor)).status_code == 200
    concluded = await client.get(f"/consultations/{cid}")
    assert concluded.text.count("&lt;script&gt;alert") == 2  # in the outcome report and in the opinion list
    assert "<script>alert" not in concluded.text


async def test_staff_pages_refuse_other_departments_and_citizens(client, cast, make_consultation):
    consultation = await make_consultation()
    anonymous = await client.get(f"/staff/consultations/{consultation['id']}")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    await csrf_client_login(client, cast.zjj_editor)
    assert (await client.get(f"/staff/consultations/{consultation['id']}")).status_code == 403
    assert (await client.get(f"/staff/consultations/{consultation['id']}/opinions")).status_code == 403


async def test_create_publish_and_conclude_in_the_back_office(client, cast):
    token = await csrf_client_login(client, cast.fgw_editor)
    assert (await client.get("/staff/consultations/new")).status_code == 200
    created = await client.post("/staff/consultations", data={
        "title": "关于《××市养老服务条例（草案）》征求意见", "department": "fgw", "summary": "草案共六章。",
        "body": "前言", "sections": "总则\n第一条……\n\n服务供给\n第十条……", "closes_at": "2030-01-01T18:00",
        "_csrf_token": token})
    assert created.status_code == 303, created.text
    path = created.headers["location"]
    cid = int(path.rsplit("/", 1)[1])
    assert (await client.post(f"{path}/publish", data={"_csrf_token": token})).status_code == 303
    public = await client.get(f"/consultations/{cid}")
    assert "服务供给" in public.text and "2030-01-01 18:00" in public.text
    assert (await client.post(f"{path}/extend", data={"closes_at": "2030-02-01T18:00", "reason": "应群众要求",
                                                      "_csrf_token": token})).status_code == 303
    assert "应群众要求" in (await client.get(f"/consultations/{cid}")).text
    assert (await client.post(f"{path}/close", data={"_csrf_token": token})).status_code == 303
    concluded = await client.post(f"{path}/outcome", data={"final_text": "条例正式稿", "interpretation": "一图读懂",
                                                           "conclude": "1", "_csrf_token": token})
    assert concluded.status_code == 303
    public = await client.get(f"/consultations/{cid}")
    assert "条例正式稿" in public.text and 'id="outcome"' in public.text
    export = await client.get(f"{path}/export?format=xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"


async def test_topic_page(client, headers, make_consultation):
    topic = (await client.post("/api/v1/topics", json={"title": "十四五系列规划"}, headers=await headers("admin"))).json()
    await make_consultation(title="交通发展规划征求意见", topic=topic["id"])
    page = await client.get(f"/consultations/topics/{topic['id']}")
    assert page.status_code == 200 and "十四五系列规划" in page.text and "交通发展规划征求意见" in page.text
    assert (await client.get("/consultations/topics/999")).status_code == 404
