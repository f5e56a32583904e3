"""Due dates in working days, overdue figures and the reminder job (engagement.workdays, calendar days)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine

from engagement import clock, jobs, workdays
from engagement.crypto import keyring
from engagement.tables import Reminder, SmsMessage, StaffUser
from tests.live_sessions.factories import make_programme, rectified_issue
from tests.support import request_and_read_code, sms_settled, staff_headers

STAFF_PHONE = "+8613600004321"


def beijing_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


async def test_working_days_skip_a_holiday_and_count_a_make_up_saturday(client, cast):
    # Monday 2027-03-01; Wednesday the 3rd a holiday, Saturday the 6th a make-up working day.
    await workdays.set_calendar_day(date(2027, 3, 3), is_workday=False, name="测试假日")
    await workdays.set_calendar_day(date(2027, 3, 6), is_workday=True, name="测试调休")
    session_id = await make_programme(cast)
    host = await staff_headers(client, cast.host)
    with time_machine.travel(beijing_noon(date(2027, 3, 1)), tick=False):
        _s, issue_id = await rectified_issue(cast, session_id, working_days=4)
        issue = (await client.get(f"/api/v1/issues/{issue_id}")).json()
    # Tue 2, (Wed 3 off), Thu 4, Fri 5, Sat 6 (working): the 4th working day is the Saturday.
    assert issue["rectification"]["due_date"] == "2027-03-06"
    assert (await client.post(f"/api/v1/issues/{issue_id}/rectification", headers=host,
                              json={"department": "zjj", "commitment": "x", "working_days": 4})).status_code == 409


async def test_past_the_due_date_it_is_listed_overdue_by_working_days(client, cast):
    await workdays.set_calendar_day(date(2027, 3, 8), is_workday=False, name="测试假日")  # Monday off
    session_id = await make_programme(cast)
    _s, issue_id = await rectified_issue(cast, session_id, due_date=date(2027, 3, 5))  # a Friday
    with time_machine.travel(beijing_noon(date(2027, 3, 5)), tick=False):
        on_the_day = (await client.get("/api/v1/rectifications")).json()["items"][0]
        assert (on_the_day["overdue"], on_the_day["working_days_overdue"]) == (False, 0)
    with time_machine.travel(beijing_noon(date(2027, 3, 10)), tick=False):
        listed = (await client.get("/api/v1/rectifications", params={"overdue": "true"})).json()
        board = await client.get("/rectifications", params={"status": "overdue"})
    item = listed["items"][0]
    # Sat 6, Sun 7, Mon 8 (holiday) do not count; Tue 9 and Wed 10 do.
    assert (item["issue_id"], item["overdue"], item["working_days_overdue"]) == (issue_id, True, 2)
    assert board.status_code == 200 and "超期 2 个工作日" in board.text


async def test_the_reminder_job_reminds_once_per_due_event_even_when_run_twice(client, cast):
    await StaffUser.update({StaffUser.phone_encrypted: keyring().encrypt(STAFF_PHONE)}).where(
        StaffUser.id == cast.zjj_editor.id)
    calendar = await workdays.load_calendar()
    session_id = await make_programme(cast)
    await rectified_issue(cast, session_id, due_date=workdays.add_working_days(clock.today(), 2, calendar))
    await rectified_issue(cast, session_id, due_date=clock.today() - timedelta(days=3))
    await rectified_issue(cast, session_id, due_date=clock.today() + timedelta(days=60))  # not yet

    await jobs.enqueue("live_sessions.remind_rectifications")
    await jobs.enqueue("live_sessions.remind_rectifications")
    # The worker runs jobs one at a time, in order: once a code asked for now arrives, both runs are over.
    await request_and_read_code(client, "13600009998")
    assert await sms_settled()

    reminders = await Reminder.select(Reminder.reminder_key).where(Reminder.kind == "rectification")
    assert sorted(key["reminder_key"].split(":")[0] for key in reminders) == [
        "rectification-due_soon", "rectification-overdue"]
    notices = await SmsMessage.count().where(SmsMessage.purpose == "rectification_notice")
    assert notices == 2  # one staff member with a phone, two due events

    await _as_editor(client, cast)
    page = await client.get("/staff/rectifications")
    assert page.status_code == 200 and page.text.count('href="/staff/rectifications/') >= 3


async def _as_editor(client, cast):
    client.cookies.clear()
    await client.get("/login")
    token = client.cookies.get("engagement_csrf")
    answer = await client.post("/login", data={"username": cast.zjj_editor.username,
                                               "password": cast.zjj_editor.password, "next": "/staff",
                                               "_csrf_token": token})
    assert answer.status_code == 303


async def test_a_reopened_rectification_is_reminded_again(cast):
    from live_sessions import services_rectifications

    session_id = await make_programme(cast)
    _s, issue_id = await rectified_issue(cast, session_id, due_date=clock.today() - timedelta(days=5))
    assert await services_rectifications.send_deadline_reminders() == 1
    assert await services_rectifications.send_deadline_reminders() == 0
    row = await services_rectifications.rectification_of_issue(issue_id)
    assert services_rectifications.reminder_key(row, "overdue") == f"rectification-overdue:{row['id']}:0:{row['due_date']}"
    # After a completion that citizens reject, the same due date is a new due event (round 1).
    reopened = {**row, "confirmation_round": 1}
    assert services_rectifications.reminder_key(reopened, "overdue") != services_rectifications.reminder_key(row, "overdue")
