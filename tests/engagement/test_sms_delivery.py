"""SMS delivery (DESIGN sections 3 and 5): the real Twilio client against a local fake of
Twilio's Messages API, retries of transient failures, and at most one message per
queued SMS however often the delivery job runs.

The fake is a ``ThreadingHTTPServer`` on 127.0.0.1 that answers
``POST /2010-04-01/Accounts/{sid}/Messages.json`` the way Twilio does and records each
request. The official ``twilio`` client reaches it through a ``TwilioHttpClient``
subclass that rewrites the https://api.twilio.com URL (twilio-python issue #521).

Two faces run the same checks:

- ``api``: a citizen asks for a code with ``POST /api/v1/sms/codes`` and the in-process
  job runner delivers it (eager jobs only: a Celery worker is another process and does
  not see this process's ``use_backend()`` override);
- ``job``: the code is requested through the API, but its delivery job is held back and
  run here with ``await deliver_sms(message_id)``, as a worker runs it (both
  configurations).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from twilio.http.http_client import TwilioHttpClient

from engagement import jobs
from engagement.jobs import RetryLater
from engagement.settings import Settings, get_settings
from engagement.sms import TwilioBackend, use_backend
from engagement.tables import SmsMessage
from engagement.tasks import deliver_sms
from tests.support import CODE_PATTERN, e164, read_code, require_service

PHONE = "13800138000"
OTHER = "13912345678"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token"
FROM_NUMBER = "+15005550006"
CLIENT_TIMEOUT_SECONDS = 1.0


# --- a local fake of Twilio's Messages API ---------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the fake does with one request: accept the message or answer a Twilio error, maybe late."""

    status: int = 201
    error: dict | None = None
    delay: float = 0.0


def twilio_error(status: int, code: int, message: str) -> Answer:
    return Answer(
        status=status,
        error={
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


ACCEPT = Answer()
INVALID_TO = twilio_error(400, 21211, "The 'To' number is not a valid phone number.")
UNAVAILABLE = twilio_error(503, 20503, "Service Unavailable")
TOO_MANY_REQUESTS = twilio_error(429, 20429, "Too Many Requests")
# Accepts, but only long after the client has given up waiting.
HANG = Answer(delay=CLIENT_TIMEOUT_SECONDS * 10)


@dataclass
class Received:
    """One request as the fake saw it."""

    account: str  # the Basic auth user name
    to: str
    from_: str
    body: str
    answered: int = 0
    sid: str = ""  # the message sid the fake answered with, if it accepted the message


@dataclass
class FakeTwilio:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    _script: deque = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Set at teardown so a hanging answer does not keep its thread.
    released: threading.Event = field(default_factory=threading.Event, repr=False)

    def will_answer(self, *answers: Answer) -> None:
        """Answer the next requests like this, in order; after them every message is accepted."""
        with self._lock:
            self._script.extend(answers)

    def next_answer(self, received: Received) -> Answer:
        with self._lock:
            self.requests.append(received)
            return self._script.popleft() if self._script else ACCEPT

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.requests if r.sid]


MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-f]{32})/Messages\.json$")


class FakeTwilioHandler(BaseHTTPRequestHandler):
    server: FakeTwilioServer

    def log_message(self, format, *args):
        pass

    def do_POST(self) -> None:
        fake = self.server.fake
        match = MESSAGES_PATH.match(urlsplit(self.path).path)
        if match is None:
            self._reply(404, twilio_error(404, 20404, "The requested resource was not found").error)
            return
        user, _, password = self._basic_auth()
        if user != match["account"] or password != AUTH_TOKEN:
            self._reply(401, twilio_error(401, 20003, "Authenticate").error)
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
        received = Received(account=user, to=form.get("To", ""), from_=form.get("From", ""), body=form.get("Body", ""))
        answer = fake.next_answer(received)
        if answer.delay and fake.released.wait(answer.delay):
            return  # the test is over; nobody listens any more
        if answer.error is not None:
            received.answered = answer.status
            self._reply(answer.status, answer.error)
            return
        received.sid = f"SM{uuid.uuid4().hex}"
        received.answered = answer.status
        self._reply(answer.status, self._message(received, match["account"]))

    def _basic_auth(self) -> tuple[str, str, str]:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return "", "", ""
        return base64.b64decode(header[6:]).decode().partition(":")

    @staticmethod
    def _message(received: Received, account: str) -> dict:
        now = formatdate(usegmt=True)
        path = f"/2010-04-01/Accounts/{account}/Messages/{received.sid}"
        return {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": received.body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": received.from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": received.sid,
            "status": "queued",
            "subresource_uris": {"media": f"{path}/Media.json"},
            "to": received.to,
            "uri": f"{path}.json",
        }

    def _reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and went away


class FakeTwilioServer(ThreadingHTTPServer):
    fake: FakeTwilio


