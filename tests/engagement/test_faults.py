"""Faults survived (issue 12, item 4), with real processes: the site is served by ``python -m engagement serve``
and jobs run in ``python -m engagement worker`` processes this module starts and stops itself.

- Redis stopped mid-run (a redis-server of this test, never the shared one): pages, the API and
  submissions keep answering (rate limits and sessions fall back to the process), and once Redis is back
  a live viewer receives what happened meanwhile, in order.
- A Celery worker killed while it holds an SMS task: after a new worker starts, the SMS goes out once.
- PostgreSQL unreachable (the server talks to it through a proxy this test closes; the shared server is
  never stopped): 503 with Retry-After, quickly, never a 500; afterwards every acknowledged letter is there.
- Uploads on a full disk (ENOSPC, through a ``.part`` file that points at /dev/full): a 503 with
  Retry-After, and neither a file nor a row is left; this one runs on every configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.live_sessions.factories import make_session
from tests.support import citizen_headers, free_port, require_service, staff_headers, wait_for_http, wait_until

ROOT = Path(__file__).resolve().parents[2]
REQUEST_TIMEOUT = 15  # a hang would show as a timeout: the server must answer well within it
LETTER = {"subject": "路灯不亮", "body": "幸福路路灯坏了三个月，晚上出行不便。", "name": "李四海"}


def require_services() -> None:
    require_service("postgres")
    require_service("redis")


def environment(**overrides: str | None) -> dict[str, str]:
    values = {**os.environ, **{key: value for key, value in overrides.items() if value is not None}}
    return {key: value for key, value in values.items() if overrides.get(key, "") is not None}


@contextlib.contextmanager
def serving(log_dir: Path, **overrides: str | None) -> Iterator[str]:
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "engagement", "serve", "--port", str(port)], cwd=ROOT,
                                   env=environment(**overrides), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process, log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


class RedisServer:
    """A redis-server of this test only, on a free port, that can be stopped and started again."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.port, self.process = directory, free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True,
                             check=False).stdout.strip() != "PONG":
            assert time.monotonic() < deadline and self.process.poll() is None, "redis-server did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    require_services()
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def ws_url(base_url: str, path: str) -> str:
    return base_url.replace("http://", "ws://", 1) + path


async def next_remark(socket, what: str, timeout: float = 30) -> dict:
    """The next remark the viewer is sent (viewer counts and the like are skipped), within ``timeout``."""
    seen = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                seen.append(event := json.loads(await socket.recv()))
                if "seq" in event and event.get("type") == "remark":
                    return event
    except TimeoutError:
        raise AssertionError(f"no remark ({what}) in {timeout} s; the viewer got {seen}") from None


# ---------- Redis ----------

async def test_redis_stopped_mid_run_pages_api_and_submissions_go_on(cast, redis_server, tmp_path):
    session_id = await make_session(cast, status="live")
    citizen = await citizen_headers(None, "13900139000")
    with serving(tmp_path, ENGAGEMENT_REDIS_URL=redis_server.url, ENGAGEMENT_JOBS="eager") as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as http:
            host = await staff_headers(http, cast.host)
            remark = f"/api/v1/live-sessions/{session_id}/remarks"
            async with connect(ws_url(base_url, f"/ws/live-sessions/{session_id}"), open_timeout=10) as viewer:
                assert (await http.post(remark, json={"content": "欢迎收看。"}, headers=host)).status_code == 201
                first = await next_remark(viewer, "before the outage")

                redis_server.stop()
                assert (await http.get("/")).status_code == 200
                assert (await http.get("/api/v1/departments")).status_code == 200  # the rate limit, in-process
                asked = await http.post(f"/api/v1/live-sessions/{session_id}/questions",
                                        json={"content": "加装电梯的补贴标准是多少？"}, headers=citizen)
                assert asked.status_code == 201, asked.text
                assert (await http.post("/api/v1/letters", json=LETTER, headers=citizen)).status_code == 201
                during = await http.post(remark, json={"content": "停电期间的说明。"}, headers=host)
                assert during.status_code == 201, during.text

                redis_server.start()
                after = await wait_until(lambda: _posted(http, remark, host, "恢复后的说明。"), "a remark after")
                assert after.status_code == 201
                missed = await next_remark(viewer, "posted during the outage")
                latest = await next_remark(viewer, "posted after it")
            assert [first["seq"] + 1, first["seq"] + 2] == [missed["seq"], latest["seq"]]
            assert "停电期间" in json.dumps(missed, ensure_ascii=False)
            assert "恢复后" in json.dumps(latest, ensure_ascii=False)


async def _posted(http: httpx.AsyncClient, url: str, headers: dict, content: str) -> httpx.Response:
    return await http.post(url, json={"content": content}, headers=headers)


# ---------- a Celery worker killed ----------

@contextlib.contextmanager
def worker(log_path: Path, redis_url: str) -> Iterator[subprocess.Popen]:
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "engagement", "worker", "--pool", "solo", "--loglevel", "INFO"], cwd=ROOT,
            env=environment(ENGAGEMENT_REDIS_URL=redis_url, ENGAGEMENT_JOBS="celery"), stdout=log,
            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log_path.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def run_job(redis_url: str, name: str) -> None:
    code = f"from engagement.celery_app import celery_app; celery_app.send_task({name!r})"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60,
                   env=environment(ENGAGEMENT_REDIS_URL=redis_url, ENGAGEMENT_JOBS="celery"))


