"""Helpers shared by the tests: services, codes from the outbox, logins, query counts."""

from __future__ import annotations

import asyncio
import functools
import os
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

# The verification code in the code SMS only (the mailbox's receipt also holds six digits: 2026-000123).
CODE_PATTERN = re.compile(r"(?:验证码是|verification code is )(\d{6})")
OUTBOX_WAIT_SECONDS = 20
POLL_SECONDS = 0.02
MAX_POLL_SECONDS = 0.1
T = TypeVar("T")


def service_environment() -> dict[str, str]:
    """The environment for subprocesses (server, worker, CLI): the same configuration as the tests."""
    return dict(os.environ)


def require_service(name: str) -> None:
    """Skip a test whose service is not configured here; with CI set, fail instead.

    The first run of ``make test`` (``ENGAGEMENT_TEST_RUN=embedded``) deliberately has no services, and the
    second run, which CI requires, has them: there a missing service is a failure.
    """
    from engagement.settings import get_settings

    settings = get_settings()
    available = {
        "redis": bool(settings.redis_url),
        "postgres": not settings.is_sqlite,
    }[name]
    if available:
        return
    message = f"{name} is not configured for this run (set ENGAGEMENT_{'REDIS' if name == 'redis' else 'DATABASE'}_URL)"
    if os.environ.get("ENGAGEMENT_TEST_RUN") == "embedded":
        pytest.skip(f"{message}: the embedded run leaves it out on purpose; the services run covers it")
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url}:\n{log_path.read_text()}")


@contextmanager
def served_app(log_dir: Path) -> Iterator[str]:
    """``python -m engagement serve`` on a free port, as operators run it; yields its base URL."""
    import sys

    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "engagement", "serve", "--port", str(port)],
                                   env=service_environment(), stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base_url}/healthz", process, log_path)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _table_names() -> list[str]:
    from piccolo.apps.migrations.tables import Migration
    from piccolo.conf.apps import Finder

    return [table._meta.tablename for table in Finder().get_table_classes() if table is not Migration]


async def empty_written_tables() -> None:
    """Empty the tables the last test wrote to, so each test starts with empty tables (and ids from 1).

    One query finds the tables holding rows, and only those are emptied, with DELETE: most tests write to a
    few of the ~40 tables, and emptying all of them (DELETE on SQLite, TRUNCATE on PostgreSQL) took
    0.2-0.5 s a test. On PostgreSQL the id sequences that moved start again at 1, as after TRUNCATE.
    """
    from piccolo.apps.migrations.tables import Migration

    engine = Migration._meta.db
    names = _table_names()
    probe = " UNION ALL ".join(f"SELECT '{name}' AS name WHERE EXISTS (SELECT 1 FROM {name})" for name in names)
    await _jobs_settled()
    written = {row["name"] for row in await Migration.raw(probe)}
    if written:
        async with engine.transaction():
            for name in names:  # in the registry's order, as the foreign keys allow
                if name in written:
                    await Migration.raw(f"DELETE FROM {name}")
    from engagement.page_cache import content_changed, discard_counted_views

    content_changed()  # no page cached in an earlier test is served in the next one
    discard_counted_views()  # nor its views counted in this one
    if engine.engine_type == "postgres":  # the id sequences of these tables (not the migrations') that moved
        await Migration.raw(
            "SELECT setval(s.seqrelid, 1, false) FROM pg_sequence s JOIN pg_depend d ON d.objid = s.seqrelid "
            "AND d.refclassid = 'pg_class'::regclass JOIN pg_class t ON t.oid = d.refobjid "
            f"WHERE t.relname IN ({', '.join(repr(name) for name in names)}) "
            "AND pg_sequence_last_value(s.seqrelid) IS NOT NULL"
        )


# The Celery worker's queue in Redis (kombu's Redis transport): tasks waiting (one list per priority step) and
# tasks handed to a worker but not yet acknowledged (late acks: a task is acknowledged when it has run).
CELERY_QUEUE = "celery"
CELERY_PRIORITY_SEPARATOR = "\x06\x16"
CELERY_PRIORITY_STEPS = (3, 6, 9)
CELERY_UNACKED = "unacked"
JOBS_SETTLE_SECONDS = 20


@functools.cache
def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(url)


def celery_jobs_pending() -> int:
    """How many tasks the run's Celery worker has still to run or is running (0 without Celery)."""
    from engagement.settings import get_settings

    settings = get_settings()
    if settings.jobs_eager or not settings.redis_url:
        return 0
    with _redis_client(settings.redis_url).pipeline(transaction=False) as pipe:
        pipe.llen(CELERY_QUEUE)
        for step in CELERY_PRIORITY_STEPS:
            pipe.llen(f"{CELERY_QUEUE}{CELERY_PRIORITY_SEPARATOR}{step}")
        pipe.hlen(CELERY_UNACKED)
        return sum(pipe.execute())


async def _jobs_settled() -> None:
    """Wait until the worker has run every job the last test queued, before its tables are emptied.

    A job still queued or running when the tables are emptied and the id sequences start again at 1 ran
    against the next test's rows: an SMS of the last test claimed the next test's message with the same id,
    or its outbox row took an id the next test's inserts were then given again (a duplicate key: that
    message stayed "sending" and never arrived, the "waited 20s for an SMS code" flake), or a reminder job
    wrote a row pointing at a deleted letter. Asking Redis costs a round trip; without Celery (jobs run in
    the process that queued them) there is nothing to wait for.
    """
    async def idle() -> bool:
        return celery_jobs_pending() == 0

    try:
        await wait_until(idle, "the Celery worker to run the last test's jobs", timeout=JOBS_SETTLE_SECONDS)
    except AssertionError:
        import warnings

        warnings.warn(f"the Celery worker still had {celery_jobs_pending()} job(s) after {JOBS_SETTLE_SECONDS}s: "
                      "the next test's tables are emptied under them", stacklevel=1)


