"""Rectification in a real browser: a department editor posts progress with a photo, the public board shows it.
(axe-core runs on the board and the confirmation page in test_accessibility.py; here again after the update.)
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
async def scene(cast):
    from tests.live_sessions.factories import rectified_issue

    _session, issue_id = await rectified_issue(cast, title="幸福路路灯不亮", commitment="两周内修复幸福路路灯")
    return SimpleNamespace(issue=issue_id)


def log_in(page, person, next_path):
    page.goto(f"/login?next={next_path}")
    page.locator("#username").fill(person.username)
    page.locator("#password").fill(person.password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_an_editor_posts_progress_and_the_public_board_shows_it(new_context, cast, scene, axe_check, tmp_path, mode):
    from tests.live_sessions.factories import jpeg_with_metadata

    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(jpeg_with_metadata())
    editor = new_context().new_page()
    log_in(editor, cast.zjj_editor, "/staff/rectifications")
    editor.get_by_role("link", name="幸福路路灯不亮").click()
    editor.locator("#progress-content").fill("已更换三盏路灯，夜间照明恢复。")
    editor.locator("#progress-photos").set_input_files(str(photo))
    editor.get_by_role("button", name="发布进展").click()
    expect(editor.locator("[role=status]")).to_contain_text("已保存")

    citizen = new_context().new_page()
    citizen.goto(f"/rectifications?department=zjj&elder={'1' if mode == 'elder' else '0'}")
    update = citizen.locator(f"#rectification-{scene.issue}-title").locator("xpath=..")
    expect(update).to_contain_text("已更换三盏路灯，夜间照明恢复。")
    expect(update).to_contain_text("整改中")
    image = update.locator(".rectification-photos img")
    expect(image).to_have_count(1)
    # The photo, re-written without its EXIF, still decodes in the browser.
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    axe_check(citizen, enhanced_contrast=mode == "elder")


def test_the_board_fits_a_phone_screen(new_context, scene):
    phone = new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True).new_page()
    phone.goto("/rectifications")
    expect(phone.locator("main h1")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
