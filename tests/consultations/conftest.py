"""Factories for consultations tests: everything is made through the module's HTTP API or services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support import staff_headers

CLOSES_IN = timedelta(days=30)


def iso(value: datetime) -> str:
    return value.isoformat()


@pytest.fixture
async def headers(client, cast):
    """Bearer headers of the cast's staff, by username."""
    cache: dict[str, dict[str, str]] = {}

    async def get(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = await staff_headers(client, getattr(cast, username))
        return cache[username]

    return get


@pytest.fixture
def make_consultation(client, headers):
    """``await make_consultation(department="fgw", publish=True, **fields)`` -> the created JSON."""

    async def make(department: str = "fgw", publish: bool = True, editor: str | None = None, **fields):
        editor = editor or f"{department}_editor"
        body = {
            "title": fields.pop("title", "关于《城市更新三年行动方案（征求意见稿）》公开征求意见"),
            "department": department,
            "summary": fields.pop("summary", "为推进城市更新，现公开征求社会各界意见。"),
            "body": fields.pop("body", "一、总体要求"),
            "closes_at": iso(fields.pop("closes_at", datetime.now(UTC) + CLOSES_IN)),
            **fields,
        }
        response = await client.post("/api/v1/consultations", json=body, headers=await headers(editor))
        assert response.status_code == 201, response.text
        created = response.json()
        if publish:
            response = await client.post(f"/api/v1/consultations/{created['id']}/publish",
                                         headers=await headers(editor))
            assert response.status_code == 200, response.text
            created = response.json()
        return created

    return make


async def staff_of(person):
    """The acting Staff of a cast member, as the services see it."""
    from engagement.accounts import issue_token, staff_for_token

    return await staff_for_token(await issue_token(person.id))
