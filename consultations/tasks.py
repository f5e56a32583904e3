"""Jobs of the consultations module (ids in, idempotent): closing at the deadline."""

from __future__ import annotations

import logging

from consultations import services
from engagement.jobs import job

log = logging.getLogger("consultations")


@job("consultations.close_due", max_retries=1)
async def close_due() -> None:
    """Scheduled (manifest): open consultations whose deadline passed become closed.

    Submission re-checks the deadline itself, so nothing is accepted late if this job is late.
    """
    closed = await services.close_due_consultations()
    if closed:
        log.info("closed %d consultation(s) at their deadline", closed)
