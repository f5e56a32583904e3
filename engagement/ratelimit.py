"""The per-client-address rate limit: ``ENGAGEMENT_RATE_LIMIT`` requests a minute, API and pages alike.

- **Windows**: fixed minutes of the wall clock, the same in every process. A client's requests in the
  current minute are counted; beyond the limit the answer is 429 with ``Retry-After`` (seconds to the end of
  the minute, at least 1), rendered by the app's error handlers like every other 429 (the error page, or
  ``{"status_code", "detail"}`` on JSON paths). A client can thus send up to twice the limit across the turn
  of a minute. No ``RateLimit-*`` headers are sent.
- **Who**: the client address of the ASGI scope, which the server sets from forwarded headers only when
  they come from ``ENGAGEMENT_TRUSTED_PROXIES`` (engagement/serving.py). HTTP only: websockets are limited by
  ``WebsocketsPerAddress``. Paths matching ``exclude`` (regular expressions searched in the path, as
  Litestar's middleware ``exclude`` is: anchor them) are not counted.
- **Counting**: without Redis, a dict of this process, emptied when a new minute starts. With Redis, one
  round trip per request (a Lua script: ``INCR`` of the address's key for this minute, with an expiry when
  it is new), so every web process counts against the same limit; while Redis cannot be reached (tried
  again every ``RETRY_REDIS_SECONDS``), each process counts on its own.

Replaces Litestar's ``RateLimitMiddleware``, which keeps each address's history of request times as JSON and
reads and writes it in the store under a lock on every request: with Redis that was a fifth of a cached
page's cost (docs/serving.md, "Public pages under crowds").
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable

from litestar.exceptions import TooManyRequestsException
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.asyncio import Redis

from engagement.resilience import REDIS_ERRORS, RedisHealth

WINDOW_SECONDS = 60
REDIS_KEY_PREFIX = "engagement:rate-limit:"
UNKNOWN_ADDRESS = "127.0.0.1"  # what Litestar's limiter counted a request without a client under
SHARED_READ = "engagement.shared_read"  # the scope key of the value read along with the count (see AddressLimit)
# One round trip: the count of this address in this window (the key expiring with its window), and the
# value of KEYS[2] read along with it.
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('GET', KEYS[2])}
"""


class LocalCounts:
    """This process's counts for the current window (the earlier windows' are dropped when it starts)."""

    def __init__(self) -> None:
        self.window = -1
        self.counts: dict[str, int] = {}

    def add(self, address: str, window: int) -> int:
        if window != self.window:
            self.window, self.counts = window, {}
        self.counts[address] = self.counts.get(address, 0) + 1
        return self.counts[address]


class AddressLimit:
    """Counts each client address's requests per window, in Redis when there is one, else in this process.

    With Redis, the same round trip reads the key ``read_along`` and leaves its value (bytes or None) in
    ``scope[SHARED_READ]``: the page cache's shared generation, which every cacheable request needs, so a
    cached page costs one round trip instead of two.
    """

    def __init__(self, per_minute: int, redis: Redis | None = None, exclude: Iterable[str] = (),
                 clock: Callable[[], float] = time.time, read_along: str = "") -> None:
        self.per_minute = per_minute
        self.read_along = read_along
        self.excluded = re.compile("|".join(exclude)) if exclude else None
        self.clock = clock
        self.local = LocalCounts()
        self.health = RedisHealth()
        self._count_in_redis = redis.register_script(_COUNT_SCRIPT) if redis is not None else None

    def counts(self, scope: Scope) -> bool:
        if scope["type"] != "http":
            return False
        if self.excluded is None:
            return True
        # A mount (the admin) sees its own part of the path only, hence the raw path there (as Litestar does).
        handler = scope.get("route_handler")
        path = scope["raw_path"].decode("latin-1") if getattr(handler, "is_mount", False) else scope["path"]
        return self.excluded.search(path) is None

    async def check(self, scope: Scope) -> None:
        """Count the request; raise 429 (with ``Retry-After``) when the address is over its limit."""
        now = self.clock()
        window = int(now // WINDOW_SECONDS)
        client = scope.get("client")
        address = client[0] if client else UNKNOWN_ADDRESS
        if await self._add(scope, address, window) > self.per_minute:
            retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
            raise TooManyRequestsException(headers={"retry-after": str(retry_after)})

    async def _add(self, scope: Scope, address: str, window: int) -> int:
        if self._count_in_redis is not None and self.health.usable():
            try:
                count, scope[SHARED_READ] = await self._count_in_redis(
                    keys=[f"{REDIS_KEY_PREFIX}{window}:{address}", self.read_along or REDIS_KEY_PREFIX],
                    args=[WINDOW_SECONDS])
                return int(count)
            except REDIS_ERRORS as error:
                self.health.failed(error)
        return self.local.add(address, window)


class RateLimit:
    """ASGI middleware (inside ``ShedLoad``, outside the page cache, so cached pages count): see the module docstring.

    Litestar builds one middleware stack per route, hence the shared ``limit``.
    """

    def __init__(self, app: ASGIApp, limit: AddressLimit) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.limit.counts(scope):
            await self.limit.check(scope)
        await self.app(scope, receive, send)
