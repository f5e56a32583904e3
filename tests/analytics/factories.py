"""Opinions, decisions and letters for statistics tests, through the wings' services.

Citizens are verified without the SMS round trip (setup only, as tests/mailbox/factories.py does).
Every citizen here has a name and a phone number that the privacy tests look for in the outputs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import time_machine

from consultations import opinions
from engagement.accounts import Staff, issue_token, staff_for_token
from engagement.verification import VerifiedCitizen, citizen_for_phone

NAMES = ["张小明", "李建华", "王秀英", "赵国强"]
_numbers = count(1)


def phone() -> str:
    return f"+86139{next(_numbers):08d}"


async def citizen() -> VerifiedCitizen:
    return await citizen_for_phone(phone())


async def staff(person) -> Staff:
    return await staff_for_token(await issue_token(person.id))


def at(moment: str):
    """Freeze the clock at an ISO time (with its offset, e.g. Beijing +08:00)."""
    return time_machine.travel(datetime.fromisoformat(moment), tick=False)


async def opinion(consultation_id: int, text: str | None = None, name: str | None = None) -> int:
    number = next(_numbers)
    submitted = await opinions.submit_opinion(
        await citizen(), consultation_id, text or f"第{number}条意见：建议加强公众参与，联系电话13800138000。",
        name=name or NAMES[number % len(NAMES)], organization="某某公司")
    return submitted.id


async def decide(reviewer: Staff, opinion_id: int, decision: str, reply: str = "感谢您的意见。") -> None:
    await opinions.review_opinion(reviewer, opinion_id, decision, reply)


def closes_after(moment: str, days: int = 30) -> datetime:
    return datetime.fromisoformat(moment).astimezone(UTC) + timedelta(days=days)
