"""An editor of another department gets 403 on every staff route of the module.

The list of staff routes comes from the application's route table: a new staff route of
consultations without a case below fails ``test_every_staff_route_has_a_case``.
"""

from __future__ import annotations

import re

import pytest

from engagement import permissions
from tests.support import citizen_headers

PARAMETER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
MODULES = ("consultations.api", "consultations.pages")
PDF = b"%PDF-1.4\n%%EOF"

# (method, route path) -> how to call it on the fgw consultation/opinion: (query or body kind, payload)
API_CASES = {
    ("POST", "/api/v1/consultations"): {"json": {"title": "跨部门", "department": "fgw", "closes_at": "2030-01-01T00:00:00+08:00"}},
    ("GET", "/api/v1/staff/consultations"): {"params": {"department": "fgw"}},
    ("GET", "/api/v1/staff/consultations/{consultation_id}"): {},
    ("PATCH", "/api/v1/consultations/{consultation_id}"): {"json": {"title": "改标题"}},
    ("POST", "/api/v1/consultations/{consultation_id}/attachments"): {"files": {"file": ("a.pdf", PDF, "application/pdf")}},
    ("POST", "/api/v1/consultations/{consultation_id}/publish"): {},
    ("POST", "/api/v1/consultations/{consultation_id}/close"): {},
    ("POST", "/api/v1/consultations/{consultation_id}/extend"): {"json": {"closes_at": "2031-01-01T00:00:00+08:00"}},
    ("PUT", "/api/v1/consultations/{consultation_id}/outcome"): {"json": {"final_text": "终稿"}},
    ("POST", "/api/v1/consultations/{consultation_id}/conclude"): {},
    ("GET", "/api/v1/consultations/{consultation_id}/review-queue"): {},
    ("POST", "/api/v1/consultations/{consultation_id}/reviews"): {"json": {"ids": ["{opinion_id}"], "decision": "adopted"}},
    ("GET", "/api/v1/consultations/{consultation_id}/export"): {"params": {"format": "csv"}},
    ("POST", "/api/v1/opinions/{opinion_id}/review"): {"json": {"decision": "adopted", "reply": "好"}},
    ("POST", "/api/v1/opinions/{opinion_id}/moderate"): {"json": {"action": "reject"}},
    ("POST", "/api/v1/topics"): {"json": {"title": "专题"}},
}
# Website routes (session cookie + CSRF token, as the back office sends them).
PAGE_CASES = {
    ("GET", "/staff/consultations"): {"params": {"department": "fgw"}},
    ("GET", "/staff/consultations/new"): {"params": {"department": "fgw"}},
    ("POST", "/staff/consultations"): {"data": {"title": "跨部门", "department": "fgw", "closes_at": "2030-01-01T18:00"}},
    ("GET", "/staff/consultations/{consultation_id}"): {},
    ("POST", "/staff/consultations/{consultation_id}/edit"): {"data": {"title": "改标题"}},
    ("POST", "/staff/consultations/{consultation_id}/publish"): {"data": {}},
    ("POST", "/staff/consultations/{consultation_id}/close"): {"data": {}},
    ("POST", "/staff/consultations/{consultation_id}/extend"): {"data": {"closes_at": "2031-01-01T18:00"}},
    ("POST", "/staff/consultations/{consultation_id}/outcome"): {"data": {"final_text": "终稿", "conclude": "1"}},
    ("POST", "/staff/consultations/{consultation_id}/attachments"): {
        "files": {"file": ("a.pdf", PDF, "application/pdf")}, "data": {"purpose": "draft"}},
    ("GET", "/staff/consultations/{consultation_id}/opinions"): {},
    ("POST", "/staff/consultations/{consultation_id}/reviews"): {"data": {"ids": "{opinion_id}", "decision": "adopted"}},
    ("GET", "/staff/consultations/{consultation_id}/export"): {"params": {"format": "xlsx"}},
    ("POST", "/staff/opinions/{opinion_id}/review"): {"data": {"decision": "adopted", "reply": "好"}},
    ("POST", "/staff/opinions/{opinion_id}/moderate"): {"data": {"action": "reject"}},
}


def normalise(path: str) -> str:
    return PARAMETER.sub(r"{\1}", path).rstrip("/") or "/"


