"""Issue 12, item 9: a gateway's error text names the destination number; it is masked before it is
stored (``sms_message.last_error``) or logged. The real Twilio client talks to the local fake of
Twilio's API from test_sms_delivery.py."""

from __future__ import annotations

import logging
import traceback

import pytest

from engagement.jobs import RetryLater
from engagement.tables import SmsMessage
from engagement.tasks import deliver_sms
from tests.engagement import test_sms_delivery as delivery
from tests.engagement.test_sms_delivery import PHONE, held_jobs, twilio_error

# The fake Twilio and the two faces (the API's in-process job, or the job run here as a worker runs it).
fake_twilio, twilio, face = delivery.fake_twilio, delivery.twilio, delivery.face

SPELLINGS = ("+8613800138000", "8613800138000", "13800138000")
REFUSED = twilio_error(400, 21211, "The 'To' number +8613800138000 is not a valid phone number.")
BUSY = twilio_error(503, 20503, "Service Unavailable while sending to 13800138000")


def assert_masked(text: str) -> None:
    assert not [spelling for spelling in SPELLINGS if spelling in text], text


async def stored_error(message_id: int) -> dict:
    return await SmsMessage.select(SmsMessage.status, SmsMessage.last_error).where(SmsMessage.id == message_id).first()


async def test_a_refusal_is_stored_and_logged_without_the_number(client, twilio, face, caplog):
    caplog.set_level(logging.DEBUG)
    twilio.will_answer(REFUSED)
    message_id = await face.request_code(PHONE)
    await face.deliver(message_id)
    row = await stored_error(message_id)
    assert row["status"] == "failed"
    assert "21211" in row["last_error"] and "138****8000" in row["last_error"]
    assert_masked(row["last_error"])
    assert_masked(caplog.text)


async def test_a_transient_error_is_stored_and_retried_without_the_number(client, twilio, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    held = held_jobs(monkeypatch)
    twilio.will_answer(BUSY)
    assert (await client.post("/api/v1/sms/codes", json={"phone": PHONE})).status_code == 202
    [(_name, (message_id,))] = held
    with pytest.raises(RetryLater) as retry:
        await deliver_sms(message_id)
    assert_masked("".join(traceback.format_exception(retry.value)))  # as a worker's log would print it
    row = await stored_error(message_id)
    assert row["status"] == "queued" and "20503" in row["last_error"]
    assert_masked(row["last_error"])
    assert_masked(caplog.text)
