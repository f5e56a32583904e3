"""Prepared queries (engagement.prepared) give what Piccolo's own ``.run()`` gives, on the run's database.

Each shape is run both ways, the declared query with values put in place and the same query written
directly, and the results compared: booleans, datetimes, JSON, nested joins, first(), count(),
as_list, objects(), an update, a transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum

import pytest

from engagement.db import unit_of_work
from engagement.prepared import prepared
from engagement.tables import AuditEntry, Department, StaffUser
from tests.support import captured_queries

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


class Kind(str, Enum):
    login = "staff.login"


@pytest.fixture
async def rows():
    department = Department(slug="fgw", name="市发展和改革委员会", is_receiving_desk=True)
    await department.save()
    staff = StaffUser(username="editor", password_hash="x", role="editor", department=department.id, is_active=False,
                      last_login_at=SINCE + timedelta(hours=3))
    await staff.save()
    for n in range(3):
        await AuditEntry(actor=staff.id, actor_name="编辑", action=Kind.login.value, target_id=str(n),
                         detail={"n": n, "tags": ["a", "中"]}).save()
    return staff


STAFF_WITH_DEPARTMENT = prepared(lambda p: StaffUser.select(
    StaffUser.id, StaffUser.username, StaffUser.is_active, StaffUser.last_login_at,
    StaffUser.department.slug, StaffUser.department.is_receiving_desk,
).where((StaffUser.username == p.username) & (StaffUser.last_login_at > p.since)).output(nested=True))


async def test_a_select_with_a_join_booleans_datetimes_and_nested_output(rows):
    direct = await StaffUser.select(
        StaffUser.id, StaffUser.username, StaffUser.is_active, StaffUser.last_login_at,
        StaffUser.department.slug, StaffUser.department.is_receiving_desk,
    ).where((StaffUser.username == "editor") & (StaffUser.last_login_at > SINCE)).output(nested=True)
    assert await STAFF_WITH_DEPARTMENT.run(username="editor", since=SINCE) == direct
    assert direct[0]["is_active"] is False and direct[0]["department"]["is_receiving_desk"] is True
    assert direct[0]["last_login_at"] == SINCE + timedelta(hours=3)
    assert await STAFF_WITH_DEPARTMENT.run(username="editor", since=SINCE + timedelta(days=1)) == []


ENTRIES = prepared(lambda p: AuditEntry.select(AuditEntry.target_id, AuditEntry.detail, AuditEntry.actor.username)
                   .where(AuditEntry.action == p.action).order_by(AuditEntry.id, ascending=False).limit(2)
                   .output(load_json=True))


async def test_json_columns_an_enum_value_order_and_a_fixed_limit(rows):
    direct = await (AuditEntry.select(AuditEntry.target_id, AuditEntry.detail, AuditEntry.actor.username)
                    .where(AuditEntry.action == "staff.login").order_by(AuditEntry.id, ascending=False).limit(2)
                    .output(load_json=True))
    assert await ENTRIES.run(action=Kind.login) == direct
    assert direct[0]["detail"] == {"n": 2, "tags": ["a", "中"]}


FIRST_ENTRY = prepared(lambda p: AuditEntry.select(AuditEntry.target_id).where(AuditEntry.target_id == p.target).first())
COUNT = prepared(lambda p: AuditEntry.count().where(AuditEntry.actor == p.actor))
TARGETS = prepared(lambda p: AuditEntry.select(AuditEntry.target_id).where(AuditEntry.actor == p.actor)
                   .order_by(AuditEntry.target_id).output(as_list=True))
STAFF_OBJECT = prepared(lambda p: StaffUser.objects().where(StaffUser.id == p.id).first())


async def test_first_count_as_list_and_objects(rows):
    assert await FIRST_ENTRY.run(target="1") == {"target_id": "1"}
    assert await FIRST_ENTRY.run(target="9") is None
    assert await COUNT.run(actor=rows.id) == await AuditEntry.count().where(AuditEntry.actor == rows.id) == 3
    assert await TARGETS.run(actor=rows.id) == ["0", "1", "2"]
    staff = await STAFF_OBJECT.run(id=rows.id)
    assert isinstance(staff, StaffUser) and staff.username == "editor" and staff.is_active is False


RENAME = prepared(lambda p: StaffUser.update({StaffUser.display_name: p.name}).where(StaffUser.id == p.id))


async def test_an_update_and_a_read_inside_a_transaction(rows):
    async with unit_of_work():
        await RENAME.run(name="张编辑", id=rows.id)
        assert await FIRST_ENTRY.run(target="0") == {"target_id": "0"}
    assert await StaffUser.select(StaffUser.display_name).output(as_list=True) == ["张编辑"]


async def test_the_query_log_shows_the_same_sql_as_piccolo(rows):
    with captured_queries() as prepared_statements:
        await STAFF_WITH_DEPARTMENT.run(username="editor", since=SINCE)
    with captured_queries() as direct_statements:
        await StaffUser.select(
            StaffUser.id, StaffUser.username, StaffUser.is_active, StaffUser.last_login_at,
            StaffUser.department.slug, StaffUser.department.is_receiving_desk,
        ).where((StaffUser.username == "editor") & (StaffUser.last_login_at > SINCE)).output(nested=True)
    assert prepared_statements == direct_statements and len(direct_statements) == 1


async def test_wrong_or_missing_values_and_parameters_outside_the_values_are_refused(rows):
    with pytest.raises(TypeError, match="expected the parameters"):
        await FIRST_ENTRY.run()
    with pytest.raises(TypeError, match="expected the parameters"):
        await FIRST_ENTRY.run(target="1", other=2)
    with pytest.raises(TypeError, match="not a plain value"):
        await FIRST_ENTRY.run(target=None)
    with pytest.raises(TypeError, match="not a plain value"):
        await STAFF_OBJECT.run(id=rows)
    with pytest.raises(TypeError):  # Piccolo writes LIMIT into the SQL: it cannot be a parameter
        await prepared(lambda p: AuditEntry.select().limit(p.n)).run(n=1)
