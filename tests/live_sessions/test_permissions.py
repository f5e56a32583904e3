"""Authorisation, generated from the application's routes: every staff route of this module (and its
guarded websocket), for every role. A new staff route without a case here fails
``test_every_staff_route_is_covered``.
"""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from engagement import permissions
from engagement.accounts import Staff
from live_sessions.permissions import PERMISSIONS
from tests.live_sessions.factories import ask, make_session, session_body
from tests.support import staff_headers

PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
MODULE_PREFIXES = ("/api/v1/live-sessions", "/api/v1/questions", "/api/v1/transcript", "/staff/live-sessions")


def staff_routes() -> list[tuple[str, str]]:
    """(method, path) of every guarded route of this module, from the app's route table."""
    from litestar.routes import HTTPRoute

    from engagement.app import create_app

    found = []
    for route in create_app().routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(MODULE_PREFIXES):
            continue
        for handler in route.route_handlers:
            if handler.guards:
                for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                    found.append((method, route.path))
    return sorted(set(found))


def staff_sockets() -> list[str]:
    """Paths of this module's guarded websockets."""
    from litestar.routes import WebSocketRoute

    from engagement.app import create_app

    return sorted(route.path for route in create_app().routes
                  if isinstance(route, WebSocketRoute) and route.path.startswith("/ws/live-sessions")
                  and route.route_handler.guards)


ROUTES = staff_routes()
SOCKETS = staff_sockets()


def test_every_staff_route_is_covered():
    assert len(ROUTES) >= 15, ROUTES
    assert SOCKETS == ["/ws/live-sessions/{session_id:int}/moderation"], SOCKETS


async def concrete(path: str, cast) -> str:
    session_id = await make_session(cast)
    question_id = await ask(cast, session_id)
    ids = {"session_id": session_id, "question_id": question_id, "entry_id": 1, "comment_id": 1, "issue_id": 1,
           "registration_id": 1}
    return PARAMETER.sub(lambda m: str(ids[m.group(1)]), path)


@pytest.mark.parametrize("method, path", ROUTES)
@pytest.mark.parametrize("who, expected", [("fgw_editor", 403), ("zjj_editor", 403), (None, 401)])
async def test_editors_and_strangers_are_refused_on_every_host_action(client, cast, method, path, who, expected):
    url = await concrete(path, cast)
    headers = await staff_headers(client, getattr(cast, who)) if who else {}
    body = session_body() if path == "/api/v1/live-sessions" else {"action": "approve", "content": "x", "answer": "x"}
    if path.startswith("/staff"):
        await client.get("/live-sessions")  # the CSRF cookie, so the guard (not the CSRF check) answers
        headers = {**headers, "x-csrftoken": client.cookies.get("engagement_csrf", "")}
        response = await client.request(method, url, headers=headers, data=body if method == "POST" else None,
                                        follow_redirects=False)
        if who is None:  # pages send strangers to the login page
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), response.text
            return
    else:
        response = await client.request(method, url, headers=headers, json=body if method != "GET" else None)
    assert response.status_code == expected, f"{who} {method} {url}: {response.status_code} {response.text[:200]}"


@pytest.mark.parametrize("role", ["host", "admin"])
async def test_hosts_and_admins_may_run_sessions(client, cast, role):
    headers = await staff_headers(client, getattr(cast, role))
    response = await client.post("/api/v1/live-sessions", json=session_body(), headers=headers)
    assert response.status_code == 201


@pytest.mark.parametrize("path", SOCKETS)
@pytest.mark.parametrize("who, admitted", [("host", True), ("admin", True), ("fgw_editor", False),
                                           ("zjj_editor", False), (None, False)])
async def test_only_hosts_and_admins_open_the_moderation_socket(live_server, cast, path, who, admitted):
    url = live_server.replace("http://", "ws://", 1) + await concrete(path, cast)
    async with httpx.AsyncClient(base_url=live_server, timeout=20) as http:
        headers = await staff_headers(http, getattr(cast, who)) if who else {}
    if not admitted:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, additional_headers=headers):
                pass
        assert refused.value.response.status_code == 403
        return
    async with connect(url, additional_headers=headers) as socket:
        event = json.loads(await asyncio.wait_for(socket.recv(), 10))  # the catch-up: the question asked above
        assert event["type"] == "submitted"


def test_permissions_deny_by_default():
    host = Staff(id=1, username="h", display_name="h", role="host", department_id=None, department_slug=None)
    editor = Staff(id=2, username="e", display_name="e", role="editor", department_id=1, department_slug="fgw")
    for permission in PERMISSIONS:
        if permission.name == "rectification.report":  # the departments' own (test_rectifications_permissions.py)
            continue
        assert permissions.allowed(host, permission.name)
        assert not permissions.allowed(editor, permission.name)
        assert not permissions.allowed(None, permission.name)
    assert not permissions.allowed(host, "an action nobody listed")
