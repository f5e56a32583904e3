"""Time in one module (engagement/clock.py): stored in UTC, shown in Beijing, valid HTML values."""

import re
from datetime import UTC, date, datetime, timedelta, timezone

import time_machine

from engagement import clock
from engagement.tables import Notice

# 07:30 on 10 March in Beijing is 23:30 UTC on 9 March.
EVENING_UTC = datetime(2026, 3, 9, 23, 30, 0, 123456, tzinfo=UTC)
# An HTML "valid global date and time string" with at most 3 fractional digits, or a valid date string.
HTML_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?")


async def test_the_database_hands_back_stored_times_aware_in_utc():
    """The rule "naive means UTC" is never needed for columns: both engines return aware UTC values."""
    await Notice.insert(Notice(title="通知", body="正文", published_at=EVENING_UTC))
    row = await Notice.select(Notice.published_at).first()
    assert row["published_at"] == EVENING_UTC and row["published_at"].utcoffset() == timedelta(0)
    # SQLite returns aggregates as text; the clock reads them as the same moment.
    latest = (await Notice.raw("SELECT MAX(published_at) AS latest FROM notice"))[0]["latest"]
    assert clock.aware(latest) == EVENING_UTC


def test_naive_means_utc_and_a_typed_time_means_beijing():
    assert clock.aware(datetime(2026, 3, 9, 23, 30)) == datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    assert clock.from_local("2026-03-10T07:30") == datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    offset = timezone(timedelta(hours=-5))
    assert clock.from_local(datetime(2026, 3, 9, 18, 30, tzinfo=offset)) == datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    assert clock.aware(None) is None and clock.from_local("") is None


def test_local_dates_are_beijing_dates():
    assert clock.local_date(EVENING_UTC) == date(2026, 3, 10)
    assert clock.local_date("2026-03-09 23:30:00+00:00") == date(2026, 3, 10)
    assert clock.local_date(date(2026, 3, 9)) == date(2026, 3, 9)
    with time_machine.travel(EVENING_UTC, tick=False):
        assert clock.today() == date(2026, 3, 10)
        assert clock.now() == EVENING_UTC and clock.now().tzinfo is UTC


def test_values_for_people_and_for_the_datetime_attribute():
    assert clock.display(EVENING_UTC, "date") == "2026-03-10"
    assert clock.display(EVENING_UTC) == "2026-03-10 07:30"
    assert clock.display(None) == ""
    assert clock.machine_datetime(EVENING_UTC) == "2026-03-10T07:30:00+08:00"
    assert clock.machine_datetime(date(2026, 3, 17)) == "2026-03-17"
    assert str(clock.time_tag(EVENING_UTC, "date")) == '<time datetime="2026-03-10T07:30:00+08:00">2026-03-10</time>'


async def test_the_home_page_shows_a_notice_on_its_beijing_date_with_a_valid_datetime(client):
    await Notice.insert(Notice(title="关于开展公众建言活动的公告", body="欢迎建言献策。", published_at=EVENING_UTC))
    page = await client.get("/")
    assert page.status_code == 200
    values = re.findall(r'<time datetime="([^"]*)"', page.text)
    assert values == ["2026-03-10T07:30:00+08:00"]
    assert all(HTML_DATETIME.fullmatch(value) for value in values)
    assert ">2026-03-10</time>" in page.text and "2026-03-09" not in page.text
