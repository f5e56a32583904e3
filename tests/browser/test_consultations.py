"""A consultation end to end in a real browser: citizen → department editor → citizen → outcome."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = "13912340001"
OPINION = "建议在方案中明确老旧小区加装电梯的补贴标准，并公开申请流程。"
REPLY = "感谢您的建议，补贴标准已写入正式稿第三部分。"


@pytest.fixture
async def consultation_id(cast):
    from consultations import services
    from tests.consultations.conftest import staff_of

    editor = await staff_of(cast.fgw_editor)
    cid = await services.create_consultation(
        editor, title="关于《老旧小区改造三年行动方案（征求意见稿）》公开征求意见", department="fgw",
        summary="方案拟对2000年底前建成的老旧小区实施改造。", closes_at=datetime.now(UTC) + timedelta(days=10),
        sections=[("改造范围", "2000年底前建成的小区。"), ("资金筹措", "政府补助与居民出资相结合。")])
    await services.publish_consultation(editor, cid)
    return cid


def login(page, person) -> None:
    page.goto("/login")
    page.locator("#username").fill(person.username)
    page.locator("#password").fill(person.password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff$"))


def test_citizen_comments_editor_reviews_citizen_sees_the_outcome(new_context, read_code, axe_check, cast,
                                                                  consultation_id):
    citizen = new_context().new_page()
    citizen.goto(f"/consultations/{consultation_id}")
    expect(citizen.locator("main h1")).to_contain_text("老旧小区改造")
    citizen.locator("#opinion-section").select_option("2")
    citizen.locator("#opinion-content").fill(OPINION)
    citizen.locator("#opinion-name").fill("王建华")
    citizen.locator("#opinion-notify").check()
    citizen.locator("[data-sms-phone]").fill(PHONE)
    citizen.locator("[data-sms-send]").click()
    expect(citizen.locator("[data-sms-send]")).to_be_disabled()
    citizen.locator("[data-sms-code]").fill(read_code(citizen, PHONE))
    citizen.locator("[data-submit-opinion]").click()
    expect(citizen.locator("main h1")).to_contain_text("意见")
    expect(citizen.locator("[data-submitted-status]")).to_have_attribute("data-submitted-status", "approved")
    axe_check(citizen)

    editor = new_context().new_page()
    login(editor, cast.fgw_editor)
    editor.goto(f"/staff/consultations/{consultation_id}")
    editor.locator("[data-review-queue]").click()
    item = editor.locator("[data-opinion]").first
    expect(item.locator("[data-opinion-content]")).to_have_text(OPINION)
    item.locator("textarea").fill(REPLY)
    item.locator("[data-one-click=adopted]").click()
    expect(editor.locator("[data-opinion]").first).to_contain_text("已采纳")
    axe_check(editor)

    citizen.goto(f"/consultations/{consultation_id}")
    opinion = citizen.locator(".c-opinion").first
    expect(opinion.locator("[data-opinion-reply]")).to_contain_text(REPLY)
    expect(opinion).to_contain_text("王*华")
    expect(citizen.locator("[data-adopted-count]")).to_have_text("1")

    editor.goto(f"/staff/consultations/{consultation_id}")
    editor.locator("[data-close]").click()
    editor.locator("#o-final").fill("老旧小区改造三年行动方案（正式稿）")
    editor.locator("#o-interpretation").fill("一图读懂：改造哪些小区、改什么、钱从哪里来。")
    editor.locator("[data-conclude]").click()
    expect(editor.locator(".c-head-meta")).to_contain_text("已办结")

    citizen.goto(f"/consultations/{consultation_id}")
    outcome = citizen.locator("#outcome")
    expect(outcome).to_contain_text("老旧小区改造三年行动方案（正式稿）")
    expect(outcome).to_contain_text(REPLY)
    expect(outcome).to_contain_text("资金筹措")
    axe_check(citizen)
    citizen.goto(f"/consultations/{consultation_id}?elder=1")  # the outcome report in elder mode too
    expect(citizen.locator("#outcome")).to_contain_text(REPLY)
    axe_check(citizen, enhanced_contrast=True)
