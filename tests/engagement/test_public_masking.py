"""Personal data typed by citizens and staff is masked on every public page and public API answer (DESIGN 5).

Seeds a phone number, an ID number, an e-mail address and a full name through the public and staff
APIs in every wing (opinion, staff reply, live question, answer, remark, transcript edit, comment,
published letter; a TV questioning issue, the official's on-air answer, rectification progress and its
completion; an open meeting's registration and agenda issue), then reads every public page of the
manifests and every GET of the OpenAPI schema anonymously, and finds none of them as written.
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
           "标记回信", "标记问题", "标记地点", "标记现场答复", "标记承诺", "标记进展", "标记完成", "标记议题")
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


async def _seed_programme(client, host, editor) -> tuple[int, int]:
    """A TV questioning programme: an issue proposed, selected, answered on air, rectified and completed."""
    body = {"kind": "tv_questioning", "title": "电视问政：城市管理专场", "guests": [{"name": "李明", "title": "局长"}],
            "scheduled_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    session_id = (await _ok(await client.post("/api/v1/live-sessions/", json=body, headers=host), 201))["id"]
    issue = {"title": f"标记问题{NAME}反映路灯", "content": PERSONAL, "location": f"标记地点{NAME}家门口{PHONE}",
             "name": NAME}
    created = await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/issues", json=issue,
                                          headers=await citizen_headers(client, "13900000005")), 201)
    issue_id = created["id"]
    await _ok(await client.post(f"/api/v1/issues/{issue_id}/moderate", json={"action": "approve"}, headers=host))
    await _ok(await client.post(f"/api/v1/issues/{issue_id}/select", json={"note": "支持人数最多"}, headers=host))
    await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/start", headers=host))
    await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/on-air", json={"issue_id": issue_id},
                                headers=host))
    answer = {"answer": f"标记现场答复，{NAME}请拨打{PHONE}，{EMAIL}，{ID_NUMBER}", "answered_by": "王建国"}
    await _ok(await client.post(f"/api/v1/issues/{issue_id}/on-air-answer", json=answer, headers=host))
    await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/end", headers=host))
    commitment = {"department": "fgw", "commitment": f"标记承诺，联系人{PHONE}",
                  "due_date": (datetime.now(UTC) + timedelta(days=30)).date().isoformat()}
    await _ok(await client.post(f"/api/v1/issues/{issue_id}/rectification", json=commitment, headers=host), 201)
    progress = {"content": f"标记进展，已联系{NAME}（{PHONE}，{ID_NUMBER}）"}
    await _ok(await client.post(f"/api/v1/issues/{issue_id}/progress", json=progress, headers=editor), 201)
    done = {"content": f"标记完成，回访{EMAIL}"}
    await _ok(await client.post(f"/api/v1/issues/{issue_id}/complete", json=done, headers=editor))
    return session_id, issue_id


async def _seed_meeting(client, host) -> int:
    """An open meeting with a registration in the seeded name and an agenda issue."""
    starts = datetime.now(UTC) + timedelta(days=5)
    body = {"kind": "open_meeting", "title": "县政府常务会议", "guests": [], "scheduled_at": starts.isoformat(),
            "capacity": 3, "place": "县行政中心", "agenda": "审议老旧小区改造方案",
            "registration_closes_at": (starts - timedelta(days=1)).isoformat()}
    session_id = (await _ok(await client.post("/api/v1/live-sessions/", json=body, headers=host), 201))["id"]
    citizen = await citizen_headers(client, "13900000006")
    registration = {"name": NAME, "organization": f"手机{PHONE}", "topic": f"我是{NAME}"}
    await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/registrations", json=registration,
                                headers=citizen), 201)
    agenda = {"title": "标记议题：小区加装电梯", "content": PERSONAL, "name": NAME}
    created = await _ok(await client.post(f"/api/v1/live-sessions/{session_id}/issues", json=agenda,
                                          headers=citizen), 201)
    await _ok(await client.post(f"/api/v1/issues/{created['id']}/moderate", json={"action": "approve"},
                                headers=host))
    return session_id


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


def _every_session(paths: list[str], ids: dict[str, str], sessions: list[str]) -> list[str]:
    """Each path that names the session, once for every seeded session (an interview, a programme, a meeting)."""
    session = f"/{ids['session_id']}"
    return list(dict.fromkeys(
        variant for path in paths
        for variant in ([path.replace(session, f"/{other}", 1) for other in sessions] if session in path else [path])
    ))


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
    host, editor = await staff_headers(client, cast.host), await staff_headers(client, cast.fgw_editor)
    programme, issue_id = await _seed_programme(client, host, editor)
    meeting = await _seed_meeting(client, host)
    ids = {"consultation_id": str(await _seed_opinion(client, editor)),
           "session_id": str(await _seed_live_session(client, host)),
           "tracking_number": await _seed_letter(client, await staff_headers(client, cast.admin)),
           "issue_id": str(issue_id)}
    schema = (await client.get("/schema/openapi.json")).json()
    paths = _every_session(_public_pages(ids) + _api_gets(schema, ids), ids, [ids["session_id"], str(programme),
                                                                               str(meeting)])
    bodies = await _crawl(client, paths)
    seen = "\n".join(bodies.values())
    assert [marker for marker in MARKERS if marker not in seen] == []
    leaks = {path: [secret for secret in SECRETS if secret in body] for path, body in bodies.items()}
    assert {path: found for path, found in leaks.items() if found} == {}
    await sms_settled()
