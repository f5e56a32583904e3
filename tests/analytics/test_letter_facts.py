"""The letter counts (analytics/letter_facts.py) give exactly the figures of the letters read one by one,
catch up incrementally, follow a changed calendar, and never change a published report.

The data set: letters to two departments and to the mayor (routed later to another department), in
February, March and April 2026; replies on the due date, the day after, across a month's end and
over the Qingming holiday; ratings; letters still open, past their due date and not yet due.
"""

from __future__ import annotations

from datetime import date

import msgspec
import pytest

from analytics.filters import resolve
from analytics.mailbox_stats import mailbox_tables
from engagement import workdays
from engagement.jobs import REGISTRY, run_eagerly
from mailbox import services
from tests.analytics import factories
from tests.analytics.factories import at
from tests.analytics.test_mailbox_stats import letter, mailbox
from tests.support import captured_queries

FILTERS = [
    (None, None, None), (date(2026, 3, 1), date(2026, 3, 31), None), (date(2026, 3, 1), date(2026, 3, 10), None),
    (date(2026, 3, 11), date(2026, 4, 25), "fgw"), (None, date(2026, 3, 15), None), (date(2026, 4, 1), None, "zjj"),
    (date(2026, 1, 1), date(2026, 12, 31), None), (None, None, "fgw"), (date(2026, 2, 15), date(2026, 4, 30), None),
    (date(2026, 3, 31), date(2026, 3, 31), None), (None, date(2026, 3, 31), "zjj"),
]


async def reply(admin, submitted, moment: str) -> None:
    with at(moment):
        await services.reply_to_letter(admin, submitted.letter["tracking_number"], "已处理。")


@pytest.fixture
async def letters(client, cast):
    admin = await factories.staff(cast.admin)
    with at("2026-02-26T10:00:00+08:00"):
        february = [await letter("fgw"), await letter("zjj"), await letter("zjj")]
    with at("2026-03-02T09:00:00+08:00"):  # due on Monday 9 March
        march = [await letter("fgw") for _ in range(4)] + [await letter("zjj") for _ in range(2)]
        to_mayor = await services.submit_letter(await factories.citizen(), subject="建议", body="建议增加公交线路。",
                                                name="李建华")
    with at("2026-03-31T23:30:00+08:00"):  # the last evening of March in Beijing (15:30 UTC)
        last_evening = await letter("zjj")
    with at("2026-04-03T10:00:00+08:00"):  # the Friday before the Qingming holiday
        april = [await letter("fgw"), await letter("zjj")]
    await reply(admin, february[0], "2026-03-02T10:00:00+08:00")  # replied in another month
    await reply(admin, march[0], "2026-03-09T23:30:00+08:00")  # on the due date
    await reply(admin, march[1], "2026-03-10T00:30:00+08:00")  # the day after (still 9 March in UTC)
    await reply(admin, march[4], "2026-03-03T10:00:00+08:00")
    await reply(admin, last_evening, "2026-04-01T09:00:00+08:00")
    await reply(admin, april[0], "2026-04-07T10:00:00+08:00")  # one working day after the holiday
    with at("2026-03-04T10:00:00+08:00"):
        await services.assign_letter(admin, to_mayor.letter["tracking_number"], "zjj")
    await reply(admin, to_mayor, "2026-03-05T10:00:00+08:00")
    for submitted, rating in ((march[0], 4), (march[1], 5), (to_mayor, 2)):
        await services.rate_letter(submitted.letter["tracking_number"], submitted.query_code, rating)
    return {"admin": admin, "march": march, "april": april, "february": february}


async def both_ways(period_start, period_end, department, groupings=("department", "month")) -> tuple[dict, dict]:
    filters = await resolve(period_start, period_end, department)
    computed = [msgspec.to_builtins(await mailbox_tables(list(groupings), filters, from_counts=way))
                for way in (True, False)]
    for tables in computed:
        for table in tables.values():
            table.pop("scope")
    return computed[0], computed[1]


@pytest.mark.parametrize("period_start, period_end, department", FILTERS)
async def test_the_counts_give_the_figures_of_the_letters(client, letters, period_start, period_end, department):
    from_counts, from_letters = await both_ways(period_start, period_end, department)
    assert from_counts == from_letters
    assert from_counts["department"]["total"]["letters"] > 0
    for alone in (["department"], ["month"]):  # one grouping: the counts are grouped by that key only
        from_counts, from_letters = await both_ways(period_start, period_end, department, alone)
        assert from_counts == from_letters


