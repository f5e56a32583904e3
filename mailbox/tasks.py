"""Jobs of the mailbox: the daily overdue reminder (scheduled in the manifest)."""

from __future__ import annotations

from engagement.jobs import job
from mailbox import services


@job("mailbox.remind_overdue", max_retries=2)
async def remind_overdue() -> None:
    """Idempotent: one reminder per department per day, however often it runs."""
    await services.send_overdue_reminders()
