"""The working-day calendar of the core: make-up days, pauses, reminders once, years still to enter."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import time_machine

from engagement import workdays
from engagement.workdays import (
    DEFAULT_CALENDAR,
    add_working_days,
    extend_for_pause,
    working_days_late,
)
from tests.support import service_environment


def test_a_make_up_saturday_counts_as_a_working_day():
    # Friday 2026-10-09; Saturday 2026-10-10 is a make-up working day (调休) after the National Day holiday.
    assert add_working_days(date(2026, 10, 9), 1, DEFAULT_CALENDAR) == date(2026, 10, 10)
    assert add_working_days(date(2026, 10, 9), 1, {}) == date(2026, 10, 12)


def test_holidays_are_skipped():
    # From Wednesday 30 September 2026, five working days: the holiday runs 1-7 October, Saturday 10th works.
    assert add_working_days(date(2026, 9, 30), 5, DEFAULT_CALENDAR) == date(2026, 10, 13)


def test_a_pause_moves_the_due_date_by_the_working_days_it_lasted():
    due = date(2026, 11, 20)  # a Friday
    # Waiting for the citizen from Monday 16th to Wednesday 18th: two working days (17th and 18th).
    assert extend_for_pause(due, date(2026, 11, 16), date(2026, 11, 18), DEFAULT_CALENDAR) == date(2026, 11, 24)
    assert extend_for_pause(due, date(2026, 11, 16), date(2026, 11, 16), DEFAULT_CALENDAR) == due


def test_lateness_is_counted_in_working_days():
    assert working_days_late(date(2026, 11, 20), date(2026, 11, 20), DEFAULT_CALENDAR) == 0
    assert working_days_late(date(2026, 11, 20), date(2026, 11, 23), DEFAULT_CALENDAR) == 1  # over the weekend
    assert working_days_late(date(2026, 9, 30), date(2026, 10, 8), DEFAULT_CALENDAR) == 1  # over the holiday


async def test_a_reminder_is_recorded_once_per_key(cast):
    department = cast.departments.fgw.id
    first = await workdays.remind_once("letter-overdue:fgw:2026-12-01", "letter", department, {"count": 2})
    again = await workdays.remind_once("letter-overdue:fgw:2026-12-01", "letter", department, {"count": 2})
    next_day = await workdays.remind_once("letter-overdue:fgw:2026-12-02", "letter", department)
    assert (first, again, next_day) == (True, False, True)


async def test_days_entered_by_administrators_win_over_the_shipped_calendar(clean_database):
    await workdays.set_calendar_day(date(2026, 10, 10), is_workday=False, name="corrected")
    await workdays.set_calendar_day(date(2027, 2, 6), is_workday=False, name="春节")
    calendar = await workdays.load_calendar()
    assert calendar[date(2026, 10, 10)] is False
    assert not workdays.is_working_day(date(2027, 2, 6), calendar)


async def test_the_coming_year_is_asked_for_from_october(clean_database):
    assert await workdays.missing_calendar_year(date(2026, 6, 1)) is None
    assert await workdays.missing_calendar_year(date(2026, 11, 1)) == 2027
    assert await workdays.missing_calendar_year(date(2027, 3, 1)) == 2027
    await workdays.set_calendar_day(date(2027, 1, 1), is_workday=False, name="元旦")
    assert await workdays.missing_calendar_year(date(2026, 11, 1)) is None


def test_administrators_enter_a_year_with_the_command_line(database):
    run = subprocess.run(
        [sys.executable, "-m", "engagement", "calendar-day", "--date", "2028-01-01", "--holiday", "--name", "元旦"],
        env=service_environment(), capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "2028-01-01" in run.stdout and "元旦" in run.stdout
    bad = subprocess.run([sys.executable, "-m", "engagement", "calendar-day", "--date", "2028-13-01", "--workday"],
                         env=service_environment(), capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


@time_machine.travel("2026-12-02 10:00 +0800", tick=True)
async def test_the_dashboard_warns_administrators_of_a_missing_year(client, cast):
    page = await _login_and_open(client, cast.admin, "/staff")
    assert "data-calendar-warning" in page  # in December 2026 the 2027 holidays have not been entered
    await workdays.set_calendar_day(date(2027, 1, 1), is_workday=False, name="元旦")
    assert "data-calendar-warning" not in await _login_and_open(client, cast.admin, "/staff")
    editor_page = await _login_and_open(client, cast.fgw_editor, "/staff")
    assert "data-calendar-warning" not in editor_page


async def _login_and_open(client, person, path: str) -> str:
    import re

    login_page = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', login_page.text).group(1)
    response = await client.post("/login", data={"username": person.username, "password": person.password,
                                                 "_csrf_token": token, "next": path})
    assert response.status_code == 303, response.text
    return (await client.get(path)).text
