"""The live websocket against the real server process (``python -m engagement serve``).

Actions go through the server's HTTP API, so the server publishes the events; viewers
connect with the ``websockets`` client library as a browser would.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from engagement.verification import issue_citizen_token
from tests.live_sessions.factories import make_citizen, session_body
from tests.support import require_service, served_app, staff_headers

RECEIVE_TIMEOUT = 10


def ws_url(base_url: str, path: str) -> str:
    return base_url.replace("http://", "ws://", 1) + path


async def receive_json(socket, timeout=RECEIVE_TIMEOUT) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def next_recorded(socket, timeout=RECEIVE_TIMEOUT) -> dict:
    """The next event that is part of the record (has a seq); viewer counts and votes are skipped."""
    while True:
        event = await receive_json(socket, timeout)
        if "seq" in event:
            return event


async def recorded_until(socket, predicate, timeout=RECEIVE_TIMEOUT) -> list[dict]:
    events = []
    while True:
        event = await next_recorded(socket, timeout)
        events.append(event)
        if predicate(event):
            return events


class Scene:
    """A host, a citizen and a live session on the server."""

    def __init__(self, http: httpx.AsyncClient, host: dict, citizen: dict, session_id: int) -> None:
        self.http, self.host, self.citizen, self.session_id = http, host, citizen, session_id

    async def ask(self, content: str) -> int:
        response = await self.http.post(f"/api/v1/live-sessions/{self.session_id}/questions",
                                        json={"content": content}, headers=self.citizen)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    async def post(self, path: str, body: dict | None = None, status: int = 200) -> dict:
        response = await self.http.post(path, json=body, headers=self.host)
        assert response.status_code == status, response.text
        return response.json()

    async def approve(self, question_id: int) -> None:
        await self.post(f"/api/v1/questions/{question_id}/moderate", {"action": "approve"})

    async def answer(self, question_id: int, text: str) -> None:
        await self.post(f"/api/v1/questions/{question_id}/answer", {"answer": text, "speaker": "王建国"}, 201)

    async def remark(self, text: str) -> None:
        await self.post(f"/api/v1/live-sessions/{self.session_id}/remarks", {"content": text}, 201)


@pytest.fixture
async def scene(live_server, cast):
    async with httpx.AsyncClient(base_url=live_server, timeout=20) as http:
        host = await staff_headers(http, cast.host)
        citizen = {"Authorization": f"Bearer {issue_citizen_token(await make_citizen())}"}
        created = await http.post("/api/v1/live-sessions", json=session_body(), headers=host)
        assert created.status_code == 201, created.text
        session_id = created.json()["id"]
        result = Scene(http, host, citizen, session_id)
        await result.post(f"/api/v1/live-sessions/{session_id}/start")
        yield result


async def test_an_approved_question_and_its_answer_reach_a_viewer_and_a_pending_one_never(live_server, scene):
    async with connect(ws_url(live_server, f"/ws/live-sessions/{scene.session_id}")) as viewer:
        status = await next_recorded(viewer)  # the catch-up: the session went live before we connected
        assert {key: status[key] for key in ("type", "seq", "status")} == {"type": "status", "seq": 1, "status": "live"}
        approved = await scene.ask("加装电梯的补贴标准是多少？")
        pending = await scene.ask("这个问题不会被批准")
        await scene.approve(approved)
        question = await next_recorded(viewer)
        assert question["type"] == "question" and question["id"] == approved
        assert question["content"] == "加装电梯的补贴标准是多少？"
        await scene.answer(approved, "每台最高补贴20万元。")
        answer = await next_recorded(viewer)
        assert answer["type"] == "answer" and answer["question_id"] == approved
        assert answer["content"] == "每台最高补贴20万元。" and answer["speaker"] == "王建国"
        await scene.remark("下面进入下一个话题。")
        events = await recorded_until(viewer, lambda event: event["type"] == "remark")
        assert all(event.get("id") != pending for event in events if event["type"] == "question")
        assert [event["seq"] for event in [status, question, answer, *events]] == [1, 2, 3, 4]


async def test_a_viewer_that_reconnects_with_its_last_event_id_gets_exactly_what_it_missed(live_server, scene):
    path = f"/ws/live-sessions/{scene.session_id}"
    async with connect(ws_url(live_server, path)) as viewer:
        first = await scene.ask("第一个问题")
        await scene.approve(first)
        seen = await recorded_until(viewer, lambda event: event["type"] == "question")
    last = seen[-1]["seq"]
    # while the viewer is away
    second = await scene.ask("第二个问题")
    await scene.approve(second)
    await scene.answer(first, "回答第一个问题。")
    await scene.remark("欢迎回来。")
    recorded = (await scene.http.get(f"/api/v1/live-sessions/{scene.session_id}/events", params={"after": last})).json()
    missed = recorded["items"]
    assert [event["type"] for event in missed] == ["question", "answer", "remark"]
    async with connect(ws_url(live_server, f"{path}?after={last}")) as viewer:
        caught_up = [await next_recorded(viewer) for _ in missed]
        assert caught_up == missed
        await scene.remark("继续。")  # then live, with no duplicate in between
        live = await next_recorded(viewer)
        assert live["type"] == "remark" and live["seq"] == missed[-1]["seq"] + 1


async def test_the_most_viewers_at_once_is_kept_for_the_statistics(live_server, scene):
    path = ws_url(live_server, f"/ws/live-sessions/{scene.session_id}")
    async with connect(path) as first, connect(path) as second:
        await next_recorded(first), await next_recorded(second)
        assert await peak_viewers_within(scene, RECEIVE_TIMEOUT, until=2) == 2
    async with connect(path) as again:  # one viewer later: the peak stays
        await next_recorded(again)
        await viewers_event(again, count=1)
    assert await peak_viewers_within(scene, 0) == 2


async def viewers_event(socket, count: int) -> dict:
    while True:
        event = await receive_json(socket)
        if event.get("type") == "viewers" and event["count"] == count:
            return event


async def peak_viewers_within(scene, seconds: float, until: int | None = None) -> int:
    """The session's peak_viewers, polled until it reaches ``until`` or the time is up."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        response = await scene.http.get(f"/api/v1/live-sessions/{scene.session_id}", headers=scene.host)
        peak = response.json()["peak_viewers"]
        if peak == until or asyncio.get_running_loop().time() >= deadline:
            return peak
        await asyncio.sleep(0.1)


