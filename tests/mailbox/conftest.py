"""Mailbox test fixtures."""

import pytest

from tests.support import sms_settled


@pytest.fixture(autouse=True)
async def sms_drained():
    """Let a worker finish the SMS a test queued (receipts carry a tracking number, six digits in a row), so
    none lands in the next test's outbox, where ``read_code`` would take those digits for a code."""
    yield
    await sms_settled()
