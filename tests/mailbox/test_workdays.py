"""Due dates of letters in working days on the core's calendar (engagement.workdays): weekends, public
holidays, make-up working days (调休), the administrators' days and pauses."""

from datetime import date, datetime

import pytest
import time_machine

from engagement.workdays import DEFAULT_CALENDAR, add_working_days, extend_for_pause, set_calendar_day
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


def test_a_make_up_saturday_counts_as_a_working_day():
    # Friday 9 October 2026; Saturday the 10th is a make-up working day after the National Day holiday.
    assert add_working_days(date(2026, 10, 9), 1, DEFAULT_CALENDAR) == date(2026, 10, 10)
    assert add_working_days(date(2026, 10, 9), 5, DEFAULT_CALENDAR) == date(2026, 10, 15)


def test_a_pause_waiting_for_the_writer_moves_the_due_date():
    due = add_working_days(date(2026, 11, 23), 5, DEFAULT_CALENDAR)  # Monday 30 November
    # Waiting for the writer from Wednesday 25th to Friday 27th: two working days (26th and 27th).
    assert extend_for_pause(due, date(2026, 11, 25), date(2026, 11, 27), DEFAULT_CALENDAR) == date(2026, 12, 2)


async def write_on(client, moment: str, category: str = "consultation") -> dict:
    with time_machine.travel(datetime.fromisoformat(moment), tick=True):
        headers = await citizen_headers(client, "13912345678")
        response = await client.post("/api/v1/letters", headers=headers, json={
            "subject": "问题", "body": "内容", "name": "王五", "category": category, "public_consent": False})
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_letter_received_before_a_make_up_saturday_counts_it(client, cast):
    receipt = await write_on(client, "2026-10-09T03:00:00+00:00")  # Friday, 11:00 in Beijing
    assert receipt["due_date"] == "2026-10-15"


async def test_a_holiday_entered_in_the_core_calendar_moves_a_letters_due_date(client, cast):
    await set_calendar_day(date(2026, 11, 30), is_workday=False, name="临时调整")
    receipt = await write_on(client, "2026-11-23T03:00:00+00:00")  # Monday; the 30th no longer counts
    assert receipt["due_date"] == "2026-12-01"
