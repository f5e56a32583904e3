"""SMS gateways behind one interface: ``console`` for development, ``twilio`` in production."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from engagement.masking import mask_personal_data, mask_phone
from engagement.settings import Settings, get_settings

log = logging.getLogger("engagement.sms")

TWILIO_TIMEOUT_SECONDS = 10
# Twilio answers these when the fault is on its side or we sent too fast: worth retrying.
TRANSIENT_HTTP_STATUSES = {408, 429, 500, 502, 503, 504}


class SmsError(Exception):
    """The message was not accepted."""


class TransientSmsError(SmsError):
    """Worth retrying later (timeout, provider busy)."""


class PermanentSmsError(SmsError):
    """Retrying will not help (invalid number, account problem)."""


class SmsBackend(Protocol):
    name: str

    async def send(self, phone: str, body: str) -> str:
        """Send one message; return the provider's message id."""


class ConsoleBackend:
    name = "console"

    async def send(self, phone: str, body: str) -> str:
        from engagement.tables import DevSmsOutbox

        log.info("SMS to %s: %s", phone, body)
        if not get_settings().dev_outbox_enabled:
            return "console"
        row = DevSmsOutbox(phone=phone, body=body)
        await row.save()
        return f"console-{row.id}"


class TwilioBackend:
    """Plain SMS through Twilio's Messages API with the official client."""

    name = "twilio"

    def __init__(self, settings: Settings, http_client: TwilioHttpClient | None = None) -> None:
        self._from = settings.twilio_from_number
        self._client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=http_client or TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS),
        )

    async def send(self, phone: str, body: str) -> str:
        return await asyncio.to_thread(self._send_blocking, phone, body)

    def _send_blocking(self, phone: str, body: str) -> str:
        # Twilio's error text names the destination number: it is masked before anyone stores or logs it,
        # and the original exception is not chained (a logged traceback would print it in full).
        try:
            message = self._client.messages.create(to=phone, from_=self._from, body=body)
        except TwilioRestException as error:
            kind = TransientSmsError if error.status in TRANSIENT_HTTP_STATUSES else PermanentSmsError
            raise kind(masked_provider_text(f"twilio {error.status} {error.code}: {error.msg}", phone)) from None
        except TwilioServiceException as error:  # RFC 9457 problem details, sent by newer Twilio APIs
            kind = TransientSmsError if error.status in TRANSIENT_HTTP_STATUSES else PermanentSmsError
            text = f"twilio {error.status} {error.code}: {error.title}: {error.detail or ''}"
            raise kind(masked_provider_text(text, phone)) from None
        except (requests.Timeout, requests.ConnectionError) as error:
            raise TransientSmsError(f"twilio unreachable: {type(error).__name__}") from None
        except TwilioException as error:
            raise TransientSmsError(masked_provider_text(f"twilio: {error}", phone)) from None
        return message.sid


def masked_provider_text(text: str, phone: str) -> str:
    """A gateway's error text with the destination number (in any spelling) and other personal data masked."""
    for spelling in (phone, phone.lstrip("+"), phone.removeprefix("+86")):
        text = text.replace(spelling, mask_phone(phone))
    return mask_personal_data(text)


_override: SmsBackend | None = None


def get_backend(settings: Settings) -> SmsBackend:
    if _override is not None:
        return _override
    if settings.sms_backend == "twilio":
        return TwilioBackend(settings)
    return ConsoleBackend()


def use_backend(backend: SmsBackend | None) -> None:
    """Route this process's SMS through ``backend`` (None restores the configured one).

    Used by the Twilio tests to give the real client an HTTP client that talks to
    a local fake of Twilio's API.
    """
    global _override
    _override = backend
