"""What the statistics page computed, kept between requests while the facts have not changed.

The page's figures cost tens of milliseconds to compute (a score of queries, then the mailbox and
adoption tables shaped with pandas), and between two changes of the platform's records every visitor
gets the same ones. ``Memo`` keeps a computed value under a key (the page's filters, the language,
elder mode) together with the **facts version** it was computed at, and serves it only while:

- the version is the same: the page cache's content generation of this process (engagement/page_cache.py,
  ``Generation``), which moves on after every committed unit of work (``engagement.db.on_commit``: every
  submission, moderation, decision, reply, rating, report, live question...) and before the answer to every
  request that may write (an edit in the admin included), minus the commits of the statistics' own derived
  tables (the opinion facts and letter counts brought up to date: ``deriving()``; they change no figure);
- no workflow event was recorded since, in any process (the newest ``workflow_event`` id, as the snapshots'
  watermark: every submission, moderation, decision, routing, reply, rating, question, issue, registration
  and report writes one; one query a request, compiled once: engagement/prepared.py);
- it is the same Beijing day (overdue letters and rectifications, the months shown depend on the date);
- it is younger than ``MEMO_SECONDS``: a change made by another process (another web worker, a Celery
  worker) that writes no workflow event (an edited department name, say) is not seen by this process's
  generation, so it shows within that many seconds, as in the page cache without Redis (and the snapshots of
  analytics/snapshots.py may lag by ``MAX_AGE``).

The version is read before computing, so a change committed while a value is being computed leaves that
value stale at once. ``ENGAGEMENT_STATISTICS_MEMO_SECONDS=0`` turns the memo off.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from engagement import clock, db
from engagement.page_cache import Generation
from engagement.prepared import prepared
from engagement.tables import WorkflowEvent

MEMO_SECONDS = float(os.environ.get("ENGAGEMENT_STATISTICS_MEMO_SECONDS", "10"))
MAX_ENTRIES = 128  # least recently used first out: random filters cannot grow it without bound

_deriving: ContextVar[bool] = ContextVar("analytics_deriving", default=False)
_derived_commits = 0  # commits made under deriving(), all counted in the content generation too
_generation = Generation(None)  # this process's content generation only (no Redis round trip)
NEWEST_EVENT = prepared(lambda p: WorkflowEvent.select(WorkflowEvent.id).order_by(WorkflowEvent.id, ascending=False)
                        .first())


def _count_derived_commit() -> None:
    global _derived_commits
    if _deriving.get():
        _derived_commits += 1


db.on_commit(_count_derived_commit)


@contextmanager
def deriving() -> Iterator[None]:
    """Around a unit of work that only brings derived statistics tables up to date: its commit changes no fact.

    The commit listeners run synchronously at the end of ``unit_of_work``, inside this block, so both the
    content generation and ``_derived_commits`` move on together."""
    token = _deriving.set(True)
    try:
        yield
    finally:
        _deriving.reset(token)


async def facts_version() -> tuple[int, int, Any]:
    """(commits and write requests of this process that may have changed a fact, the newest workflow event,
    Beijing date): one query, no Piccolo query building."""
    local, _shared = await _generation.current({})
    newest = await NEWEST_EVENT.run()
    return local - _derived_commits, newest["id"] if newest else 0, clock.today()


class Memo:
    """Values by key, each served while the facts version it was computed at is current (module docstring)."""

    def __init__(self, seconds: float | None = None, max_entries: int = MAX_ENTRIES) -> None:
        self.seconds = MEMO_SECONDS if seconds is None else seconds
        self.max_entries = max_entries
        self.entries: OrderedDict[Hashable, tuple[tuple[int, int, Any], float, Any]] = OrderedDict()

    async def version(self) -> tuple[int, int, Any] | None:
        """The current facts version, to share between several ``get`` of one request (None: memo off)."""
        return await facts_version() if self.seconds > 0 else None

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Any]],
                  version: tuple[int, int, Any] | None = None) -> Any:
        """The value of ``key`` at ``version`` (default: the current one), computed now if not kept."""
        if self.seconds <= 0:
            return await compute()
        version = version or await facts_version()
        found = self.entries.get(key)
        if found is not None and found[0] == version and found[1] > time.monotonic():
            self.entries.move_to_end(key)
            return found[2]
        value = await compute()
        self.entries[key] = (version, time.monotonic() + self.seconds, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self.entries.clear()