async def test_known_figures_from_the_counts(client, letters):
    march = await mailbox(client, by="department", period_start="2026-03-01", period_end="2026-03-31")
    rows = {row["key"]: row for row in march["items"]}
    fgw, zjj = rows["fgw"], rows["zjj"]
    assert (fgw["letters"], fgw["replied"], fgw["on_time"], fgw["rated"], fgw["satisfaction"]) == (4, 2, 1, 2, 4.5)
    assert fgw["overdue"] == 2 and fgw["on_time_rate"] == 0.25
    # zjj: two of 2 March (one answered the next day, one open), the routed letter, the last evening's (answered 1 April)
    assert (zjj["letters"], zjj["replied"], zjj["on_time"], zjj["rated"], zjj["satisfaction"]) == (4, 3, 3, 1, 2.0)
    assert march["total"]["letters"] == 8


async def test_a_reply_after_the_job_shows_in_the_next_filtered_request(client, letters):
    await run_eagerly(REGISTRY["analytics.refresh_statistics"], ())
    march = {"by": "month", "period_start": "2026-03-01", "period_end": "2026-03-31", "department": "fgw"}
    before = (await mailbox(client, **march))["total"]
    await reply(letters["admin"], letters["march"][2], "2026-03-20T10:00:00+08:00")  # late

    with captured_queries() as statements:
        after = (await mailbox(client, **march))["total"]
    assert (after["replied"], after["on_time"], after["overdue"]) == (before["replied"] + 1, before["on_time"],
                                                                      before["overdue"] - 1)
    deleted = [sql for sql in statements if sql.startswith("DELETE") and "statistics_letter_count" in sql]
    assert deleted and all("grain" in sql for sql in deleted)  # the changed days and months, not a rebuild
    assert not any("statistics_workday" in sql and sql.startswith("DELETE") for sql in statements)
    assert not any("mailbox_letter" in sql and "received_at" in sql and "INSERT" not in sql and "GROUP BY 1" not in sql
                   for sql in statements)  # the letters are not read one by one
    again = await both_ways(date(2026, 3, 1), date(2026, 3, 31), "fgw")
    assert again[0] == again[1]


async def test_a_holiday_entered_later_recounts_the_working_days(client, letters):
    await run_eagerly(REGISTRY["analytics.refresh_statistics"], ())
    march = {"by": "month", "period_start": "2026-03-01", "period_end": "2026-03-31"}
    # 8 letters received in March: replies after 1, 1, 3, 5 and 6 working days, 3 open: S(5) = 1/2
    assert (await mailbox(client, **march))["total"]["median_reply_working_days"] == 5.0
    for day in range(3, 10):  # 3-9 March a holiday (made up for the test)
        await workdays.set_calendar_day(date(2026, 3, day), False, "测试假日")
    # now 0, 0, 0, 1 and 1 working days: S(0) = 5/8, S(1) = 5/8 · 3/5
    assert (await mailbox(client, **march))["total"]["median_reply_working_days"] == 1.0
    from_counts, from_letters = await both_ways(date(2026, 3, 1), date(2026, 3, 31), None)
    assert from_counts == from_letters


async def test_a_reply_after_a_report_was_published_changes_the_live_figures_only(client, cast, headers, letters):
    await headers("admin")
    created = await client.post("/api/v1/statistics/reports", headers=await headers("admin"), json={
        "title": "2026年3月市长信箱办理情况月点评", "period_start": "2026-03-01", "period_end": "2026-03-31"})
    assert created.status_code == 201, created.text
    report = created.json()
    assert (await client.post(f"/api/v1/statistics/reports/{report['id']}/publish",
                              headers=await headers("admin"))).status_code == 200
    frozen = report["figures"]["mailbox"]["department"]["total"]
    await reply(letters["admin"], letters["march"][3], "2026-03-25T10:00:00+08:00")

    live = (await mailbox(client, by="department", period_start="2026-03-01", period_end="2026-03-31"))["total"]
    assert live["replied"] == frozen["replied"] + 1
    public = (await client.get(f"/api/v1/statistics/reports/{report['id']}")).json()
    assert public["figures"] == report["figures"] and public["data_sha256"] == report["data_sha256"]