class LocalTwilioHttpClient(TwilioHttpClient):
    """The official client's HTTP client, sending what it means for api.twilio.com to the fake."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._netloc = urlsplit(base_url).netloc
        self.session.trust_env = False  # no proxy from the environment between us and 127.0.0.1

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        assert parts.hostname and parts.hostname.endswith(".twilio.com"), url
        local = urlunsplit(("http", self._netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, local, *args, **kwargs)


@pytest.fixture
def fake_twilio():
    server = FakeTwilioServer(("127.0.0.1", 0), FakeTwilioHandler)
    server.fake = FakeTwilio(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-twilio", daemon=True
    )
    thread.start()
    try:
        yield server.fake
    finally:
        server.fake.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def twilio(fake_twilio):
    """SMS of this process go through the real Twilio client to the fake."""
    settings = Settings.from_env(
        {
            **os.environ,
            "ENGAGEMENT_SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
        }
    )
    http_client = LocalTwilioHttpClient(fake_twilio.url, timeout=CLIENT_TIMEOUT_SECONDS)
    use_backend(TwilioBackend(settings, http_client=http_client))
    try:
        yield fake_twilio
    finally:
        use_backend(None)


# --- the two faces ---------------------------------------------------------------------------


async def only_message() -> dict:
    rows = await SmsMessage.select()
    assert len(rows) == 1, rows
    return rows[0]


async def message(message_id: int) -> dict:
    return await SmsMessage.select().where(SmsMessage.id == message_id).first()


@dataclass
class ThroughTheApi:
    """The citizen's request delivers the code (the in-process runner retries with back-off)."""

    client: object

    async def request_code(self, phone: str) -> int:
        response = await self.client.post("/api/v1/sms/codes", json={"phone": phone})
        assert response.status_code == 202, response.text
        return (await only_message())["id"]

    async def deliver(self, message_id: int) -> None:
        """Already done while the request was answered."""


@dataclass
class ByTheJob:
    """The code is requested through the API; its delivery job runs here as a worker would run it."""

    client: object
    held: list

    async def request_code(self, phone: str) -> int:
        response = await self.client.post("/api/v1/sms/codes", json={"phone": phone})
        assert response.status_code == 202, response.text
        message_id = (await only_message())["id"]
        assert self.held == [("engagement.deliver_sms", (message_id,))]
        self.held.clear()
        return message_id

    async def deliver(self, message_id: int) -> None:
        for _ in range(jobs.REGISTRY["engagement.deliver_sms"].max_retries + 1):
            try:
                await deliver_sms(message_id)
                return
            except RetryLater:
                # Waiting for the retry, the message is queued again and says why.
                row = await message(message_id)
                assert row["status"] == "queued" and row["last_error"], row
        raise AssertionError("deliver_sms still asks for a retry after its last allowed one")


@pytest.fixture(params=["api", "job"])
def face(request, client, monkeypatch):
    if request.param == "api":
        if not get_settings().jobs_eager:
            pytest.skip(
                "jobs run in a separate Celery worker process, which cannot see this process's "
                "use_backend() override; the 'job' variant checks the same by running deliver_sms here"
            )
        return ThroughTheApi(client)
    return ByTheJob(client, held_jobs(monkeypatch))


def held_jobs(monkeypatch) -> list:
    """Jobs are recorded instead of being run or sent to Celery."""
    held: list = []

    async def hold(name, *args):
        held.append((name, args))

    monkeypatch.setattr(jobs, "enqueue", hold)
    return held


async def outbox(client, phone: str) -> list[dict]:
    response = await client.get("/dev/sms-outbox")
    assert response.status_code == 200, response.text
    return [m for m in response.json() if m["phone"] == e164(phone)]


# --- Twilio behaviour, in both configurations ------------------------------------------------


async def test_a_code_goes_out_through_twilio_once_and_verifies(client, twilio, face):
    message_id = await face.request_code(PHONE)
    await face.deliver(message_id)

    assert len(twilio.requests) == 1
    sent = twilio.requests[0]
    assert (sent.account, sent.to, sent.from_) == (ACCOUNT_SID, "+8613800138000", FROM_NUMBER)
    code = CODE_PATTERN.search(sent.body).group(1)
    verified = await client.post("/api/v1/sms/verify", json={"phone": PHONE, "code": code})
    assert verified.status_code == 200, verified.text
    assert verified.json()["citizen_token"]

    row = await message(message_id)
    assert row["status"] == "sent"
    assert row["backend"] == "twilio"
    assert row["provider_id"] == sent.sid and sent.sid.startswith("SM")
    assert row["body_encrypted"] == ""
    assert row["sent_at"] is not None
    assert (row["attempts"], row["last_error"]) == (1, "")
    assert await outbox(client, PHONE) == []  # Twilio, not the console, carried it


async def test_a_number_twilio_refuses_fails_without_a_retry(client, twilio, face):
    twilio.will_answer(INVALID_TO)
    message_id = await face.request_code(PHONE)
    await face.deliver(message_id)

    assert len(twilio.requests) == 1
    assert twilio.accepted == []
    row = await message(message_id)
    assert row["status"] == "failed"
    assert "21211" in row["last_error"]
    assert row["attempts"] == 1
    assert row["provider_id"] == ""