def e164(phone: str) -> str:
    return phone if phone.startswith("+") else f"+86{phone}"


async def wait_until(condition: Callable[[], Awaitable[T]], what: str, timeout: float = OUTBOX_WAIT_SECONDS) -> T:
    """The first truthy answer of ``condition()``, asked again and again (a worker may still be at work).

    The first asks follow each other closely (20 ms), then less often, up to every 100 ms: a condition that
    takes seconds (the worker sending fifty messages) is not asked 50 times a second, each ask a request or
    a query that takes the cores from the worker it waits for.
    """
    deadline = time.monotonic() + timeout
    interval = POLL_SECONDS
    while not (answer := await condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        await asyncio.sleep(interval)
        interval = min(interval * 1.25, MAX_POLL_SECONDS)
    return answer


async def sms_settled() -> bool:
    """Wait until no SMS is queued or being sent; False if some still are after the usual wait."""
    from engagement.tables import SmsMessage

    async def settled() -> bool:
        return not await SmsMessage.exists().where(SmsMessage.status.is_in(["queued", "sending"]))

    try:
        return await wait_until(settled, "the SMS to be sent")
    except AssertionError:
        return False


async def read_code(client: httpx.AsyncClient, phone: str) -> str:
    """The newest code sent to ``phone``, from the development outbox (waits for a worker to send it)."""

    async def newest_code() -> str | None:
        response = await client.get("/dev/sms-outbox")
        assert response.status_code == 200, response.text
        for message in response.json():
            found = CODE_PATTERN.search(message["body"]) if message["phone"] == e164(phone) else None
            if found:
                return found.group(1)
        return None

    return await wait_until(newest_code, f"an SMS code to reach {phone}")


async def request_and_read_code(client: httpx.AsyncClient, phone: str) -> str:
    """The SMS round trip: for tests whose subject is the verification or the SMS themselves."""
    response = await client.post("/api/v1/sms/codes", json={"phone": phone})
    assert response.status_code == 202, response.text
    return await read_code(client, phone)


async def citizen_headers(client: httpx.AsyncClient, phone: str) -> dict[str, str]:
    """Bearer headers of a verified citizen, made by the services (``request_and_read_code`` for the SMS way)."""
    from engagement.verification import citizen_for_phone, issue_citizen_token

    return {"Authorization": f"Bearer {issue_citizen_token(await citizen_for_phone(phone))}"}


async def staff_headers(client: httpx.AsyncClient, person) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"username": person.username, "password": person.password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@contextmanager
def captured_queries() -> Iterator[list[str]]:
    """Every SQL statement the application runs inside the block."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    engine_class = type(engine)  # engines use __slots__, so the hook is swapped on the class
    statements: list[str] = []
    previous_flag, previous_hook = engine.log_queries, engine_class.print_query
    engine.log_queries = True
    from engagement.page_cache import VIEW_FLUSH_TASK

    def record(self, query_id, query) -> None:
        task = asyncio.current_task()
        if task is None or task.get_name() != VIEW_FLUSH_TASK:  # page views written in the background: no request's
            statements.append(str(query))

    engine_class.print_query = record  # type: ignore[method-assign]
    try:
        yield statements
    finally:
        engine.log_queries = previous_flag
        engine_class.print_query = previous_hook  # type: ignore[method-assign]


@contextmanager
def assert_max_queries(limit: int) -> Iterator[list[str]]:
    with captured_queries() as statements:
        yield statements
    assert len(statements) <= limit, f"{len(statements)} queries (limit {limit}):\n" + "\n".join(statements)


def csrf_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """The header a cookie-authenticated form or fetch sends with the site's CSRF cookie."""
    return {"x-csrftoken": client.cookies.get("engagement_csrf", "")}


async def log_in_page(client: httpx.AsyncClient, person: Any) -> dict[str, str]:
    """Log ``person`` in through the login form (a fresh cookie jar); the CSRF header for the next forms."""
    client.cookies.clear()
    await client.get("/login")
    token = client.cookies.get("engagement_csrf")
    response = await client.post("/login", data={"username": person.username, "password": person.password,
                                                 "next": "/staff", "_csrf_token": token})
    assert response.status_code == 303, response.text
    return {"x-csrftoken": client.cookies.get("engagement_csrf", token)}


RATE_LIMIT_WINDOW_START = 1_800_000_000 - 1_800_000_000 % 60  # a minute's first second


def stop_rate_limit_clock(app, seconds_into_minute: float = 30) -> list[float]:
    """Stop the app's rate-limit clock inside one minute (``now[0]`` moves it), so that a test's requests
    never straddle the turn of a window, where a fixed-window limiter starts counting afresh."""
    from engagement.ratelimit import RateLimit

    limit = next(item.kwargs["limit"] for item in app.middleware if getattr(item, "middleware", None) is RateLimit)
    now = [RATE_LIMIT_WINDOW_START + seconds_into_minute]
    limit.clock = lambda: now[0]
    return now