async def test_the_origin_is_checked(live_server, scene):
    path = ws_url(live_server, f"/ws/live-sessions/{scene.session_id}")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(path, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    async with connect(path, origin=live_server) as viewer:
        assert (await next_recorded(viewer))["type"] == "status"


async def test_unknown_sessions_are_refused(live_server, scene):
    with pytest.raises(InvalidStatus):
        async with connect(ws_url(live_server, "/ws/live-sessions/999999")):
            pass


async def test_malformed_requests_are_refused_at_the_handshake(live_server, scene):
    base = ws_url(live_server, "/ws/live-sessions/")
    for path in (f"{scene.session_id}?after=abc", f"{scene.session_id}?after=1e3", "0", "9" * 20, "1" * 5000):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(base + path):
                pass
        assert refused.value.response.status_code == 403, path
    async with connect(f"{base}{scene.session_id}?after=-4&after=junk") as viewer:  # the first one counts
        assert (await next_recorded(viewer))["seq"] == 1


async def test_a_viewer_ahead_of_the_record_is_told_to_reset_then_gets_everything(live_server, scene):
    async with connect(ws_url(live_server, f"/ws/live-sessions/{scene.session_id}?after=50")) as viewer:
        assert (await receive_json(viewer))["type"] == "reset"
        assert (await next_recorded(viewer))["seq"] == 1


async def test_oversized_and_flooding_messages_close_the_socket(live_server, scene):
    path = ws_url(live_server, f"/ws/live-sessions/{scene.session_id}")
    async with connect(path) as viewer:
        await viewer.send(json.dumps({"type": "ping"}))
        while (event := await receive_json(viewer))["type"] != "pong":
            pass
        assert event["last_seq"] == 1
        await viewer.send("x" * 4096)
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(10):
                await receive_json(viewer)
        assert closed.value.rcvd.code == 1009
    async with connect(path) as viewer:
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(100):
                await viewer.send('{"type":"ping"}')
            for _ in range(200):
                await receive_json(viewer)
        assert closed.value.rcvd.code == 1008


async def test_the_moderation_stream_shows_new_questions_to_hosts_only(live_server, scene, cast):
    path = ws_url(live_server, f"/ws/live-sessions/{scene.session_id}/moderation")
    async with connect(path, additional_headers=scene.host) as console:
        question_id = await scene.ask("请问什么时候开工？")
        event = await next_recorded(console)
        assert event["type"] == "submitted" and event["id"] == question_id and event["state"] == "pending"
        assert "phone" not in event
    editor = await staff_headers(scene.http, cast.fgw_editor)
    for headers, code in [(editor, 4403), ({}, 4401)]:
        with pytest.raises((InvalidStatus, ConnectionClosed)) as refused:
            async with connect(path, additional_headers=headers) as socket:
                await socket.recv()
        if isinstance(refused.value, ConnectionClosed):
            assert refused.value.rcvd.code == code
    # with the session cookie, a foreign origin is refused
    with pytest.raises(InvalidStatus):
        async with connect(path, origin="https://evil.example", additional_headers={"Cookie": "session=x"}):
            pass


@pytest.fixture
def second_server(live_server):
    """Another web process on the same database and Redis, as a second replica behind the proxy."""
    require_service("redis")
    import tempfile
    from pathlib import Path

    with served_app(Path(tempfile.mkdtemp())) as base_url:
        yield base_url


async def test_with_redis_an_event_published_by_one_server_reaches_a_viewer_on_another(scene, second_server):
    async with connect(ws_url(second_server, f"/ws/live-sessions/{scene.session_id}")) as viewer:
        assert (await next_recorded(viewer))["type"] == "status"
        question_id = await scene.ask("两台服务器都能收到吗？")
        await scene.approve(question_id)  # through the first server
        event = await next_recorded(viewer)
        assert event["type"] == "question" and event["id"] == question_id


async def test_with_redis_viewers_on_two_servers_are_shown_the_audience_of_both(live_server, scene, second_server):
    path = f"/ws/live-sessions/{scene.session_id}"
    async with connect(ws_url(live_server, path)) as first, connect(ws_url(second_server, path)) as second:
        await next_recorded(first), await next_recorded(second)
        # Each process counts its own viewer; each viewer is shown the total, not one count per process.
        for viewer in (first, second):
            event = await viewers_event(viewer, count=2)
            assert set(event) == {"type", "count"}
        async with connect(ws_url(second_server, path)) as third:
            await next_recorded(third)
            assert (await viewers_event(third, count=2))["count"] == 2  # what the audience was when it joined
            await viewers_event(first, count=3)
