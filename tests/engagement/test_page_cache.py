"""The page cache for anonymous visitors (engagement/page_cache.py) and the 503 beyond capacity, through HTTP.

A page served from the cache runs no database query, so ``captured_queries`` tells a cached answer from a
rendered one the way an operator would see it in the query log.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.live_sessions.factories import approve, ask, make_session
from tests.mailbox.factories import published_letter
from tests.support import captured_queries, citizen_headers, read_code, staff_headers, wait_until

PHONE = "13800138111"
TOKEN_FIELD = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')


async def fetch(client: httpx.AsyncClient, path: str, **kwargs) -> tuple[httpx.Response, int]:
    """The response and the number of database queries it took."""
    with captured_queries() as statements:
        response = await client.get(path, **kwargs)
    assert response.status_code in {200, 304}, response.text
    return response, len(statements)


async def new_consultation(client, cast, title="关于城市更新三年行动方案公开征求意见") -> int:
    editor = await staff_headers(client, cast.fgw_editor)
    body = {"title": title, "department": "fgw", "summary": "现公开征求社会各界意见。", "body": "一、总体要求",
            "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()}
    created = await client.post("/api/v1/consultations", json=body, headers=editor)
    assert created.status_code == 201, created.text
    published = await client.post(f"/api/v1/consultations/{created.json()['id']}/publish", headers=editor)
    assert published.status_code == 200, published.text
    return created.json()["id"]


def anonymous(app) -> httpx.AsyncClient:
    """Another browser: its own cookie jar."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.2", 40001))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_repeated_anonymous_visits_come_from_the_cache_with_validators(client, cast):
    await new_consultation(client, cast)
    first, rendering_queries = await fetch(client, "/consultations")
    again, cached_queries = await fetch(client, "/consultations")
    assert rendering_queries > 0 and cached_queries == 0
    assert again.text == first.text and "城市更新三年行动方案" in again.text
    assert again.headers["etag"] == first.headers["etag"] and again.headers["last-modified"]
    assert "session=" not in again.headers.get("set-cookie", "")


