"""SMS gateways behind one interface: ``console`` for development, ``twilio`` in production."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from engagement.settings import Settings

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
        try:
            message = self._client.messages.create(to=phone, from_=self._from, body=body)
        except TwilioRestException as error:
            if error.status in TRANSIENT_HTTP_STATUSES:
                raise TransientSmsError(f"twilio {error.status} {error.code}: {error.msg}") from error
            raise PermanentSmsError(f"twilio {error.status} {error.code}: {error.msg}") from error
        except TwilioServiceException as error:  # RFC 9457 problem details, sent by newer Twilio APIs
            kind = TransientSmsError if error.status in TRANSIENT_HTTP_STATUSES else PermanentSmsError
            raise kind(f"twilio {error.status} {error.code}: {error.title}: {error.detail or ''}") from error
        except (requests.Timeout, requests.ConnectionError) as error:
            raise TransientSmsError(f"twilio unreachable: {type(error).__name__}") from error
        except TwilioException as error:
            raise TransientSmsError(f"twilio: {error}") from error
        return message.sid


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
