"""The fixed core interface of DESIGN section 4: health, login, departments, OpenAPI."""

import re
import secrets

from tests.support import staff_headers, stop_rate_limit_clock


async def test_healthz_reports_ok(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_login_returns_a_token_that_identifies_the_staff_member(client, cast):
    headers = await staff_headers(client, cast.fgw_editor)
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == {
        "id": cast.fgw_editor.id,
        "username": "fgw_editor",
        "display_name": "fgw_editor",
        "role": "editor",
        "department": "fgw",
    }


async def test_wrong_password_is_401_with_a_clear_message(client, cast):
    response = await client.post("/api/v1/auth/login", json={"username": "admin", "password": "nope-nope"})
    assert response.status_code == 401
    assert response.json()["detail"]
    unknown = await client.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == response.json()["detail"]


async def test_logout_revokes_the_token(client, cast):
    headers = await staff_headers(client, cast.admin)
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_staff_endpoints_refuse_missing_and_forged_tokens(client, cast):
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    forged = {"Authorization": "Bearer stf_forged-token"}
    assert (await client.get("/api/v1/auth/me", headers=forged)).status_code == 401


async def test_malformed_login_body_is_a_400_not_a_500(client):
    for body in [b"not json", b"[]", b'{"username": 5}', b"{}"]:
        response = await client.post("/api/v1/auth/login", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, (body, response.text)
        assert response.json()["detail"]


async def test_departments_are_listed_in_the_list_shape(client, cast):
    response = await client.get("/api/v1/departments")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3
    assert {item["slug"] for item in body["items"]} == {"szfbgt", "fgw", "zjj"}


async def test_openapi_schema_documents_every_json_route(client, app):
    schema = (await client.get("/schema/openapi.json")).json()
    documented = set(schema["paths"])
    json_routes = {
        re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # /x/{id:int} is documented as /x/{id}
        for route in app.routes
        if route.path.startswith("/api/") or route.path == "/healthz"
    }
    assert json_routes, "no JSON routes found"
    assert json_routes <= documented, json_routes - documented


async def test_logins_are_audit_logged_with_the_client_address(client, cast):
    from engagement.tables import AuditEntry

    await staff_headers(client, cast.zjj_editor)
    entries = await AuditEntry.select(AuditEntry.actor_name, AuditEntry.action, AuditEntry.client_address)
    assert entries == [{"actor_name": "zjj_editor", "action": "staff.login", "client_address": "127.0.0.1"}]


async def test_clients_are_rate_limited_per_address():
    import httpx

    from engagement.app import create_app

    limited = create_app(rate_limit_per_minute=3)
    stop_rate_limit_clock(limited)
    address = f"10.5.{secrets.randbelow(250)}.9"
    async with limited.lifespan():
        transport = httpx.ASGITransport(app=limited, client=(address, 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            statuses = [(await http.get("/api/v1/departments")).status_code for _ in range(4)]
            other = httpx.ASGITransport(app=limited, client=(address + "0", 5000))
            async with httpx.AsyncClient(transport=other, base_url="http://testserver") as neighbour:
                assert (await neighbour.get("/api/v1/departments")).status_code == 200
            assert (await http.get("/healthz")).status_code == 200  # health checks are never limited
    assert statuses == [200, 200, 200, 429]
