"""The command line (DESIGN section 4) and the production-mode refusals (section 3)."""

import subprocess
import sys

import httpx
import pytest

from tests.support import free_port, service_environment, wait_for_http

COMMANDS = ["migrate", "create-department", "create-staff", "serve", "demo", "worker", "beat"]
GOOD_SECRET = "k" * 48


def engagement(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engagement", *args],
        env=env or service_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.database_independent
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = engagement(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: python -m engagement " + command in result.stdout


def test_migrate_is_repeatable():
    result = engagement("migrate")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


async def test_departments_and_staff_created_on_the_command_line_can_log_in(client):
    assert engagement("create-department", "--slug", "jyj", "--name", "市教育局").returncode == 0
    made = engagement("create-staff", "--username", "li", "--password", "long-enough-1", "--role", "editor",
                      "--department", "jyj")
    assert made.returncode == 0, made.stderr
    login = await client.post("/api/v1/auth/login", json={"username": "li", "password": "long-enough-1"})
    assert login.status_code == 200
    assert login.json()["staff"]["department"] == "jyj"


def test_command_line_errors_are_one_clear_line():
    engagement("create-department", "--slug", "jyj", "--name", "市教育局")
    again = engagement("create-department", "--slug", "jyj", "--name", "市教育局")
    assert again.returncode == 1
    assert again.stderr.strip().startswith("error:")
    editor_without_department = engagement("create-staff", "--username", "x", "--password", "long-enough-1",
                                           "--role", "editor")
    assert editor_without_department.returncode == 1
    assert "--department" in editor_without_department.stderr
    bad_role = engagement("create-staff", "--username", "x", "--password", "long-enough-1", "--role", "root")
    assert bad_role.returncode == 2


def production_env(**changes: str) -> dict:
    env = {
        **service_environment(),
        "ENGAGEMENT_ENV": "production",
        "ENGAGEMENT_SECRET_KEY": GOOD_SECRET,
        "ENGAGEMENT_SMS_BACKEND": "twilio",
        "ENGAGEMENT_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
        "ENGAGEMENT_REDIS_URL": "redis://127.0.0.1:6379/0",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "t" * 32,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "ENGAGEMENT_PASSWORD_HASH_PROFILE": None,  # the suite's cheap hashes, which production refuses
    }
    env.update(changes)
    return {key: value for key, value in env.items() if value is not None}


@pytest.mark.database_independent
@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"ENGAGEMENT_SECRET_KEY": ""}, "ENGAGEMENT_SECRET_KEY"),
        ({"ENGAGEMENT_SECRET_KEY": "change-me"}, "ENGAGEMENT_SECRET_KEY"),
        ({"ENGAGEMENT_SECRET_KEY": "short"}, "ENGAGEMENT_SECRET_KEY"),
        ({"ENGAGEMENT_SMS_BACKEND": "console"}, "console SMS backend"),
        ({"ENGAGEMENT_SMS_BACKEND": ""}, "console SMS backend"),
        ({"ENGAGEMENT_DATABASE_URL": "sqlite:///var/prod.sqlite3"}, "SQLite"),
        ({"TWILIO_AUTH_TOKEN": ""}, "TWILIO_AUTH_TOKEN"),
        ({"ENGAGEMENT_PASSWORD_HASH_PROFILE": "test"}, "ENGAGEMENT_PASSWORD_HASH_PROFILE"),
    ],
)
def test_production_refuses_to_start_and_names_the_reason(changes, reason):
    result = engagement("serve", "--port", str(free_port()), env=production_env(**changes), timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert reason in lines[0]


@pytest.mark.database_independent
def test_production_accepts_sqlite_only_when_told_explicitly(tmp_path):
    env = production_env(ENGAGEMENT_DATABASE_URL=f"sqlite:///{tmp_path}/prod.sqlite3", ENGAGEMENT_ALLOW_SQLITE="1")
    result = engagement("migrate", env=env)
    assert result.returncode == 0, result.stderr


@pytest.mark.database_independent
def test_production_serves_without_the_development_outbox(tmp_path):
    env = production_env(ENGAGEMENT_DATABASE_URL=f"sqlite:///{tmp_path}/prod.sqlite3", ENGAGEMENT_ALLOW_SQLITE="1",
                         ENGAGEMENT_REDIS_URL=None, ENGAGEMENT_JOBS=None)
    assert engagement("migrate", env=env).returncode == 0
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "engagement", "serve", "--port", str(port)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", server, log_path)
        assert httpx.get(f"http://127.0.0.1:{port}/dev/sms-outbox").status_code == 404
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_serve_honours_the_port_variable(tmp_path):
    port = free_port()
    env = {**service_environment(), "PORT": str(port)}
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "engagement", "serve"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", server, log_path)
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.database_independent
def test_worker_without_redis_explains_itself():
    env = {key: value for key, value in service_environment().items() if key not in {"ENGAGEMENT_REDIS_URL", "ENGAGEMENT_JOBS"}}
    if not env["ENGAGEMENT_DATABASE_URL"].startswith("sqlite"):
        env["ENGAGEMENT_DATABASE_URL"] = "sqlite:///var/unused.sqlite3"
    result = engagement("worker", env=env, timeout=60)
    assert result.returncode == 2
    assert "ENGAGEMENT_REDIS_URL" in result.stderr


@pytest.mark.database_independent
def test_demo_loads_once(tmp_path):
    env = {**service_environment(), "ENGAGEMENT_DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite3"}
    env.pop("ENGAGEMENT_REDIS_URL", None)
    env.pop("ENGAGEMENT_JOBS", None)
    assert engagement("migrate", env=env).returncode == 0
    first = engagement("demo", "--if-empty", env=env)
    assert first.returncode == 0, first.stderr
    assert "demo account: admin" in first.stderr
    second = engagement("demo", "--if-empty", env=env)
    assert "skipped" in second.stdout

