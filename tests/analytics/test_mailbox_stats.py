"""Mailbox figures: replies on time by the working-day due date (Beijing dates), satisfaction, and the
Kaplan–Meier median time to reply with letters still open counted."""

from __future__ import annotations

from datetime import date

from mailbox import services
from tests.analytics import factories
from tests.analytics.factories import at
from tests.support import assert_max_queries

MONDAY = "2026-03-02T09:00:00+08:00"  # a consultation letter received then is due on Monday 9 March


async def letter(department: str = "fgw", category: str = "consultation") -> services.Submitted:
    return await services.submit_letter(await factories.citizen(), subject="小区噪音扰民", body="夜间施工噪音很大。",
                                        name="张小明", category=category, department=department, public_consent=True)


async def mailbox(client, **params) -> dict:
    response = await client.get("/api/v1/statistics/mailbox", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_reply_on_the_due_date_is_on_time_and_the_day_after_is_not(client, cast):
    admin = await factories.staff(cast.admin)
    with at(MONDAY):
        on_the_day, next_day, never = (await letter(), await letter(), await letter())
    assert on_the_day.letter["due_date"] == date(2026, 3, 9)
    with at("2026-03-09T23:30:00+08:00"):
        await services.reply_to_letter(admin, on_the_day.letter["tracking_number"], "已处理。")
    # 00:30 on 10 March in Beijing is still 9 March in UTC: the Beijing date decides.
    with at("2026-03-10T00:30:00+08:00"):
        await services.reply_to_letter(admin, next_day.letter["tracking_number"], "已处理。")
    await services.rate_letter(on_the_day.letter["tracking_number"], on_the_day.query_code, 4)
    await services.rate_letter(next_day.letter["tracking_number"], next_day.query_code, 5)

    row = (await mailbox(client, by="department"))["items"][0]
    assert row["key"] == "fgw" and row["label"] == "市发展和改革委员会"
    assert {name: row[name] for name in ("letters", "replied", "reply_rate", "on_time", "overdue", "on_time_rate",
                                         "rated", "satisfaction")} == {
        "letters": 3, "replied": 2, "reply_rate": 0.6667, "on_time": 1, "overdue": 1, "on_time_rate": 0.3333,
        "rated": 2, "satisfaction": 4.5}
    assert never.letter["tracking_number"]  # still open, past its due date: counted as overdue


async def test_the_median_counts_letters_still_open(client, cast):
    admin = await factories.staff(cast.admin)
    with at("2026-03-02T10:00:00+08:00"):
        fgw = [await letter("fgw") for _ in range(4)]
        zjj = [await letter("zjj") for _ in range(4)]
    with at("2026-03-03T10:00:00+08:00"):  # one working day
        await services.reply_to_letter(admin, fgw[0].letter["tracking_number"], "已处理。")
        await services.reply_to_letter(admin, zjj[0].letter["tracking_number"], "已处理。")
    with at("2026-03-04T10:00:00+08:00"):  # two working days
        await services.reply_to_letter(admin, fgw[1].letter["tracking_number"], "已处理。")

    rows = {row["key"]: row for row in (await mailbox(client, by="department"))["items"]}
    # Replied only, the median would be 1.5; with the two open letters at risk it is 2.
    assert rows["fgw"]["median_reply_working_days"] == 2.0
    # One of four answered: the survival curve never reaches one half.
    assert rows["zjj"]["median_reply_working_days"] is None
    assert rows["zjj"]["reply_rate"] == 0.25


async def test_working_days_skip_public_holidays_by_month(client, cast):
    admin = await factories.staff(cast.admin)
    with at("2026-04-03T10:00:00+08:00"):  # Friday before the Qingming holiday (4-6 April)
        before_holiday = await letter()
    assert before_holiday.letter["due_date"] == date(2026, 4, 13)
    with at("2026-04-07T10:00:00+08:00"):  # Tuesday: one working day later
        await services.reply_to_letter(admin, before_holiday.letter["tracking_number"], "已处理。")
    with at(MONDAY):
        await letter()

    data = await mailbox(client, by="month")
    months = {row["key"]: row for row in data["items"]}
    assert list(months) == ["2026-03", "2026-04"]
    assert months["2026-04"]["median_reply_working_days"] == 1.0 and months["2026-04"]["on_time"] == 1
    assert months["2026-03"]["replied"] == 0 and months["2026-03"]["satisfaction"] is None
    assert data["total"]["letters"] == 2
    april = await mailbox(client, by="department", period_start="2026-04-01", period_end="2026-04-30")
    assert april["total"]["letters"] == 1


async def test_unrouted_letters_and_the_query_count(client, cast):
    from engagement.accounts import mark_receiving_desk

    await mark_receiving_desk(None)  # no receiving desk: a letter to the mayor waits unrouted
    await services.submit_letter(await factories.citizen(), subject="建议", body="建议增加公交线路。", name="李建华")
    await letter("zjj")
    # this first request also counts the letters (analytics/letter_facts.py; 2 more on PostgreSQL: lock, ANALYZE)
    with assert_max_queries(16):
        data = await mailbox(client, by="department")
    assert [(row["key"], row["label"]) for row in data["items"]] == [("zjj", "市住房和城乡建设局"),
                                                                     ("unassigned", "尚未转办")]
    with assert_max_queries(4):  # the calendar, the counts' check, the counts, the names
        await mailbox(client, by="month")
