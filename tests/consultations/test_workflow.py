"""The state machines of consultations/workflows.py: every change in the history, refused changes leave nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import time_machine

from tests.consultations.conftest import iso
from tests.support import citizen_headers

PHONE = "13800138000"
OTHER = "13912345678"


async def history(aggregate: str, target_id: int) -> list[tuple[str, str, str, str]]:
    from engagement.tables import WorkflowEvent

    rows = await WorkflowEvent.select(WorkflowEvent.transition, WorkflowEvent.from_state, WorkflowEvent.to_state,
                                      WorkflowEvent.actor_name).where(
        (WorkflowEvent.aggregate == aggregate) & (WorkflowEvent.target_id == target_id)).order_by(WorkflowEvent.id)
    return [(r["transition"], r["from_state"], r["to_state"], r["actor_name"]) for r in rows]


async def submit(client, consultation_id, phone=PHONE, content="建议增加社区养老服务点。", **fields):
    response = await client.post(f"/api/v1/consultations/{consultation_id}/opinions",
                                 json={"content": content, **fields}, headers=await citizen_headers(client, phone))
    assert response.status_code == 201, response.text
    return response.json()


async def test_decisions_are_recorded_in_the_history(client, headers, make_consultation):
    from engagement.tables import AuditEntry

    consultation = await make_consultation()
    opinion = await submit(client, consultation["id"])
    editor = await headers("fgw_editor")
    url = f"/api/v1/opinions/{opinion['id']}/review"
    assert (await client.post(url, json={"decision": "adopted", "reply": "已采纳"}, headers=editor)).status_code == 200
    changed = await client.post(url, json={"decision": "not_adopted", "reply": "经复核，不予采纳"}, headers=editor)
    assert changed.status_code == 200 and changed.json()["decision"] == "not_adopted"

    assert await history("opinion", opinion["id"]) == [
        ("submit", "", "approved", "citizen"),
        ("review_adopted", "pending", "adopted", "fgw_editor"),
        ("re_review_not_adopted", "adopted", "not_adopted", "fgw_editor"),
    ]
    actions = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.target_kind == "opinion") & (AuditEntry.target_id == str(opinion["id"]))).order_by(AuditEntry.id)
    assert [row["action"] for row in actions] == ["opinion.submit", "opinion.review_adopted",
                                                  "opinion.re_review_not_adopted"]


async def test_a_consultation_s_life_is_in_its_history(client, headers, make_consultation):
    consultation = await make_consultation()
    cid, editor = consultation["id"], await headers("fgw_editor")
    later = datetime.now(UTC) + timedelta(days=60)
    await client.post(f"/api/v1/consultations/{cid}/extend", json={"closes_at": iso(later), "reason": "延长"},
                      headers=editor)
    await client.post(f"/api/v1/consultations/{cid}/close", headers=editor)
    await client.put(f"/api/v1/consultations/{cid}/outcome", json={"final_text": "正式稿"}, headers=editor)
    assert (await client.post(f"/api/v1/consultations/{cid}/conclude", headers=editor)).status_code == 200

    assert await history("consultation", cid) == [
        ("create", "", "draft", "fgw_editor"), ("publish", "draft", "open", "fgw_editor"),
        ("extend", "open", "open", "fgw_editor"), ("close", "open", "closed", "fgw_editor"),
        ("conclude", "closed", "concluded", "fgw_editor"),
    ]
    public = (await client.get(f"/api/v1/consultations/{cid}")).json()
    assert [e["reason"] for e in public["extensions"]] == ["延长"]


async def test_publishing_twice_at_once_publishes_once(client, headers, make_consultation):
    draft = await make_consultation(publish=False)
    editor = await headers("fgw_editor")
    responses = await asyncio.gather(*[client.post(f"/api/v1/consultations/{draft['id']}/publish", headers=editor)
                                       for _ in range(2)])
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert [event[0] for event in await history("consultation", draft["id"])] == ["create", "publish"]


async def test_the_deadline_closes_as_the_system_and_conclusion_follows(client, headers, make_consultation):
    from engagement.jobs import REGISTRY, run_eagerly

    closes_at = datetime.now(UTC) + timedelta(hours=1)
    by_job = await make_consultation(closes_at=closes_at)
    by_staff = await make_consultation(closes_at=closes_at)
    editor = await headers("fgw_editor")
    await client.put(f"/api/v1/consultations/{by_staff['id']}/outcome", json={"final_text": "正式稿"}, headers=editor)
    with time_machine.travel(closes_at + timedelta(seconds=5), tick=False):
        # Concluding before the job ran: the closing at the deadline is recorded first.
        assert (await client.post(f"/api/v1/consultations/{by_staff['id']}/conclude",
                                  headers=editor)).status_code == 200
        await run_eagerly(REGISTRY["consultations.close_due"], ())
    assert (await history("consultation", by_job["id"]))[-1] == ("close_at_deadline", "open", "closed", "system")
    assert [event[0] for event in await history("consultation", by_staff["id"])][-2:] == [
        "close_at_deadline", "conclude"]


async def test_a_bulk_review_with_one_held_opinion_decides_none_and_sends_nothing(client, headers,
                                                                                  make_consultation):
    from engagement.tables import SensitiveWord, SmsMessage

    await SensitiveWord.insert(SensitiveWord(word="代开发票"))
    consultation = await make_consultation()
    fine = await submit(client, consultation["id"], notify_by_sms=True)
    held = await submit(client, consultation["id"], phone=OTHER, content="可代开发票，建议如下。", notify_by_sms=True)
    assert held["status"] == "pending"
    response = await client.post(f"/api/v1/consultations/{consultation['id']}/reviews",
                                 json={"ids": [fine["id"], held["id"]], "decision": "adopted", "reply": "采纳"},
                                 headers=await headers("fgw_editor"))
    assert response.status_code == 409
    queue = (await client.get(f"/api/v1/consultations/{consultation['id']}/review-queue",
                              headers=await headers("fgw_editor"))).json()
    assert {item["decision"] for item in queue["items"]} == {"pending"}
    assert [event[0] for event in await history("opinion", fine["id"])] == ["submit"]
    assert await SmsMessage.count().where(SmsMessage.purpose == "consultation_reply") == 0


async def test_one_answer_sms_per_opinion_stored_with_the_decision(client, headers, make_consultation):
    from engagement.tables import SmsMessage

    consultation = await make_consultation()
    ids = [(await submit(client, consultation["id"], phone=f"1390000000{n}", content=f"第{n}条建议：增加绿地。",
                         notify_by_sms=n < 2))["id"] for n in range(3)]
    editor = await headers("fgw_editor")
    for decision in ("adopted", "partially_adopted"):
        response = await client.post(f"/api/v1/consultations/{consultation['id']}/reviews",
                                     json={"ids": ids, "decision": decision, "reply": "答复"}, headers=editor)
        assert response.status_code == 200
    assert await SmsMessage.count().where(SmsMessage.purpose == "consultation_reply") == 2
