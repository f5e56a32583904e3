"""Search terms written into the statement (mailbox/search.py: one plan per term on PostgreSQL) stay data:
quotes, braces and backslashes find exactly the letters that contain them."""

import pytest

from tests.mailbox import factories

LETTERS = {
    "quote": ("商户's招牌问题", "招牌写着it's open，但一直关门。"),
    "braces": ("网页显示{name}乱码", "政务网页面显示{name}占位符。"),
    "backslash": ("路径C:\\政务\\文件打不开", "下载的文件路径C:\\政务\\报错。"),
    "plain": ("小区路灯不亮", "晚上路灯不亮，出行不便。"),
}


@pytest.fixture
async def letters(cast):
    return {key: await factories.published_letter(cast, subject=subject, body=body)
            for key, (subject, body) in LETTERS.items()}


@pytest.mark.parametrize(("query", "expected"), [
    ("it's", {"quote"}),
    ("'s招", {"quote"}),
    ("{name}", {"braces"}),
    ("}乱码", {"braces"}),
    ("C:\\政务", {"backslash"}),
    ("'", {"quote"}),
    ("'; DROP TABLE mailbox_letter; --", set()),
    ("路灯 {name}", set()),
    ("路灯 不亮", {"plain"}),
])
async def test_terms_with_quotes_braces_and_backslashes_are_plain_text(client, letters, query, expected):
    by_number = {number: key for key, number in letters.items()}
    response = await client.get("/api/v1/letters", params={"q": query})
    assert response.status_code == 200, response.text
    found = {by_number[item["tracking_number"]] for item in response.json()["items"]}
    assert (found, response.json()["total"]) == (expected, len(expected))
    assert (await client.get("/api/v1/letters", params={"q": "路灯"})).json()["total"] == 1  # the table is still there
