"""Which phone numbers may ask for an SMS code (engagement/phones.py), through the HTTP API."""

import pytest

from tests.engagement.test_api_sms import wait_for_outbox
from tests.support import e164

EXTENSION_DETAIL = "请只填写手机号码的数字，不要带分机号。"
NOT_MOBILE_DETAIL = "手机号码格式不正确。"


async def ask_for_code(client, phone):
    return await client.post("/api/v1/sms/codes", json={"phone": phone})


async def assert_refused(client, phone, detail):
    response = await ask_for_code(client, phone)
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == detail
    assert (await client.get("/dev/sms-outbox")).json() == []


@pytest.mark.parametrize("written", [
    "+1 202 555 0100 ext 99999999999",
    "+1 202 555 0100 ext. 12",
    "13800138000 x12",
    "13800138000#123",
    "13800138000;ext=5",
    "+86 138 0013 8000 ext 12",
    "+86 138 0013 8000 转 801",
])
async def test_a_number_with_an_extension_is_refused_with_a_clear_message(client, written):
    await assert_refused(client, written, EXTENSION_DETAIL)


@pytest.mark.parametrize("written", ["1-800-FLOWERS", "tel:+8613800138000", "手机13800138000", "13800138000abc"])
async def test_letters_and_words_around_a_number_are_refused(client, written):
    await assert_refused(client, written, EXTENSION_DETAIL)


@pytest.mark.parametrize("written", ["010-12345678", "+86 10 1234 5678", "+1 800 356 9377", "+44 20 7946 0018"])
async def test_landline_and_toll_free_numbers_are_refused(client, written):
    await assert_refused(client, written, NOT_MOBILE_DETAIL)


@pytest.mark.parametrize("written", [
    "13800138000",
    "+86 (138) 0013-8000",
    "１３８ ００１３ ８０００",  # full-width digits, as a Chinese input method types them
    "＋８６ １３８ ００１３ ８０００",
])
async def test_mobile_numbers_are_accepted_and_the_code_goes_to_the_number_itself(client, written):
    response = await ask_for_code(client, written)
    assert response.status_code == 202, response.text
    messages = await wait_for_outbox(client, "13800138000", 1)
    assert [message["phone"] for message in messages] == [e164("13800138000")]
