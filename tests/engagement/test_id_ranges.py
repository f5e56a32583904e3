"""Ids beyond what a column holds, in JSON bodies and websocket paths (issue 12, item 3): a 400 or 404, or
a clean close of the socket, never a server error (PostgreSQL's ``integer`` ids end at 2**31 - 1)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.live_sessions.factories import make_programme, make_session, published_issue
from tests.support import citizen_headers, staff_headers

BIG_IDS = [2**31, 99999999999999, 2**63, 2**70]
INTERNAL_ERROR_CLOSE = 1011


def assert_refused(response) -> None:
    assert response.status_code in (400, 404), response.text
    assert response.json()["status_code"] == response.status_code and response.json()["detail"]


async def test_big_ids_in_json_bodies_are_400_or_404(client, cast):
    admin = await staff_headers(client, cast.admin)
    host = await staff_headers(client, cast.host)
    session_id = await make_programme(cast)
    issue_id = await published_issue(cast, session_id)
    created = await client.post("/api/v1/consultations", headers=admin, json={
        "title": "关于城市更新方案公开征求意见", "department": "fgw", "summary": "征求意见。",
        "closes_at": (datetime.now(UTC) + timedelta(days=10)).isoformat()})
    assert created.status_code == 201, created.text
    consultation_id = created.json()["id"]
    assert (await client.post(f"/api/v1/consultations/{consultation_id}/publish", headers=admin)).status_code == 200
    citizen = await citizen_headers(client, "13800138000")
    for value in BIG_IDS:
        assert_refused(await client.post(f"/api/v1/issues/{issue_id}/merge", json={"into": value}, headers=host))
        assert_refused(await client.post("/api/v1/consultations", headers=admin, json={
            "title": "关于停车规划征求意见", "department": "fgw", "topic": value,
            "closes_at": (datetime.now(UTC) + timedelta(days=10)).isoformat()}))
        assert_refused(await client.post(f"/api/v1/consultations/{consultation_id}/opinions", headers=citizen,
                                         json={"content": "建议增加社区养老服务设施。", "section": value}))


def ws_url(base_url: str, path: str) -> str:
    return base_url.replace("http://", "ws://", 1) + path


async def closed_cleanly(url: str) -> bool:
    """Refused at the handshake (an HTTP 4xx) or closed by the server with anything but an internal error."""
    try:
        async with connect(url, open_timeout=10) as socket:
            try:
                await asyncio.wait_for(socket.recv(), 10)
            except ConnectionClosed as closed:
                return closed.rcvd is None or closed.rcvd.code != INTERNAL_ERROR_CLOSE
            return False  # it answered as if the session existed
    except InvalidStatus as refused:
        return 400 <= refused.response.status_code < 500


@pytest.mark.parametrize("value", [str(2**31), "99999999999999", str(2**63), "9" * 40])
async def test_big_ids_in_websocket_paths_close_cleanly(live_server, value):
    for path in (f"/ws/live-sessions/{value}", f"/ws/live-sessions/{value}/moderation"):
        assert await closed_cleanly(ws_url(live_server, path)), path


async def test_a_websocket_for_a_session_that_exists_still_opens(client, cast, live_server):
    session_id = await make_session(cast, status="live")
    async with connect(ws_url(live_server, f"/ws/live-sessions/{session_id}"), open_timeout=10) as socket:
        assert await asyncio.wait_for(socket.recv(), 10)
