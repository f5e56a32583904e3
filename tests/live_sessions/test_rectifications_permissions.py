"""Who may do what with rectifications: every guarded route of the feature, for every role of the cast."""

from __future__ import annotations

import pytest

from engagement import permissions
from engagement.accounts import Staff
from tests.live_sessions.factories import rectified_issue
from tests.support import log_in_page, staff_headers

# (method, path, body) -> expected status per actor; the rectification belongs to zjj.
ROUTES = {
    ("POST", "/api/v1/issues/{id}/progress", "json"):
        {None: 401, "host": 403, "fgw_editor": 403, "zjj_editor": 201, "admin": 201},
    ("POST", "/api/v1/issues/{id}/complete", "json"):
        {None: 401, "host": 403, "fgw_editor": 403, "zjj_editor": 200, "admin": 200},
    ("POST", "/api/v1/issues/{id}/rectification", "record"):
        {None: 401, "host": 409, "fgw_editor": 403, "zjj_editor": 403, "admin": 409},  # 409: it has one already
    ("GET", "/staff/rectifications/{id}", None):  # pages send strangers to the login page
        {None: 303, "host": 403, "fgw_editor": 403, "zjj_editor": 200, "admin": 200},
    ("GET", "/staff/rectifications", None):
        {None: 303, "host": 200, "fgw_editor": 200, "zjj_editor": 200, "admin": 200},
}


def test_the_report_permission_is_the_departments():
    def staff(role, department):
        return Staff(id=1, username="x", display_name="x", role=role, department_id=department, department_slug=None)

    assert permissions.allowed(staff("editor", 3), "rectification.report", 3)
    assert not permissions.allowed(staff("editor", 2), "rectification.report", 3)
    assert not permissions.allowed(staff("host", None), "rectification.report", 3)
    assert permissions.allowed(staff("admin", None), "rectification.report", 3)
    assert permissions.allowed(staff("host", None), "rectification.record")
    assert not permissions.allowed(staff("editor", 3), "rectification.record")


@pytest.mark.parametrize("route", sorted(ROUTES, key=str), ids=lambda route: f"{route[0]} {route[1]}")
async def test_every_role_on_every_rectification_route(client, cast, route):
    method, template, body = route
    for actor, expected in ROUTES[route].items():
        _session, issue_id = await rectified_issue(cast)
        path = template.replace("{id}", str(issue_id))
        client.cookies.clear()
        if actor is None:
            headers = {}
        elif path.startswith("/staff"):  # pages: the session cookie of a login
            headers = await log_in_page(client, getattr(cast, actor))
        else:
            headers = await staff_headers(client, getattr(cast, actor))
        payload = {"department": "zjj", "commitment": "整改", "due_date": "2030-01-01"} if body == "record" else (
            {"content": "进展"} if body else None)
        response = await client.request(method, path, json=payload, headers=headers)
        assert response.status_code == expected, (actor, path, response.text[:200])
