"""Jobs of live sessions: rectification reminders, lottery draws, seat offers, reminders (see the manifest)."""

from __future__ import annotations

from engagement.jobs import job
from live_sessions import services_lottery, services_rectifications, services_registrations


@job("live_sessions.remind_rectifications", max_retries=2)
async def remind_rectifications() -> None:
    """Rectifications due within a few working days, or overdue: each reminded once per due event, however often it runs."""
    await services_rectifications.send_deadline_reminders()


@job("live_sessions.draw_due", max_retries=2)
async def draw_due() -> None:
    """Lottery meetings whose registration has closed are drawn (once: a drawn meeting is skipped)."""
    await services_lottery.commit_missing_seeds()
    await services_lottery.draw_due_sessions()


@job("live_sessions.expire_offers", max_retries=2)
async def expire_offers() -> None:
    """Offered seats past their deadline go to the next person on the waitlist (idempotent)."""
    await services_registrations.expire_offers()


@job("live_sessions.remind_registrants", max_retries=2)
async def remind_registrants() -> None:
    """The day before an open meeting, one reminder per confirmed registrant, however often it runs."""
    await services_registrations.send_reminders()
