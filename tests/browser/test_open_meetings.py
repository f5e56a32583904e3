"""Open meetings in a real browser: registering with the SMS code, the code and its QR code, cancelling,
checking people in on a 360 px phone (typed code; the vendored QR decoder reads our QR code), and
axe-core on every open-meeting page in normal and elder mode.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import assert_elder_text_size, open_page

pytestmark = pytest.mark.browser
PHONE = "13912340001"
PHONE_VIEWPORT = {"width": 360, "height": 740}
QUOTAS = [{"category": "residents", "label": "居民代表", "seats": 2},
          {"category": "enterprises", "label": "企业代表", "seats": 1}]


@pytest.fixture
async def meetings(cast):
    """A first-come meeting with one confirmed registration, and a lottery meeting that has been drawn."""
    from engagement.verification import citizen_for_phone
    from live_sessions import services, services_lottery, services_registrations
    from tests.live_sessions.factories import staff_of

    host = await staff_of(cast.host)
    now = datetime.now(UTC)

    async def create(**extra):
        return await services.create_session(
            host, kind="open_meeting", title="县政府常务会议开放日", description="邀请群众代表列席会议。", guests=[],
            scheduled_at=now + timedelta(days=5), capacity=4, quotas=QUOTAS, place="县行政中心302会议室",
            agenda="审议老旧小区改造实施方案", **extra)

    first_come = await create()
    _row, confirmed = await services_registrations.register(
        first_come["id"], await citizen_for_phone("+8613900009001"), name="王大伟", category="residents")
    lottery = await create(allocation="lottery", registration_closes_at=now + timedelta(days=1))
    codes = []
    for n in range(5):
        _row, code = await services_registrations.register(
            lottery["id"], await citizen_for_phone(f"+861390000910{n}"), name="李小红", category="residents")
        codes.append(code)
    undrawn = await create(allocation="lottery", registration_closes_at=now + timedelta(days=1))
    await services_lottery.close_registration(host, lottery["id"])
    await services_lottery.draw(host, lottery["id"])
    return SimpleNamespace(first_come=first_come["id"], confirmed=confirmed, lottery=lottery["id"], entrant=codes[0],
                           undrawn=undrawn["id"])


def no_horizontal_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {page.viewport_size['width']}px"


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_a_citizen_registers_sees_the_code_and_qr_code_and_cancels(new_context, meetings, read_code, axe_check, mode):
    page = new_context().new_page()
    open_page(page, f"/live-sessions/{meetings.first_come}", mode)
    axe_check(page, enhanced_contrast=mode == "elder")
    form = page.locator(f"form[action='/live-sessions/{meetings.first_come}/registrations']")
    form.locator("#registration-name").fill("赵小兰")
    form.locator("input[name=category][value=enterprises]").check()
    form.locator("[data-sms-phone]").fill(PHONE)
    form.locator("[data-sms-send]").click()
    expect(form.locator("[data-sms-send]")).to_be_disabled()
    form.locator("[data-sms-code]").fill(read_code(page, PHONE))
    form.locator("button[type=submit].primary").click()

    page.wait_for_url(re.compile(r"/registrations/[A-Z0-9]{10}\?new=1$"))
    code = page.url.split("/registrations/")[1].split("?")[0]
    expect(page.locator(".meeting-code")).to_have_text(code)
    qr = page.locator("img.meeting-qr")
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 100", qr.element_handle())
    expect(page.locator("main")).to_contain_text("赵*兰")
    if mode == "elder":
        assert_elder_text_size(page)
    axe_check(page, enhanced_contrast=mode == "elder")

    page.locator("form[action$='/cancel'] button[type=submit]").click()  # verified earlier in this session
    page.wait_for_url(re.compile(r"\?done=cancelled$"))
    expect(page.locator("#status-title")).to_contain_text(re.compile("已取消|Cancelled"))
    expect(page.locator("form[action$='/cancel']")).to_have_count(0)
    axe_check(page, enhanced_contrast=mode == "elder")


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_the_lottery_pages_show_the_record_and_are_accessible_on_a_phone(new_context, meetings, axe_check, mode):
    page = new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True).new_page()
    for path in (f"/live-sessions/{meetings.undrawn}", f"/live-sessions/{meetings.lottery}",
                 f"/registrations/{meetings.entrant}", f"/registrations/{meetings.confirmed}"):
        response = open_page(page, path, mode)
        assert response.status == 200, path
        no_horizontal_scroll(page)
        axe_check(page, enhanced_contrast=mode == "elder")
    open_page(page, f"/live-sessions/{meetings.lottery}", mode)
    expect(page.locator("#draw")).to_contain_text(f"verify-draw --session {meetings.lottery}")
    record = page.request.get(f"/api/v1/live-sessions/{meetings.lottery}/draw").json()
    expect(page.locator("#draw")).to_contain_text(record["seed"])


def login(page, person, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.locator("#username").fill(person.username)
    page.locator("#password").fill(person.password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def test_a_staff_member_checks_someone_in_on_a_360px_phone(new_context, meetings, cast):
    page = new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True).new_page()
    check_in = f"/staff/live-sessions/{meetings.first_come}/check-in"
    login(page, cast.host, check_in)
    no_horizontal_scroll(page)
    expect(page.locator("[data-scan]")).to_be_visible()  # the camera scanner is offered where there is a camera API

    # The vendored decoder reads the QR code the registration page shows.
    qr_src = page.request.get(f"/registrations/{meetings.confirmed}").text()
    src = re.search(r'class="meeting-qr" src="([^"]+)"', qr_src).group(1).replace("&amp;", "&")
    decoded = page.evaluate("""async (src) => {
        const image = new Image(); image.src = src; await image.decode();
        const canvas = document.createElement("canvas"); canvas.width = image.width; canvas.height = image.height;
        const context = canvas.getContext("2d"); context.fillStyle = "#fff"; context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0);
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
        const found = window.jsQR(pixels.data, pixels.width, pixels.height);
        return found && found.data;
    }""", src)
    assert decoded and decoded.endswith(f"/registrations/{meetings.confirmed}")

    page.locator("[data-check-in-code]").fill(meetings.confirmed.lower())
    page.locator("[data-check-in-form] button[type=submit]").click()
    result = page.locator("[data-check-in-result]")
    expect(result).to_contain_text("王*伟")
    expect(result).to_contain_text("居民代表")
    no_horizontal_scroll(page)
    page.locator("[data-check-in-code]").fill(meetings.confirmed)
    page.locator("[data-check-in-form] button[type=submit]").click()
    expect(page.locator(".meeting-result-refused")).to_contain_text(re.compile(r"\d{2}:\d{2}"))
    no_horizontal_scroll(page)


def qr_video(path, text: str, width: int = 640, height: int = 480) -> None:
    """A Y4M clip of the QR code of ``text`` for Chromium's fake camera (luma: black modules on white)."""
    import segno

    matrix = [list(row) for row in segno.make(text, error="m").matrix_iter(scale=8, border=4)]
    size = len(matrix)
    top, left = (height - size) // 2, (width - size) // 2
    luma = bytearray(b"\xff" * (width * height))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                luma[(top + y) * width + left + x] = 0
    chroma = b"\x80" * (width * height // 4)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * 10)


def test_the_camera_scanner_reads_the_qr_code_and_checks_in(browser, meetings, cast, live_server, tmp_path):
    from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS

    clip = tmp_path / "qr.y4m"
    qr_video(clip, f"{live_server}/registrations/{meetings.confirmed}")
    camera_browser = browser.browser_type.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*LAUNCH_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={clip}"])
    try:
        context = camera_browser.new_context(base_url=live_server, viewport=PHONE_VIEWPORT, is_mobile=True,
                                             has_touch=True, locale="zh-CN", permissions=["camera"])
        page = context.new_page()
        login(page, cast.host, f"/staff/live-sessions/{meetings.first_come}/check-in")
        page.locator("[data-scan]").click()
        result = page.locator("[data-check-in-result]")
        expect(result).to_contain_text("王*伟", timeout=20_000)  # decoded, submitted, checked in
        expect(page.locator(".meeting-result-ok")).to_have_count(1)
    finally:
        camera_browser.close()
