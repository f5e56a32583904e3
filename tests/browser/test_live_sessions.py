"""Live interviews in a real browser: the live page and the host console update without reloading,
and published transcripts are searchable. (axe-core runs on the public pages in test_accessibility.py.)
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
async def scene(cast):
    """Demo sessions made through the services, plus a host token and a citizen token for the API."""
    from engagement.accounts import issue_token
    from engagement.verification import issue_citizen_token
    from live_sessions.demo import create_sessions
    from tests.live_sessions.factories import make_citizen, staff_of

    ids = await create_sessions(await staff_of(cast.host))
    return SimpleNamespace(
        **ids,
        host={"Authorization": f"Bearer {await issue_token(cast.host.id)}"},
        citizen={"Authorization": f"Bearer {issue_citizen_token(await make_citizen())}"},
    )


def api(page, path: str, headers: dict, body: dict | None = None, status: int = 200) -> dict:
    response = page.request.post(path, headers=headers, data=body or {})
    assert response.status == status, response.text()
    return response.json()


def test_a_viewer_sees_an_approved_question_and_its_answer_appear_without_reloading(page, scene):
    page.goto(f"/live-sessions/{scene.live}")
    expect(page.locator("[data-live-ready]")).to_have_count(1)
    page.wait_for_timeout(500)  # let the socket connect and catch up
    loaded_at = page.evaluate("performance.timeOrigin")
    question = api(page, f"/api/v1/live-sessions/{scene.live}/questions", scene.citizen,
                   {"content": "历史街区的老树会保留吗？"}, 201)
    api(page, f"/api/v1/questions/{question['id']}/moderate", scene.host, {"action": "approve"})
    expect(page.locator(f"#question-{question['id']}")).to_contain_text("历史街区的老树会保留吗？")
    api(page, f"/api/v1/questions/{question['id']}/answer", scene.host,
        {"answer": "会的，古树名木一律原地保护。", "speaker": "王建国"}, 201)
    expect(page.locator(f"#question-{question['id']} .live-answer")).to_contain_text("古树名木一律原地保护")
    assert page.evaluate("performance.timeOrigin") == loaded_at  # no reload happened


def test_a_pending_question_never_reaches_the_live_page(page, scene):
    page.goto(f"/live-sessions/{scene.live}")
    expect(page.locator("[data-live-ready]")).to_have_count(1)
    pending = api(page, f"/api/v1/live-sessions/{scene.live}/questions", scene.citizen, {"content": "未审核的问题"}, 201)
    api(page, f"/api/v1/live-sessions/{scene.live}/remarks", scene.host, {"content": "请大家继续提问。"}, 201)
    expect(page.locator("[data-live-feed]")).to_contain_text("请大家继续提问。")
    expect(page.locator(f"#question-{pending['id']}")).to_have_count(0)


def test_the_host_console_shows_a_new_question_without_reloading(page, scene, cast):
    page.goto(f"/login?next=/staff/live-sessions/{scene.live}")
    page.locator("#username").fill(cast.host.username)
    page.locator("#password").fill(cast.host.password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/live-sessions/{scene.live}$"))
    expect(page.locator("[data-queue-live]")).to_have_count(1)
    question = api(page, f"/api/v1/live-sessions/{scene.live}/questions", scene.citizen, {"content": "新来的问题"}, 201)
    item = page.locator(f"#pending-{question['id']}")
    expect(item).to_contain_text("新来的问题")
    loaded_at = page.evaluate("performance.timeOrigin")
    item.get_by_role("button", name="通过", exact=True).click()  # the cloned form works too, in place
    approved = page.locator(f"#approved-{question['id']}")
    expect(approved).to_contain_text("新来的问题")
    expect(item).to_have_count(0)
    approved.get_by_label("回答", exact=True).fill("我们会尽快答复。")
    approved.get_by_role("button", name="发布回答").click()
    expect(page.locator(f"#approved-{question['id']} .live-answer")).to_contain_text("我们会尽快答复。")
    assert page.evaluate("performance.timeOrigin") == loaded_at  # moderated and answered without a reload


def test_the_published_transcript_is_searchable(page, scene):
    page.goto("/live-sessions")
    page.locator("#live-search-q").fill("物业费")
    page.locator("form[role=search] button[type=submit]").click()
    results = page.locator("[data-search-results]")
    expect(results).to_contain_text("物业服务质量提升行动")
    results.get_by_role("link", name="物业服务质量提升行动").click()
    expect(page.locator("main h1")).to_have_text("物业服务质量提升行动")
    expect(page.locator(".live-transcript")).to_contain_text("业主大会表决")


def test_without_javascript_the_text_view_shows_the_live_record(new_context, scene):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"/live-sessions/{scene.live}/text")
    expect(page.locator("[data-live-feed]")).to_contain_text("原住居民还能回迁吗")
    assert page.locator('meta[http-equiv="refresh"]').count() == 1
