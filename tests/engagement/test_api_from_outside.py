"""The API contract proved from outside (issue 12, item 3), as an integrator meets it.

- The served ``/schema/openapi.json`` is a valid OpenAPI document (openapi-spec-validator).
- A client generated from it by openapi-python-client, with no warning, imports and works against a
  running server: successes parse into their models and documented errors into ``ErrorBody``.
- schemathesis (stateless, a few deterministic cases per operation) finds no server error, no undocumented
  status code, header or content type, and no answer that breaks its schema; anonymous and as an
  administrator, with the per-address rate limit raised so the API is explored rather than refused.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support import citizen_headers, free_port, service_environment, staff_headers, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FUZZ_CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
               "response_headers_conformance,response_schema_conformance")
# The fuzzing phase, with valid and invalid data: about 20 s a run on 2 cores. The coverage phase (every
# boundary value of every field: ~3,700 cases, 90 s) is for a run by hand (docs/security.md).
FUZZ_PHASES = "examples,fuzzing"
FUZZ_EXAMPLES_PER_OPERATION = 4


@pytest.fixture(scope="module")
def api_server(tmp_path_factory, database, celery_worker) -> Iterator[str]:
    """``python -m engagement serve`` with the per-address limit raised (ENGAGEMENT_RATE_LIMIT).

    Without Redis (stores in the process, jobs run in it): the shared Redis holds the per-address counts
    of the other servers of the suite, which the fuzzer's hundreds of requests would use up.
    """
    log_path = tmp_path_factory.mktemp("api-server") / "server.log"
    port = free_port()
    environment = {key: value for key, value in service_environment().items() if key != "ENGAGEMENT_REDIS_URL"}
    environment.update(ENGAGEMENT_RATE_LIMIT="1000000", ENGAGEMENT_JOBS="eager")
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "engagement", "serve", "--port", str(port)],
                                   env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base_url}/healthz", process, log_path)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


async def served_schema(client) -> dict:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


async def test_the_served_schema_is_a_valid_openapi_document(client):
    from openapi_spec_validator import validate

    schema = await served_schema(client)
    validate(schema)
    titles = [component.get("title") for component in schema["components"]["schemas"].values()]
    assert len(titles) == len(set(titles))  # generators name models by title


async def test_every_429_and_503_documents_retry_after(client):
    schema = await served_schema(client)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in ("429", "503"):
                if status in operation["responses"]:
                    assert "Retry-After" in operation["responses"][status]["headers"], (path, method, status)
            assert "503" in operation["responses"], (path, method)


CLIENT_SCRIPT = r'''
import os, sys
sys.path.insert(0, os.environ["CLIENT_DIR"])
from client import AuthenticatedClient, Client
from client.api.consultations import (api_v1_consultations_consultation_id_opinions_submit_opinion as submit,
    api_v1_consultations_consultation_id_publish_publish as publish, api_v1_consultations_create as create,
    api_v1_consultations_list_consultations as list_consultations, api_v1_topics_topic_id_topic as topic)
from client.api.departments import api_v1_departments_list_departments as departments
from client.api.staff_accounts import api_v1_auth_login_login as login, api_v1_auth_me_me as me
from client.models import (ConsultationCreate, ConsultationDetail, ConsultationList, DepartmentList, ErrorBody,
    LoginRequest, LoginResult, OpinionCreate, OpinionSubmitted, StaffRead)

url = os.environ["BASE_URL"]
anonymous = Client(base_url=url)
answer = departments.sync_detailed(client=anonymous)
assert answer.status_code == 200 and isinstance(answer.parsed, DepartmentList), answer
assert {item.slug for item in answer.parsed.items} >= {"fgw", "zjj"}
wrong = login.sync_detailed(client=anonymous, body=LoginRequest(username="admin", password="wrong"))
assert wrong.status_code == 401 and isinstance(wrong.parsed, ErrorBody) and wrong.parsed.status_code == 401, wrong
missing = topic.sync_detailed(999999, client=anonymous)
assert missing.status_code == 404 and isinstance(missing.parsed, ErrorBody) and missing.parsed.detail, missing
logged_in = login.sync_detailed(client=anonymous, body=LoginRequest(username="admin", password=os.environ["PASSWORD"]))
assert isinstance(logged_in.parsed, LoginResult), logged_in
admin = AuthenticatedClient(base_url=url, token=logged_in.parsed.token)
assert isinstance(me.sync(client=admin), StaffRead)
draft = create.sync(client=admin, body=ConsultationCreate.from_dict({
    "title": "关于城市更新方案公开征求意见", "department": "fgw", "closes_at": os.environ["CLOSES_AT"]}))
assert isinstance(draft, ConsultationDetail), draft
assert isinstance(publish.sync(draft.id, client=admin), ConsultationDetail)
again = publish.sync_detailed(draft.id, client=admin)
assert again.status_code == 409 and isinstance(again.parsed, ErrorBody), again
assert isinstance(list_consultations.sync(client=anonymous), ConsultationList)
citizen = AuthenticatedClient(base_url=url, token=os.environ["CITIZEN_TOKEN"])
short = submit.sync_detailed(draft.id, client=citizen, body=OpinionCreate(content="短"))
assert short.status_code == 400 and isinstance(short.parsed, ErrorBody) and short.parsed.field == "content", short
sent = submit.sync_detailed(draft.id, client=citizen, body=OpinionCreate(content="建议增加社区养老服务设施。"))
assert sent.status_code == 201 and isinstance(sent.parsed, OpinionSubmitted), sent
print("client ok")
'''


async def test_a_generated_client_works_and_parses_documented_errors(client, cast, api_server, tmp_path):
    schema_path = tmp_path / "openapi.json"
    schema_path.write_text(json.dumps(await served_schema(client)), encoding="utf-8")
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    generated = await asyncio.to_thread(
        subprocess.run, [str(BIN / "openapi-python-client"), "generate", "--path", str(schema_path), "--meta", "none",
         "--output-path", str(tmp_path / "client")],
        capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=300, check=False)
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "Warning" not in output and "WARNING" not in output and "Unable" not in output, output
    citizen = (await citizen_headers(client, "13800138000"))["Authorization"].removeprefix("Bearer ")
    run = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", CLIENT_SCRIPT], capture_output=True, text=True, timeout=120, check=False,
        env={**environment, "CLIENT_DIR": str(tmp_path), "BASE_URL": api_server, "PASSWORD": cast.admin.password,
             "CITIZEN_TOKEN": citizen, "CLOSES_AT": (datetime.now(UTC) + timedelta(days=10)).isoformat()})
    assert run.returncode == 0 and "client ok" in run.stdout, run.stdout + run.stderr


def fuzz(base_url: str, report: Path, *headers: str) -> subprocess.CompletedProcess:
    command = [str(BIN / "schemathesis"), "run", f"{base_url}/schema/openapi.json",
               "--phases", FUZZ_PHASES, "--max-examples", str(FUZZ_EXAMPLES_PER_OPERATION),
               "--generation-deterministic",
               "--checks", FUZZ_CHECKS, "--workers", "1", "--request-timeout", "10", "--no-color",
               "--suppress-health-check", "all", "--report", "junit", "--report-junit-path", str(report),
               # Logging out would revoke the administrator's token half-way through the run.
               "--exclude-path", "/api/v1/auth/logout"]
    for header in headers:
        command += ["--header", header]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=report.parent)


def summary(result: subprocess.CompletedProcess) -> str:
    """The figures of a run: operations, cases, failures (``pytest -s`` shows them)."""
    lines = result.stdout.splitlines()
    start = next((index for index, line in enumerate(lines) if "SUMMARY" in line), 0)
    return "\n".join(lines[start:])


async def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(client, cast, api_server, tmp_path):
    anonymous = await asyncio.to_thread(fuzz, api_server, tmp_path / "anonymous.xml")
    assert anonymous.returncode == 0, anonymous.stdout[-20000:] + anonymous.stderr[-2000:]
    async with httpx.AsyncClient(base_url=api_server) as http:
        admin = await staff_headers(http, cast.admin)
    as_admin = await asyncio.to_thread(fuzz, api_server, tmp_path / "admin.xml", f"Authorization: {admin['Authorization']}")
    assert as_admin.returncode == 0, as_admin.stdout[-20000:] + as_admin.stderr[-2000:]
    print("anonymous:", summary(anonymous), "administrator:", summary(as_admin), sep="\n")
