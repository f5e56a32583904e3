"""The SMS widget without JavaScript: "Get code" posts the form to the core, which returns to the form."""

from __future__ import annotations

import re

from tests.support import read_code


def csrf_token(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def test_get_code_returns_to_the_form_with_what_was_typed(client):
    page = await client.get("/verify")
    assert 'name="return_to" value="/verify#sms-phone"' in page.text

    sent = await client.post("/verify/code", data={"phone": "13800138000", "return_to": "/verify#sms-phone",
                                                   "_csrf_token": csrf_token(page.text)})

    assert sent.status_code == 303 and sent.headers["location"] == "/verify#sms-phone"
    again = await client.get("/verify")
    assert 'value="13800138000"' in again.text and "is-success" in again.text
    assert await read_code(client, "13800138000")
    assert 'value="13800138000"' not in (await client.get("/verify")).text  # the draft is shown once


async def test_a_refused_code_request_comes_back_with_the_reason_escaped(client):
    page = await client.get("/verify")
    await client.post("/verify/code", data={"phone": "<b>x</b>", "return_to": "/verify",
                                            "_csrf_token": csrf_token(page.text)})
    again = await client.get("/verify")
    assert "&lt;b&gt;x&lt;/b&gt;" in again.text and "<b>x</b>" not in again.text


async def test_the_return_path_never_leaves_the_site(client):
    page = await client.get("/verify")
    response = await client.post("/verify/code", data={"phone": "13800138000", "return_to": "//evil.example/",
                                                       "_csrf_token": csrf_token(page.text)})
    assert response.status_code == 200 and "location" not in response.headers