def staff_routes() -> set[tuple[str, str]]:
    from litestar.routes import HTTPRoute

    from engagement.app import create_app

    found = set()
    for route in create_app().routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            module = getattr(handler.fn, "__module__", "")
            if module not in MODULES or not handler.guards:
                continue
            for method in handler.http_methods - {"OPTIONS", "HEAD"}:
                found.add((method, normalise(route.path)))
    return found


def test_every_staff_route_has_a_case():
    routes = staff_routes()
    cases = set(API_CASES) | set(PAGE_CASES)
    assert routes - cases == set(), f"staff routes without an authorisation case: {sorted(routes - cases)}"
    assert cases - routes == set(), f"cases for routes that do not exist: {sorted(cases - routes)}"


def _fill(value, ids):
    if isinstance(value, str):
        for key, number in ids.items():
            if value == "{" + key + "}":
                return number
            value = value.replace("{" + key + "}", str(number))
        return value
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.fixture
async def fgw_objects(client, make_consultation):
    consultation = await make_consultation(department="fgw")
    citizen = await citizen_headers(client, "13800138000")
    opinion = await client.post(f"/api/v1/consultations/{consultation['id']}/opinions",
                                json={"content": "建议增加公共停车位。"}, headers=citizen)
    return {"consultation_id": consultation["id"], "opinion_id": opinion.json()["id"]}


@pytest.mark.parametrize("method,path", sorted(API_CASES))
async def test_editor_of_another_department_gets_403(client, headers, fgw_objects, method, path):
    spec = _fill(API_CASES[(method, path)], fgw_objects)
    url = _fill(path, fgw_objects)
    response = await client.request(method, url, headers=await headers("zjj_editor"), **spec)
    assert response.status_code == 403, f"{method} {url}: {response.status_code} {response.text}"
    # and nothing changed: the owner still sees the consultation as it was
    owner = await client.get(f"/api/v1/staff/consultations/{fgw_objects['consultation_id']}",
                             headers=await headers("fgw_editor"))
    assert owner.json()["status"] == "open" and owner.json()["title"] != "改标题"


@pytest.mark.parametrize("method,path", sorted(PAGE_CASES))
async def test_editor_of_another_department_gets_403_on_the_website(client, cast, headers, fgw_objects, method, path):
    from tests.consultations.test_pages import csrf_client_login

    token = await csrf_client_login(client, cast.zjj_editor)
    spec = _fill(PAGE_CASES[(method, path)], fgw_objects)
    if method == "POST":
        spec.setdefault("data", {})["_csrf_token"] = token
    url = _fill(path, fgw_objects)
    response = await client.request(method, url, **spec)
    assert response.status_code == 403, f"{method} {url}: {response.status_code} {response.text[:300]}"
    owner = await client.get(f"/api/v1/staff/consultations/{fgw_objects['consultation_id']}",
                             headers=await headers("fgw_editor"))
    assert owner.json()["status"] == "open" and owner.json()["title"] != "改标题"


@pytest.mark.parametrize("method,path", sorted(API_CASES))
async def test_citizens_and_hosts_cannot_use_staff_routes(client, headers, fgw_objects, method, path):
    spec = _fill(API_CASES[(method, path)], fgw_objects)
    url = _fill(path, fgw_objects)
    assert (await client.request(method, url, **spec)).status_code == 401
    assert (await client.request(method, url, headers=await headers("host"), **spec)).status_code == 403


def test_permissions_deny_by_default():
    from engagement.accounts import Staff

    editor = Staff(id=1, username="e", display_name="e", role="editor", department_id=2, department_slug="fgw")
    admin = Staff(id=2, username="a", display_name="a", role="admin", department_id=None, department_slug=None)
    host = Staff(id=3, username="h", display_name="h", role="host", department_id=None, department_slug=None)
    assert permissions.allowed(editor, "opinion.review", 2)
    assert not permissions.allowed(editor, "opinion.review", 3)
    assert not permissions.allowed(editor, "no.such.permission", 2)
    assert not permissions.allowed(host, "opinion.review", 2)
    assert not permissions.allowed(None, "opinion.review", 2)
    assert permissions.allowed(admin, "opinion.review", 3)
    assert not permissions.allowed(editor, "topic.manage")