async def test_a_timeout_is_retried_and_the_code_is_sent_once(client, twilio, face):
    twilio.will_answer(HANG)
    message_id = await face.request_code(PHONE)
    await face.deliver(message_id)

    assert len(twilio.requests) == 2
    first, second = twilio.requests
    assert first.to == second.to == "+8613800138000"
    assert first.body == second.body
    row = await message(message_id)
    assert row["status"] == "sent"
    assert row["provider_id"] == second.sid
    assert (row["attempts"], row["last_error"]) == (2, "")
    assert await SmsMessage.count().where(SmsMessage.status == "sent") == 1


@pytest.mark.parametrize("busy", [UNAVAILABLE, TOO_MANY_REQUESTS], ids=["503", "429"])
async def test_twilio_busy_is_retried_and_the_code_is_sent(client, twilio, face, busy):
    twilio.will_answer(busy)
    message_id = await face.request_code(PHONE)
    await face.deliver(message_id)

    assert [r.answered for r in twilio.requests] == [busy.status, 201]
    row = await message(message_id)
    assert row["status"] == "sent"
    assert row["provider_id"] == twilio.requests[1].sid
    assert (row["attempts"], row["last_error"]) == (2, "")
    code = CODE_PATTERN.search(twilio.requests[1].body).group(1)
    assert (await client.post("/api/v1/sms/verify", json={"phone": PHONE, "code": code})).status_code == 200


# --- at most once ----------------------------------------------------------------------------


async def test_two_deliveries_of_one_message_at_the_same_time_send_it_once(client, twilio, monkeypatch):
    face = ByTheJob(client, held_jobs(monkeypatch))
    message_id = await face.request_code(PHONE)
    # A slow provider keeps the first delivery busy while the second one starts.
    twilio.will_answer(Answer(delay=0.3))

    await asyncio.gather(deliver_sms(message_id), deliver_sms(message_id))

    assert len(twilio.requests) == 1
    row = await message(message_id)
    assert row["status"] == "sent"
    assert row["attempts"] == 1
    assert row["provider_id"] == twilio.requests[0].sid


async def test_a_redelivered_celery_task_does_not_send_twice(client, celery_worker):
    require_service("redis")
    if celery_worker is None:
        pytest.skip("ENGAGEMENT_JOBS=eager: no Celery worker runs in this configuration")
    from engagement.celery_app import celery_app

    response = await client.post("/api/v1/sms/codes", json={"phone": PHONE})
    assert response.status_code == 202, response.text
    message_id = (await only_message())["id"]
    # The broker hands the same task out again (late acks, a lost worker, a visibility timeout).
    for _ in range(2):
        await asyncio.to_thread(celery_app.send_task, "engagement.deliver_sms", args=[message_id])
    # A last code for another phone: the one solo worker takes its queue in order, so once
    # that code has arrived, the two repeated tasks have run too.
    sentinel = await client.post("/api/v1/sms/codes", json={"phone": OTHER})
    assert sentinel.status_code == 202, sentinel.text
    await read_code(client, OTHER)

    assert len(await outbox(client, PHONE)) == 1
    row = await message(message_id)
    assert row["status"] == "sent"
    assert row["attempts"] == 1


# --- proposed with the fix (see report) ------------------------------------------------------

PROBLEM_DETAILS_REFUSAL = Answer(  # RFC 9457, which the twilio client raises as TwilioServiceException
    status=400,
    error={
        "type": "https://www.twilio.com/docs/errors/21211",
        "title": "Invalid 'To' Phone Number",
        "status": 400,
        "code": 21211,
        "detail": "The 'To' number is not a valid phone number.",
    },
)


async def test_a_refusal_in_problem_details_form_fails_without_a_retry(client, twilio, face):
    twilio.will_answer(PROBLEM_DETAILS_REFUSAL)
    message_id = await face.request_code(PHONE)
    await face.deliver(message_id)

    assert len(twilio.requests) == 1
    row = await message(message_id)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "21211" in row["last_error"]


async def test_a_message_twilio_never_takes_ends_failed_after_the_last_retry(client, twilio, monkeypatch):
    if not get_settings().jobs_eager:
        pytest.skip("the in-process runner's back-off is tested here; Celery's countdowns run to minutes")
    monkeypatch.setattr(jobs, "EAGER_BACKOFF_SECONDS", 0.01)
    retries = jobs.REGISTRY["engagement.deliver_sms"].max_retries
    twilio.will_answer(*[UNAVAILABLE] * (retries + 1))
    message_id = await ThroughTheApi(client).request_code(PHONE)

    assert len(twilio.requests) == retries + 1
    row = await message(message_id)
    assert (row["status"], row["attempts"]) == ("failed", retries + 1)
    assert "503" in row["last_error"]