async def test_a_worker_killed_while_holding_an_sms_task_sends_it_once_after_a_restart(cast, redis_server, tmp_path):
    from engagement.tables import DevSmsOutbox, SmsMessage

    with serving(tmp_path, ENGAGEMENT_REDIS_URL=redis_server.url, ENGAGEMENT_JOBS="celery") as base_url, \
            worker(tmp_path / "worker-1.log", redis_server.url) as first:
        first.send_signal(signal.SIGSTOP)  # it has the queue open: the task reaches it and stays there
        async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as http:
            assert (await http.post("/api/v1/sms/codes", json={"phone": "13900139001"})).status_code == 202
        message = await wait_until(lambda: SmsMessage.select().where(SmsMessage.purpose == "code").first(), "a row")
        await asyncio.sleep(0)  # (the row is committed before the task is handed over)
        first.kill()  # SIGKILL while stopped: it dies holding the task
        first.wait(timeout=10)
    assert (await SmsMessage.select(SmsMessage.status).where(SmsMessage.id == message["id"]).first())["status"] \
        == "queued"
    # Time passes (the job resends what stayed queued longer than STALE_QUEUED_SECONDS).
    await SmsMessage.update({SmsMessage.created_at: time.time() - 600}).where(SmsMessage.id == message["id"])
    with worker(tmp_path / "worker-2.log", redis_server.url):
        run_job(redis_server.url, "engagement.resend_stale_sms")
        sent = await wait_until(lambda: _status_is(message["id"], "sent"), "the SMS to be sent after the restart")
        run_job(redis_server.url, "engagement.resend_stale_sms")  # a second sweep sends nothing more
        await asyncio.sleep(0)
    assert sent["attempts"] == 1
    assert await DevSmsOutbox.count().where(DevSmsOutbox.phone == "+8613900139001") == 1


async def _status_is(message_id: int, status: str):
    from engagement.tables import SmsMessage

    row = await SmsMessage.select().where(SmsMessage.id == message_id).first()
    return row if row and row["status"] == status else None


# ---------- PostgreSQL unreachable ----------

class TcpProxy:
    """127.0.0.1:<port> forwarded to PostgreSQL; ``stop`` refuses new connections and cuts the open ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, upstream_writer}
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer),
                             return_exceptions=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()
            self.writers.discard(writer)


@contextlib.asynccontextmanager
async def proxied_database() -> AsyncIterator[tuple[TcpProxy, str]]:
    from engagement.settings import get_settings

    url = urlparse(get_settings().database_url)
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        yield proxy, url._replace(netloc=f"{url.username or 'postgres'}@127.0.0.1:{proxy.port}").geturl()
    finally:
        with contextlib.suppress(Exception):
            await proxy.stop()


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:500])
    assert int(response.headers["retry-after"]) >= 1


async def test_postgresql_unreachable_is_a_quick_503_and_acknowledged_letters_stay(cast, tmp_path):
    require_services()
    from mailbox.tables import Letter

    citizen = await citizen_headers(None, "13900139002")
    async with proxied_database() as (proxy, url):
        # Off the test's event loop: the proxy must keep forwarding while the server is started.
        server = serving(tmp_path, ENGAGEMENT_DATABASE_URL=url, ENGAGEMENT_REDIS_URL=None, ENGAGEMENT_JOBS="eager")
        base_url = await asyncio.to_thread(server.__enter__)
        try:
            async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as http:
                before = await http.post("/api/v1/letters", json=LETTER, headers=citizen)
                assert before.status_code == 201, before.text

                await proxy.stop()
                started = time.monotonic()
                assert_unavailable(await http.get("/healthz"))
                api = await http.get("/api/v1/departments")
                assert_unavailable(api)
                assert api.json()["status_code"] == 503 and api.json()["detail"]
                assert_unavailable(await http.post("/api/v1/letters", json=LETTER, headers=citizen))
                page = await http.get("/mailbox", params={"fault": "1"})  # past the page cache
                assert_unavailable(page)
                assert page.headers["content-type"].startswith("text/html")
                assert time.monotonic() - started < REQUEST_TIMEOUT

                await proxy.start()
                await wait_until(lambda: _answers(http, "/healthz"), "the database to be back")
                after = await http.post("/api/v1/letters", json=LETTER, headers=citizen)
                assert after.status_code == 201, after.text
        finally:
            await asyncio.to_thread(server.__exit__, None, None, None)
    numbers = {row["tracking_number"] for row in await Letter.select(Letter.tracking_number)}
    assert numbers == {before.json()["tracking_number"], after.json()["tracking_number"]}


async def _answers(http: httpx.AsyncClient, path: str) -> bool:
    return (await http.get(path)).status_code == 200


# ---------- a full disk ----------

async def test_an_upload_on_a_full_disk_is_a_503_and_leaves_nothing_half_stored(client, cast):
    from consultations.tables import Attachment
    from engagement.uploads import upload_path

    admin = await staff_headers(client, cast.admin)
    created = await client.post("/api/v1/consultations", headers=admin, json={
        "title": "关于停车规划征求意见", "department": "fgw", "closes_at": "2099-01-01T00:00:00+08:00"})
    assert created.status_code == 201, created.text
    pdf = b"%PDF-1.7\n" + os.urandom(2048)
    path = upload_path(f"{hashlib.sha256(pdf).hexdigest()}.pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    part.symlink_to("/dev/full")  # every write to it fails with ENOSPC, as on a full disk
    try:
        answer = await client.post(f"/api/v1/consultations/{created.json()['id']}/attachments",
                                   files={"file": ("草案.pdf", pdf, "application/pdf")}, headers=admin)
    finally:
        present = part.is_symlink() or part.exists()
        part.unlink(missing_ok=True)
    assert_unavailable(answer)
    assert answer.json()["detail"]
    assert not path.exists() and not present
    assert await Attachment.count() == 0
