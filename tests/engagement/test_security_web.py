"""Issue 12, items 1, 2 and 8, as an attacker tries them over HTTP: the API on the website cookie,
session fixation, HSTS, and the back office after logout."""

from __future__ import annotations

import os
import secrets
from contextlib import asynccontextmanager

import httpx
import pytest

from engagement.settings import Settings
from tests.engagement.test_pages import csrf_token, login_through_form
from tests.support import read_code, staff_headers, stop_rate_limit_clock

SESSION_COOKIE = "session"
ADMIN_COOKIE = "id"
PHONE = "13800138000"


@asynccontextmanager
async def browser(app, cookies: dict[str, str] | None = None, address: str = "127.0.0.1"):
    transport = httpx.ASGITransport(app=app, client=(address, 40001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=cookies) as http:
        yield http


# --- item 1: the API answers bearer tokens only, however its path is spelled -----------------------------


@pytest.mark.parametrize("path", ["/%61pi/v1/auth/me", "/api/v1/auth/me", "/%61%70%69/v1/auth/me"])
async def test_the_api_ignores_the_website_session_cookie(client, cast, path):
    await login_through_form(client, cast.fgw_editor)
    assert (await client.get("/staff")).status_code == 200  # the cookie does log in to the website
    response = await client.get(path)
    assert response.status_code == 401, response.text
    assert "fgw_editor" not in response.text


async def test_a_staff_write_through_an_encoded_api_path_needs_a_token_not_the_cookie(client, cast):
    await login_through_form(client, cast.fgw_editor)
    response = await client.post("/%61pi/v1/staff/reply-templates",
                                 json={"title": "伪造的模板", "body": "跨站请求写入的内容"})
    assert response.status_code in {401, 403}, response.text
    headers = await staff_headers(client, cast.fgw_editor)
    listed = await client.get("/api/v1/staff/reply-templates", headers=headers)
    assert listed.status_code == 200
    assert "伪造的模板" not in listed.text


async def test_bearer_calls_and_website_forms_still_work(client, cast):
    headers = await staff_headers(client, cast.fgw_editor)
    created = await client.post("/api/v1/staff/reply-templates", json={"title": "答复模板", "body": "感谢来信。"},
                                headers=headers)
    assert created.status_code == 201, created.text
    assert (await client.get("/%61pi/v1/auth/me", headers=headers)).json()["username"] == "fgw_editor"
    response = await login_through_form(client, cast.fgw_editor)
    assert response.status_code == 303
    dashboard = await client.get("/staff")
    assert dashboard.status_code == 200 and "fgw_editor" in dashboard.text


async def test_a_cookie_form_whose_path_contains_an_api_segment_still_needs_the_csrf_token(client, cast):
    """``/api/`` inside a page path (here a tracking number) must not switch CSRF off for a cookie request."""
    await login_through_form(client, cast.admin)
    response = await client.post("/staff/mailbox/api/close", data={})
    assert response.status_code == 403, response.text


# --- item 2: a new session id at login, verification and logout ------------------------------------------


async def a_session_the_server_issued(client) -> str:
    """An anonymous visitor has no session until they keep something: a draft kept while a code is sent."""
    page = await client.get("/verify")
    assert SESSION_COOKIE not in client.cookies
    sent = await client.post("/verify/code", data={"phone": PHONE, "return_to": "/verify",
                                                   "_csrf_token": csrf_token(client, page.text)})
    assert sent.status_code == 303
    return client.cookies[SESSION_COOKIE]


async def test_login_gives_a_new_session_id_and_the_planted_one_stops_working(app, client, cast):
    planted = await a_session_the_server_issued(client)
    response = await login_through_form(client, cast.admin)
    assert response.status_code == 303
    fresh = client.cookies[SESSION_COOKIE]
    assert fresh != planted
    async with browser(app, {SESSION_COOKIE: planted}) as attacker:
        assert (await attacker.get("/staff")).status_code == 303
        assert (await attacker.get("/admin/")).status_code == 303
    assert (await client.get("/staff")).status_code == 200


async def test_a_session_id_the_server_never_issued_is_replaced(app):
    chosen = "0" * 64
    async with browser(app, {SESSION_COOKIE: chosen}) as visitor:
        response = await visitor.get("/login")
        assert response.cookies.get(SESSION_COOKIE) not in {None, chosen}


async def test_verification_gives_a_new_session_id(app, client):
    planted = await a_session_the_server_issued(client)
    token = csrf_token(client, (await client.get("/verify")).text)
    code = await read_code(client, PHONE)
    verified = await client.post("/verify", data={"phone": PHONE, "code": code, "_csrf_token": token})
    assert verified.status_code == 200 and "alert success" in verified.text
    assert client.cookies[SESSION_COOKIE] != planted
    async with browser(app, {SESSION_COOKIE: planted}) as attacker:
        assert "alert success" not in (await attacker.get("/verify")).text
    assert "alert success" in (await client.get("/verify")).text


async def test_logout_ends_the_session_id(app, client, cast):
    await login_through_form(client, cast.fgw_editor)
    logged_in = client.cookies[SESSION_COOKIE]
    dashboard = await client.get("/staff")
    await client.post("/logout", data={"_csrf_token": csrf_token(client, dashboard.text)})
    assert client.cookies.get(SESSION_COOKIE) != logged_in
    async with browser(app, {SESSION_COOKIE: logged_in}) as attacker:
        assert (await attacker.get("/staff")).status_code == 303


# --- HSTS in production only -------------------------------------------------------------------------------


def production_settings() -> Settings:
    return Settings.from_env({
        **os.environ,
        "ENGAGEMENT_ENV": "production",
        "ENGAGEMENT_ALLOW_SQLITE": "1",
        "ENGAGEMENT_SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "test-token",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "ENGAGEMENT_WEB_WORKERS": "1",
        "ENGAGEMENT_PASSWORD_HASH_PROFILE": "default",  # production refuses the suite's cheap hashes
    })


async def test_hsts_is_sent_in_production_only(client):
    from engagement.app import create_app

    assert "strict-transport-security" not in (await client.get("/healthz")).headers
    production = create_app(production_settings(), rate_limit_per_minute=0)
    async with browser(production) as visitor:
        for path in ["/healthz", "/", "/no-such-page"]:
            response = await visitor.get(path)
            assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains", path


# --- item 8: logout ends the back-office session; the audit log is read-only there --------------------------


async def test_logout_ends_the_admin_back_office_session(app, client, cast):
    await login_through_form(client, cast.admin)
    await client.get("/admin/", follow_redirects=True)
    admin_session = client.cookies[ADMIN_COOKIE]
    assert (await client.get("/admin/api/user/")).status_code == 200
    dashboard = await client.get("/staff")
    await client.post("/logout", data={"_csrf_token": csrf_token(client, dashboard.text)})
    async with browser(app) as other_admin:
        await login_through_form(other_admin, cast.admin)
        site_session = other_admin.cookies[SESSION_COOKIE]
    async with browser(app) as replay:
        response = await replay.get("/admin/api/user/",
                                    headers={"cookie": f"{SESSION_COOKIE}={site_session}; {ADMIN_COOKIE}={admin_session}"})
        assert response.status_code == 401, response.text


async def admin_api(client, person) -> dict[str, str]:
    """Log in to the site as an administrator and open piccolo-admin; the headers its API wants for writes."""
    await login_through_form(client, person)
    assert (await client.get("/admin/api/tables/")).status_code == 200
    return {"x-csrftoken": client.cookies["csrftoken"]}


async def audit_entries(client, action: str) -> list[dict]:
    response = await client.get("/admin/api/tables/audit_entry/", params={"action": action, "__page_size": 100})
    assert response.status_code == 200, response.text
    return [row for row in response.json()["rows"] if row["action"] == action]


async def test_the_audit_log_cannot_be_changed_or_deleted_in_the_admin(client, cast):
    headers = await admin_api(client, cast.admin)
    entry = (await audit_entries(client, "staff.login"))[0]
    url = f"/admin/api/tables/audit_entry/{entry['id']}/"
    assert (await client.delete(url, headers=headers)).status_code == 405
    assert (await client.patch(url, json={"action": "nothing.happened"}, headers=headers)).status_code == 405
    assert (await client.put(url, json={**entry, "action": "nothing.happened"}, headers=headers)).status_code == 405
    created = await client.post("/admin/api/tables/audit_entry/", headers=headers,
                                json={"actor_name": "admin", "action": "forged.entry", "detail": "{}"})
    assert created.status_code == 405
    assert (await client.get(url)).json()["action"] == "staff.login"
    assert await audit_entries(client, "forged.entry") == []


async def test_role_changes_in_the_admin_are_audited(client, cast):
    headers = await admin_api(client, cast.admin)
    url = f"/admin/api/tables/staff_user/{cast.fgw_editor.id}/"
    response = await client.patch(url, json={"role": "admin"}, headers=headers)
    assert response.status_code == 200, response.text
    [entry] = await audit_entries(client, "staff.role_change")
    assert entry["actor_name"] == "admin" and entry["target_id"] == str(cast.fgw_editor.id)
    assert '"from": "editor"' in entry["detail"] and '"to": "admin"' in entry["detail"]
    assert (await client.put(url, json={"role": "host"}, headers=headers)).status_code == 405
    editor = await staff_headers(client, cast.fgw_editor)
    assert (await client.get("/api/v1/auth/me", headers=editor)).json()["role"] == "admin"


async def test_the_rate_limit_cannot_be_dodged_with_static_in_the_path():
    from engagement.app import create_app

    limited = create_app(rate_limit_per_minute=3)
    stop_rate_limit_clock(limited)
    async with limited.lifespan(), browser(limited, address=f"10.4.{secrets.randbelow(250)}.11") as http:
        statuses = [(await http.get("/api/v1/staff/letters/static")).status_code for _ in range(4)]
    assert statuses[-1] == 429, statuses
