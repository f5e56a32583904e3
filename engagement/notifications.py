"""Notifications to citizens and staff by SMS, through the same queue as verification codes.

A message is a row of ``sms_message`` (phone and body encrypted) handed to the job
``engagement.deliver_sms``. Inside a transaction, store the row with the change it reports and
hand it over after the commit, so a rolled-back change never sends anything.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from engagement import jobs
from engagement.crypto import keyring
from engagement.tables import SmsMessage


async def store_sms(body: str, purpose: str, *, phone: str | None = None, phone_encrypted: str | None = None) -> int:
    """Write the message row (in the caller's transaction, if any); then ``send_stored_sms`` after commit."""
    keys = keyring()
    if phone_encrypted is None:
        if phone is None:
            raise ValueError("store_sms needs phone or phone_encrypted")
        phone_encrypted = keys.encrypt(phone)
    message = SmsMessage(phone_encrypted=phone_encrypted, body_encrypted=keys.encrypt(body), purpose=purpose,
                         created_at=time.time())
    await message.save()
    return message.id


async def send_stored_sms(message_ids: Iterable[int | None]) -> None:
    """Hand stored messages to the delivery job (each is sent at most once)."""
    for message_id in message_ids:
        if message_id is not None:
            await jobs.enqueue("engagement.deliver_sms", message_id)


async def queue_sms(phone: str, body: str, purpose: str) -> int:
    """Store and send at once. Call outside any open transaction."""
    message_id = await store_sms(body, purpose, phone=phone)
    await send_stored_sms([message_id])
    return message_id
