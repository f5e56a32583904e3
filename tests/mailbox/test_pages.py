"""The mailbox pages through HTTP, as a browser without JavaScript uses them."""

import re

from tests.mailbox import factories
from tests.support import assert_max_queries, request_and_read_code

PHONE = "13912345678"


def csrf(client) -> str:
    return client.cookies.get("engagement_csrf")


async def write_through_the_form(client, files=None, **fields):
    await client.get("/mailbox")
    code = await request_and_read_code(client, PHONE)
    data = {"department": "szfbgt", "category": "complaint", "subject": "小区噪音扰民", "body": "夜间施工噪音大。",
            "name": "张小明", "public_consent": "1", "phone": PHONE, "code": code, "_csrf_token": csrf(client), **fields}
    return await client.post("/mailbox/letters", data=data, files=files or {"attachments": ("", b"", "application/octet-stream")})


async def test_the_mailbox_page_offers_writing_looking_up_searching_and_statistics(client, cast):
    page = await client.get("/mailbox")
    assert page.status_code == 200
    for expected in ['action="/mailbox/letters"', 'name="subject"', "data-sms-widget", 'action="/mailbox/lookup"',
                     'action="/mailbox/search"', 'data-figures="month"', 'data-figures="year"', "市人民政府办公厅"]:
        assert expected in page.text


async def test_write_receive_look_up_and_rate_through_the_pages(client, cast):
    receipt = await write_through_the_form(client, files={"attachments": ("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png")})
    assert receipt.status_code == 200, receipt.text
    number = re.search(r"data-tracking-number>([^<]+)<", receipt.text).group(1)
    code = re.search(r"data-query-code>([^<]+)<", receipt.text).group(1)
    assert re.fullmatch(r"\d{4}-\d{6}", number) and len(code) >= 8

    wrong = await client.post("/mailbox/lookup", data={"tracking_number": number, "query_code": "WRONGWRONG",
                                                       "_csrf_token": csrf(client)})
    assert wrong.status_code == 404 and "data-lookup-result" not in wrong.text
    found = await client.post("/mailbox/lookup", data={"tracking_number": number, "query_code": code,
                                                       "_csrf_token": csrf(client)})
    assert found.status_code == 200 and "data-lookup-result" in found.text and "data-rating-form" not in found.text

    admin = await factories.staff(cast.admin)
    from mailbox import services
    await services.reply_to_letter(admin, number, "已责令停止夜间施工。")
    answered = await client.post("/mailbox/lookup", data={"tracking_number": number, "query_code": code,
                                                          "_csrf_token": csrf(client)})
    assert "已责令停止夜间施工。" in answered.text and "data-rating-form" in answered.text
    rated = await client.post("/mailbox/rating", data={"tracking_number": number, "query_code": code, "rating": "4",
                                                       "comment": "满意", "_csrf_token": csrf(client)})
    assert rated.status_code == 200 and "data-rating" in rated.text and "data-rating-form" not in rated.text
    detail = await services.staff_letter_detail(admin, number)
    assert [file["original_name"] for file in detail["attachments"]] == ["photo.png"]


async def test_a_wrong_code_keeps_the_letter_typed(client, cast):
    await client.get("/mailbox")
    await request_and_read_code(client, PHONE)
    response = await client.post("/mailbox/letters", data={
        "subject": "我的主题", "body": "我的内容", "name": "王五", "phone": PHONE, "code": "000000",
        "_csrf_token": csrf(client)}, files={"attachments": ("", b"", "application/octet-stream")})
    assert response.status_code == 400
    assert "data-form-error" in response.text and "我的主题" in response.text and "我的内容" in response.text


async def test_an_attachment_that_is_not_an_image_or_pdf_is_refused(client, cast):
    response = await write_through_the_form(client, files={"attachments": ("virus.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")})
    assert response.status_code == 400 and "data-form-error" in response.text


async def test_the_form_needs_the_csrf_token(client, cast):
    await client.get("/mailbox")
    response = await client.post("/mailbox/letters", data={"subject": "x", "body": "y", "name": "z"})
    assert response.status_code == 403


async def test_published_letter_search_and_digest_pages(client, cast):
    number = await factories.published_letter(cast, subject="学校周边交通拥堵", body="上学时段交通拥堵。")
    hidden = (await factories.letter(subject="未公开的交通来信")).letter["tracking_number"]
    search = await client.get("/mailbox/search", params={"q": "交通"})
    assert search.status_code == 200 and number in search.text and hidden not in search.text
    assert (await client.get("/mailbox/search", params={"month": "nope"})).status_code == 400
    digest = await client.get("/mailbox/digest")
    assert digest.status_code == 200 and number in digest.text
    letter = await client.get(f"/mailbox/letters/{number}")
    assert letter.status_code == 200 and "学校周边交通拥堵" in letter.text
    assert (await client.get(f"/mailbox/letters/{hidden}")).status_code == 404


LIST_PAGES = ["/mailbox", "/mailbox/search?q=道路", "/mailbox/search?q=道路维修", "/mailbox/digest",
              "/api/v1/letters?q=道路", "/api/v1/letters?q=道路维修", "/api/v1/letters?page_size=100",
              "/staff/mailbox", "/staff/mailbox?q=道路", "/api/v1/staff/letters?page_size=100"]


async def test_every_list_takes_the_same_number_of_queries_for_5_and_200_letters(client, cast):
    from tests.mailbox.test_permissions import _as

    counts: dict[str, list[int]] = {path: [] for path in LIST_PAGES}
    made = 0
    for target in (5, 200):
        for index in range(made, target):  # each from a citizen of its own (factories.letter)
            await factories.published_letter(cast, department="szfbgt", subject=f"道路维修{index}")
        made = target
        headers = await _as(client, cast, "admin", page=True)
        api_headers = await _as(client, cast, "admin", page=False)
        await _as(client, cast, "admin", page=True)
        for path in LIST_PAGES:
            with assert_max_queries(12) as statements:
                response = await client.get(path, headers=api_headers if path.startswith("/api/v1/staff") else headers)
            assert response.status_code == 200, (path, response.text[:200])
            counts[path].append(len(statements))
    assert {path: pair for path, pair in counts.items() if pair[0] != pair[1]} == {}


async def test_the_form_remembers_the_verification_for_the_next_letter(client, cast):
    first = await write_through_the_form(client)
    assert first.status_code == 200 and "data-tracking-number" in first.text

    page = await client.get("/mailbox")
    assert "data-verified" in page.text and "data-sms-widget" not in page.text
    second = await client.post("/mailbox/letters", data={
        "subject": "又一封来信", "body": "路灯不亮。", "name": "张小明", "_csrf_token": csrf(client)},
        files={"attachments": ("", b"", "application/octet-stream")})
    assert second.status_code == 200, second.text
    assert "data-tracking-number" in second.text


async def test_get_code_without_javascript_comes_back_to_the_letter_as_typed(client, cast):
    page = await client.get("/mailbox")
    assert 'name="return_to" value="/mailbox#sms-phone"' in page.text
    sent = await client.post("/verify/code", data={
        "subject": "我的主题", "body": "我的内容", "name": "王五", "phone": PHONE, "return_to": "/mailbox#sms-phone",
        "_csrf_token": csrf(client)})
    assert sent.status_code == 303 and sent.headers["location"] == "/mailbox#sms-phone"
    again = await client.get("/mailbox")
    assert "我的主题" in again.text and "我的内容" in again.text and f'value="{PHONE}"' in again.text
    assert (await client.post("/mailbox/code", data={"_csrf_token": csrf(client)})).status_code in (404, 405)
