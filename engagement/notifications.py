"""Notifications to citizens and staff by SMS, through the same queue as verification codes."""

from __future__ import annotations

import time

from engagement import jobs
from engagement.crypto import keyring
from engagement.tables import SmsMessage


async def queue_sms(phone: str, body: str, purpose: str) -> int:
    """Store the message (encrypted) and have it sent at most once. Call outside any open transaction."""
    keys = keyring()
    message = SmsMessage(
        phone_encrypted=keys.encrypt(phone), body_encrypted=keys.encrypt(body), purpose=purpose, created_at=time.time()
    )
    await message.save()
    await jobs.enqueue("engagement.deliver_sms", message.id)
    return message.id
