"""Mailbox test fixtures."""

import asyncio
import time

import pytest


@pytest.fixture(autouse=True)
async def sms_drained():
    """Let a worker finish the SMS a test queued (receipts carry a tracking number, six digits in a row), so
    none lands in the next test's outbox, where ``read_code`` would take those digits for a code."""
    yield
    from engagement.tables import SmsMessage

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not await SmsMessage.exists().where(SmsMessage.status.is_in(["queued", "sending"])):
            return
        await asyncio.sleep(0.1)
