"""The fixed consultations interface of DESIGN section 4, and the rest of the module's API."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import time_machine

from tests.consultations.conftest import iso
from tests.support import citizen_headers, e164, request_and_read_code

PHONE = "13800138000"
OTHER = "13912345678"
OPINION = "建议在老旧小区改造中同步加装电梯，并明确费用分摊办法。"


async def submit(client, consultation_id, phone=PHONE, content=OPINION, **fields):
    headers = await citizen_headers(client, phone)
    return await client.post(f"/api/v1/consultations/{consultation_id}/opinions",
                             json={"content": content, **fields}, headers=headers)


async def test_create_publish_and_read(client, headers, make_consultation):
    draft = await make_consultation(publish=False)
    assert draft["status"] == "draft"
    # A draft is not public.
    assert (await client.get(f"/api/v1/consultations/{draft['id']}")).status_code == 404
    assert (await client.get("/api/v1/consultations")).json()["total"] == 0
    published = await client.post(f"/api/v1/consultations/{draft['id']}/publish", headers=await headers("fgw_editor"))
    assert published.status_code == 200
    assert published.json()["status"] == "open"
    listed = (await client.get("/api/v1/consultations")).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert (item["id"], item["status"], item["opinion_count"], item["adopted_count"]) == (draft["id"], "open", 0, 0)
    detail = (await client.get(f"/api/v1/consultations/{draft['id']}")).json()
    assert detail["status"] == "open" and detail["department"]["slug"] == "fgw"
    assert (await client.post(f"/api/v1/consultations/{draft['id']}/publish",
                              headers=await headers("fgw_editor"))).status_code == 409


async def test_create_needs_staff_of_that_department(client, headers):
    body = {"title": "草案", "department": "fgw", "summary": "", "body": "", "closes_at": "2030-01-01T00:00:00+08:00"}
    assert (await client.post("/api/v1/consultations", json=body)).status_code == 401
    assert (await client.post("/api/v1/consultations", json=body, headers=await headers("host"))).status_code == 403
    assert (await client.post("/api/v1/consultations", json=body,
                              headers=await headers("zjj_editor"))).status_code == 403
    assert (await client.post("/api/v1/consultations", json=body, headers=await headers("admin"))).status_code == 201
    bad = await client.post("/api/v1/consultations", json={**body, "department": "nope"}, headers=await headers("admin"))
    assert bad.status_code == 400
    assert (await client.post("/api/v1/consultations", json={"title": "x"},
                              headers=await headers("admin"))).status_code == 400


async def test_unknown_ids_answer_404(client, headers):
    assert (await client.get("/api/v1/consultations/999")).status_code == 404
    assert (await client.get("/api/v1/consultations/999/opinions")).status_code == 404
    assert (await client.post("/api/v1/consultations/999/publish", headers=await headers("admin"))).status_code == 404
    assert (await client.post("/api/v1/opinions/999/review", json={"decision": "adopted", "reply": "好"},
                              headers=await headers("admin"))).status_code == 404
    citizen = await citizen_headers(client, PHONE)
    assert (await client.post("/api/v1/opinions/999/support", headers=citizen)).status_code == 404
    assert (await client.post("/api/v1/consultations/999/opinions", json={"content": OPINION},
                              headers=citizen)).status_code == 404


async def test_opinion_with_phone_and_code_in_the_body(client, make_consultation):
    consultation = await make_consultation()
    code = await request_and_read_code(client, PHONE)
    response = await client.post(f"/api/v1/consultations/{consultation['id']}/opinions",
                                 json={"content": OPINION, "name": "张小明", "organization": "某某社区",
                                       "phone": PHONE, "code": code})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "approved"
    assert isinstance(response.json()["id"], int)
    opinions = (await client.get(f"/api/v1/consultations/{consultation['id']}/opinions")).json()
    assert opinions["total"] == 1
    [item] = opinions["items"]
    assert item["author"] == "张*明"
    assert item["content"] == OPINION and item["decision"] == "pending" and item["support_count"] == 0


async def test_opinion_needs_verification(client, make_consultation):
    consultation = await make_consultation()
    url = f"/api/v1/consultations/{consultation['id']}/opinions"
    assert (await client.post(url, json={"content": OPINION})).status_code == 401
    assert (await client.post(url, json={"content": OPINION},
                              headers={"Authorization": "Bearer ctz_forged"})).status_code == 401
    await request_and_read_code(client, PHONE)
    wrong = await client.post(url, json={"content": OPINION, "phone": PHONE, "code": "000000"})
    assert wrong.status_code == 400


async def test_opinion_length_and_duplicates(client, make_consultation):
    consultation = await make_consultation()
    headers = await citizen_headers(client, PHONE)
    url = f"/api/v1/consultations/{consultation['id']}/opinions"
    assert (await client.post(url, json={"content": "太短"}, headers=headers)).status_code == 400
    assert (await client.post(url, json={"content": "长" * 5001}, headers=headers)).status_code == 400
    assert (await client.post(url, json={"content": OPINION}, headers=headers)).status_code == 201
    again = await client.post(url, json={"content": f"  {OPINION}  "}, headers=headers)
    assert again.status_code == 409
    other = await citizen_headers(client, OTHER)
    assert (await client.post(url, json={"content": OPINION}, headers=other)).status_code == 201


async def test_opinion_on_a_consultation_that_is_not_open_is_refused(client, headers, make_consultation):
    draft = await make_consultation(publish=False)
    closed = await make_consultation()
    assert (await client.post(f"/api/v1/consultations/{closed['id']}/close",
                              headers=await headers("fgw_editor"))).json()["status"] == "closed"
    citizen = await citizen_headers(client, PHONE)
    for consultation in (draft, closed):
        response = await client.post(f"/api/v1/consultations/{consultation['id']}/opinions",
                                     json={"content": OPINION}, headers=citizen)
        assert response.status_code == 409, response.text
        assert response.json()["detail"]


async def test_an_opinion_one_second_after_the_deadline_is_refused(client, make_consultation):
    closes_at = datetime(2026, 12, 1, 18, 0, tzinfo=timezone(timedelta(hours=8)))
    with time_machine.travel(closes_at - timedelta(days=1), tick=False) as traveller:
        consultation = await make_consultation(closes_at=closes_at)
        traveller.move_to(closes_at - timedelta(minutes=2))
        citizen = await citizen_headers(client, PHONE)
        url = f"/api/v1/consultations/{consultation['id']}/opinions"
        traveller.move_to(closes_at - timedelta(seconds=1))
        assert (await client.post(url, json={"content": OPINION}, headers=citizen)).status_code == 201
        traveller.move_to(closes_at + timedelta(seconds=1))
        late = await client.post(url, json={"content": OPINION + "补充。"}, headers=citizen)
        assert late.status_code == 409
        # Nobody ran the closing job, yet the public status already says closed.
        assert (await client.get(f"/api/v1/consultations/{consultation['id']}")).json()["status"] == "closed"
        assert (await client.get("/api/v1/consultations?status=closed")).json()["total"] == 1
        assert (await client.get("/api/v1/consultations?status=open")).json()["total"] == 0


async def test_public_opinions_never_show_a_phone_number(client, make_consultation):
    consultation = await make_consultation()
    await submit(client, consultation["id"], content="我的电话是13800138000，身份证不公开，建议增加公交线路。",
                 name="欧阳小明")
    response = await client.get(f"/api/v1/consultations/{consultation['id']}/opinions")
    text = response.text
    assert "13800138000" not in text and e164(PHONE) not in text and "欧阳小明" not in text
    [item] = response.json()["items"]
    assert item["author"] == "欧**明"
    assert "138****8000" in item["content"]
    for url in (f"/api/v1/consultations/{consultation['id']}", "/api/v1/consultations"):
        assert "13800138000" not in (await client.get(url)).text


async def test_review_and_counts(client, headers, make_consultation):
    consultation = await make_consultation()
    first = (await submit(client, consultation["id"])).json()
    second = (await submit(client, consultation["id"], phone=OTHER, content="建议延长征求意见的时间，方便更多居民参与。")).json()
    editor = await headers("fgw_editor")
    reviewed = await client.post(f"/api/v1/opinions/{first['id']}/review",
                                 json={"decision": "adopted", "reply": "感谢您的建议，已采纳。"}, headers=editor)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["decision"] == "adopted"
    assert reviewed.json()["reviewer"]
    partly = await client.post(f"/api/v1/opinions/{second['id']}/review",
                               json={"decision": "not_adopted", "reply": "不在本方案范围内。"}, headers=editor)
    assert partly.status_code == 200
    bad = await client.post(f"/api/v1/opinions/{first['id']}/review", json={"decision": "maybe", "reply": ""},
                            headers=editor)
    assert bad.status_code == 400
    assert (await client.post(f"/api/v1/opinions/{first['id']}/review",
                              json={"decision": "adopted", "reply": ""})).status_code == 401
    detail = (await client.get(f"/api/v1/consultations/{consultation['id']}")).json()
    assert (detail["opinion_count"], detail["adopted_count"], detail["adoption_rate"]) == (2, 1, 0.5)
    opinions = {o["id"]: o for o in (await client.get(f"/api/v1/consultations/{consultation['id']}/opinions")).json()["items"]}
    assert opinions[first["id"]]["decision"] == "adopted"
    assert opinions[first["id"]]["reply"] == "感谢您的建议，已采纳。"


async def test_bulk_review(client, headers, make_consultation):
    consultation = await make_consultation()
    ids = [(await submit(client, consultation["id"], phone=f"1390000000{n}", content=f"第{n}条建议：增加绿地面积。")).json()["id"]
           for n in range(3)]
    response = await client.post(f"/api/v1/consultations/{consultation['id']}/reviews",
                                 json={"ids": ids, "decision": "partially_adopted", "reply": "部分采纳。"},
                                 headers=await headers("fgw_editor"))
    assert response.status_code == 200, response.text
    assert response.json()["reviewed"] == 3
    assert {item["decision"] for item in response.json()["items"]} == {"partially_adopted"}
    detail = (await client.get(f"/api/v1/consultations/{consultation['id']}")).json()
    assert detail["adopted_count"] == 3 and detail["partially_adopted_count"] == 3


async def test_support_once_per_phone(client, make_consultation):
    consultation = await make_consultation()
    opinion = (await submit(client, consultation["id"])).json()
    url = f"/api/v1/opinions/{opinion['id']}/support"
    assert (await client.post(url)).status_code == 401
    citizen = await citizen_headers(client, OTHER)
    first = await client.post(url, headers=citizen)
    assert first.status_code == 200 and first.json()["support_count"] == 1
    assert (await client.post(url, headers=citizen)).json()["support_count"] == 1
    code = await request_and_read_code(client, "13700137000")
    third = await client.post(url, json={"phone": "13700137000", "code": code})
    assert third.json()["support_count"] == 2
    [item] = (await client.get(f"/api/v1/consultations/{consultation['id']}/opinions")).json()["items"]
    assert item["support_count"] == 2


async def test_fifty_simultaneous_supports_from_one_citizen_count_once(client, make_consultation):
    consultation = await make_consultation()
    opinion = (await submit(client, consultation["id"])).json()
    citizen = await citizen_headers(client, OTHER)
    responses = await asyncio.gather(*[client.post(f"/api/v1/opinions/{opinion['id']}/support", headers=citizen)
                                       for _ in range(50)])
    assert {r.status_code for r in responses} == {200}
    assert {r.json()["support_count"] for r in responses} == {1}
    [item] = (await client.get(f"/api/v1/consultations/{consultation['id']}/opinions")).json()["items"]
    assert item["support_count"] == 1


async def test_fifty_simultaneous_opinions_from_different_citizens_are_all_stored(client, make_consultation):
    consultation = await make_consultation()
    citizens = [await citizen_headers(client, f"1360000{n:04d}") for n in range(50)]
    url = f"/api/v1/consultations/{consultation['id']}/opinions"
    responses = await asyncio.gather(*[
        client.post(url, json={"content": f"第{n}位市民的意见：建议增加社区养老服务点。"}, headers=citizen)
        for n, citizen in enumerate(citizens)
    ])
    assert [r.status_code for r in responses] == [201] * 50, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["id"] for r in responses}) == 50
    assert (await client.get(f"/api/v1/consultations/{consultation['id']}")).json()["opinion_count"] == 50
    assert (await client.get(f"{url}?per_page=100")).json()["total"] == 50


async def test_sensitive_words_hold_an_opinion_for_moderation(client, headers, make_consultation):
    from engagement.tables import SensitiveWord

    await SensitiveWord.insert(SensitiveWord(word="代开发票"))
    consultation = await make_consultation()
    held = await submit(client, consultation["id"], content="本人可代开发票，联系我。建议如下。")
    assert held.status_code == 201 and held.json()["status"] == "pending"
    public = (await client.get(f"/api/v1/consultations/{consultation['id']}/opinions")).json()
    assert public["total"] == 0
    editor = await headers("fgw_editor")
    queue = (await client.get(f"/api/v1/consultations/{consultation['id']}/review-queue?status=pending",
                              headers=editor)).json()
    assert [item["id"] for item in queue["items"]] == [held.json()["id"]]
    assert queue["items"][0]["contact_phone"] == e164(PHONE)  # staff may call the citizen back
    not_yet = await client.post(f"/api/v1/opinions/{held.json()['id']}/review",
                                json={"decision": "adopted", "reply": ""}, headers=editor)
    assert not_yet.status_code == 409
    approved = await client.post(f"/api/v1/opinions/{held.json()['id']}/moderate", json={"action": "approve"},
                                 headers=editor)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert (await client.post(f"/api/v1/opinions/{held.json()['id']}/moderate", json={"action": "approve"},
                              headers=editor)).status_code == 409
    assert (await client.get(f"/api/v1/consultations/{consultation['id']}/opinions")).json()["total"] == 1


async def test_review_queue_filters(client, headers, make_consultation):
    consultation = await make_consultation(sections=[{"heading": "总体要求", "body": "……"},
                                                      {"heading": "主要任务", "body": "……"}])
    a = (await submit(client, consultation["id"], content="关于第二部分：建议增加停车位。", section=2)).json()
    b = (await submit(client, consultation["id"], phone=OTHER, content="建议公开资金使用情况。")).json()
    editor = await headers("fgw_editor")
    await client.post(f"/api/v1/opinions/{b['id']}/review", json={"decision": "adopted", "reply": "好"}, headers=editor)
    base = f"/api/v1/consultations/{consultation['id']}/review-queue"

    async def ids(query):
        response = await client.get(f"{base}?{query}", headers=editor)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids("section=2") == [a["id"]]
    assert await ids("decision=adopted") == [b["id"]]
    assert await ids("decision=pending") == [a["id"]]
    assert await ids("q=停车") == [a["id"]]
    assert await ids("q=%25") == []
    assert await ids("") == [a["id"], b["id"]]
    bad_section = await submit(client, consultation["id"], phone="13700137000", content="第九部分的意见如下。", section=9)
    assert bad_section.status_code == 400


async def test_answer_sms_when_asked(client, headers, make_consultation):
    consultation = await make_consultation()
    wanted = (await submit(client, consultation["id"], notify_by_sms=True)).json()
    silent = (await submit(client, consultation["id"], phone=OTHER, content="另一条建议：增设自行车道。")).json()
    editor = await headers("fgw_editor")
    for opinion in (wanted, silent):
        response = await client.post(f"/api/v1/opinions/{opinion['id']}/review",
                                     json={"decision": "adopted", "reply": "已采纳"}, headers=editor)
        assert response.status_code == 200
    # A second review does not send a second SMS.
    await client.post(f"/api/v1/opinions/{wanted['id']}/review", json={"decision": "adopted", "reply": "已采纳。"},
                      headers=editor)

    async def answers(phone):
        outbox = (await client.get("/dev/sms-outbox")).json()
        return [m for m in outbox if m["phone"] == e164(phone) and "/consultations/" in m["body"]]

    for _ in range(100):
        if await answers(PHONE):
            break
        await asyncio.sleep(0.1)
    assert len(await answers(PHONE)) == 1
    assert f"/consultations/{consultation['id']}" in (await answers(PHONE))[0]["body"]
    assert await answers(OTHER) == []


async def test_deadline_extension_is_recorded_and_public(client, headers, make_consultation):
    consultation = await make_consultation()
    editor = await headers("fgw_editor")
    later = datetime.now(UTC) + timedelta(days=60)
    response = await client.post(f"/api/v1/consultations/{consultation['id']}/extend",
                                 json={"closes_at": iso(later), "reason": "应群众要求延长征求意见期"}, headers=editor)
    assert response.status_code == 200, response.text
    public = (await client.get(f"/api/v1/consultations/{consultation['id']}")).json()
    assert public["extensions"][0]["reason"] == "应群众要求延长征求意见期"
    assert datetime.fromisoformat(public["closes_at"]) == later.replace(microsecond=later.microsecond)
    earlier = await client.post(f"/api/v1/consultations/{consultation['id']}/extend",
                                json={"closes_at": iso(later - timedelta(days=1))}, headers=editor)
    assert earlier.status_code == 400


async def test_closing_job_closes_at_the_deadline(client, make_consultation):
    from engagement.jobs import REGISTRY, run_eagerly

    closes_at = datetime.now(UTC) + timedelta(hours=1)
    consultation = await make_consultation(closes_at=closes_at)
    with time_machine.travel(closes_at + timedelta(seconds=5), tick=False):
        await run_eagerly(REGISTRY["consultations.close_due"], ())
    from consultations.tables import Consultation

    row = await Consultation.select(Consultation.status).where(Consultation.id == consultation["id"]).first()
    assert row["status"] == "closed"


async def test_outcome_report_after_conclusion(client, headers, make_consultation):
    consultation = await make_consultation(sections=[{"heading": "总体要求", "body": "……"},
                                                      {"heading": "保障措施", "body": "……"}])
    cid = consultation["id"]
    a = (await submit(client, cid, content="第二部分建议增加资金保障。", section=2)).json()
    b = (await submit(client, cid, phone=OTHER, content="建议加强宣传。")).json()
    c = (await submit(client, cid, phone="13700137000", content="建议取消本方案。")).json()
    editor = await headers("fgw_editor")
    for opinion, decision in ((a, "adopted"), (b, "partially_adopted"), (c, "not_adopted")):
        await client.post(f"/api/v1/opinions/{opinion['id']}/review", json={"decision": decision, "reply": f"答复{decision}"},
                          headers=editor)
    assert (await client.get(f"/api/v1/consultations/{cid}/outcome")).status_code == 404
    assert (await client.post(f"/api/v1/consultations/{cid}/conclude", headers=editor)).status_code == 409
    await client.post(f"/api/v1/consultations/{cid}/close", headers=editor)
    assert (await client.post(f"/api/v1/consultations/{cid}/conclude", headers=editor)).status_code == 409  # no text
    saved = await client.put(f"/api/v1/consultations/{cid}/outcome",
                             json={"final_text": "城市更新三年行动方案（正式稿）", "interpretation": "一图读懂"}, headers=editor)
    assert saved.status_code == 200
    assert (await client.get(f"/api/v1/consultations/{cid}/outcome")).status_code == 404  # not yet public
    concluded = await client.post(f"/api/v1/consultations/{cid}/conclude", headers=editor)
    assert concluded.status_code == 200 and concluded.json()["status"] == "concluded"
    outcome = (await client.get(f"/api/v1/consultations/{cid}/outcome")).json()
    assert (outcome["opinion_count"], outcome["adopted_count"], outcome["not_adopted_count"]) == (3, 2, 1)
    assert outcome["adoption_rate"] == round(2 / 3, 4)
    groups = [(g["section"], [o["id"] for o in g["opinions"]]) for g in outcome["groups"]]
    assert groups == [(2, [a["id"]]), (None, [b["id"]])]
    assert outcome["groups"][0]["heading"] == "保障措施"
    assert outcome["groups"][0]["opinions"][0]["reply"] == "答复adopted"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    image = await client.post(f"/api/v1/consultations/{cid}/attachments", files={"file": ("一图读懂.png", png, "image/png")},
                              data={"purpose": "interpretation"}, headers=editor)
    assert image.status_code == 201
    page = await client.get(f"/consultations/{cid}")
    assert f'<img src="{image.json()["url"]}" alt="一图读懂.png">' in page.text
    assert (await client.get(image.json()["url"])).content == png
    listed = (await client.get("/api/v1/consultations?status=concluded")).json()
    assert [item["id"] for item in listed["items"]] == [cid]


async def test_list_filters_and_search(client, headers, make_consultation):
    from consultations.tables import Topic  # noqa: F401

    topic = await client.post("/api/v1/topics", json={"title": "十四五系列规划", "description": "系列规划"},
                              headers=await headers("admin"))
    assert topic.status_code == 201
    assert (await client.post("/api/v1/topics", json={"title": "x"}, headers=await headers("fgw_editor"))).status_code == 403
    tid = topic.json()["id"]
    a = await make_consultation(title="交通发展规划", topic=tid)
    b = await make_consultation(department="zjj", title="住房保障规划", topic=tid)
    await make_consultation(title="未发布的草案", publish=False)

    async def ids(query):
        return [item["id"] for item in (await client.get(f"/api/v1/consultations?{query}")).json()["items"]]

    assert await ids("") == [b["id"], a["id"]]
    assert await ids("department=zjj") == [b["id"]]
    assert await ids("q=交通") == [a["id"]]
    assert await ids("q=%25") == [] and await ids("q=_") == []  # taken literally, not as LIKE wildcards
    assert await ids(f"topic={tid}") == [b["id"], a["id"]]
    assert await ids("status=open") == [b["id"], a["id"]]
    assert (await client.get("/api/v1/consultations?status=nope")).status_code == 400
    topic_page = (await client.get(f"/api/v1/topics/{tid}")).json()
    assert [c["id"] for c in topic_page["consultations"]] == [a["id"], b["id"]]
    assert (await client.get("/api/v1/topics")).json()["total"] == 1


async def test_attachments_checked_by_content(client, headers, make_consultation):
    consultation = await make_consultation(publish=False)
    editor = await headers("fgw_editor")
    url = f"/api/v1/consultations/{consultation['id']}/attachments"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    ok = await client.post(url, files={"file": ("方案.pdf", pdf, "application/pdf")}, data={"purpose": "draft"},
                           headers=editor)
    assert ok.status_code == 201, ok.text
    fake = await client.post(url, files={"file": ("virus.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
                             headers=editor)
    assert fake.status_code == 400
    download = ok.json()["url"]
    assert (await client.get(download)).status_code == 404  # draft not public yet
    await client.post(f"/api/v1/consultations/{consultation['id']}/publish", headers=editor)
    file = await client.get(download)
    assert file.status_code == 200 and file.content == pdf
    detail = (await client.get(f"/api/v1/consultations/{consultation['id']}")).json()
    assert detail["attachments"][0]["name"] == "方案.pdf"


async def test_export_csv_and_xlsx_escape_formulas_and_are_audited(client, headers, make_consultation):
    from openpyxl import load_workbook

    from engagement.tables import AuditEntry

    consultation = await make_consultation()
    await submit(client, consultation["id"], content='=HYPERLINK("http://evil.example","点我")<script>x</script>',
                 name="+张三")
    editor = await headers("fgw_editor")
    url = f"/api/v1/consultations/{consultation['id']}/export"
    response = await client.get(f"{url}?format=csv", headers=editor)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "section", "content"]
    assert rows[1][2].startswith("'=HYPERLINK") and rows[1][3] == "'+张三"
    xlsx = await client.get(f"{url}?format=xlsx", headers=editor)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cell = sheet.cell(row=2, column=3)
    assert cell.data_type == "s" and cell.value.startswith("'=HYPERLINK")
    assert (await client.get(f"{url}?format=csv")).status_code == 401
    actions = await AuditEntry.select(AuditEntry.action).where(AuditEntry.action == "consultation.export")
    assert len(actions) == 2


async def test_openapi_documents_the_module(client):
    schema = (await client.get("/schema/openapi.json")).json()
    for path in ("/api/v1/consultations", "/api/v1/consultations/{consultation_id}/opinions",
                 "/api/v1/opinions/{opinion_id}/review", "/api/v1/opinions/{opinion_id}/support",
                 "/api/v1/consultations/{consultation_id}/export", "/api/v1/topics",
                 "/api/v1/consultations/{consultation_id}/extend", "/api/v1/consultations/{consultation_id}/outcome"):
        assert path in schema["paths"], path
