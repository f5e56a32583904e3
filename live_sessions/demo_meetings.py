"""Demonstration open meetings, made through the services (called from ``live_sessions/demo.py``).

- an upcoming first-come meeting with quotas, full, with a waitlist and an agenda issue;
- a lottery meeting before its draw (the seed's commitment published, people entered);
- a lottery meeting after its draw (registration closed early by the host, drawn, waitlist in draw order);
- a meeting that has taken place: people checked in, the decisions and a reply to an agenda issue published.

The services refuse registrations for a meeting whose time has passed, so "the meeting that has
taken place" is today's, held and ended at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from engagement.accounts import Staff
from engagement.verification import citizen_for_phone
from live_sessions import (
    services,
    services_issues,
    services_lottery,
    services_meetings,
    services_registrations,
)

QUOTAS = [{"category": "residents", "label": "居民代表", "seats": 3},
          {"category": "enterprises", "label": "企业代表", "seats": 2}]
PEOPLE = [("张建华", "residents", ""), ("李秀英", "residents", ""), ("王志强", "enterprises", "宁海县模具行业协会"),
          ("刘桂兰", "residents", ""), ("陈明", "", ""), ("杨丽", "enterprises", "跃龙街道商会"),
          ("赵伟", "residents", ""), ("黄芳", "", ""), ("周磊", "enterprises", "县工商联")]


async def _meeting(host: Staff, title: str, *, days: float, allocation: str = "first_come",
                   closes_in: timedelta | None = None, capacity: int = 6, quotas: list | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    return await services.create_session(
        host, kind="open_meeting", title=title, guests=[], scheduled_at=now + timedelta(days=days), capacity=capacity,
        description="邀请群众代表、企业代表列席县政府常务会议，现场旁听并就议题发表意见。",
        place="县行政中心302会议室", agenda="1. 审议《老旧小区改造三年行动方案》\n2. 研究城区停车设施建设",
        allocation=allocation, quotas=QUOTAS if quotas is None else quotas, registration_closes_at=now + closes_in if closes_in else None)


async def _register(session_id: int, offset: int, count: int) -> list[str]:
    codes = []
    for n, (name, category, organization) in enumerate(PEOPLE[:count]):
        citizen = await citizen_for_phone(f"+86137{offset:02d}{n:06d}")
        _row, code = await services_registrations.register(session_id, citizen, name=name, category=category,
                                                           organization=organization)
        codes.append(code)
    return codes


async def _agenda_issue(host: Staff, session_id: int, offset: int) -> dict[str, Any]:
    citizen = await citizen_for_phone(f"+86136{offset:02d}000001")
    issue = await services_issues.propose_issue(session_id, citizen, title="老旧小区加装电梯资金怎么分摊",
                                                content="希望会议明确加装电梯的财政补助比例和居民分摊办法。", name="孙女士")
    await services_issues.moderate_issue(issue["id"], host, "approve")
    return await services_issues.select_issue(issue["id"], host, "与议题一直接相关，列入会议讨论。")


async def create_meetings(host: Staff) -> dict[str, Any]:
    """The four meetings; returns their ids and one registration code per meeting."""
    upcoming = await _meeting(host, "县政府第86次常务会议开放日", days=10)
    upcoming_codes = await _register(upcoming["id"], 10, 9)  # 6 seats: three wait
    await _agenda_issue(host, upcoming["id"], 10)

    before = await _meeting(host, "城区停车设施建设专题会议（摇号）", days=12, allocation="lottery",
                            closes_in=timedelta(days=5))
    before_codes = await _register(before["id"], 20, 7)

    after = await _meeting(host, "教育资源布局调整听证会（摇号）", days=6, allocation="lottery",
                           closes_in=timedelta(days=2))
    after_codes = await _register(after["id"], 30, 9)
    await services_lottery.close_registration(host, after["id"])
    await services_lottery.draw(host, after["id"])

    held = await _meeting(host, "县政府第85次常务会议开放日", days=1 / 1440)
    held_codes = await _register(held["id"], 40, 6)
    issue = await _agenda_issue(host, held["id"], 40)
    await services.start_session(host, held["id"])
    for code in held_codes[:4]:
        await services_registrations.check_in(held["id"], code, host)
    await services.end_session(host, held["id"])
    await services_meetings.publish_decisions(host, held["id"], "1. 会议原则同意《老旧小区改造三年行动方案》，由县住建局按程序印发实施。\n"
                                              "2. 城区停车设施建设方案根据旁听代表意见修改后再次提交审议。")
    await services_issues.record_on_air_answer(issue["id"], host, "加装电梯财政补助每台20万元，其余由受益业主按楼层分摊。",
                                               "县住房和城乡建设局")
    return {"upcoming": upcoming["id"], "lottery_before": before["id"], "lottery_after": after["id"],
            "held": held["id"], "codes": {"upcoming": upcoming_codes, "lottery_before": before_codes,
                                          "lottery_after": after_codes, "held": held_codes}}


async def sample_registration(host: Staff) -> str:
    """For the accessibility checks: a waitlisted registration of an upcoming meeting; its page's path."""
    meeting = await _meeting(host, "县政府常务会议开放日", days=10, capacity=1, quotas=[])
    citizens = [await citizen_for_phone(f"+8613750{n:06d}") for n in range(2)]
    for citizen in citizens:  # one seat: the second waits
        _row, code = await services_registrations.register(meeting["id"], citizen, name="张建华")
    return f"/registrations/{code}"
