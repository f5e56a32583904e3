"""Test harness: real database (SQLite file or PostgreSQL), real Redis and Celery when configured.

The configuration comes from the environment, set by ``make test`` for each of
its runs: unset ENGAGEMENT_DATABASE_URL means a fresh SQLite file and
in-process backends; a PostgreSQL URL and ENGAGEMENT_REDIS_URL mean the suite
runs against those servers, with a real Celery worker process for jobs.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
# The SQLite file, the worker's and servers' logs: in memory when the machine has a tmpfs (/dev/shm). SQLite
# syncs the file at every commit: `python -m engagement demo` took 10.5 s on this disk, 6.7 s on tmpfs.
_SHM = Path("/dev/shm")
_TMP = Path(tempfile.mkdtemp(prefix="engagement-tests-", dir=_SHM if _SHM.is_dir() and os.access(_SHM, os.W_OK) else None))
os.environ.setdefault("ENGAGEMENT_DATABASE_URL", f"sqlite:///{_TMP}/test.sqlite3")
# The logs stay (tmpfs or not) for a look after a failure; the database files go.
atexit.register(lambda: [path.unlink(missing_ok=True) for path in _TMP.glob("test.sqlite3*")])
os.environ["ENGAGEMENT_ENV"] = "development"
os.environ["ENGAGEMENT_SMS_BACKEND"] = "console"
os.environ["ENGAGEMENT_PASSWORD_HASH_PROFILE"] = "test"  # argon2id at minimal cost (production refuses it)
os.environ.setdefault("ENGAGEMENT_SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnop")
os.chdir(ROOT)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import pytest  # noqa: E402

from engagement.settings import get_settings  # noqa: E402
from tests.support import (  # noqa: E402
    empty_written_tables,
    require_service,
    served_app,
    service_environment,
)

SETTINGS = get_settings()


def pytest_report_header(config):
    from engagement.db import database_label

    return [
        f"database: {database_label(SETTINGS.database_url)}",
        f"redis: {SETTINGS.redis_url or 'none (in-process backends)'}; jobs: {SETTINGS.jobs}",
    ]


def pytest_collection_modifyitems(config, items):
    """A test marked ``database_independent`` runs in one run of ``make test``, not both: in the embedded run,
    or with ``database_independent(run="services")`` in the services run when both runs happen
    (ENGAGEMENT_TEST_RUNS=both, set by scripts/run-tests.sh), which balances the two runs' times."""
    run = os.environ.get("ENGAGEMENT_TEST_RUN")
    both = os.environ.get("ENGAGEMENT_TEST_RUNS") == "both"

    def runs_elsewhere(item) -> bool:
        marker = item.get_closest_marker("database_independent")
        if marker is None:
            return False
        home = marker.kwargs.get("run", "embedded")
        return home != "services" if run == "services" else both and home == "services"

    elsewhere = [item for item in items if runs_elsewhere(item)]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if not runs_elsewhere(item)]


def _reset_database() -> None:
    if SETTINGS.is_sqlite:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SETTINGS.sqlite_path}{suffix}").unlink(missing_ok=True)
    else:
        require_service("postgres")
        import asyncio

        import asyncpg

        async def drop_schema() -> None:
            connection = await asyncpg.connect(SETTINGS.database_url)
            try:
                await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                # A commit need not wait for its WAL to reach the disk (a crash may lose the last commits, of a
                # database the suite empties anyway); visibility, locks and isolation are unchanged. For the
                # connections opened from now on: the app's, the worker's and the servers'.
                await connection.execute(
                    "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', "
                    "current_database()); END $$")
            finally:
                await connection.close()

        asyncio.run(drop_schema())


@pytest.fixture(scope="session", autouse=True)
def database():
    """A fresh schema, created by the same command operators run."""
    _reset_database()
    result = subprocess.run(
        [sys.executable, "-m", "engagement", "migrate"], env=service_environment(), capture_output=True, text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    yield


@pytest.fixture(scope="session", autouse=True)
def celery_worker(database):
    """A real worker process when jobs go through Celery (the PostgreSQL + Redis run)."""
    if SETTINGS.jobs_eager:
        yield None
        return
    require_service("redis")
    import redis

    redis.Redis.from_url(SETTINGS.redis_url).flushdb()
    log_path = _TMP / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "engagement", "worker", "--pool", "solo", "--loglevel", "INFO"],
            env=service_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_worker(process, log_path)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_for_worker(process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited:\n{log_path.read_text()}")
        if "ready." in log_path.read_text():
            return
        time.sleep(0.2)
    raise RuntimeError(f"celery worker did not start:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
async def app(database):
    from engagement.app import create_app

    application = create_app(rate_limit_per_minute=0)
    # Start-up and shut-down must run in one task (anyio cancel scopes), so a helper task owns the lifespan.
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    owner = asyncio.create_task(run_lifespan())
    await asyncio.wait_for(started.wait(), timeout=30)
    yield application
    stop.set()
    await owner


@pytest.fixture(autouse=True)
async def clean_database(database):
    await empty_written_tables()
    from engagement.moderation import forget_cached_words

    forget_cached_words()
    yield


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


STAFF_PASSWORD = "correct-horse-battery"


@pytest.fixture
async def cast(clean_database):
    """The fixed cast of examples: two departments and one account of each kind, made through the services."""
    from engagement.accounts import create_department, create_staff

    departments = SimpleNamespace(
        office=await create_department("szfbgt", "市人民政府办公厅", receiving_desk=True),
        fgw=await create_department("fgw", "市发展和改革委员会"),
        zjj=await create_department("zjj", "市住房和城乡建设局"),
    )
    people = {}
    for username, role, department in [
        ("admin", "admin", None),
        ("fgw_editor", "editor", "fgw"),
        ("zjj_editor", "editor", "zjj"),
        ("host", "host", None),
    ]:
        user = await create_staff(username, STAFF_PASSWORD, role, department)
        people[username] = SimpleNamespace(
            id=user.id, username=username, password=STAFF_PASSWORD, role=role, department=department
        )
    return SimpleNamespace(departments=departments, **people)


@pytest.fixture(scope="session")
def live_server(database, celery_worker):
    """The application served by ``python -m engagement serve``, as operators run it."""
    with served_app(_TMP) as base_url:
        yield base_url
