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

Per phone, at most ``ENGAGEMENT_NOTIFICATION_SMS_PER_PHONE_DAY`` notices a day are sent (10 by
default; verification codes are never counted or held back, they have their own limits in
engagement.verification): a notice past it is still stored, with status ``skipped`` and the reason,
and never sent, so a flood of letters or replies cannot turn into a flood of SMS to one phone while
every notice stays on record.
"""

from __future__ import annotations

import time

from engagement import jobs
from engagement.crypto import keyring
from engagement.db import after_commit
from engagement.limits import DAY_SECONDS, Window, citizen_limits_apply, take
from engagement.settings import get_settings
from engagement.tables import Citizen, SmsMessage, StaffUser

UNLIMITED_PURPOSES = frozenset({"code"})  # verification codes: never held back by the notice budget
SKIPPED_REASON = "not sent: the daily notification budget of this phone is used up"


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
    if (purpose not in UNLIMITED_PURPOSES and citizen_limits_apply()
            and not await _within_phone_budget(keys.decrypt(phone_encrypted))):
        await SmsMessage.update({SmsMessage.status: "skipped", SmsMessage.last_error: SKIPPED_REASON}).where(
            SmsMessage.id == message_id)
        return message_id
    await after_commit(lambda: jobs.enqueue("engagement.deliver_sms", message_id))
    return message_id


async def _within_phone_budget(phone: str) -> bool:
    """Count one notice to ``phone`` today (in the caller's transaction); False once the budget is used up."""
    window = Window(f"sms:notices:{keyring().lookup_hash(phone)}", DAY_SECONDS,
                    get_settings().notification_sms_per_phone_day)
    return await take(window, time.time()) is not None



async def notify_department_staff(department_id: int | None, body: str, *, purpose: str, event_key: str) -> int:
    """Tell every active staff member of a department who has a phone; the number of messages stored.

    Each message's event key is ``event_key`` plus the staff id, so a reminder sent twice reaches nobody twice."""
    if department_id is None:
        return 0
    staff = await StaffUser.select(StaffUser.id, StaffUser.phone_encrypted).where(
        (StaffUser.department == department_id) & (StaffUser.is_active == True)  # noqa: E712
        & (StaffUser.phone_encrypted != "")
    )
    sent = [await send_sms(body, purpose=purpose, phone_encrypted=person["phone_encrypted"],
                           event_key=f"{event_key}:staff:{person['id']}") for person in staff]
    return sum(message is not None for message in sent)
