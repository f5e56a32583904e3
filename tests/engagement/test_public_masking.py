"""Personal data typed by citizens and staff is masked on every public page and public API answer (DESIGN 5).

Seeds a phone number, an ID number, an e-mail address and a full name through the public and staff
APIs in every wing (opinion, staff reply, live question, answer, remark, transcript edit, comment,
published letter), then reads every public page of the manifests and every GET of the OpenAPI
schema anonymously, and finds none of them as written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.support import citizen_headers, sms_settled, staff_headers

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"
EMAIL = "zhangsanfeng@example.com"
NAME = "张三丰"
PERSONAL = f"我是{NAME}，电话{PHONE}，身份证{ID_NUMBER}，邮箱{EMAIL}。"
SECRETS = (PHONE, ID_NUMBER, ID_NUMBER.lower(), EMAIL, NAME)
# One marker per seeded text, so the crawl is known to have read each of them.
MARKERS = ("标记意见", "标记单位", "标记答复", "标记提问", "标记回答", "标记插话", "标记修订", "标记评论", "标记来信",
           "标记回信")
PARAMETER = re.compile(r"\{(\w+)(?::[^}]*)?\}")


async def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


async def _seed_opinion(client, staff) -> int:
    body = {"title": "关于城市更新方案公开征求意见", "department": "fgw", "summary": "征求意见。",
            "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()}
    consultation = await _ok(await client.post("/api/v1/consultations", json=body, headers=staff), 201)
    cid = consultation["id"]
    await _ok(await client.post(f"/api/v1/consultations/{cid}/publish", headers=staff))
    opinion = {"content": f"标记意见{PERSONAL}", "name": NAME, "organization": f"标记单位{NAME}手机{PHONE}"}
    created = await _ok(await client.post(f"/api/v1/consultations/{cid}/opinions", json=opinion,
                                          headers=await citizen_headers(client, "13900000001")), 201)
    if created["status"] == "pending":
        await _ok(await client.post(f"/api/v1/opinions/{created['id']}/moderate", json={"action": "approve"},
                                    headers=staff))
    review = {"decision": "adopted", "reply": f"标记答复，请{NAME}联系{PHONE}或{EMAIL}，{ID_NUMBER}"}
    await _ok(await client.post(f"/api/v1/opinions/{created['id']}/review", json=review, headers=staff))
    return cid


async def _live_question(client, host, session_id: int) -> None:
    question = {"content": f"标记提问{PERSONAL}", "name": NAME}
    created = await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/questions", json=question,
                                          headers=await citizen_headers(client, "13900000002")), 201)
    await _ok(await client.post(f"/api/v1/questions/{created['id']}/moderate", json={"action": "approve"},
                                headers=host))
    answer = {"answer": f"标记回答，可拨打{PHONE}，或写信至{EMAIL}，证件{ID_NUMBER}"}
    await _ok(await client.post(f"/api/v1/questions/{created['id']}/answer", json=answer, headers=host), 201)


async def _edit_transcript(client, host, session_id: int) -> None:
    draft = await _ok(await client.get(f"/api/v1/live-sessions/{session_id}/transcript", headers=host))
    entry = draft["entries"][-1]["id"]
    edit = {"content": f"标记修订，电话{PHONE}，邮箱{EMAIL}，身份证{ID_NUMBER}"}
    await _ok(await client.patch(f"/api/v1/transcript-entries/{entry}", json=edit, headers=host))
    await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/transcript/publish", headers=host))


async def _comment(client, host, session_id: int) -> None:
    comment = {"content": f"标记评论{PERSONAL}", "name": NAME}
    created = await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/transcript/comments", json=comment,
                                          headers=await citizen_headers(client, "13900000003")), 201)
    await _ok(await client.post(f"/api/v1/transcript-comments/{created['id']}/moderate", json={"action": "approve"},
                                headers=host))


async def _seed_live_session(client, host) -> int:
    body = {"kind": "interview", "title": "加装电梯访谈", "guests": [{"name": "王建国", "title": "局长"}],
            "scheduled_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    session_id = (await _ok(await client.post("/api/v1/live-sessions/", json=body, headers=host), 201))["id"]
    await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/start", headers=host))
    await _live_question(client, host, session_id)
    remark = {"content": f"标记插话，热线{PHONE}，{EMAIL}，{ID_NUMBER}"}
    await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/remarks", json=remark, headers=host), 201)
    await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/end", headers=host))
    await _edit_transcript(client, host, session_id)
    await _comment(client, host, session_id)
    return session_id


async def _seed_letter(client, admin) -> str:
    letter = {"subject": f"标记来信{NAME}反映噪音", "body": PERSONAL, "name": NAME, "public_consent": True}
    receipt = await _ok(await client.post("/api/v1/letters/", json=letter,
                                          headers=await citizen_headers(client, "13900000004")), 201)
    number = receipt["tracking_number"]
    await _ok(await client.post(f"/api/v1/letters/{number}/assign", json={"department": "fgw"}, headers=admin))
    reply = {"reply": f"标记回信：{NAME}您好，请致电{PHONE}，或发邮件至{EMAIL}。"}
    await _ok(await client.post(f"/api/v1/letters/{number}/reply", json=reply, headers=admin))
    await _ok(await client.post(f"/api/v1/letters/{number}/publish", headers=admin))
    return number


def _fill(path: str, ids: dict[str, str]) -> str | None:
    """``path`` with its parameters filled from ``ids``; None when one has no seeded value."""
    names = PARAMETER.findall(path)
    if any(name not in ids for name in names):
        return None
    return PARAMETER.sub(lambda match: ids[match[1]], path)


def _public_pages(ids: dict[str, str]) -> list[str]:
    from engagement.modules import manifests

    pages = [_fill(path, ids) for manifest in manifests() for path in manifest.public_pages]
    return [page for page in pages if page] + ["/live-sessions/search?q=标记", "/mailbox/search?q=噪音"]


def _api_gets(schema: dict, ids: dict[str, str]) -> list[str]:
    queries = {"q": "标记", "subject": "噪音", "after": "0"}
    found = []
    for path, operations in schema["paths"].items():
        if "get" not in operations or (filled := _fill(path, ids)) is None:
            continue
        wanted = [p["name"] for p in operations["get"].get("parameters", [])
                  if p["in"] == "query" and p["name"] in queries]
        found.append(filled + ("?" + "&".join(f"{name}={queries[name]}" for name in wanted) if wanted else ""))
    return found


async def _crawl(client, paths: list[str]) -> dict[str, str]:
    """The body of every path an anonymous visitor may read (guarded ones answer 401/403 and are left out)."""
    bodies = {}
    for path in paths:
        response = await client.get(path)
        if response.status_code == 200:
            bodies[path] = response.text
    return bodies


async def test_no_personal_data_on_any_public_page_or_api_answer(client, cast):
    ids = {"consultation_id": str(await _seed_opinion(client, await staff_headers(client, cast.fgw_editor))),
           "session_id": str(await _seed_live_session(client, await staff_headers(client, cast.host))),
           "tracking_number": await _seed_letter(client, await staff_headers(client, cast.admin))}
    schema = (await client.get("/schema/openapi.json")).json()
    bodies = await _crawl(client, _public_pages(ids) + _api_gets(schema, ids))
    seen = "\n".join(bodies.values())
    assert [marker for marker in MARKERS if marker not in seen] == []
    leaks = {path: [secret for secret in SECRETS if secret in body] for path, body in bodies.items()}
    assert {path: found for path, found in leaks.items() if found} == {}
    await sms_settled()
