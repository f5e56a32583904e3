"""The API contract (issue 12, item 10): ids out of range are 404, every error status is documented
with one valid error body, real error answers match it, and ENGAGEMENT_RATE_LIMIT sets the limit."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support import citizen_headers, staff_headers

HUGE_IDS = [str(2**31), "11941993495987527680", "6069343686533443452208676864", "9" * 5000]
JSON_TYPES = {"string", "integer", "number", "boolean", "array", "object", "null"}
METHODS = {"get", "put", "post", "patch", "delete"}
ERROR_REF = "#/components/schemas/ErrorBody"


async def openapi(client) -> dict:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def matches(schema: dict, value) -> bool:
    """Whether ``value`` fits the (small) JSON schema subset the error body uses."""
    if "oneOf" in schema:
        return any(matches(option, value) for option in schema["oneOf"])
    kind = schema.get("type")
    if kind == "object":
        return (isinstance(value, dict) and all(key in value for key in schema.get("required", []))
                and all(matches(schema["properties"][key], item) for key, item in value.items()
                        if key in schema.get("properties", {})))
    checks = {"integer": lambda v: isinstance(v, int) and not isinstance(v, bool), "string": lambda v: isinstance(v, str)}
    return checks[kind](value) if kind in checks else True


def assert_documented_error(schema: dict, path: str, method: str, response: httpx.Response) -> None:
    responses = schema["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in responses, (path, method, status, sorted(responses))
    assert responses[status]["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
    body = response.json()
    assert matches(schema["components"]["schemas"]["ErrorBody"], body), body
    assert body["status_code"] == response.status_code


# ---------- ids out of range ----------

PUBLIC_ID_ROUTES = ["/api/v1/live-sessions/{session_id}", "/api/v1/live-sessions/{session_id}/questions",
                    "/api/v1/topics/{topic_id}", "/api/v1/consultations/{consultation_id}",
                    "/api/v1/consultations/{consultation_id}/opinions", "/api/v1/statistics/reports/{report_id}",
                    "/api/v1/consultations/{consultation_id}/attachments/{attachment_id}"]


async def test_ids_out_of_range_are_404_on_public_routes_of_every_module(client, cast):
    schema = await openapi(client)
    for path in PUBLIC_ID_ROUTES:
        for value in [*HUGE_IDS, 0, -1]:
            response = await client.get(re.sub(r"\{\w+\}", str(value), path))
            assert response.status_code == 404, (path, value, response.text)
            assert_documented_error(schema, path, "get", response)


async def test_ids_out_of_range_are_404_for_staff_and_citizen_actions(client, cast):
    admin = await staff_headers(client, cast.admin)
    citizen = await citizen_headers(client, "13800138000")
    for value in HUGE_IDS:
        for url, headers, body in [(f"/api/v1/live-sessions/{value}/start", admin, None),
                                   (f"/api/v1/consultations/{value}/publish", admin, None),
                                   (f"/api/v1/statistics/reports/{value}/publish", admin, None),
                                   (f"/api/v1/questions/{value}/vote", citizen, None),
                                   (f"/api/v1/opinions/{value}/support", citizen, None),
                                   (f"/api/v1/transcript-entries/{value}", admin, {"content": "改"})]:
            method = client.patch if "transcript-entries" in url else client.post
            response = await method(url, headers=headers, json=body)
            assert response.status_code == 404, (url, response.text)
            assert response.json()["status_code"] == 404


async def test_an_id_out_of_range_on_a_page_is_the_404_page(client):
    response = await client.get(f"/live-sessions/{HUGE_IDS[1]}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


# ---------- the schema ----------

def schema_nodes(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from schema_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_nodes(value)


def json_schemas(schema: dict):
    """Every JSON schema in the document: the components and each ``schema`` of a parameter or body."""
    yield from schema["components"]["schemas"].values()
    for node in schema_nodes(schema["paths"]):
        if isinstance(node.get("schema"), dict):
            yield node["schema"]


async def test_the_schema_is_structurally_valid(client):
    schema = await openapi(client)
    assert schema["openapi"].startswith("3.1")
    components = schema["components"]["schemas"]
    for node in (inner for top in json_schemas(schema) for inner in schema_nodes(top)):
        if isinstance(node.get("$ref"), str):
            assert node["$ref"].removeprefix("#/components/schemas/") in components, node["$ref"]
        kind = node.get("type")
        if isinstance(kind, str | list):
            kinds = {kind} if isinstance(kind, str) else set(kind)
            assert kinds <= JSON_TYPES, node
            # Litestar's default validation body: additionalProperties beside "array", which clients cannot parse.
            assert not ("array" in kinds and "additionalProperties" in node), node
    for path, method, operation in operations(schema):
        assert operation.get("operationId") and operation.get("responses"), (path, method)


async def test_every_operation_documents_its_errors_with_the_error_body(client):
    schema = await openapi(client)
    error_body = schema["components"]["schemas"]["ErrorBody"]
    assert set(error_body["required"]) == {"status_code", "detail"}
    assert set(error_body["properties"]) == {"status_code", "detail", "field"}
    for path, method, operation in operations(schema):
        errors = {code: spec for code, spec in operation["responses"].items() if code.startswith("4")}
        if path != "/healthz":
            assert "429" in errors, (path, method)
        for code, spec in errors.items():
            assert spec["description"], (path, method, code)
            assert spec["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}, (path, method, code)
        if "{" in path:
            assert "404" in errors, (path, method)
        if method != "get" and path != "/healthz":
            assert "409" in errors, (path, method)


async def test_operations_document_what_their_declarations_imply(client):
    responses = {(path, method): set(operation["responses"]) for path, method, operation in operations(await openapi(client))}
    assert {"201", "400", "401", "403", "404", "409", "413", "429"} <= responses[
        ("/api/v1/consultations/{consultation_id}/opinions", "post")]
    assert {"401", "403", "429"} <= responses[("/api/v1/auth/me", "get")]
    assert {"400", "404", "429"} <= responses[("/api/v1/letters/lookup", "get")]
    assert {"401", "403", "404", "409"} <= responses[("/api/v1/live-sessions/{session_id}/start", "post")]
    assert {"401", "403", "404", "409"} <= responses[("/api/v1/statistics/reports/{report_id}/publish", "post")]


# ---------- real answers against the schema ----------

async def test_real_error_answers_match_the_documented_schema(client, cast):
    schema = await openapi(client)
    admin = await staff_headers(client, cast.admin)
    assert_documented_error(schema, "/api/v1/auth/me", "get", await client.get("/api/v1/auth/me"))
    assert_documented_error(schema, "/api/v1/topics/{topic_id}", "get", await client.get("/api/v1/topics/999999"))
    bad_login = await client.post("/api/v1/auth/login", json={"username": 5, "password": "x"})
    assert bad_login.status_code == 400
    assert bad_login.json()["field"] == "username"
    assert_documented_error(schema, "/api/v1/auth/login", "post", bad_login)
    draft = await client.post("/api/v1/consultations", headers=admin, json={
        "title": "关于城市更新方案公开征求意见", "department": "fgw", "summary": "征求意见。", "body": "一、总体要求",
        "closes_at": (datetime.now(UTC) + timedelta(days=10)).isoformat()})
    assert draft.status_code == 201, draft.text
    publish = f"/api/v1/consultations/{draft.json()['id']}/publish"
    assert (await client.post(publish, headers=admin)).status_code == 200
    again = await client.post(publish, headers=admin)
    assert again.status_code == 409
    assert_documented_error(schema, "/api/v1/consultations/{consultation_id}/publish", "post", again)
    editor = await staff_headers(client, cast.zjj_editor)
    forbidden = await client.post(f"/api/v1/consultations/{draft.json()['id']}/close", headers=editor)
    assert_documented_error(schema, "/api/v1/consultations/{consultation_id}/close", "post", forbidden)


# ---------- ENGAGEMENT_RATE_LIMIT ----------

def test_the_rate_limit_setting_defaults_to_600_and_is_checked():
    from engagement.settings import Settings, SettingsError

    environment = {key: value for key, value in os.environ.items() if key != "ENGAGEMENT_RATE_LIMIT"}
    assert Settings.from_env(environment).rate_limit == 600
    assert Settings.from_env({**environment, "ENGAGEMENT_RATE_LIMIT": "5000"}).rate_limit == 5000
    for bad in ("many", "0"):
        with pytest.raises(SettingsError, match="ENGAGEMENT_RATE_LIMIT"):
            Settings.from_env({**environment, "ENGAGEMENT_RATE_LIMIT": bad})


async def test_engagement_rate_limit_sets_the_per_address_limit(client):
    from engagement.app import create_app
    from engagement.settings import Settings

    schema = await openapi(client)
    limited = create_app(Settings.from_env({**os.environ, "ENGAGEMENT_RATE_LIMIT": "3"}))
    async with limited.lifespan():
        transport = httpx.ASGITransport(app=limited, client=("10.0.0.77", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            statuses = [(await http.get("/api/v1/departments")).status_code for _ in range(3)]
            refused = await http.get("/api/v1/departments")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert_documented_error(schema, "/api/v1/departments", "get", refused)


QUERY_NUMBERS = [("/api/v1/consultations", "topic"), ("/api/v1/consultations", "page"),
                 ("/api/v1/consultations/{consultation_id}/opinions", "section"),
                 ("/api/v1/live-sessions/{session_id}/events", "after"), ("/api/v1/live-sessions", "offset"),
                 ("/api/v1/letters", "page")]


async def test_numbers_out_of_range_in_the_query_are_400_naming_the_field(client, cast):
    schema = await openapi(client)
    for path, field in QUERY_NUMBERS:
        for value in HUGE_IDS:
            response = await client.get(re.sub(r"\{\w+\}", "1", path), params={field: value})
            assert response.status_code == 400, (path, field, value, response.text)
            assert response.json()["field"] == field
            assert_documented_error(schema, path, "get", response)
    assert (await client.get("/api/v1/consultations", params={"topic": 2**31 - 1})).status_code == 200
