"""Jobs of the core: SMS delivery and clean-up."""

from __future__ import annotations

import logging
import time

from engagement.crypto import keyring
from engagement.jobs import RetryLater, enqueue, job
from engagement.settings import get_settings
from engagement.sms import PermanentSmsError, TransientSmsError, get_backend, masked_provider_text
from engagement.tables import RateCounter, SmsCode, SmsCooldown, SmsMessage, StaffToken

log = logging.getLogger("engagement.sms")

SMS_CODE_KEEP_SECONDS = 86400


async def _give_up_sms(message_id: int) -> None:
    """The last retry failed too: the message will not go out, and says so."""
    await SmsMessage.update({SmsMessage.status: "failed"}).where(
        (SmsMessage.id == message_id) & (SmsMessage.status == "queued")
    )


@job("engagement.deliver_sms", max_retries=5, backoff_seconds=5.0, on_give_up=_give_up_sms)
async def deliver_sms(message_id: int) -> None:
    """Send a queued SMS at most once, however often the task is delivered.

    The row is claimed (queued -> sending) by one atomic UPDATE before the
    provider is called: a redelivered or concurrent task finds nothing to claim.
    """
    claimed = await SmsMessage.raw(
        "UPDATE sms_message SET status = 'sending', attempts = attempts + 1 "
        "WHERE id = {} AND status = 'queued' RETURNING id",
        message_id,
    )
    if not claimed:
        return
    message = await SmsMessage.objects().get(SmsMessage.id == message_id)
    backend = get_backend(get_settings())
    keys = keyring()
    phone = keys.decrypt(message.phone_encrypted)
    try:
        provider_id = await backend.send(phone, keys.decrypt(message.body_encrypted))
    except TransientSmsError as error:
        reason = masked_provider_text(str(error), phone)  # every gateway's text, before it is stored or logged
        await _set_status(message_id, "queued", reason)
        raise RetryLater(reason) from None
    except PermanentSmsError as error:
        reason = masked_provider_text(str(error), phone)
        log.warning("SMS %s refused by %s: %s", message_id, backend.name, reason)
        await _set_status(message_id, "failed", reason)
        return
    await SmsMessage.update(
        {
            SmsMessage.status: "sent",
            SmsMessage.sent_at: time.time(),
            SmsMessage.provider_id: provider_id,
            SmsMessage.backend: backend.name,
            SmsMessage.body_encrypted: "",
            SmsMessage.last_error: "",
        }
    ).where(SmsMessage.id == message_id)


async def _set_status(message_id: int, status: str, error: str) -> None:
    await SmsMessage.update({SmsMessage.status: status, SmsMessage.last_error: error[:1000]}).where(
        SmsMessage.id == message_id
    )


# A message still queued this long after it was written lost its hand-over to the job (e.g. the broker was
# down right after the commit, or the worker that had taken the task was killed): hand it over again.
# deliver_sms claims a row once, so nothing is sent twice.
STALE_QUEUED_SECONDS = 120
# A message still "sending" this long after it was written belongs to a worker that died during the
# provider call (a send takes seconds; retries wait as "queued"). It is queued again: sent once more
# only if the provider had not accepted it, which cannot be told (at worst one duplicate, never none).
STALE_SENDING_SECONDS = 900


@job("engagement.resend_stale_sms", max_retries=1)
async def resend_stale_sms() -> None:
    now = time.time()
    orphaned = await SmsMessage.raw(
        "UPDATE sms_message SET status = 'queued' WHERE status = 'sending' AND created_at < {} RETURNING id",
        now - STALE_SENDING_SECONDS,
    )
    rows = await SmsMessage.select(SmsMessage.id).where(
        (SmsMessage.status == "queued") & (SmsMessage.attempts == 0)
        & (SmsMessage.created_at < now - STALE_QUEUED_SECONDS)
    ).limit(500)
    for row in [*orphaned, *rows]:
        await enqueue("engagement.deliver_sms", row["id"])


@job("engagement.purge_expired", max_retries=1)
async def purge_expired() -> None:
    """Delete codes, counters and tokens nobody can use any more."""
    now = time.time()
    await SmsCode.delete().where(SmsCode.created_at < now - SMS_CODE_KEEP_SECONDS)
    await SmsCooldown.delete().where(SmsCooldown.next_allowed_at < now)
    await RateCounter.delete().where(RateCounter.expires_at < now)
    await StaffToken.delete().where(StaffToken.expires_at < now)
    await SmsMessage.update({SmsMessage.body_encrypted: ""}).where(
        (SmsMessage.created_at < now - SMS_CODE_KEEP_SECONDS) & (SmsMessage.body_encrypted != "")
    )
