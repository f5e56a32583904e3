"""/statistics in a real browser, normal and elder mode, desktop and phone: every chart with its table,
the department comparison drawn as points with intervals, axe-core clean."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mailbox import services as mailbox
from tests.analytics import factories
from tests.browser.test_accessibility import assert_elder_text_size, open_page
from tests.consultations.conftest import headers, make_consultation  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
PHONE_VIEW = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


@pytest.fixture
async def statistics_data(cast, make_consultation):  # noqa: F811 - the imported fixture
    """fgw: 12 decided opinions (ranked), zjj: 3 (shown, not ranked); letters to both."""
    admin = await factories.staff(cast.admin)
    for department, decisions in (("fgw", ["adopted"] * 8 + ["partially_adopted"] * 2 + ["not_adopted"] * 2),
                                  ("zjj", ["adopted", "not_adopted", "not_adopted"])):
        consultation = await make_consultation(department)
        for decision in decisions:
            await factories.decide(admin, await factories.opinion(consultation["id"]), decision)
    for department in ("fgw", "fgw", "zjj"):
        letter = await mailbox.submit_letter(await factories.citizen(), subject="小区噪音", body="夜间施工噪音很大。",
                                             name="张小明", department=department)
        if department == "fgw":
            await mailbox.reply_to_letter(admin, letter.letter["tracking_number"], "已处理。")


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_statistics_page_charts_and_tables(page, axe_check, statistics_data, mode):
    response = open_page(page, "/statistics", mode)
    assert response.status == 200
    expect(page.locator("main h1")).to_have_text("统计数据")
    sections = page.locator("[data-section]")
    expect(sections).to_have_count(6)  # adoption ×2, mailbox ×2, rectifications, events
    for index in range(6):
        section = sections.nth(index)
        expect(section.locator("svg.chart[role=img]")).to_have_count(1)
        expect(section.locator("table caption")).to_have_count(1)
        expect(section.locator("[data-summary]")).not_to_be_empty()
    comparison = page.locator("[data-section=adoption-department]")
    expect(comparison.locator("circle.point")).to_have_count(2)
    expect(comparison.locator("circle.point.unranked")).to_have_count(1)
    expect(comparison.locator("line.interval")).to_have_count(2)
    expect(comparison.locator("table tbody tr").first).to_contain_text("83.3%")
    expect(comparison.locator("[data-summary]")).to_contain_text("市发展和改革委员会")
    chart_box = comparison.locator("svg.chart").bounding_box()
    assert chart_box and chart_box["width"] > 250
    if mode == "elder":
        assert_elder_text_size(page)
    axe_check(page, enhanced_contrast=mode == "elder")


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_statistics_page_on_a_phone(new_context, axe_check, statistics_data, mode):
    page = new_context(**PHONE_VIEW).new_page()
    open_page(page, "/statistics", mode)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"horizontal scrolling of {overflow}px"
    axe_check(page, enhanced_contrast=mode == "elder")


def test_filter_form_works_without_javascript(new_context, statistics_data):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/statistics")
    page.locator("#stat-department").select_option("zjj")
    page.locator(".stat-filters button[type=submit]").click()
    expect(page.locator("[data-scope]")).to_contain_text("市住房和城乡建设局")
    expect(page.locator("[data-section=adoption-department] table tbody tr").first).to_contain_text("33.3%")


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_staff_statistics_dashboard(page, axe_check, cast, statistics_data, mode):
    open_page(page, "/login?next=/staff/statistics", mode)
    page.locator("#username").fill(cast.fgw_editor.username)
    page.locator("#password").fill(cast.fgw_editor.password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/statistics$"))
    expect(page.locator("main h1")).to_contain_text("市发展和改革委员会")
    expect(page.locator("[data-overdue]")).to_be_visible()
    axe_check(page, enhanced_contrast=mode == "elder")
    page.locator("#report-title").fill("本月意见采纳情况月点评")
    page.locator("#report-start").fill("2026-01-01")
    page.locator("#report-end").fill("2026-12-31")
    page.locator("form[action='/staff/statistics/reports'] button[type=submit]").click()
    expect(page.locator("[data-draft]")).to_be_visible()
    page.locator("[data-publish]").click()
    expect(page.locator("[data-draft]")).to_have_count(0)
    expect(page.locator("[data-sha256]")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    axe_check(page, enhanced_contrast=mode == "elder")
