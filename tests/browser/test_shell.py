"""The page shell in a real browser: language, elder mode, read-aloud, the SMS widget, staff login."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

# What runs in the browser (language, elder mode, read-aloud, focus, the SMS widget's script, the login form)
# gives the same outcome on every database and backend; the server side of each (the code, the session, the
# login) has its HTTP tests, which run on both. So these run once, in the first run of `make test`.
pytestmark = [pytest.mark.browser, pytest.mark.database_independent]

CJK = re.compile(r"[\u4e00-\u9fff]")
COUNTDOWN = re.compile(r"^(\d+)秒后重新获取$")
PHONE = "13912345678"
OTHER_PHONE = "13800138000"


def html_lang(page) -> str:
    return page.evaluate("document.documentElement.lang")


def is_elder(page) -> bool:
    return page.evaluate("document.documentElement.classList.contains('elder')")


def body_metrics(page) -> tuple[float, float]:
    """The computed font size and line height of <body>, in px."""
    size, height = page.evaluate(
        "(() => { const s = getComputedStyle(document.body); return [s.fontSize, s.lineHeight]; })()"
    )
    return float(size.removesuffix("px")), float(height.removesuffix("px"))


# ---------- language ----------


def test_home_page_is_in_chinese(page):
    page.goto("/")
    assert html_lang(page) == "zh-CN"
    heading = page.locator("h1")
    expect(heading).to_have_count(1)
    assert CJK.search(heading.inner_text()), heading.inner_text()
    assert CJK.search(page.title())
    expect(page.locator("nav[aria-label]").first).to_contain_text("首页")
    expect(page.locator(".skip-link")).to_have_attribute("href", "#main")


def test_switching_to_english_and_back(page):
    page.goto("/")
    page.locator("[data-language-switch]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Take part in your government's decisions")
    # remembered: a fresh load of another page stays English
    page.goto("/verify")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("[data-sms-send]")).to_have_text("Get code")
    switch = page.locator("[data-language-switch]")
    expect(switch).to_have_text("中文")
    switch.click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert page.url.split("?")[0].endswith("/verify")
    expect(page.locator("[data-sms-send]")).to_have_text("获取验证码")


# ---------- elder mode ----------


def test_elder_mode_toggles_and_is_remembered(page):
    page.goto("/")
    assert not is_elder(page)
    size, _ = body_metrics(page)
    assert size < 24
    page.locator("[data-elder-toggle]").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    expect(page.locator("[data-elder-toggle]")).to_contain_text("标准版")

    page.reload()
    assert is_elder(page), "elder mode lost on reload"
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="手机验证").click()
    page.wait_for_url("**/verify")
    assert is_elder(page), "elder mode lost on navigation"

    size, line_height = body_metrics(page)
    assert size >= 24, f"body font-size {size}px in elder mode"
    assert line_height >= 1.5 * size, f"line-height {line_height}px for {size}px text"

    page.locator("[data-elder-toggle]").click()
    expect(page.locator("html")).not_to_have_class(re.compile(r"\belder\b"))
    page.goto("/login")
    assert not is_elder(page)


def test_elder_query_parameter_switches_on_any_url(page):
    page.goto("/login?elder=1")
    assert is_elder(page)
    page.goto("/verify")
    assert is_elder(page), "?elder=1 was not remembered"
    page.goto("/verify?elder=0")
    assert not is_elder(page)
    page.goto("/")
    assert not is_elder(page), "?elder=0 was not remembered"
    page.goto("/no-such-page?elder=1")  # error pages too
    assert is_elder(page)


def test_elder_mode_has_big_targets_and_no_motion(page):
    page.goto("/verify?elder=1")
    for selector in ["[data-elder-toggle]", "[data-language-switch]", "[data-sms-send]", "form button.primary"]:
        box = page.locator(selector).first.bounding_box()
        assert box and box["height"] >= 44, f"{selector} is {box and box['height']}px high"
    durations = page.evaluate(
        "[...document.querySelectorAll('.button, .tool, a')].map(e => getComputedStyle(e).transitionDuration)"
    )
    assert set(durations) <= {"0s"}, durations


def test_elder_toggle_works_without_javascript(new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/")
    page.locator("[data-elder-toggle]").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    page.locator("[data-language-switch]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))


# ---------- keyboard ----------


def test_skip_link_and_visible_focus(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["y"] >= 0, "the skip link stays off-screen when focused"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


# ---------- read aloud ----------

FAKE_SPEECH = """
(() => {
  window.__speech = {spoken: [], cancelled: 0};
  window.SpeechSynthesisUtterance = function (text) {
    this.text = text; this.lang = ""; this.voice = null; this.addEventListener = function () {};
  };
  const voices = [{lang: "en-US", name: "English"}, {lang: "zh-CN", name: "普通话"}];
  Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
    getVoices: () => voices,
    speak: (u) => window.__speech.spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.lang}),
    cancel: () => { window.__speech.cancelled += 1; },
  }});
})();
"""


def test_read_aloud_reads_main_in_chinese_and_stops(page):
    page.add_init_script(FAKE_SPEECH)
    page.goto("/")
    button = page.locator("[data-read-aloud]")
    expect(button).to_be_visible()
    expect(button).to_have_text("朗读")
    button.click()
    expect(button).to_have_text("停止朗读")
    spoken = page.evaluate("window.__speech.spoken")
    assert spoken, "nothing was spoken"
    assert {item["lang"] for item in spoken} == {"zh-CN"}
    assert {item["voice"] for item in spoken} == {"zh-CN"}
    text = "".join(item["text"] for item in spoken)
    assert page.locator("main h1").inner_text() in text
    assert "跳到主要内容" not in text, "read-aloud must read <main> only"
    cancelled = page.evaluate("window.__speech.cancelled")
    button.click()
    expect(button).to_have_text("朗读")
    assert page.evaluate("window.__speech.cancelled") > cancelled


def test_read_aloud_uses_english_on_english_pages(page):
    page.add_init_script(FAKE_SPEECH)
    page.goto("/?lang=en")
    page.locator("[data-read-aloud]").click()
    spoken = page.evaluate("window.__speech.spoken")
    assert spoken and {item["lang"] for item in spoken} == {"en"}


def test_read_aloud_is_hidden_without_speech_synthesis(page):
    page.add_init_script("Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: undefined});")
    page.goto("/")
    expect(page.locator("[data-read-aloud]")).to_be_hidden()


# ---------- SMS widget ----------


def countdown_seconds(button) -> int:
    match = COUNTDOWN.match(button.inner_text().strip())
    assert match, f"not a countdown: {button.inner_text()!r}"
    return int(match.group(1))


def test_sms_widget_requests_code_and_counts_down(page):
    page.goto("/verify")
    widget = page.locator("[data-sms-widget]")
    widget.locator("[data-sms-phone]").fill(PHONE)
    button = widget.locator("[data-sms-send]")
    button.click()
    status = widget.locator("[data-sms-status]")
    expect(status).to_contain_text("验证码已发送")
    expect(button).to_be_disabled()
    expect(button).to_have_text(COUNTDOWN)
    first = countdown_seconds(button)
    assert 55 <= first <= 60, first
    expect(button).not_to_have_text(f"{first}秒后重新获取", timeout=3_000)
    assert countdown_seconds(button) < first
    assert page.url.split("?")[0].endswith("/verify"), "the button submitted the form instead of using fetch"


def test_sms_widget_shows_server_errors(page, live_server):
    # too soon: a second request for the same phone is refused with 429 and Retry-After
    page.goto("/verify")
    page.locator("[data-sms-phone]").fill(PHONE)
    page.locator("[data-sms-send]").click()
    expect(page.locator("[data-sms-status]")).to_contain_text("验证码已发送")

    page.goto("/verify")
    page.locator("[data-sms-phone]").fill(PHONE)
    page.locator("[data-sms-send]").click()
    status = page.locator("[data-sms-status]")
    # the same request made directly (same cookies, same language) gives the text to expect
    refused = page.request.post(f"{live_server}/api/v1/sms/codes", data={"phone": PHONE})
    assert refused.status == 429
    expect(status).to_have_text(refused.json()["detail"])
    expect(status).to_have_attribute("role", "alert")
    button = page.locator("[data-sms-send]")
    expect(button).to_be_disabled()
    assert 0 < countdown_seconds(button) <= int(refused.headers["retry-after"]) + 1

    # an invalid number: the server's 400 detail, and the button stays usable
    page.goto("/verify")
    page.locator("[data-sms-phone]").fill("12345")
    page.locator("[data-sms-send]").click()
    invalid = page.request.post(f"{live_server}/api/v1/sms/codes", data={"phone": "12345"})
    assert invalid.status == 400
    expect(page.locator("[data-sms-status]")).to_have_text(invalid.json()["detail"])
    expect(page.locator("[data-sms-send]")).to_be_enabled()
    expect(page.locator("[data-sms-send]")).to_have_text("获取验证码")


def test_code_from_outbox_verifies_the_phone(page, read_code):
    page.goto("/verify")
    page.locator("[data-sms-phone]").fill(OTHER_PHONE)
    page.locator("[data-sms-send]").click()
    expect(page.locator("[data-sms-status]")).to_contain_text("验证码已发送")
    page.locator("[data-sms-code]").fill(read_code(page, OTHER_PHONE))
    # Enter in the code field submits the form (not the code button, which comes first in the form)
    page.locator("[data-sms-code]").press("Enter")
    expect(page.locator(".alert.success")).to_contain_text("您的手机号码已验证")
    expect(page.locator(".alert.error")).to_have_count(0)


def test_sms_widget_works_without_javascript(new_context, read_code):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/verify")
    page.locator("[data-sms-phone]").fill(PHONE)
    page.locator("[data-sms-send]").click()
    page.wait_for_url("**/verify#sms-phone")  # the core's fallback sends the code and comes back to the form
    expect(page.locator("[data-sms-status]")).to_contain_text("验证码已发送")
    expect(page.locator("[data-sms-phone]")).to_have_value(PHONE)
    page.locator("[data-sms-code]").fill(read_code(page, PHONE))
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator(".alert.success")).to_contain_text("您的手机号码已验证")


def test_wrong_code_shows_the_error(page, read_code):
    page.goto("/verify")
    page.locator("[data-sms-phone]").fill(PHONE)
    page.locator("[data-sms-send]").click()
    expect(page.locator("[data-sms-status]")).to_contain_text("验证码已发送")
    code = read_code(page, PHONE)
    page.locator("[data-sms-code]").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator(".alert.error")).to_contain_text("验证码不正确")
    expect(page.locator("[data-sms-phone]")).to_have_value(PHONE)


# ---------- staff ----------


def test_staff_login_and_logout(page, cast):
    page.goto("/staff")
    page.wait_for_url(re.compile(r"/login\?next=/staff$"))
    page.get_by_label("用户名").fill(cast.admin.username)
    page.get_by_label("密码").fill(cast.admin.password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(re.compile(r"/staff$"))
    expect(page.locator("h1")).to_have_text("工作台")
    expect(page.locator("[data-staff-identity]")).to_contain_text("系统管理员")
    expect(page.get_by_role("link", name="系统管理")).to_be_visible()

    page.get_by_role("button", name="退出登录", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/staff")
    page.wait_for_url(re.compile(r"/login\?next=/staff$"))
    expect(page.locator("h1")).to_have_text("工作人员登录")


def test_staff_login_with_a_wrong_password_is_refused(page, cast):
    page.goto("/login")
    page.get_by_label("用户名").fill(cast.fgw_editor.username)
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
    expect(page.get_by_label("用户名")).to_have_value(cast.fgw_editor.username)


def test_editor_sees_the_dashboard_for_their_role(page, cast):
    page.goto("/login?next=/staff")
    page.get_by_label("用户名").fill(cast.fgw_editor.username)
    page.get_by_label("密码").fill(cast.fgw_editor.password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(re.compile(r"/staff$"))
    expect(page.locator("[data-staff-identity]")).to_contain_text("部门编辑")
    expect(page.get_by_role("link", name="系统管理")).to_have_count(0)


# ---------- error pages ----------


def test_missing_page_is_a_chinese_404(page):
    response = page.goto("/no-such-page")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    expect(page.get_by_role("link", name="返回首页")).to_be_visible()
