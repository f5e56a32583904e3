"""Demonstration content, made through the services: an announced, a live and an ended interview.

``load_demo`` runs after the core's demo (departments, the ``host`` account); ``sample_paths``
gives the accessibility tests a real page for every public route with an id.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from engagement.accounts import Staff, issue_token, staff_for_token
from engagement.tables import StaffUser
from engagement.verification import VerifiedCitizen, citizen_for_phone
from live_sessions import (
    demo_issues,
    demo_meetings,
    demo_rectifications,
    services,
    services_questions,
    services_transcripts,
)

GUESTS = [
    {"name": "王建国", "title": "市住房和城乡建设局局长"},
    {"name": "李芳", "title": "市住房和城乡建设局物业管理处处长"},
]


async def _host() -> Staff | None:
    row = await StaffUser.select(StaffUser.id).where(StaffUser.role.is_in(["host", "admin"])).order_by(
        StaffUser.role, ascending=False).first()
    if row is None:
        return None
    return await staff_for_token(await issue_token(row["id"]))


async def _citizen(number: str) -> VerifiedCitizen:
    return await citizen_for_phone(number)


async def create_sessions(host: Staff) -> dict[str, int]:
    now = datetime.now(UTC)
    citizens = [await _citizen(f"+86139000000{n:02d}") for n in range(1, 6)]

    announced = await services.create_session(
        host, kind="interview", title="聊聊老旧小区加装电梯", guests=GUESTS, scheduled_at=now + timedelta(days=9),
        description="市住房和城乡建设局负责同志做客访谈，介绍加装电梯的申请流程和补贴政策，欢迎提前留言提问。")
    for n, text in enumerate(["加装电梯需要全体业主同意吗？", "一楼住户的利益如何补偿？"]):
        question = await services_questions.ask_question(citizens[n], announced["id"], text, "张小明" if n == 0 else "")
        await services_questions.moderate_question(host, question["id"], "approve")
        await services_questions.vote_for_question(citizens[4], question["id"])

    live = await services.create_session(
        host, kind="interview", title="城市更新与历史街区保护", guests=GUESTS[:1], scheduled_at=now - timedelta(minutes=20),
        description="围绕城市更新中的历史街区保护与居民安置，在线回答网友提问。")
    await services.start_session(host, live["id"])
    await services_questions.post_remark(host, live["id"], "各位网友大家好，欢迎收看本期访谈。")
    asked = await services_questions.ask_question(citizens[1], live["id"], "历史街区改造后，原住居民还能回迁吗？", "李四")
    await services_questions.moderate_question(host, asked["id"], "approve")
    await services_questions.answer_question(host, asked["id"], "可以。我们坚持“愿留尽留”，居民可选择原地回迁或异地安置。", "王建国")
    await services_questions.ask_question(citizens[2], live["id"], "改造期间的临时安置费怎么算？")  # waits in the queue

    ended = await services.create_session(
        host, kind="interview", title="物业服务质量提升行动", guests=GUESTS, scheduled_at=now - timedelta(days=7),
        description="解读物业服务质量提升三年行动方案。")
    await services.start_session(host, ended["id"])
    await services_questions.post_remark(host, ended["id"], "本期访谈聚焦物业服务质量提升。")
    asked = await services_questions.ask_question(citizens[3], ended["id"], "物业费上涨需要经过哪些程序？", "王五")
    await services_questions.moderate_question(host, asked["id"], "approve")
    await services_questions.answer_question(host, asked["id"], "物业费调整须经业主大会表决，并向街道备案公示。", "李芳")
    await services.end_session(host, ended["id"])
    await services_transcripts.publish_transcript(host, ended["id"])
    return {"announced": announced["id"], "live": live["id"], "ended": ended["id"]}


async def load_demo() -> None:
    host = await _host()
    if host is not None:
        await create_sessions(host)
        programme = await demo_issues.create_programme(host)  # TV questioning: 20 issues, 6 selected (ids in its answer)
        await demo_rectifications.create_rectifications(host, programme["selected"])
        await demo_meetings.create_meetings(host)  # open meetings: first come, lottery before / after, held


async def sample_paths(cast: Any) -> dict[str, str]:
    host = await staff_for_token(await issue_token(cast.host.id))
    ids = await create_sessions(host)
    programme = await demo_issues.collecting_programme(host)
    await demo_rectifications.sample_rectification(host, programme["selected"])
    registration = await demo_meetings.sample_registration(host)
    return {
        "/registrations/{code}": registration,
        "/live-sessions/{session_id}/issues/new": f"/live-sessions/{programme['session']}/issues/new",
        "/live-sessions/{session_id}/issues/{issue_id}": f"/live-sessions/{programme['session']}/issues/{programme['selected']}",
        "/live-sessions/{session_id}": f"/live-sessions/{ids['live']}",
        "/live-sessions/{session_id}/text": f"/live-sessions/{ids['ended']}/text",
        "/rectifications/{issue_id}/confirm": f"/rectifications/{programme['selected']}/confirm",
    }
