"""Counters in fixed time windows, shared by every process through the ``rate_counter`` table.

Each counter is one row per window (``key@window_start``), changed by single atomic statements, so
concurrent requests and several web processes never count past a limit:

    window = Window(f"login:address:{address_group(ip)}", seconds=900, limit=20)
    if await take(window, now) is None: ...   # full: refuse
    await give_back(window, now)              # the attempt turned out not to count
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from engagement.errors import TooManyRequests
from engagement.tables import RateCounter


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
