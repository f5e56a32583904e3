"""The mayor's mailbox end to end in a real browser: write (code from the development outbox), route, reply,
look up, rate, publish, search; axe-core on the pages met on the way, in normal and elder mode."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = "13712345678"
SUBJECT = "幸福路口夜间施工噪音扰民"


def log_in(page, person, mode):
    page.goto(f"/login?next=/staff/mailbox&elder={'1' if mode == 'elder' else '0'}")
    page.locator("#username").fill(person.username)
    page.locator("#password").fill(person.password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/mailbox$"))


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_write_route_reply_look_up_rate_publish_and_find(new_context, cast, read_code, axe_check, mode):
    elder = mode == "elder"
    citizen = new_context().new_page()
    citizen.goto(f"/mailbox?elder={'1' if elder else '0'}")
    citizen.locator("#letter-subject").fill(SUBJECT)
    citizen.locator("#letter-body").fill("我住在幸福路12号，我叫张小明，电话13712345678。工地每晚施工到凌晨。")
    citizen.locator("#letter-name").fill("张小明")
    citizen.locator("#letter-consent").check()
    citizen.locator("[data-sms-phone]").fill(PHONE)
    citizen.locator("[data-sms-send]").click()
    expect(citizen.locator("[data-sms-send]")).to_be_disabled()
    citizen.locator("[data-sms-code]").fill(read_code(citizen, PHONE))
    citizen.locator("form[data-letter-form] button.primary").click()
    expect(citizen.locator("main h1")).to_have_text("来信已受理")
    number = citizen.locator("[data-tracking-number]").inner_text().strip()
    code = citizen.locator("[data-query-code]").inner_text().strip()
    assert re.fullmatch(r"\d{4}-\d{6}", number) and len(code) >= 8
    axe_check(citizen, enhanced_contrast=elder)

    office = new_context().new_page()
    log_in(office, cast.admin, mode)
    office.locator(f"[data-letter='{number}'] a").click()
    office.locator("#assign-department").select_option("fgw")
    office.locator("[data-action=assign]").click()
    expect(office.locator(".page-head .meta")).to_contain_text("市发展和改革委员会")

    department = new_context().new_page()
    log_in(department, cast.fgw_editor, mode)
    department.locator(f"[data-letter='{number}'] a").click()
    department.locator("#reply-text").fill("您好！经核查，已责令施工单位停止夜间施工。")
    department.locator("[data-action=reply]").click()
    expect(department.locator("[data-reply]")).to_contain_text("停止夜间施工")

    citizen.goto("/mailbox/lookup")
    citizen.locator("#lookup-tracking-number").fill(number)
    citizen.locator("#lookup-query-code").fill(code)
    citizen.locator("form button.primary").click()
    expect(citizen.locator("[data-reply]")).to_contain_text("停止夜间施工")
    expect(citizen.locator(".timeline li")).to_have_count(3)
    axe_check(citizen, enhanced_contrast=elder)
    citizen.locator("input[name=rating][value='5']").check()
    citizen.locator("#rating-comment").fill("处理及时")
    citizen.locator("[data-rating-form] button").click()
    expect(citizen.locator("[data-rating]")).to_contain_text("5")

    department.locator("[data-action=review-publication]").click()
    expect(department.locator("#public-body")).not_to_contain_text("张小明")
    expect(department.locator("#public-body")).not_to_contain_text("13712345678")
    department.locator("[data-action=publish]").click()
    expect(department.locator(".page-head .meta")).to_contain_text("已公开")

    citizen.goto("/mailbox/search?q=施工噪音")
    expect(citizen.locator(".letter-list")).to_contain_text(number)
    citizen.locator(f"a[href='/mailbox/letters/{number}']").click()
    expect(citizen.locator("main h1")).to_have_text(SUBJECT)
    body = citizen.locator("main").inner_text()
    assert "张小明" not in body and "13712345678" not in body
    axe_check(citizen, enhanced_contrast=elder)


def test_similar_published_letters_are_suggested_while_typing(page, cast, read_code):
    phone = "13712345679"
    assert page.request.post("/api/v1/sms/codes", data={"phone": phone}).status == 202
    letter = page.request.post("/api/v1/letters", data={
        "subject": "建议增开幸福路公交班次", "body": "早高峰公交太挤。", "name": "王五", "public_consent": True,
        "phone": phone, "code": read_code(page, phone)})
    assert letter.status == 201, letter.text()
    number = letter.json()["tracking_number"]
    token = page.request.post("/api/v1/auth/login", data={"username": cast.admin.username,
                                                          "password": cast.admin.password}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert page.request.post(f"/api/v1/letters/{number}/reply", data={"reply": "已加开区间车。"}, headers=headers).ok
    assert page.request.post(f"/api/v1/letters/{number}/publish", data={}, headers=headers).ok

    page.goto("/mailbox")
    expect(page.locator("[data-suggestions]")).to_be_hidden()
    page.locator("#letter-subject").fill("幸福路公交太挤了")
    expect(page.locator("[data-suggestions]")).to_contain_text("建议增开幸福路公交班次")
    page.locator("[data-suggestions] a").first.click()
