"""The daily overdue reminder (in the inbox and by SMS to staff) and the public statistics."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import time_machine

from engagement import jobs
from engagement.crypto import keyring
from engagement.tables import StaffUser
from mailbox import services
from tests.mailbox import factories
from tests.mailbox.test_permissions import _as

STAFF_PHONE = "13600001234"


async def outbox_bodies(client, phone: str, wait: float = 20) -> list[str]:
    deadline = time.monotonic() + wait
    while True:
        bodies = [m["body"] for m in (await client.get("/dev/sms-outbox")).json() if m["phone"] == f"+86{phone}"]
        if bodies or time.monotonic() > deadline:
            return bodies
        await asyncio.sleep(0.2)


async def test_overdue_letters_are_flagged_and_the_department_is_reminded_once_a_day(client, cast):
    await StaffUser.update({StaffUser.phone_encrypted: keyring().encrypt(f"+86{STAFF_PHONE}")}).where(
        StaffUser.id == cast.fgw_editor.id)
    with time_machine.travel(datetime.now(UTC) - timedelta(days=30), tick=True):
        late = (await factories.letter(subject="超期未办的来信")).letter["tracking_number"]
        await services.assign_letter(await factories.staff(cast.admin), late, "fgw")
    fresh = (await factories.letter(subject="刚收到的来信")).letter["tracking_number"]
    await services.assign_letter(await factories.staff(cast.admin), fresh, "fgw")

    await jobs.enqueue("mailbox.remind_overdue")
    bodies = await outbox_bodies(client, STAFF_PHONE)
    assert len(bodies) == 1 and "1" in bodies[0]
    await jobs.enqueue("mailbox.remind_overdue")  # the same day again: nothing more
    await asyncio.sleep(1)
    assert len(await outbox_bodies(client, STAFF_PHONE)) == 1

    await _as(client, cast, "fgw_editor", page=True)
    inbox = await client.get("/staff/mailbox", params={"overdue": "true"})
    assert inbox.status_code == 200
    assert late in inbox.text and fresh not in inbox.text
    assert "超期提醒" in inbox.text
    api = await client.get("/api/v1/staff/letters", params={"overdue": "true"},
                           headers=await _as(client, cast, "fgw_editor", page=False))
    assert [item["tracking_number"] for item in api.json()["items"]] == [late]
    assert api.json()["items"][0]["overdue"] is True


async def test_public_statistics_count_replies_on_time_and_satisfaction(client, cast):
    admin = await factories.staff(cast.admin)
    answered = await factories.letter()
    await services.reply_to_letter(admin, answered.letter["tracking_number"], "已处理。")
    await services.rate_letter(answered.letter["tracking_number"], answered.query_code, 4)
    await factories.letter()
    figures = (await client.get("/api/v1/letters/statistics")).json()
    for period in ("month", "year"):
        assert figures[period] == {"received": 2, "replied": 1, "reply_rate": 50.0, "on_time_rate": 100.0,
                                   "average_days": 0.0, "average_rating": 4.0}
    page = await client.get("/mailbox")
    assert "50.0%" in page.text and "4.0" in page.text
