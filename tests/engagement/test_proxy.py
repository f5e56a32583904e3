"""The production topology, real: Debian's nginx with docker/nginx.conf.template in front of two
``python -m engagement serve`` processes sharing PostgreSQL and Redis (bench/proxy.py's ``Topology``).

Through nginx: a page (gzip), a static file served by nginx itself, live events over websockets, and the
client's own address reaching the rate limiter (and a client-sent ``X-Forwarded-For`` not believed).
Distinct client addresses are distinct loopback source addresses (127.0.0.0/8 is all local on Linux).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from bench.proxy import STATIC_ROOT, Topology, nginx_binary
from engagement.ratelimit import WINDOW_SECONDS
from tests.live_sessions.factories import session_body
from tests.support import require_service, service_environment, staff_headers

RATE_LIMIT = 20  # requests a minute per client address, shared by both web processes through Redis
RECEIVE_TIMEOUT = 15
STATIC_FILE = "css/site.css"


def require_nginx() -> None:
    if nginx_binary() is not None:
        return
    message = "nginx is not installed (`make proxy-deps`)"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def proxy(database, celery_worker):
    require_service("postgres")
    require_service("redis")
    require_nginx()
    environment = {**service_environment(), "ENGAGEMENT_RATE_LIMIT": str(RATE_LIMIT)}
    with Topology(environment, Path(tempfile.mkdtemp(prefix="engagement-proxy-"))) as topology:
        yield topology


def client_address() -> str:
    """A loopback address no other test (nor an earlier run within the rate-limit minute) used."""
    return f"127.{random.randrange(1, 255)}.{random.randrange(0, 255)}.{random.randrange(2, 255)}"


def visitor(proxy: Topology, address: str) -> httpx.AsyncClient:
    """A client connecting to nginx from ``address``."""
    return httpx.AsyncClient(base_url=proxy.base_url, timeout=20,
                             transport=httpx.AsyncHTTPTransport(local_address=address))


async def test_a_page_comes_through_the_proxy_compressed(proxy):
    async with visitor(proxy, client_address()) as http:
        response = await http.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    assert "<html" in response.text  # httpx decompressed it


async def test_static_files_are_served_by_nginx_with_their_caching(proxy):
    expected = (STATIC_ROOT / STATIC_FILE).read_bytes()
    async with visitor(proxy, client_address()) as http:
        versioned = await http.get(f"/static/{STATIC_FILE}?v=0123456789", headers={"Accept-Encoding": "identity"})
        plain = await http.get(f"/static/{STATIC_FILE}", headers={"Accept-Encoding": "gzip"})
        missing = await http.get("/static/css/no-such-file.css")
    assert versioned.status_code == 200 and versioned.content == expected
    # The application never sends these: nginx answered from the directory itself.
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["x-content-type-options"] == "nosniff"
    assert plain.headers["cache-control"] == "public, max-age=300"
    assert plain.headers["content-encoding"] == "gzip" and plain.content == expected
    assert missing.status_code == 404


async def test_live_events_reach_viewers_on_both_web_processes_through_the_proxy(proxy, cast):
    async with visitor(proxy, client_address()) as http:
        host = await staff_headers(http, cast.host)
        created = await http.post("/api/v1/live-sessions", json=session_body(), headers=host)
        assert created.status_code == 201, created.text
        session_id = created.json()["id"]
        assert (await http.post(f"/api/v1/live-sessions/{session_id}/start", headers=host)).status_code == 200
        url = proxy.base_url.replace("http://", "ws://", 1) + f"/ws/live-sessions/{session_id}"
        # nginx takes turns between the two web processes: one viewer lands on each.
        async with connect(url) as first, connect(url) as second:
            for viewer in (first, second):
                assert (await next_recorded(viewer))["status"] == "live"  # the catch-up
            remark = await http.post(f"/api/v1/live-sessions/{session_id}/remarks",
                                     json={"content": "代理之后也能实时看到。"}, headers=host)
            assert remark.status_code == 201, remark.text
            for viewer in (first, second):
                event = await next_recorded(viewer)
                assert (event["type"], event["content"], event["seq"]) == ("remark", "代理之后也能实时看到。", 2)


async def next_recorded(socket) -> dict:
    """The next event with a sequence number (viewer counts are skipped)."""
    while True:
        event = json.loads(await asyncio.wait_for(socket.recv(), RECEIVE_TIMEOUT))
        if "seq" in event:
            return event


async def test_the_rate_limit_counts_each_real_client_and_ignores_forwarded_for_sent_by_clients(proxy):
    statuses = await burst_within_one_window(proxy)
    assert statuses == [200] * RATE_LIMIT + [429]
    async with visitor(proxy, client_address()) as http:
        # Another client is not affected: the limiter sees each client's address, not nginx's.
        assert (await http.get("/")).status_code == 200


async def burst_within_one_window(proxy: Topology) -> list[int]:
    """The statuses of RATE_LIMIT + 1 requests from one client, all sent within one minute of the wall clock.

    The servers' limiter counts fixed minutes (engagement/ratelimit.py), and their clock cannot be stopped
    from here: a burst that straddled the turn of a minute is sent again, from a fresh address, in the new one.
    """
    while True:
        window = int(time.time() // WINDOW_SECONDS)
        async with visitor(proxy, client_address()) as http:
            # Every request claims another address: nginx replaces the header, so they all count for this client.
            statuses = [(await http.get("/", headers={"X-Forwarded-For": f"10.0.0.{n}"})).status_code
                        for n in range(RATE_LIMIT + 1)]
        if int(time.time() // WINDOW_SECONDS) == window:
            return statuses
