"""Issue 12, items 7 and 9, against the real server (``python -m engagement serve``) as deployed:

- a deployment that forgot ``ENGAGEMENT_ENV`` exposes no development outbox;
- the site-wide hourly SMS budget stops codes and alerts administrators;
- websockets: at most N per address per process, and oversized frames refused by uvicorn itself.

One server runs for the module, with ``ENGAGEMENT_ENV`` unset and small limits.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import subprocess
import sys
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.engagement.test_pages import login_through_form
from tests.support import free_port, service_environment, staff_headers, wait_for_http

BUDGET = 3
WS_PER_ADDRESS = 3
WAIT_SECONDS = 15


@pytest.fixture(scope="module")
def server(database, celery_worker):
    environment = service_environment()
    environment.pop("ENGAGEMENT_ENV")  # the mistake under test: development by default, not by choice
    environment.update(ENGAGEMENT_SMS_HOURLY_BUDGET=str(BUDGET), ENGAGEMENT_WS_CONNECTIONS_PER_ADDRESS=str(WS_PER_ADDRESS))
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="engagement-guarded-")) / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "engagement", "serve", "--port", str(port)],
                                   env=environment, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base_url}/healthz", process, log_path)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
async def http(server):
    async with httpx.AsyncClient(base_url=server, timeout=20) as client:
        yield client


# --- the development outbox needs ENGAGEMENT_ENV=development set -------------------------------------------


async def test_without_engagement_env_the_outbox_shows_no_phone_or_code(http):
    assert (await http.post("/api/v1/sms/codes", json={"phone": "13800138000"})).status_code == 202
    for accept in ["application/json", "text/html"]:
        response = await http.get("/dev/sms-outbox", headers={"accept": accept})
        assert response.status_code == 404
        assert "13800138000" not in response.text


# --- the hourly SMS budget -----------------------------------------------------------------------------------


async def test_the_hourly_budget_stops_codes_and_alerts_administrators(http, cast):
    for n in range(BUDGET):
        assert (await http.post("/api/v1/sms/codes", json={"phone": f"1390000{n:04d}"})).status_code == 202
    for n in range(3):
        refused = await http.post("/api/v1/sms/codes", json={"phone": f"1370000{n:04d}"})
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) <= 3601
        assert refused.json()["detail"] == "验证码发送暂停，请稍后再试。"
    await login_through_form(http, cast.admin)
    assert "data-sms-budget-warning" in (await http.get("/staff")).text
    alerts = await http.get("/admin/api/tables/audit_entry/", params={"action": "sms.budget_exhausted"})
    assert [row["action"] for row in alerts.json()["rows"]] == ["sms.budget_exhausted"]  # once, not per request


async def test_the_budget_warning_is_for_administrators_only(http, cast):
    await login_through_form(http, cast.fgw_editor)
    dashboard = await http.get("/staff")
    assert dashboard.status_code == 200 and "data-sms-budget-warning" not in dashboard.text


# --- websockets ---------------------------------------------------------------------------------------------


@pytest.fixture
async def viewer_path(server, http, cast):
    host = await staff_headers(http, cast.host)
    created = await http.post("/api/v1/live-sessions", headers=host, json={
        "kind": "interview", "title": "老旧小区加装电梯", "description": "住建局负责同志做客访谈。",
        "guests": [{"name": "王建国", "title": "局长"}], "scheduled_at": "2030-01-01T10:00:00+08:00"})
    assert created.status_code == 201, created.text
    return server.replace("http://", "ws://", 1) + f"/ws/live-sessions/{created.json()['id']}"


async def test_one_address_may_hold_only_so_many_websockets(viewer_path):
    async with AsyncExitStack() as viewers:
        first = [await viewers.enter_async_context(connect(viewer_path)) for _ in range(WS_PER_ADDRESS)]
        with pytest.raises(InvalidStatus) as refused:
            async with connect(viewer_path):
                pass
        assert refused.value.response.status_code == 403
        await first[0].close()
        await viewers.enter_async_context(await connect_when_a_slot_is_free(viewer_path))


async def connect_when_a_slot_is_free(path: str):
    """The server counts a socket closed once its handler has returned, just after the closing handshake."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        try:
            return await connect(path)
        except InvalidStatus:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.05)


async def test_a_frame_larger_than_the_app_accepts_is_refused_before_it_is_read(viewer_path):
    """A frame header announcing 8 MiB is answered with close 1009 at once, without waiting for the payload."""
    host, port = viewer_path.removeprefix("ws://").split("/", 1)[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        path = "/" + viewer_path.removeprefix("ws://").split("/", 1)[1]
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        handshake = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_SECONDS)
        assert handshake.startswith(b"HTTP/1.1 101"), handshake
        writer.write(bytes([0x81, 0x80 | 127]) + struct.pack("!Q", 8 * 1024 * 1024) + os.urandom(4) + b"x" * 64)
        await writer.drain()
        assert await asyncio.wait_for(close_code(reader), WAIT_SECONDS) == 1009
    finally:
        writer.close()


async def close_code(reader: asyncio.StreamReader) -> int:
    """Read server frames (catch-up events first) until the close frame; its status code."""
    while True:
        first, second = await reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", await reader.readexactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", await reader.readexactly(8))[0]
        payload = await reader.readexactly(length)
        if first & 0x0F == 0x8:
            return struct.unpack("!H", payload[:2])[0]
        json.loads(payload)  # an ordinary event
