"""The core workflow: one compare-and-set transition, its history and audit, side effects after commit.

The aggregate here is the core's own SMS queue (queued → sending → sent), declared as a state machine
the way a module declares its own, on the real database of the run (SQLite or PostgreSQL).
"""

from __future__ import annotations

import asyncio
import time
from enum import Enum

import pytest

from engagement.accounts import Staff
from engagement.db import after_commit, unit_of_work
from engagement.errors import Conflict, NotFound
from engagement.tables import AuditEntry, SmsMessage, WorkflowEvent
from engagement.workflow import Transition, Workflow, history_of


class MessageState(str, Enum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"


MESSAGE = Workflow(
    aggregate="test_message",
    table=SmsMessage,
    states=MessageState,
    transitions=[
        Transition("claim", sources={MessageState.queued}, target=MessageState.sending),
        Transition("finish", sources={MessageState.sending}, target=MessageState.sent),
        Transition("give_up", sources={MessageState.queued, MessageState.sending}, target=MessageState.failed),
    ],
)
SYSTEM_STAFF = Staff(id=0, username="nobody", display_name="", role="host", department_id=None, department_slug=None)


async def queued_message() -> int:
    message = SmsMessage(phone_encrypted="x", body_encrypted="y", purpose="test", created_at=time.time())
    await message.save()
    return message.id


async def test_a_transition_applied_twice_at_once_succeeds_once(app):
    message_id = await queued_message()

    results = await asyncio.gather(*(MESSAGE.apply("claim", message_id) for _ in range(2)), return_exceptions=True)

    assert sorted(type(result).__name__ for result in results) == ["Conflict", "dict"]
    assert [row["to_state"] for row in await history_of("test_message", [message_id])] == ["sending"]
    row = await SmsMessage.select(SmsMessage.status).where(SmsMessage.id == message_id).first()
    assert row["status"] == "sending"


async def test_the_history_and_audit_name_who_and_what(app):
    message_id = await queued_message()

    await MESSAGE.apply("claim", message_id, note="first try", values={SmsMessage.attempts: 1})
    updated = await MESSAGE.apply("finish", message_id, expect=MessageState.sending)

    assert updated["status"] == "sent" and updated["attempts"] == 1
    history = await MESSAGE.history(message_id)
    assert [(row["from_state"], row["to_state"], row["transition"]) for row in history] == [
        ("queued", "sending", "claim"), ("sending", "sent", "finish")]
    assert history[0]["note"] == "first try" and history[0]["actor_name"] == "system"
    audited = await AuditEntry.select(AuditEntry.action).where(AuditEntry.target_kind == "test_message")
    assert [row["action"] for row in audited] == ["test_message.claim", "test_message.finish"]


async def test_a_refused_transition_leaves_no_history_and_sends_nothing(app):
    message_id = await queued_message()
    effects: list[str] = []

    with pytest.raises(Conflict):
        async with unit_of_work():
            await after_commit(lambda: _append(effects, "sent"))
            await MESSAGE.apply("finish", message_id)  # not from queued

    assert effects == []
    assert await WorkflowEvent.count().where(WorkflowEvent.aggregate == "test_message") == 0
    assert await AuditEntry.count().where(AuditEntry.target_kind == "test_message") == 0


async def test_a_state_moved_meanwhile_is_a_conflict_not_an_overwrite(app):
    message_id = await queued_message()
    await MESSAGE.apply("claim", message_id)

    with pytest.raises(Conflict):
        await MESSAGE.apply("give_up", message_id, expect=MessageState.queued)  # the caller saw 'queued'


async def test_an_unknown_row_is_not_found(app):
    with pytest.raises(NotFound):
        await MESSAGE.apply("claim", 987654)


async def test_side_effects_run_after_the_outer_commit_and_never_after_a_rollback(app):
    message_id = await queued_message()
    effects: list[str] = []

    async with unit_of_work():
        async with unit_of_work():  # a nested unit joins the outer one
            await MESSAGE.apply("claim", message_id)
            await after_commit(lambda: _append(effects, "inner"))
        assert effects == []  # not yet: the outer transaction has not committed
    assert effects == ["inner"]

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with unit_of_work():
            await MESSAGE.apply("finish", message_id)
            await after_commit(lambda: _append(effects, "rolled back"))
            raise Boom
    assert effects == ["inner"]
    row = await SmsMessage.select(SmsMessage.status).where(SmsMessage.id == message_id).first()
    assert row["status"] == "sending"
    assert [r["transition"] for r in await MESSAGE.history(message_id)] == ["claim"]


async def test_a_failing_effect_does_not_undo_the_committed_change(app):
    message_id = await queued_message()

    async def broken() -> None:
        raise RuntimeError("broker down")

    async with unit_of_work():
        await MESSAGE.apply("claim", message_id)
        await after_commit(broken)

    row = await SmsMessage.select(SmsMessage.status).where(SmsMessage.id == message_id).first()
    assert row["status"] == "sending"


def test_a_transition_to_an_undeclared_state_is_refused_when_declared():
    with pytest.raises(ValueError, match="unknown states"):
        Workflow(aggregate="x", table=SmsMessage, states=MessageState,
                 transitions=[Transition("lose", sources={"queued"}, target="lost")])


def test_available_transitions_follow_the_state():
    assert MESSAGE.available("queued") == ["claim", "give_up"]
    assert MESSAGE.can("finish", "sending") and not MESSAGE.can("finish", "queued")


async def _append(effects: list[str], value: str) -> None:
    effects.append(value)
