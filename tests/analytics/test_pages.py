"""The statistics pages over HTTP: /statistics with its charts and tables, a report's page, the staff dashboard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from engagement import clock
from mailbox import services as mailbox
from tests.analytics import factories
from tests.analytics.factories import at, decide
from tests.support import assert_max_queries, log_in_page

SECTIONS = ["adoption-department", "adoption-month", "mailbox-department", "mailbox-month", "events-kind"]



@pytest.fixture
async def data(client, cast, headers, make_consultation):
    admin = await factories.staff(cast.admin)
    consultation = await make_consultation("fgw", title="城市更新三年行动方案")
    for decision in ("adopted", "adopted", "partially_adopted", "not_adopted"):
        await decide(admin, await factories.opinion(consultation["id"]), decision)
    await mailbox.submit_letter(await factories.citizen(), subject="噪音", body="夜间施工噪音很大。", name="张小明",
                                department="fgw")
    return consultation


async def test_the_statistics_page_has_a_chart_and_a_table_per_figure(client, data):
    # 1 snapshot look-up, 14 for the figures (rectifications 1, events 5), departments, reports (2), the opinion
    # facts' check and, on this first request, folding the new opinions into them (8; 11 on PostgreSQL: its lock,
    # JIT off, ANALYZE), the calendar and counting the letters (analytics/letter_facts.py: 11; 13 on PostgreSQL)
    with assert_max_queries(44):
        response = await client.get("/statistics")
    assert response.status_code == 200
    html = response.text
    assert "<h1>统计数据</h1>" in html
    for section in SECTIONS:
        block = html.split(f'data-section="{section}"')[1].split("</section>")[0]
        assert '<svg class="chart" role="img"' in block and "<title id=" in block and "<desc id=" in block
        assert "<table" in block and "<caption" in block and 'data-summary' in block
    department = html.split('data-section="adoption-department"')[1].split("</section>")[0]
    assert "<circle" in department and "<line" in department  # a point on its interval
    assert "75.0%" in department and "30.1%" in department and "95.4%" in department
    assert "不足10件" in department  # shown, not ranked
    assert "/api/v1/statistics/export?dataset=adoption&amp;by=department&amp;format=csv" in html
    assert "<script" not in html.split("<main")[1]  # the charts need no script


async def test_a_decision_shows_on_the_next_request(client, cast, data):
    """The page keeps its figures between changes (analytics/memo.py): a new decision shows at once."""
    def adoption(html: str) -> str:
        return html.split('data-section="adoption-department"')[1].split("</section>")[0]

    assert "75.0%" in adoption((await client.get("/statistics")).text)
    assert "75.0%" in adoption((await client.get("/statistics", params={"lang": "en"})).text)  # kept, unchanged
    await decide(await factories.staff(cast.admin), await factories.opinion(data["id"]), "adopted")
    after = adoption((await client.get("/statistics")).text)
    assert "80.0%" in after and "75.0%" not in after


async def test_filters_by_period_and_department(client, data):
    response = await client.get("/statistics", params={"period_start": "2020-01-01", "period_end": "2020-01-31",
                                                       "department": "zjj"})
    assert response.status_code == 200
    assert 'value="2020-01-01"' in response.text and '<option value="zjj" selected>' in response.text
    assert "75.0%" not in response.text
    refused = await client.get("/statistics", params={"period_start": "soon"})
    assert refused.status_code == 400 and "data-form-error" in refused.text


async def test_elder_mode_draws_larger_charts(client, data):
    normal = (await client.get("/statistics", params={"elder": "0"})).text
    elder = (await client.get("/statistics", params={"elder": "1"})).text
    assert 'font-size="14"' in normal and 'font-size="20"' in elder


async def test_the_staff_dashboard_shows_what_is_overdue(client, cast, headers, make_consultation):
    admin = await factories.staff(cast.admin)
    await headers("fgw_editor")
    with at("2026-03-02T10:00:00+08:00"):
        closed = await make_consultation("fgw", title="已截止的征集", closes_at=datetime(2026, 3, 10, tzinfo=UTC))
        await factories.opinion(closed["id"])
        await factories.opinion(closed["id"])
        decided = await factories.opinion(closed["id"])
        late = await mailbox.submit_letter(await factories.citizen(), subject="噪音", body="夜间施工噪音很大。",
                                           name="张小明", department="fgw")
    open_one = await make_consultation("fgw", title="仍在征集", closes_at=datetime.now(UTC) + timedelta(days=3))
    await factories.opinion(open_one["id"])
    await decide(admin, decided, "adopted")

    await log_in_page(client, cast.fgw_editor)
    response = await client.get("/staff/statistics")
    assert response.status_code == 200, response.text
    undecided = response.text.split("data-undecided")[1].split("</ul>")[0]
    assert "已截止的征集" in undecided and "2" in undecided and "仍在征集" not in undecided
    assert late.letter["tracking_number"] in response.text.split("data-overdue-letters")[1]
    assert "张小明" not in response.text
    other = await client.get("/staff/statistics", params={"department": "zjj"})  # an editor sees their own only
    assert "已截止的征集" in other.text

    await log_in_page(client, cast.zjj_editor)
    assert "已截止的征集" not in (await client.get("/staff/statistics")).text
    await log_in_page(client, cast.admin)
    chosen = await client.get("/staff/statistics", params={"department": "fgw"})
    assert "已截止的征集" in chosen.text and '<option value="zjj">' in chosen.text


async def test_staff_pages_refuse_others(client, cast):
    client.cookies.clear()
    anonymous = await client.get("/staff/statistics", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401)
    await log_in_page(client, cast.host)
    assert (await client.get("/staff/statistics")).status_code == 403


async def test_a_report_made_and_published_through_the_forms(client, cast, data):
    token = (await log_in_page(client, cast.fgw_editor))["x-csrftoken"]
    today = clock.today()  # Beijing: the period is of Beijing dates (at 00:10 Beijing the UTC date is yesterday)
    response = await client.post("/staff/statistics/reports", data={
        "title": "本月意见采纳情况", "period_start": today.replace(day=1).isoformat(), "period_end": today.isoformat(),
        "department": "fgw", "_csrf_token": token})
    assert response.status_code == 303, response.text
    path = response.headers["location"]
    assert re.fullmatch(r"/statistics/reports/\d+", path)
    draft = await client.get(path)
    assert draft.status_code == 200 and "data-draft" in draft.text and "data-publish" in draft.text
    client.cookies.clear()
    assert (await client.get(path)).status_code == 404  # a draft is not public

    token = (await log_in_page(client, cast.fgw_editor))["x-csrftoken"]
    published = await client.post(f"/staff/statistics/{path.removeprefix('/statistics/')}/publish",
                                  data={"_csrf_token": token})
    assert published.status_code == 303
    client.cookies.clear()
    page = await client.get(path)
    assert page.status_code == 200 and "本月意见采纳情况" in page.text and "data-sha256" in page.text
    assert "75.0%" in page.text and "data-publish" not in page.text
    assert "本月意见采纳情况" in (await client.get("/statistics")).text

    token = (await log_in_page(client, cast.fgw_editor))["x-csrftoken"]
    refused = await client.post("/staff/statistics/reports", data={
        "title": "", "period_start": "2026-03-01", "period_end": "2026-03-31", "department": "fgw",
        "_csrf_token": token})
    assert refused.status_code == 400 and "data-form-error" in refused.text
