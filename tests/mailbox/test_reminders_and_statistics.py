"""The daily deadline reminders, overdue and due soon (in the inbox and by SMS to staff), and the public statistics."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime

import time_machine

from engagement import clock, jobs, workdays
from engagement.crypto import keyring
from engagement.tables import Reminder, StaffUser
from mailbox import services
from tests.mailbox import factories
from tests.mailbox.test_permissions import _as
from tests.support import request_and_read_code, sms_settled

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
    # The worker runs jobs one at a time, in order: once a code asked for now arrives, that run is over.
    await request_and_read_code(client, "13600009999")
    assert await sms_settled()
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


async def received_on_for_a_due_date_within_a_working_day() -> datetime:
    """A receipt time whose due date (5 working days) is today or the next working day, on the real calendar."""
    calendar = await workdays.load_calendar()
    today = clock.today()
    latest_due = workdays.add_working_days(today, 1, calendar)
    for days_back in range(1, 30):
        day = today - timedelta(days=days_back)
        if today <= workdays.add_working_days(day, 5, calendar) <= latest_due:
            return datetime.combine(day, dtime(12), clock.LOCAL_TIMEZONE)
    raise AssertionError("no receipt day found")


async def test_letters_due_soon_are_reminded_once_a_day_before_the_due_date(client, cast):
    await StaffUser.update({StaffUser.phone_encrypted: keyring().encrypt(f"+86{STAFF_PHONE}")}).where(
        StaffUser.id == cast.fgw_editor.id)
    with time_machine.travel(await received_on_for_a_due_date_within_a_working_day(), tick=True):
        due_soon = (await factories.letter(subject="即将到期的来信")).letter["tracking_number"]
        await services.assign_letter(await factories.staff(cast.admin), due_soon, "fgw")

    await jobs.enqueue("mailbox.remind_overdue")
    bodies = await outbox_bodies(client, STAFF_PHONE)
    assert len(bodies) == 1 and "1" in bodies[0]
    await jobs.enqueue("mailbox.remind_overdue")  # the same day again: nothing more
    assert [row["reminder_key"] for row in await Reminder.select(Reminder.reminder_key)] == [
        f"letter-due_soon:{cast.departments.fgw.id}:{clock.today().isoformat()}"]
    assert len(await outbox_bodies(client, STAFF_PHONE)) == 1

    await _as(client, cast, "fgw_editor", page=True)
    inbox = await client.get("/staff/mailbox")
    assert "due-soon-title" in inbox.text and "reminders-title" not in inbox.text
