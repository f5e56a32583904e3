"""The per-address rate limit (engagement/ratelimit.py): windows, cached pages, several processes, Redis down."""

from __future__ import annotations

import dataclasses
import secrets
from contextlib import asynccontextmanager

import httpx

from engagement.app import create_app
from engagement.settings import get_settings
from tests.support import free_port, require_service
from tests.support import stop_rate_limit_clock as stopped_clock


@asynccontextmanager
async def visitor(app, address: str):
    transport = httpx.ASGITransport(app=app, client=(address, 40002))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http



async def test_cached_pages_count_and_the_limit_lifts_when_the_minute_ends():
    app = create_app(rate_limit_per_minute=3)
    now = stopped_clock(app, 45.5)
    address = f"10.1.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    async with app.lifespan(), visitor(app, address) as http:
        pages = [(await http.get("/")).status_code for _ in range(3)]  # the second and third from the cache
        refused_page = await http.get("/")
        refused_api = await http.get("/api/v1/departments")
        static = await http.get("/static/css/site.css")
        now[0] += 15
        after = await http.get("/api/v1/departments")
    assert pages == [200, 200, 200]
    assert refused_page.status_code == 429 and "text/html" in refused_page.headers["content-type"]
    assert refused_page.headers["retry-after"] == "15"
    assert refused_api.status_code == 429 and refused_api.json()["status_code"] == 429
    assert static.status_code == 200
    assert after.status_code == 200


async def test_two_processes_sharing_redis_count_one_budget_per_address():
    require_service("redis")
    first, second = create_app(rate_limit_per_minute=3), create_app(rate_limit_per_minute=3)
    stopped_clock(first, 10), stopped_clock(second, 10)
    address = f"10.2.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    async with first.lifespan(), second.lifespan():
        async with visitor(first, address) as one, visitor(second, address) as two:
            statuses = [(await client.get("/api/v1/departments")).status_code for client in (one, two, one, two)]
        async with visitor(second, address + "0") as neighbour:
            assert (await neighbour.get("/api/v1/departments")).status_code == 200
    assert statuses == [200, 200, 200, 429]


async def test_with_redis_unreachable_each_process_still_limits():
    settings = dataclasses.replace(get_settings(), redis_url=f"redis://127.0.0.1:{free_port()}/0", rate_limit=3)
    app = create_app(settings)
    stopped_clock(app, 20)
    async with app.lifespan(), visitor(app, "10.3.0.1") as http:
        statuses = [(await http.get("/api/v1/departments")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


async def test_the_shared_page_generation_read_with_the_count_still_invalidates_cached_pages():
    """With Redis the limiter's round trip also reads the page cache's generation: another process's write shows."""
    from redis.asyncio import Redis

    from engagement.page_cache import REDIS_GENERATION_KEY
    from tests.support import captured_queries

    require_service("redis")
    app = create_app(rate_limit_per_minute=1000)

    async def queries_of(http) -> int:
        with captured_queries() as statements:
            assert (await http.get("/consultations")).status_code == 200
        return len(statements)

    async with app.lifespan(), visitor(app, "10.4.0.1") as http:
        await queries_of(http)
        cached = await queries_of(http)
        other_process = Redis.from_url(get_settings().redis_url)
        try:
            await other_process.incr(REDIS_GENERATION_KEY)  # what the page cache does there after a write
        finally:
            await other_process.aclose()
        rendered_again = await queries_of(http)
        cached_again = await queries_of(http)
    assert (cached, cached_again) == (0, 0)
    assert rendered_again > 0
