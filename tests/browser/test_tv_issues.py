"""TV questioning issues in a real browser: a citizen proposes (seeing similar issues while typing) and supports;
a host merges and selects; the programme page is axe-clean in normal and elder mode, with the board on it."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PHONE = "13812345678"


@pytest.fixture
async def scene(cast):
    """A programme collecting issues, one of them published and selected, made through the services."""
    from live_sessions.demo_issues import collecting_programme
    from tests.live_sessions.factories import staff_of

    ids = await collecting_programme(await staff_of(cast.host))
    return SimpleNamespace(**ids)


def log_in(page, person, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.locator("#username").fill(person.username)
    page.locator("#password").fill(person.password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def test_a_citizen_proposes_and_supports_and_a_host_merges_and_selects(new_context, cast, read_code, scene):
    citizen = new_context().new_page()
    citizen.goto(f"/live-sessions/{scene.session}")
    form = citizen.locator("[data-issue-form]")
    form.locator("#issue-title").fill("共享单车占道")
    similar = form.locator("[data-similar-list]")
    expect(similar).to_contain_text("共享单车乱停放")  # shown while typing, before anything is sent
    form.locator("#issue-content").fill("小区门口共享单车堆满人行道，轮椅过不去。")
    form.locator("[data-sms-phone]").fill(PHONE)
    form.locator("[data-sms-send]").click()
    expect(form.locator("[data-sms-send]")).to_be_disabled()
    form.locator("[data-sms-code]").fill(read_code(citizen, PHONE))
    form.locator("#issue-notify").check()
    form.locator("button.primary[type=submit]").click()
    citizen.wait_for_url(re.compile(r"proposed=1"))
    expect(citizen.locator("#issues [role=status]").first).to_be_visible()

    # The citizen supports a published issue from the board; the phone is remembered.
    citizen.locator(f"#issue-{scene.approved} form button").click()
    citizen.wait_for_url(re.compile(rf"/issues/{scene.approved}\?supported=1"))
    expect(citizen.locator("main h1")).to_have_text("共享单车乱停放")

    host = new_context().new_page()
    log_in(host, cast.host, f"/staff/live-sessions/{scene.session}/issues")
    pending = host.locator("#pending li").filter(has_text="共享单车占道")
    expect(pending).to_have_count(1)
    pending.locator("button[value=approve]").click()
    host.wait_for_url(re.compile(r"done=1"))
    proposed = host.locator("#approved li").filter(has=host.locator("strong", has_text="共享单车占道"))
    proposed.locator("select[name=into]").select_option(str(scene.approved))
    proposed.locator("button[value=merge]").click()
    host.wait_for_url(re.compile(r"done=1"))
    expect(host.locator("#closed")).to_contain_text("共享单车占道")
    target = host.locator(f"#issue-{scene.approved}")
    target.locator("input[name=note]").fill("反映集中，涉及无障碍出行")
    target.locator("button[value=select]").click()
    host.wait_for_url(re.compile(r"done=1"))
    expect(host.locator("#running-order")).to_contain_text("共享单车乱停放")

    citizen.goto(f"/live-sessions/{scene.session}")
    running = citizen.locator("[data-running-order]")
    expect(running).to_contain_text("共享单车乱停放")
    expect(running).to_contain_text("反映集中，涉及无障碍出行")


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_the_programme_page_with_its_board_is_axe_clean(page, axe_check, scene, mode):
    elder = "1" if mode == "elder" else "0"
    for path in (f"/live-sessions/{scene.session}", f"/live-sessions/{scene.session}/issues/{scene.merged}",
                 f"/live-sessions/{scene.session}/issues/new?title=共享单车"):
        page.goto(f"{path}{'&' if '?' in path else '?'}elder={elder}")
        expect(page.locator("main h1")).to_have_count(1)
        axe_check(page, enhanced_contrast=mode == "elder")


def test_the_board_fits_a_phone_screen(new_context, scene):
    phone = new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"/live-sessions/{scene.session}")
    expect(phone.locator("#issues")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
