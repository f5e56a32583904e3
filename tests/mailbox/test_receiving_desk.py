"""The receiving desk is configuration: a fresh install set up only with the command line accepts a letter to
the mayor without a department, and someone sees it.

Each test makes its own SQLite file with ``python -m engagement migrate``, ``create-department`` and
``create-staff`` (no demo data), serves it with ``python -m engagement serve`` and writes a letter through
the API, as an operator's first day would go.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support import CODE_PATTERN, OUTBOX_WAIT_SECONDS, free_port, service_environment, wait_for_http

PHONE = "+8613912345678"
PASSWORD = "correct-horse-battery"
LETTER = {"subject": "小区路灯不亮", "body": "幸福路小区的路灯坏了一个月。", "name": "张小明", "public_consent": False}


def fresh_install_environment(directory: Path) -> dict[str, str]:
    """A database of its own, jobs in the web process (no Redis), whatever the run's configuration."""
    environment = service_environment()
    for name in ("ENGAGEMENT_REDIS_URL", "ENGAGEMENT_JOBS"):
        environment.pop(name, None)
    environment["ENGAGEMENT_DATABASE_URL"] = f"sqlite:///{directory}/fresh.sqlite3"
    return environment


def cli(environment: dict[str, str], *arguments: str) -> str:
    result = subprocess.run([sys.executable, "-m", "engagement", *arguments], check=False, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@contextmanager
def served(environment: dict[str, str], directory: Path) -> Iterator[httpx.Client]:
    port = free_port()
    log_path = directory / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "engagement", "serve", "--port", str(port)],
                                   env=environment, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base_url}/healthz", process, log_path)
        with httpx.Client(base_url=base_url, timeout=30) as client:
            yield client
    finally:
        process.terminate()
        process.wait(timeout=30)


def read_code(client: httpx.Client) -> str:
    """The code from the development outbox, once the server has sent it."""
    deadline = time.monotonic() + OUTBOX_WAIT_SECONDS
    while time.monotonic() < deadline:
        for message in client.get("/dev/sms-outbox").json():
            found = CODE_PATTERN.search(message["body"]) if message["phone"] == PHONE else None
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError("no code reached the outbox")


def write_to_the_mayor(client: httpx.Client) -> str:
    assert client.post("/api/v1/sms/codes", json={"phone": PHONE}).status_code == 202
    response = client.post("/api/v1/letters", json={**LETTER, "phone": PHONE, "code": read_code(client)})
    assert response.status_code == 201, response.text
    return response.json()["tracking_number"]


def staff_headers(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def inbox_page(client: httpx.Client, username: str, query: str = "") -> str:
    """The staff inbox page after logging in through the login form."""
    client.cookies.clear()
    client.get("/login")
    token = client.cookies.get("engagement_csrf")
    login = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/staff/mailbox",
                                        "_csrf_token": token})
    assert login.status_code == 303, login.text
    page = client.get(f"/staff/mailbox{query}")
    assert page.status_code == 200, page.text
    return page.text


def test_without_a_desk_a_letter_to_the_mayor_waits_for_an_administrator():
    directory = Path(tempfile.mkdtemp(prefix="mailbox-no-desk-"))
    environment = fresh_install_environment(directory)
    cli(environment, "migrate")
    cli(environment, "create-department", "--slug", "fgw", "--name", "市发展和改革委员会")
    cli(environment, "create-department", "--slug", "zjj", "--name", "市住房和城乡建设局")
    cli(environment, "create-staff", "--username", "admin", "--password", PASSWORD, "--role", "admin")
    cli(environment, "create-staff", "--username", "fgw_editor", "--password", PASSWORD, "--role", "editor",
        "--department", "fgw")
    with served(environment, directory) as client:
        assert '<option value="">' in client.get("/mailbox").text  # "to the mayor", with no desk to name
        number = write_to_the_mayor(client)

        queue = client.get("/api/v1/staff/letters", params={"routing": "true"}, headers=staff_headers(client, "admin"))
        assert queue.status_code == 200, queue.text
        [item] = queue.json()["items"]
        assert (item["tracking_number"], item["department"], item["status"]) == (number, None, "received")
        assert f'data-letter="{number}"' in inbox_page(client, "admin", "?routing=true")
        letter_page = client.get(f"/staff/mailbox/{number}")
        assert letter_page.status_code == 200 and 'data-action="assign"' in letter_page.text
        others = client.get("/api/v1/staff/letters", headers=staff_headers(client, "fgw_editor")).json()
        assert others["total"] == 0

        routed = client.post(f"/api/v1/letters/{number}/assign", json={"department": "fgw"},
                             headers=staff_headers(client, "admin"))
        assert routed.status_code == 200 and routed.json()["department"] == "fgw"


def test_with_a_desk_its_editor_sees_the_letter_to_the_mayor():
    directory = Path(tempfile.mkdtemp(prefix="mailbox-desk-"))
    environment = fresh_install_environment(directory)
    cli(environment, "migrate")
    assert "routes letters" in cli(environment, "create-department", "--slug", "office", "--name", "市人民政府办公厅",
                                   "--mailbox-desk")
    cli(environment, "create-department", "--slug", "fgw", "--name", "市发展和改革委员会")
    cli(environment, "create-staff", "--username", "desk_editor", "--password", PASSWORD, "--role", "editor",
        "--department", "office")
    with served(environment, directory) as client:
        number = write_to_the_mayor(client)

        queue = client.get("/api/v1/staff/letters", params={"routing": "true"},
                           headers=staff_headers(client, "desk_editor"))
        assert [(item["tracking_number"], item["department"]) for item in queue.json()["items"]] == [(number, "office")]
        assert f'data-letter="{number}"' in inbox_page(client, "desk_editor")
        routed = client.post(f"/api/v1/letters/{number}/assign", json={"department": "fgw"},
                             headers=staff_headers(client, "desk_editor"))
        assert routed.status_code == 200 and routed.json()["status"] == "assigned"
