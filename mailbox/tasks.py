"""Jobs of the mailbox: the daily deadline reminder (scheduled in the manifest)."""

from __future__ import annotations

from engagement.jobs import job
from mailbox import services


@job("mailbox.remind_overdue", max_retries=2)
async def remind_overdue() -> None:
    """Overdue letters and letters due soon: one reminder per department per day each, however often it runs."""
    await services.send_deadline_reminders()
