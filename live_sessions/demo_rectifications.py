"""Demonstration rectifications, made through the services, for the six selected issues of the demo programme.

Two on time, two overdue (one never updated), two completed with citizens' confirmations. Called by
``demo.load_demo`` after the issues (demo_issues.py); ``sample_rectification`` gives the
accessibility tests a completed rectification for the confirmation page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engagement import clock
from engagement.accounts import Staff, issue_token, staff_for_token
from engagement.tables import Citizen, Department, StaffUser, SupportVote
from engagement.verification import VerifiedCitizen
from live_sessions import services_rectifications as rectifications
from live_sessions.services_issues import VOTE_KIND
from live_sessions.tables import LiveIssue

# (department slug, commitment, due in days (negative: past) or None, working days, progress updates,
#  answers after completion: None = not completed, else the "solved" answers in order)
PLAN: list[tuple[str, str, int | None, int | None, list[str], list[bool] | None]] = [
    ("zjj", "一个月内完成小区雨污管网改造，雨季前排除积水隐患。", 20, None,
     ["已完成管网勘测，施工单位已进场。"], None),
    ("jtysj", "15个工作日内优化公交线路，增开早晚高峰班次。", None, 15, [], None),
    ("fgw", "两个月内协调解决农贸市场改造资金，年底前完成改造。", -8, None,
     ["改造方案已报县政府审议。"], None),
    ("sthjj", "对餐饮油烟扰民问题开展专项整治，限期安装净化设备。", -3, None, [], None),
    ("zjj", "一周内修复人民路破损路面并设置警示标志。", -20, None,
     ["已设置警示标志，路面修补材料到位。"], [True, True, False]),
    ("jyj", "开学前完成学校门口交通安全设施建设。", -30, None,
     ["护栏和减速带已安装。"], [True, True, True]),
]


async def _admin() -> Staff | None:
    row = await StaffUser.select(StaffUser.id).where(StaffUser.role == "admin").first()
    return await staff_for_token(await issue_token(row["id"])) if row else None


async def _department_slugs() -> list[str]:
    return [row["slug"] for row in await Department.select(Department.slug).order_by(Department.id)]


async def _answering_citizens(issue_id: int) -> list[VerifiedCitizen]:
    """The proposer first, then the supporters: the people who may confirm."""
    proposer = await LiveIssue.select(LiveIssue.citizen).where(LiveIssue.id == issue_id).first()
    supporters = await SupportVote.select(SupportVote.citizen).where(
        (SupportVote.target_kind == VOTE_KIND) & (SupportVote.target_id == issue_id)).order_by(SupportVote.id)
    ids = list(dict.fromkeys([proposer["citizen"], *(row["citizen"] for row in supporters)]))
    rows = await Citizen.select(Citizen.id, Citizen.phone_hash).where(Citizen.id.is_in(ids))
    by_id = {row["id"]: VerifiedCitizen(id=row["id"], phone_hash=row["phone_hash"]) for row in rows}
    return [by_id[citizen_id] for citizen_id in ids]


async def create_rectifications(host: Staff, selected: list[int]) -> list[int]:
    """Rectifications for the selected issues, as PLAN says; the issue ids that got one."""
    admin = await _admin()
    slugs = await _department_slugs()
    if admin is None or not slugs:
        return []
    done = []
    for issue_id, (slug, commitment, due_in, working_days, updates, answers) in zip(selected, PLAN, strict=False):
        due = clock.today() + timedelta(days=due_in) if due_in is not None else None
        await rectifications.record_rectification(host, issue_id, department=slug if slug in slugs else slugs[0],
                                                  commitment=commitment, due_date=due, working_days=working_days)
        for text in updates:
            await rectifications.post_progress(admin, issue_id, text)
        if answers is not None:
            await rectifications.complete_rectification(admin, issue_id, "整改已完成，请群众监督。")
            for citizen, solved in zip(await _answering_citizens(issue_id), answers, strict=False):
                await rectifications.answer_confirmation(citizen, issue_id, solved)
        done.append(issue_id)
    return done


async def sample_rectification(host: Staff, issue_id: int) -> dict[str, Any]:
    """A completed rectification of a selected issue, for the pages that need one (accessibility tests)."""
    slugs = await _department_slugs()
    await rectifications.record_rectification(host, issue_id, department=slugs[-1], commitment="两周内完成整改。",
                                              due_date=clock.today() + timedelta(days=14))
    admin = await _admin()
    await rectifications.post_progress(admin, issue_id, "已开始整改。")
    await rectifications.complete_rectification(admin, issue_id, "整改已完成。")
    return {"issue": issue_id}
