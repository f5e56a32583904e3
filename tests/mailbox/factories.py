"""Letters made through the mailbox's services, as the product makes them."""

from __future__ import annotations

from engagement.accounts import Staff, issue_token, staff_for_token
from engagement.verification import VerifiedCitizen, citizen_for_phone
from mailbox import services

PHONE = "13912345678"


async def citizen(phone: str = PHONE) -> VerifiedCitizen:
    """A verified citizen without an SMS round trip (setup only; the tests of verification use SMS)."""
    return await citizen_for_phone(phone)


async def staff(person) -> Staff:
    return await staff_for_token(await issue_token(person.id))


_letters_written = [0]


async def letter(writer: VerifiedCitizen | None = None, **fields) -> services.Submitted:
    """A letter; without ``writer``, each from a citizen of its own (one citizen may write only a few a
    minute, and gets only a few notices a day: engagement.limits, engagement.notifications)."""
    values = {"subject": "小区噪音扰民", "body": "夜间施工噪音很大，影响休息。", "name": "张小明", "public_consent": True}
    values.update(fields)
    _letters_written[0] += 1
    return await services.submit_letter(writer or await citizen(f"1391{_letters_written[0]:07d}"), **values)


async def published_letter(cast, writer=None, department="fgw", reply="已责成相关单位处理。", **fields) -> str:
    submitted = await letter(writer, **fields)
    number = submitted.letter["tracking_number"]
    admin = await staff(cast.admin)
    if department != "szfbgt":
        await services.assign_letter(admin, number, department)
    await services.reply_to_letter(admin, number, reply)
    await services.publish_letter(admin, number)
    return number
