"""Counters in fixed time windows, shared by every process through the ``rate_counter`` table.

Each counter is one row per window (``key@window_start``), changed by single atomic statements, so
concurrent requests and several web processes never count past a limit:

    window = Window(f"login:address:{address_group(ip)}", seconds=900, limit=20)
    if await take(window, now) is None: ...   # full: refuse
    await give_back(window, now)              # the attempt turned out not to count

Per verified citizen, :func:`count_citizen_action` counts letters, opinions, comments, questions and
issues in two windows each (a burst per minute, constants below; a day, a setting each), inside the
unit of work that stores the action, so a refused or failed action rolls its count back:

    async with unit_of_work():
        await count_citizen_action(citizen.id, "letter")   # 429 with Retry-After past a limit
        ...store the letter...

Operators' own loaders (the demo data, imports) run inside ``citizen_limits_lifted()``: they are not
citizens flooding the site, and write many items for a few sample citizens at once.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from engagement.errors import TooManyRequests
from engagement.i18n import _
from engagement.settings import get_settings
from engagement.tables import RateCounter

# action: (per minute, the Settings field of the per-day limit)
CITIZEN_ACTIONS = {
    "letter": (2, "citizen_letters_per_day"),
    "opinion": (5, "citizen_opinions_per_day"),
    "comment": (5, "citizen_comments_per_day"),
    "question": (3, "citizen_questions_per_day"),
    "issue": (3, "citizen_issues_per_day"),
}
DAY_SECONDS = 86400
_lifted: ContextVar[bool] = ContextVar("engagement_citizen_limits_lifted", default=False)


@contextmanager
def citizen_limits_lifted() -> Iterator[None]:
    """Inside: no per-citizen limit and no per-phone notice budget applies (operators' loaders only)."""
    token = _lifted.set(True)
    try:
        yield
    finally:
        _lifted.reset(token)


def citizen_limits_apply() -> bool:
    return not _lifted.get()


@dataclass(frozen=True)
class Window:
    key: str
    seconds: int
    limit: int

    def bucket(self, now: float) -> tuple[str, float]:
        """The row of the window containing ``now`` and the time that window ends."""
        start = int(now // self.seconds) * self.seconds
        return f"{self.key}@{start}", float(start + self.seconds)

    def retry_after(self, now: float) -> int:
        return int(self.bucket(now)[1] - now) + 1


async def take(window: Window, now: float) -> int | None:
    """Count one more unless the window is full: the new count, or None when the limit was reached already."""
    bucket, ends_at = window.bucket(now)
    rows = await RateCounter.raw(
        "INSERT INTO rate_counter (bucket, count, expires_at) VALUES ({}, 1, {}) "
        "ON CONFLICT (bucket) DO UPDATE SET count = rate_counter.count + 1 WHERE rate_counter.count < {} "
        "RETURNING count",
        bucket,
        ends_at,
        window.limit,
    )
    return rows[0]["count"] if rows else None


async def take_or_refuse(window: Window, now: float, detail: str) -> int:
    count = await take(window, now)
    if count is None:
        raise TooManyRequests(detail, retry_after=window.retry_after(now))
    return count


async def count_citizen_action(citizen_id: int, action: str, now: float | None = None) -> None:
    """Count one ``action`` (a key of CITIZEN_ACTIONS) of a citizen; TooManyRequests past either limit."""
    per_minute, setting = CITIZEN_ACTIONS[action]
    if not citizen_limits_apply():
        return
    now = time.time() if now is None else now
    for window in (Window(f"citizen:{citizen_id}:{action}:minute", 60, per_minute),
                   Window(f"citizen:{citizen_id}:{action}:day", DAY_SECONDS, getattr(get_settings(), setting))):
        await take_or_refuse(window, now, _("You are doing this too often. Please try again in %(seconds)d seconds.")
                             % {"seconds": window.retry_after(now)})


async def give_back(window: Window, now: float) -> None:
    await RateCounter.raw(
        "UPDATE rate_counter SET count = count - 1 WHERE bucket = {} AND count > 0", window.bucket(now)[0]
    )


async def clear(window: Window, now: float) -> None:
    await RateCounter.delete().where(RateCounter.bucket == window.bucket(now)[0])


async def current(window: Window, now: float) -> int:
    row = await RateCounter.select(RateCounter.count).where(RateCounter.bucket == window.bucket(now)[0]).first()
    return row["count"] if row else 0


def address_group(address: str) -> str:
    """Whom a client address stands for: an IPv4 address, or the /64 of an IPv6 one.

    One subscriber or host usually holds a whole IPv6 /64 and can send from any of its 2**64
    addresses, so limits per single IPv6 address would limit nothing.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