async def test_if_none_match_gets_304_and_a_stale_tag_gets_the_page(client, cast):
    await new_consultation(client, cast)
    page, _ = await fetch(client, "/consultations")
    unchanged, queries = await fetch(client, "/consultations", headers={"if-none-match": page.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b"" and queries == 0
    assert unchanged.headers["etag"] == page.headers["etag"]
    other, _ = await fetch(client, "/consultations", headers={"if-none-match": '"something-else"'})
    assert other.status_code == 200 and other.text == page.text
    since, _ = await fetch(client, "/consultations", headers={"if-modified-since": page.headers["last-modified"]})
    assert since.status_code == 304


async def test_a_new_opinion_is_on_the_next_anonymous_view(client, cast):
    consultation_id = await new_consultation(client, cast)
    url = f"/consultations/{consultation_id}"
    before, _ = await fetch(client, url)
    assert "加装电梯的补贴建议" not in before.text
    submitted = await client.post(f"/api/v1/consultations/{consultation_id}/opinions",
                                  json={"content": "加装电梯的补贴建议", "name": "张小明"},
                                  headers=await citizen_headers(client, PHONE))
    assert submitted.status_code == 201, submitted.text
    after, queries = await fetch(client, url, headers={"if-none-match": before.headers["etag"]})
    assert after.status_code == 200 and queries > 0
    assert "加装电梯的补贴建议" in after.text and "张*明" in after.text


async def test_cached_views_of_a_consultation_are_still_counted(client, cast):
    consultation_id = await new_consultation(client, cast)
    url = f"/consultations/{consultation_id}"
    for _ in range(3):
        await fetch(client, url)
    editor = await staff_headers(client, cast.fgw_editor)
    never_cached = await client.get(url, headers=editor)  # rendered for this visitor: counted all the same
    assert never_cached.status_code == 200

    async def four_views() -> bool:
        response = await client.get(f"/api/v1/consultations/{consultation_id}", headers=editor)
        return response.json()["view_count"] == 4

    # Written in the background within seconds (engagement.page_cache.HIT_FLUSH_SECONDS), with no other request.
    await wait_until(four_views, "the four views written")


async def test_an_approved_question_is_on_the_next_anonymous_view(client, cast):
    session_id = await make_session(cast, status="live")
    url = f"/live-sessions/{session_id}"
    question = await ask(cast, session_id, content="电梯补贴什么时候发放？")
    before, _ = await fetch(client, url)
    assert "电梯补贴什么时候发放？" not in before.text
    _, cached = await fetch(client, url)
    assert cached == 0
    await approve(cast, question)  # through the service: a committed unit of work invalidates too
    after, queries = await fetch(client, url)
    assert queries > 0 and "电梯补贴什么时候发放？" in after.text


async def test_a_published_letter_is_on_the_next_anonymous_view(client, cast):
    before, _ = await fetch(client, "/mailbox/search?q=噪音")
    number = await published_letter(cast, subject="夜间施工噪音扰民")
    after, queries = await fetch(client, "/mailbox/search?q=噪音")
    assert queries > 0 and number in after.text and number not in before.text


async def test_a_write_in_another_web_process_is_seen_through_redis(client, cast):
    """With Redis, another process's write request bumps the shared generation, and this process renders anew."""
    from redis.asyncio import Redis

    from engagement.page_cache import REDIS_GENERATION_KEY
    from engagement.settings import get_settings

    if not get_settings().redis_url:
        pytest.skip("one process without Redis: nothing to share")
    await fetch(client, "/consultations")
    _, cached = await fetch(client, "/consultations")
    assert cached == 0
    other_process = Redis.from_url(get_settings().redis_url)
    try:
        await other_process.incr(REDIS_GENERATION_KEY)  # what PageCacheMiddleware does there after a POST
    finally:
        await other_process.aclose()
    _, queries = await fetch(client, "/consultations")
    assert queries > 0


async def test_staff_never_get_a_cached_page(client, cast, app):
    await fetch(client, "/")
    _, cached = await fetch(client, "/")
    assert cached == 0
    await client.get("/login")
    logged_in = await client.post("/login", data={"username": "admin", "password": cast.admin.password, "next": "/staff",
                                                  "_csrf_token": client.cookies.get("engagement_csrf")})
    assert logged_in.status_code == 303, logged_in.text
    for _ in range(2):
        page, queries = await fetch(client, "/")
        assert queries > 0 and "etag" not in page.headers
    bearer = await staff_headers(client, cast.admin)
    async with anonymous(app) as api_user:
        _, bearer_queries = await fetch(api_user, "/", headers=bearer)
    assert bearer_queries > 0


async def test_a_verified_citizen_gets_their_own_form_page(client, cast, app):
    consultation_id = await new_consultation(client, cast)
    url = f"/consultations/{consultation_id}"
    async with anonymous(app) as stranger:
        await fetch(stranger, url)
        _, cached = await fetch(stranger, url)
        assert cached == 0
    page, _ = await fetch(client, "/verify")
    token = TOKEN_FIELD.search(page.text).group(1)
    sent = await client.post("/api/v1/sms/codes", json={"phone": PHONE})
    assert sent.status_code == 202, sent.text
    verified = await client.post("/verify", data={"phone": PHONE, "code": await read_code(client, PHONE),
                                                  "_csrf_token": token})
    assert verified.status_code == 200, verified.text
    for _ in range(2):
        mine, queries = await fetch(client, url)
        assert queries > 0 and 'name="phone"' not in mine.text  # no phone fields: already verified
    async with anonymous(app) as stranger:
        theirs, _ = await fetch(stranger, url)
        assert 'name="phone"' in theirs.text


async def test_anonymous_visitors_get_their_own_csrf_token_and_no_session(client, cast, app):
    consultation_id = await new_consultation(client, cast)
    url = f"/consultations/{consultation_id}"
    tokens = []
    for _ in range(2):
        async with anonymous(app) as browser:
            page, _ = await fetch(browser, url)
            again, queries = await fetch(browser, url)
            token = browser.cookies.get("engagement_csrf")
            assert queries == 0 and token and "session" not in browser.cookies
            assert TOKEN_FIELD.findall(page.text) == TOKEN_FIELD.findall(again.text) == [token]
            posted = await browser.post(f"{url}/opinions", data={"content": "建议增加绿地", "name": "李四",
                                                                 "_csrf_token": token})
            assert posted.status_code == 400, posted.text  # the form is accepted; it asks to verify the phone
            tokens.append(token)
    assert tokens[0] != tokens[1]


async def test_language_and_elder_mode_have_their_own_copies(client, cast):
    chinese, _ = await fetch(client, "/")
    english, _ = await fetch(client, "/?lang=en")
    assert english.headers["etag"] != chinese.headers["etag"] and 'lang="en"' in english.text
    english_page, _ = await fetch(client, "/")  # the cookie now says English
    english_again, queries = await fetch(client, "/")
    assert queries == 0 and english_again.text == english_page.text and 'lang="en"' in english_again.text
    elder, _ = await fetch(client, "/?elder=1")
    assert 'class="elder"' in elder.text and "elder=1" in elder.headers.get("set-cookie", "")
    assert 'class="elder"' in (await fetch(client, "/"))[0].text


async def test_concurrent_first_visits_render_once(client, cast, app):
    await new_consultation(client, cast)
    browsers = [anonymous(app) for _ in range(8)]
    _, single_render = await fetch(browsers[0], "/consultations?department=fgw&q=城市")
    from engagement.page_cache import content_changed

    content_changed()
    with captured_queries() as statements:
        pages = await asyncio.gather(*(browser.get("/consultations?department=fgw&q=城市") for browser in browsers))
    assert {page.status_code for page in pages} == {200} and len({page.text for page in pages}) == 1
    assert len(statements) == single_render
    for browser in browsers:
        await browser.aclose()


async def test_beyond_capacity_the_server_answers_503_with_retry_after(app):
    """``ENGAGEMENT_MAX_IN_FLIGHT`` requests in progress (their bodies still arriving, here): the next is refused."""
    from engagement.settings import get_settings

    limit = get_settings().max_in_flight
    release, reading = asyncio.Event(), []

    async def slow_body():
        reading.append(True)  # the application has started reading this request
        yield b"phone="
        await release.wait()
        yield b"13800138000"

    async with anonymous(app) as http:
        held = [asyncio.create_task(http.post("/verify/code", content=slow_body(),
                                              headers={"content-type": "application/x-www-form-urlencoded"}))
                for _ in range(limit)]
        try:
            await wait_until(lambda: _true(len(reading) == limit), f"{limit} requests in progress")
            refused = await http.get("/")
            assert refused.status_code == 503 and refused.headers["retry-after"].isdigit()
            assert "服务繁忙" in refused.text
            api = await http.get("/api/v1/consultations")
            assert api.status_code == 503 and "服务繁忙" in api.json()["detail"] and api.headers["retry-after"]
        finally:
            release.set()
            answers = await asyncio.gather(*held)
        # The held ones were answered once their bodies arrived (403: these posts carry no CSRF token).
        assert {answer.status_code for answer in answers} == {403}
        assert (await http.get("/healthz")).status_code == 200


async def _true(value: bool) -> bool:
    return value
