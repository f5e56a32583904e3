"""Messages to citizens and staff by SMS: one path for codes, notices and reminders.

    async with unit_of_work():
        letter = await LETTER.apply("reply", letter_id, actor=staff, values=...)
        await notify_citizen(letter["citizen"], body, purpose="letter_reply",
                             event_key=f"letter:{letter_id}:reply:{reply_id}")

The message is a row of ``sms_message`` (phone and body encrypted) written in the caller's
transaction, so a rolled-back change never sends anything; it is handed to the job
``engagement.deliver_sms`` after the commit, which sends each row at most once. ``event_key`` names
the event the message reports: a second notice for the same event is not stored, so a retried
request or a job run twice never notifies twice.
"""

from __future__ import annotations

import time

from engagement import jobs
from engagement.crypto import keyring
from engagement.db import after_commit
from engagement.tables import Citizen, SmsMessage


async def notify_citizen(citizen_id: int | None, body: str, *, purpose: str, event_key: str) -> int | None:
    """Tell a citizen about ``event_key``; None when there is nobody to tell or it was told already."""
    if citizen_id is None:
        return None
    row = await Citizen.select(Citizen.phone_encrypted).where(Citizen.id == citizen_id).first()
    if row is None:
        return None
    return await send_sms(body, purpose=purpose, phone_encrypted=row["phone_encrypted"], event_key=event_key)


async def send_sms(body: str, *, purpose: str, phone: str | None = None, phone_encrypted: str | None = None,
                   event_key: str | None = None) -> int | None:
    """Store one message (in the current transaction, if any) and deliver it after the commit.

    ``phone`` in E.164, or ``phone_encrypted`` as stored beside a citizen or staff member.
    """
    keys = keyring()
    if phone_encrypted is None:
        if phone is None:
            raise ValueError("send_sms needs phone or phone_encrypted")
        phone_encrypted = keys.encrypt(phone)
    rows = await SmsMessage.raw(
        "INSERT INTO sms_message (phone_encrypted, body_encrypted, purpose, event_key, status, backend, provider_id, "
        "attempts, last_error, created_at) VALUES ({}, {}, {}, {}, 'queued', '', '', 0, '', {}) "
        "ON CONFLICT (event_key) DO NOTHING RETURNING id",
        phone_encrypted, keys.encrypt(body), purpose, event_key, time.time(),
    )
    if not rows:
        return None
    message_id = rows[0]["id"]
    await after_commit(lambda: jobs.enqueue("engagement.deliver_sms", message_id))
    return message_id

