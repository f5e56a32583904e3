"""The fixed mailbox interface of DESIGN section 4, with its 401/403/404/409 and bad-input answers."""

import asyncio
import re
import time

import pytest

from tests.support import citizen_headers, request_and_read_code, staff_headers

PHONE = "13912345678"
LETTER = {"subject": "老旧小区加装电梯", "body": "我家小区没有电梯，老人上下楼困难，希望加装。", "name": "李四海",
          "public_consent": True}


async def sms_containing(client, *parts: str, wait: float = 20) -> bool:
    """Whether an SMS with all ``parts`` reached the development outbox (a worker may still be sending it)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if any(all(part in m["body"] for part in parts) for m in (await client.get("/dev/sms-outbox")).json()):
            return True
        await asyncio.sleep(0.2)
    return False


async def write(client, headers, **fields):
    response = await client.post("/api/v1/letters", json={**LETTER, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_citizen_writes_a_letter_and_gets_a_tracking_number_and_query_code(client, cast):
    headers = await citizen_headers(client, PHONE)
    receipt = await write(client, headers)
    assert re.fullmatch(r"\d{4}-\d{6}", receipt["tracking_number"])
    assert len(receipt["query_code"]) >= 8
    assert receipt["status"] == "received"
    assert await sms_containing(client, receipt["tracking_number"], receipt["query_code"])


async def test_phone_and_code_in_the_body_verify_the_writer(client, cast):
    code = await request_and_read_code(client, PHONE)
    response = await client.post("/api/v1/letters", json={**LETTER, "phone": PHONE, "code": code})
    assert response.status_code == 201, response.text
    again = await client.post("/api/v1/letters", json={**LETTER, "phone": PHONE, "code": code})
    assert again.status_code == 400  # the code is single use


async def test_writing_without_verification_is_401(client, cast):
    response = await client.post("/api/v1/letters", json=LETTER)
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("change", [
    {"subject": ""},
    {"body": "   "},
    {"name": ""},
    {"body": "很" * 5001},
    {"department": "no-such-department"},
    {"category": "gossip"},
    {"public_consent": "yes please"},
])
async def test_bad_letters_are_400_with_a_message(client, cast, change):
    headers = await citizen_headers(client, PHONE)
    response = await client.post("/api/v1/letters", json={**LETTER, **change}, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


async def test_lookup_shows_status_and_reply_and_a_wrong_code_is_404(client, cast):
    receipt = await write(client, await citizen_headers(client, PHONE))
    number, code = receipt["tracking_number"], receipt["query_code"]
    found = await client.get("/api/v1/letters/lookup", params={"tracking_number": number, "query_code": code})
    assert found.status_code == 200
    assert found.json()["status"] == "received" and found.json()["reply"] is None
    assert "phone" not in found.text and "李四海" not in found.text
    wrong = await client.get("/api/v1/letters/lookup", params={"tracking_number": number, "query_code": "WRONGCODE1"})
    assert wrong.status_code == 404
    unknown = await client.get("/api/v1/letters/lookup", params={"tracking_number": "2020-999999", "query_code": code})
    assert unknown.status_code == 404
    assert wrong.json()["detail"] == unknown.json()["detail"]
    missing = await client.get("/api/v1/letters/lookup", params={"tracking_number": number})
    assert missing.status_code == 400


async def test_the_whole_route_assign_reply_rate_publish(client, cast):
    receipt = await write(client, await citizen_headers(client, PHONE))
    number, code = receipt["tracking_number"], receipt["query_code"]
    admin = await staff_headers(client, cast.admin)
    fgw = await staff_headers(client, cast.fgw_editor)

    assigned = await client.post(f"/api/v1/letters/{number}/assign", json={"department": "fgw"}, headers=admin)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status"] == "assigned" and assigned.json()["department"] == "fgw"

    replied = await client.post(f"/api/v1/letters/{number}/reply", json={"reply": "已列入明年加装计划。"}, headers=fgw)
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "replied"
    assert (await client.post(f"/api/v1/letters/{number}/reply", json={"reply": "再答"}, headers=fgw)).status_code == 409

    looked = (await client.get("/api/v1/letters/lookup", params={"tracking_number": number, "query_code": code})).json()
    assert looked["reply"] == "已列入明年加装计划。"
    assert [entry["action"] for entry in looked["timeline"]] == ["received", "assigned", "replied"]

    rated = await client.post(f"/api/v1/letters/{number}/rating", json={"query_code": code, "rating": 5, "comment": "满意"})
    assert rated.status_code == 200, rated.text
    assert rated.json()["rating"] == 5 and rated.json()["status"] == "closed"
    again = await client.post(f"/api/v1/letters/{number}/rating", json={"query_code": code, "rating": 1})
    assert again.status_code == 409

    assert (await client.get("/api/v1/letters", params={"q": "电梯"})).json()["total"] == 0
    published = await client.post(f"/api/v1/letters/{number}/publish", json={}, headers=fgw)
    assert published.status_code == 200, published.text
    assert published.json()["published"] is True
    listed = (await client.get("/api/v1/letters", params={"q": "电梯"})).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["tracking_number"] == number and item["reply"] == "已列入明年加装计划。"
    assert item["department"] == "fgw"
    assert {"tracking_number", "subject", "body", "reply", "department", "received_at", "published_at"} <= set(item)
    assert "李四海" not in listed.__repr__() and "query_code" not in item and "phone" not in item
    one = await client.get(f"/api/v1/letters/{number}")
    assert one.status_code == 200 and one.json()["subject"] == "老旧小区加装电梯"


async def test_rating_needs_the_right_code_a_reply_and_a_rating_from_1_to_5(client, cast):
    receipt = await write(client, await citizen_headers(client, PHONE))
    number, code = receipt["tracking_number"], receipt["query_code"]
    early = await client.post(f"/api/v1/letters/{number}/rating", json={"query_code": code, "rating": 4})
    assert early.status_code == 409
    admin = await staff_headers(client, cast.admin)
    await client.post(f"/api/v1/letters/{number}/reply", json={"reply": "答复"}, headers=admin)
    wrong = await client.post(f"/api/v1/letters/{number}/rating", json={"query_code": "NOTTHECODE", "rating": 4})
    assert wrong.status_code == 404
    for bad in (0, 6):
        response = await client.post(f"/api/v1/letters/{number}/rating", json={"query_code": code, "rating": bad})
        assert response.status_code == 400
    assert (await client.post(f"/api/v1/letters/{number}/rating", json={"query_code": code})).status_code == 400


async def test_publishing_without_the_writers_consent_is_409(client, cast):
    receipt = await write(client, await citizen_headers(client, PHONE), public_consent=False)
    number = receipt["tracking_number"]
    admin = await staff_headers(client, cast.admin)
    await client.post(f"/api/v1/letters/{number}/reply", json={"reply": "答复"}, headers=admin)
    response = await client.post(f"/api/v1/letters/{number}/publish", json={}, headers=admin)
    assert response.status_code == 409
    assert (await client.get(f"/api/v1/letters/{number}")).status_code == 404


async def test_an_unanswered_letter_cannot_be_published(client, cast):
    receipt = await write(client, await citizen_headers(client, PHONE))
    admin = await staff_headers(client, cast.admin)
    response = await client.post(f"/api/v1/letters/{receipt['tracking_number']}/publish", json={}, headers=admin)
    assert response.status_code == 409


async def test_staff_close_an_unrated_answered_letter_and_withdraw_a_published_one(client, cast):
    receipt = await write(client, await citizen_headers(client, PHONE))
    number, code = receipt["tracking_number"], receipt["query_code"]
    admin = await staff_headers(client, cast.admin)
    assert (await client.post(f"/api/v1/letters/{number}/close", headers=admin)).status_code == 409  # not answered
    await client.post(f"/api/v1/letters/{number}/reply", json={"reply": "已答复。"}, headers=admin)
    closed = await client.post(f"/api/v1/letters/{number}/close", headers=admin)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert (await client.post(f"/api/v1/letters/{number}/close", headers=admin)).status_code == 409
    looked = (await client.get("/api/v1/letters/lookup", params={"tracking_number": number, "query_code": code})).json()
    assert looked["status"] == "closed" and looked["timeline"][-1]["action"] == "closed"

    assert (await client.post(f"/api/v1/letters/{number}/unpublish", headers=admin)).status_code == 409
    await client.post(f"/api/v1/letters/{number}/publish", json={}, headers=admin)
    assert (await client.get(f"/api/v1/letters/{number}")).status_code == 200
    withdrawn = await client.post(f"/api/v1/letters/{number}/unpublish", headers=admin)
    assert withdrawn.status_code == 200 and withdrawn.json()["published"] is False
    assert (await client.get(f"/api/v1/letters/{number}")).status_code == 404
    assert (await client.get("/api/v1/letters", params={"q": "电梯"})).json()["total"] == 0


async def test_staff_actions_answer_401_403_404_and_400(client, cast):
    receipt = await write(client, await citizen_headers(client, PHONE))
    number = receipt["tracking_number"]
    assert (await client.post(f"/api/v1/letters/{number}/assign", json={"department": "fgw"})).status_code == 401
    forged = {"Authorization": "Bearer stf_forged"}
    assert (await client.post(f"/api/v1/letters/{number}/assign", json={"department": "fgw"}, headers=forged)).status_code == 401
    fgw = await staff_headers(client, cast.fgw_editor)
    assert (await client.post(f"/api/v1/letters/{number}/assign", json={"department": "fgw"}, headers=fgw)).status_code == 403
    host = await staff_headers(client, cast.host)
    assert (await client.post(f"/api/v1/letters/{number}/reply", json={"reply": "x"}, headers=host)).status_code == 403
    admin = await staff_headers(client, cast.admin)
    assert (await client.post("/api/v1/letters/2020-000001/assign", json={"department": "fgw"}, headers=admin)).status_code == 404
    assert (await client.post(f"/api/v1/letters/{number}/assign", json={"department": "nope"}, headers=admin)).status_code == 400
    assert (await client.post(f"/api/v1/letters/{number}/assign", json={}, headers=admin)).status_code == 400
    assert (await client.post(f"/api/v1/letters/{number}/reply", json={"reply": ""}, headers=admin)).status_code == 400


async def test_a_department_returns_a_letter_to_the_office_with_a_reason(client, cast):
    receipt = await write(client, await citizen_headers(client, PHONE))
    number = receipt["tracking_number"]
    admin = await staff_headers(client, cast.admin)
    zjj = await staff_headers(client, cast.zjj_editor)
    await client.post(f"/api/v1/letters/{number}/assign", json={"department": "zjj"}, headers=admin)
    note = await client.post(f"/api/v1/letters/{number}/notes", json={"body": "需核实地址"}, headers=zjj)
    assert note.status_code == 201
    back = await client.post(f"/api/v1/letters/{number}/transfer", json={"reason": "不属于本局职责"}, headers=zjj)
    assert back.status_code == 200, back.text
    assert back.json()["department"] == "szfbgt" and back.json()["status"] == "received"
    assert (await client.get(f"/api/v1/staff/letters/{number}", headers=zjj)).status_code == 403
    detail = await client.get(f"/api/v1/staff/letters/{number}", headers=admin)
    assert detail.status_code == 200 and detail.json()["phone"] == "+8613912345678"


async def test_fifty_concurrent_letters_get_fifty_sequential_numbers(client, cast):
    # Fifty citizens: one citizen may write only a few letters a minute (engagement.limits).
    writers = [await citizen_headers(client, f"1391230{index:04d}") for index in range(50)]
    responses = await asyncio.gather(*[
        client.post("/api/v1/letters", json={**LETTER, "subject": f"来信{index}"}, headers=headers)
        for index, headers in enumerate(writers)
    ])
    assert [response.status_code for response in responses] == [201] * 50, [r.text for r in responses if r.status_code != 201]
    numbers = sorted(response.json()["tracking_number"] for response in responses)
    year = numbers[0][:4]
    assert numbers == [f"{year}-{index:06d}" for index in range(1, 51)]


async def test_openapi_schema_documents_the_mailbox(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"/api/v1/letters", "/api/v1/letters/lookup", "/api/v1/letters/{tracking_number}/assign"} <= set(schema["paths"])
