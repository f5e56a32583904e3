"""The HTML forms refuse what the API refuses, with the same message (one request struct per action)."""

from __future__ import annotations

import html

from tests.consultations.test_pages import csrf_client_login, csrf_token
from tests.support import citizen_headers, request_and_read_code

PHONE = "13800138000"
LONG_TITLE = "关" * 201


def shown(detail: str, page_text: str) -> bool:
    return html.escape(detail, quote=False) in page_text


async def test_a_title_over_200_characters_is_refused_alike(client, cast, headers):
    api = await client.post("/api/v1/consultations", headers=await headers("fgw_editor"), json={
        "title": LONG_TITLE, "department": "fgw", "closes_at": "2030-01-01T18:00:00+08:00"})
    assert api.status_code == 400
    detail = api.json()["detail"]
    assert "200" in detail

    token = await csrf_client_login(client, cast.fgw_editor)
    page = await client.post("/staff/consultations", data={
        "title": LONG_TITLE, "department": "fgw", "closes_at": "2030-01-01T18:00", "_csrf_token": token})
    assert page.status_code == 400
    assert shown(detail, page.text)
    listed = await client.get("/api/v1/staff/consultations", headers=await headers("fgw_editor"))
    assert listed.json()["total"] == 0


async def test_a_deadline_that_is_not_a_date_is_refused_alike(client, cast, headers, make_consultation):
    consultation = await make_consultation()
    api = await client.post(f"/api/v1/consultations/{consultation['id']}/extend", json={"closes_at": "下周五"},
                            headers=await headers("fgw_editor"))
    assert api.status_code == 400
    token = await csrf_client_login(client, cast.fgw_editor)
    page = await client.post(f"/staff/consultations/{consultation['id']}/extend",
                             data={"closes_at": "下周五", "_csrf_token": token})
    assert page.status_code == 400
    assert shown(api.json()["detail"], page.text)


async def test_an_opinion_too_short_or_too_long_is_refused_alike(client, make_consultation):
    consultation = await make_consultation()
    url = f"/consultations/{consultation['id']}/opinions"
    citizen = await citizen_headers(client, PHONE)
    token = await csrf_token(client)
    for content, phone in (("太短", "13912345678"), ("长" * 5001, "13700137000")):
        api = await client.post(f"/api/v1{url}", json={"content": content}, headers=citizen)
        assert api.status_code == 400
        code = await request_and_read_code(client, phone)
        page = await client.post(url, data={"content": content, "phone": phone, "code": code, "_csrf_token": token})
        assert page.status_code == 400
        assert shown(api.json()["detail"], page.text) and 'role="alert"' in page.text
    # The code was not used up by the refused form: it still verifies the next, valid, submission.
    done = await client.post(url, data={"content": "建议增加社区食堂。", "phone": phone, "code": code,
                                        "_csrf_token": token})
    assert done.status_code == 201, done.text


async def test_a_decision_that_does_not_exist_is_refused_alike(client, cast, headers, make_consultation):
    consultation = await make_consultation()
    opinion = (await client.post(f"/api/v1/consultations/{consultation['id']}/opinions",
                                 json={"content": "建议增加公共厕所。"}, headers=await citizen_headers(client, PHONE))).json()
    api = await client.post(f"/api/v1/opinions/{opinion['id']}/review", json={"decision": "maybe"},
                            headers=await headers("fgw_editor"))
    assert api.status_code == 400
    token = await csrf_client_login(client, cast.fgw_editor)
    page = await client.post(f"/staff/opinions/{opinion['id']}/review",
                             data={"decision": "maybe", "_csrf_token": token})
    assert page.status_code == 400
    assert shown(api.json()["detail"], page.text)
