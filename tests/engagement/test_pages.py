"""The page shell through HTTP: staff login with CSRF, preferences, headers, error pages, /admin."""

import re

import pytest

CSRF_COOKIE = "engagement_csrf"


def csrf_token(client, html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "form has no CSRF field"
    return match.group(1)


async def login_through_form(client, person, next_path="/staff"):
    page = await client.get(f"/login?next={next_path}")
    return await client.post(
        "/login",
        data={"username": person.username, "password": person.password, "next": next_path,
              "_csrf_token": csrf_token(client, page.text)},
    )


async def test_staff_log_in_and_out_through_the_pages(client, cast):
    assert (await client.get("/staff")).headers["location"].startswith("/login")
    response = await login_through_form(client, cast.fgw_editor)
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    dashboard = await client.get("/staff")
    assert dashboard.status_code == 200 and "fgw_editor" in dashboard.text
    logout = await client.post("/logout", data={"_csrf_token": csrf_token(client, dashboard.text)})
    assert logout.status_code == 303
    assert (await client.get("/staff")).status_code == 303


async def test_a_form_post_without_the_csrf_token_is_refused(client, cast):
    await client.get("/login")
    response = await client.post("/login", data={"username": "admin", "password": cast.admin.password})
    assert response.status_code == 403
    assert "session" not in response.cookies


async def test_wrong_password_on_the_form_shows_the_message_and_keeps_the_username(client, cast):
    page = await client.get("/login")
    response = await client.post("/login", data={"username": "admin", "password": "wrong-password",
                                                 "_csrf_token": csrf_token(client, page.text)})
    assert response.status_code == 401
    assert 'value="admin"' in response.text


async def test_login_never_redirects_to_another_site(client, cast):
    response = await login_through_form(client, cast.admin, next_path="//evil.example/")
    assert response.headers["location"] == "/staff"


async def test_admin_pages_are_for_administrators_only(client, cast):
    assert (await client.get("/admin/")).status_code == 303
    await login_through_form(client, cast.fgw_editor)
    assert (await client.get("/admin/")).status_code == 303
    client.cookies.clear()
    await login_through_form(client, cast.admin)
    admin_page = await client.get("/admin/", follow_redirects=True)
    assert admin_page.status_code == 200
    tables = await client.get("/admin/api/tables/")
    assert tables.status_code == 200, tables.text
    assert {"department", "staff_user", "sensitive_word"} <= set(tables.json())


@pytest.mark.parametrize("path", ["/", "/verify", "/login", "/no-such-page", "/api/v1/departments", "/healthz"])
async def test_security_headers_on_every_kind_of_response(client, path):
    response = await client.get(path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_pages_are_chinese_by_default_and_english_on_request(client):
    home = await client.get("/")
    assert '<html lang="zh-CN"' in home.text
    english = await client.get("/?lang=en")
    assert '<html lang="en"' in english.text
    assert english.cookies.get("lang") == "en"
    assert '<html lang="en"' in (await client.get("/login")).text


async def test_elder_mode_is_switched_by_the_url_and_remembered(client):
    assert 'class="elder"' not in (await client.get("/")).text
    switched = await client.get("/verify?elder=1")
    assert 'class="elder"' in switched.text
    assert 'class="elder"' in (await client.get("/")).text
    assert 'class="elder"' not in (await client.get("/?elder=0")).text
    assert 'class="elder"' not in (await client.get("/login")).text


async def test_unknown_pages_get_a_chinese_404_page_and_the_api_gets_json(client):
    page = await client.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN"' in page.text
    api = await client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json()["status_code"] == 404 and api.json()["detail"]


async def test_text_sent_back_into_a_page_is_escaped(client):
    page = await client.get("/verify")
    response = await client.post(
        "/verify/code", data={"phone": '<script>alert(1)</script>', "_csrf_token": csrf_token(client, page.text)}
    )
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


async def test_the_verify_page_works_without_javascript(client):
    from tests.support import read_code

    page = await client.get("/verify")
    token = csrf_token(client, page.text)
    sent = await client.post("/verify/code", data={"phone": "13800138000", "_csrf_token": token})
    assert sent.status_code == 200
    code = await read_code(client, "13800138000")
    verified = await client.post("/verify", data={"phone": "13800138000", "code": code, "_csrf_token": token})
    assert verified.status_code == 200
    assert "alert success" in verified.text


async def test_every_asset_is_served_locally(client):
    for path in ["/", "/verify", "/login"]:
        html = (await client.get(path)).text
        assert not re.search(r'(src|href)="(https?:)?//', html), path


@pytest.mark.parametrize("notices", [5, 200])
async def test_the_home_page_runs_a_fixed_number_of_queries(client, notices):
    from engagement.tables import Notice
    from tests.support import assert_max_queries

    await Notice.insert(*[Notice(title=f"通知{n}", body="内容") for n in range(notices)])
    with assert_max_queries(1):
        page = await client.get("/")
    assert page.status_code == 200 and page.text.count("<h3>通知") == min(notices, 5)


async def test_the_department_list_runs_one_query(client, cast):
    from tests.support import assert_max_queries

    with assert_max_queries(1):
        assert (await client.get("/api/v1/departments")).status_code == 200
