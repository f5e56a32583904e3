"""Every staff route of analytics, for every role: who is admitted, who is refused, who must log in.

Generated from the application's routes: a new guarded route without a row here fails
``test_every_staff_route_is_in_the_table``.
"""

from __future__ import annotations

import pytest

from tests.support import log_in_page, staff_headers

ACTORS = ["anonymous", "admin", "fgw_editor", "zjj_editor", "host"]
FGW = frozenset({"admin", "fgw_editor"})
REPORT = {"title": "月点评", "period_start": "2026-03-01", "period_end": "2026-03-31", "department": "fgw"}
TABLE = {
    ("GET", "/staff/statistics"): (frozenset({"admin", "fgw_editor", "zjj_editor"}), 200),
    ("POST", "/staff/statistics/reports"): (FGW, 303),
    ("POST", "/staff/statistics/reports/{report_id:int}/publish"): (FGW, 303),
    ("POST", "/api/v1/statistics/reports"): (FGW, 201),
    ("POST", "/api/v1/statistics/reports/{report_id:int}/publish"): (FGW, 200),
}


def guarded_routes() -> set[tuple[str, str]]:
    from litestar.routes import HTTPRoute

    from engagement.app import create_app

    found = set()
    for route in create_app().routes:
        if isinstance(route, HTTPRoute) and "statistics" in route.path:
            for handler in route.route_handlers:
                if handler.guards:
                    found |= {(method, route.path) for method in handler.http_methods if method != "HEAD"}
    return found


def test_every_staff_route_is_in_the_table():
    from tests.browser.test_accessibility import normalise

    assert {(m, normalise(p)) for m, p in guarded_routes()} == {(m, normalise(p)) for m, p in TABLE}


async def draft(client, cast) -> int:
    response = await client.post("/api/v1/statistics/reports", json=REPORT, headers=await staff_headers(client, cast.admin))
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize("method, path", sorted(TABLE), ids=[f"{m} {p}" for m, p in sorted(TABLE)])
async def test_roles_and_departments(client, cast, method, path):
    allowed, ok = TABLE[(method, path)]
    page = not path.startswith("/api/")
    for actor in ACTORS:
        url = path.replace("{report_id:int}", str(await draft(client, cast)))
        client.cookies.clear()
        if page:
            token = (await log_in_page(client, getattr(cast, actor)))["x-csrftoken"] if actor != "anonymous" else ""
            kwargs = {"data": {**REPORT, "_csrf_token": token}} if method == "POST" else {}
            headers = {}
        else:
            headers = await staff_headers(client, getattr(cast, actor)) if actor != "anonymous" else {}
            kwargs = {"json": REPORT} if method == "POST" else {}
        response = await client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
        if actor in allowed:
            assert response.status_code == ok, (actor, response.text[:300])
        elif actor == "anonymous":
            assert response.status_code in (401, 303, 302, 403), (actor, response.status_code)
        else:
            assert response.status_code == 403, (actor, response.status_code, response.text[:300])
