"""Due dates in working days: weekends, public holidays and make-up working days (调休)."""

from datetime import date, datetime

import pytest
import time_machine

from mailbox.workdays import DEFAULT_CALENDAR, add_working_days
from tests.support import citizen_headers

# (received on, working days, due on, why)
CASES = [
    ("2026-11-23", 5, "2026-11-30", "Monday: the Monday after"),
    ("2026-11-27", 5, "2026-12-04", "Friday: the Friday after"),
    ("2026-11-28", 5, "2026-12-04", "Saturday: counting starts on Monday"),
    ("2026-11-29", 5, "2026-12-04", "Sunday: counting starts on Monday"),
    ("2026-11-26", 1, "2026-11-27", "one working day: the next day"),
    ("2026-09-30", 5, "2026-10-13", "National Day week off, Saturday 10 October is a make-up working day"),
    ("2026-09-29", 5, "2026-10-12", "one day before the holiday, the make-up Saturday counts"),
    ("2026-09-18", 5, "2026-09-24", "Sunday 20 September is a make-up working day"),
    ("2026-02-12", 5, "2026-02-26", "Spring Festival: 14 Feb make-up, 15-23 Feb off"),
    ("2026-04-02", 5, "2026-04-10", "Qingming: 4-6 April off"),
    ("2026-12-31", 5, "2027-01-07", "a year without listed holidays: plain weekends"),
    ("2026-10-09", 10, "2026-10-22", "ten working days from a Friday before a make-up Saturday"),
]


@pytest.mark.parametrize("received, days, due, why", CASES, ids=[case[3] for case in CASES])
def test_due_dates_around_weekends_holidays_and_make_up_days(received, days, due, why):
    assert add_working_days(date.fromisoformat(received), days, DEFAULT_CALENDAR).isoformat() == due


def test_an_administrators_holiday_moves_the_due_date():
    calendar = {**DEFAULT_CALENDAR, date(2026, 11, 30): False}
    assert add_working_days(date(2026, 11, 23), 5, calendar) == date(2026, 12, 1)
    calendar = {**DEFAULT_CALENDAR, date(2026, 11, 28): True}
    assert add_working_days(date(2026, 11, 23), 5, calendar) == date(2026, 11, 28)


@pytest.mark.parametrize("moment, category, due", [
    ("2026-09-30T02:00:00+00:00", "consultation", "2026-10-13"),
    ("2026-09-30T17:00:00+00:00", "consultation", "2026-10-13"),  # 1 October 01:00 in Beijing: a holiday
    ("2026-11-27T16:30:00+00:00", "complaint", "2026-12-04"),  # Saturday 00:30 in Beijing
    ("2026-10-09T03:00:00+00:00", "suggestion", "2026-10-22"),
])
async def test_the_receipt_gives_the_due_date_in_beijing_working_days(client, cast, moment, category, due):
    with time_machine.travel(datetime.fromisoformat(moment), tick=True):
        headers = await citizen_headers(client, "13912345678")
        response = await client.post("/api/v1/letters", headers=headers, json={
            "subject": "问题", "body": "内容", "name": "王五", "category": category, "public_consent": False})
    assert response.status_code == 201, response.text
    assert response.json()["due_date"] == due
