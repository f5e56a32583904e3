"""Issue 12, item 6: password guessing is throttled per account and per address, and audited."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

import httpx

from tests.engagement.test_pages import csrf_token, login_through_form
from tests.support import captured_queries, staff_headers

WRONG = "wrong-password-123"


@asynccontextmanager
async def client_at(app, address: str):
    transport = httpx.ASGITransport(app=app, client=(address, 40003))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def api_login(http, username: str, password: str) -> httpx.Response:
    return await http.post("/api/v1/auth/login", json={"username": username, "password": password})


async def test_twenty_wrong_passwords_then_the_right_one_is_refused_with_retry_after(client, cast):
    statuses = [(await api_login(client, "fgw_editor", WRONG)).status_code for _ in range(20)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    right = await api_login(client, "fgw_editor", cast.fgw_editor.password)
    assert right.status_code == 429
    assert 1 <= int(right.headers["retry-after"]) <= 15 * 60 + 1
    assert right.json()["detail"].startswith("登录失败次数过多")
    assert "token" not in right.json()


async def test_a_throttled_attempt_does_not_check_the_password(client, cast):
    for _ in range(5):
        await api_login(client, "fgw_editor", WRONG)
    with captured_queries() as statements:
        assert (await api_login(client, "fgw_editor", cast.fgw_editor.password)).status_code == 429
    assert any("rate_counter" in sql for sql in statements), statements  # the counter was asked, and only it
    assert not [sql for sql in statements if "staff_user" in sql], statements


async def test_one_address_is_throttled_across_accounts(app, cast):
    async with client_at(app, "198.51.100.20") as guesser:
        for n in range(20):
            assert (await api_login(guesser, f"ghost{n}", WRONG)).status_code == 401
        refused = await api_login(guesser, "zjj_editor", cast.zjj_editor.password)
        assert refused.status_code == 429 and "retry-after" in refused.headers
    async with client_at(app, "2001:db8:5:6::1") as elsewhere:
        assert (await api_login(elsewhere, "zjj_editor", cast.zjj_editor.password)).status_code == 200


async def test_a_good_login_clears_the_account_s_failures(client, cast):
    for _ in range(4):
        await api_login(client, "host", WRONG)
    await staff_headers(client, cast.host)
    statuses = [(await api_login(client, "host", WRONG)).status_code for _ in range(5)]
    assert statuses == [401] * 5


async def test_failed_logins_are_audited_without_the_password(app, client, cast):
    await api_login(client, "fgw_editor", WRONG)
    await api_login(client, WRONG, WRONG)  # a password typed into the username field is not kept
    page = await client.get("/login")
    form = await client.post("/login", data={"username": "admin", "password": WRONG,
                                             "_csrf_token": csrf_token(client, page.text)})
    assert form.status_code == 401
    async with client_at(app, "203.0.113.50") as administrator:
        entries = await audit_log(administrator, cast.admin, "staff.login_failed")
    assert [(entry["target_id"], json.loads(entry["detail"])["via"]) for entry in entries] == [
        (str(cast.fgw_editor.id), "api"), ("", "api"), (str(cast.admin.id), "website")]
    assert all(WRONG not in json.dumps(entry) for entry in entries)
    assert {entry["client_address"] for entry in entries} == {"127.0.0.1"}


async def audit_log(http, admin, action: str) -> list[dict]:
    """The audit log as an administrator reads it in piccolo-admin."""
    await login_through_form(http, admin)
    response = await http.get("/admin/api/tables/audit_entry/", params={"action": action, "__page_size": 100,
                                                                         "__order": "id"})
    assert response.status_code == 200, response.text
    return [row for row in response.json()["rows"] if row["action"] == action]


async def test_the_login_form_is_throttled_too(client, cast):
    page = await client.get("/login")
    token = csrf_token(client, page.text)
    for _ in range(5):
        await client.post("/login", data={"username": "admin", "password": WRONG, "_csrf_token": token})
    refused = await client.post("/login", data={"username": "admin", "password": cast.admin.password,
                                                "_csrf_token": token})
    assert refused.status_code == 429
    assert "retry-after" in refused.headers
    assert "登录失败次数过多" in refused.text
    assert (await client.get("/staff")).status_code == 303
