"""The HTML forms and the API share their request structs (mailbox/schemas.py): a form refuses what the API
refuses, with the same message."""

from __future__ import annotations

import html

from mailbox import services
from tests.mailbox import factories
from tests.mailbox.test_permissions import _as
from tests.support import citizen_headers, request_and_read_code

PHONE = "13912345678"
LETTER = {"subject": "小区噪音扰民", "body": "夜间施工噪音大。", "name": "张小明"}


def csrf(client) -> str:
    return client.cookies.get("engagement_csrf")


async def test_a_subject_over_200_characters_is_refused_alike_by_the_api_and_the_form(client, cast):
    too_long = {**LETTER, "subject": "长" * 201}
    api = await client.post("/api/v1/letters", json=too_long, headers=await citizen_headers(client, PHONE))
    assert api.status_code == 400
    message = api.json()["detail"]
    assert "200" in message

    await client.get("/mailbox")
    code = await request_and_read_code(client, PHONE)
    form = await client.post("/mailbox/letters", data={**too_long, "phone": PHONE, "code": code,
                                                       "_csrf_token": csrf(client)})
    assert form.status_code == 400
    assert f"data-form-error>{html.escape(message)}<" in form.text


async def test_a_missing_name_and_a_bad_rating_are_refused_alike(client, cast):
    headers = await citizen_headers(client, PHONE)
    api = await client.post("/api/v1/letters", json={**LETTER, "name": ""}, headers=headers)
    await client.get("/mailbox")
    form = await client.post("/mailbox/letters", data={**LETTER, "name": "", "_csrf_token": csrf(client)})
    assert (api.status_code, form.status_code) == (400, 400)
    assert html.escape(api.json()["detail"]) in form.text

    submitted = await factories.letter()
    number, query_code = submitted.letter["tracking_number"], submitted.query_code
    await services.reply_to_letter(await factories.staff(cast.admin), number, "已处理。")  # ratable now
    api = await client.post(f"/api/v1/letters/{number}/rating", json={"query_code": query_code, "rating": 9})
    form = await client.post("/mailbox/rating", data={"tracking_number": number, "query_code": query_code,
                                                      "rating": "9", "_csrf_token": csrf(client)})
    assert (api.status_code, form.status_code) == (400, 400)
    assert html.escape(api.json()["detail"]) in form.text


async def test_a_reply_over_5000_characters_is_refused_alike_by_the_api_and_the_staff_form(client, cast):
    number = (await factories.letter()).letter["tracking_number"]
    reply = {"reply": "答" * 5001}
    api = await client.post(f"/api/v1/letters/{number}/reply", json=reply,
                            headers=await _as(client, cast, "admin", page=False))
    assert api.status_code == 400
    headers = await _as(client, cast, "admin", page=True)
    form = await client.post(f"/staff/mailbox/{number}/reply", data=reply, headers=headers)
    assert form.status_code == 400
    assert html.escape(api.json()["detail"]) in form.text
