"""What the site does when a service it needs is briefly gone (docs/security.md, "Faults").

- The database unreachable (refused, reset, restarting): every request that needs it answers 503 with
  ``Retry-After`` (JSON on the API, the error page elsewhere), never a 500 or a hang; connection
  attempts are refused at once or time out within ``CONNECT_TIMEOUT_SECONDS``.
- Redis unreachable: the website sessions (their store) and the per-address rate limit (engagement/ratelimit.py) fall back to this process's
  memory (:class:`RedisWithFallbackStore`), so pages, the API and submissions go on; live events
  published meanwhile wait in the process and go out once Redis answers again, and the subscription
  reconnects by itself (:class:`ResilientRedisStreamBackend`); viewers put late events in order and
  read any gap from the database, the record. While Redis is known to be down it is tried again every
  ``RETRY_REDIS_SECONDS`` only, so requests do not each wait for a refused connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator
from typing import Any

import asyncpg
from litestar.channels.backends.redis import RedisChannelsStreamBackend
from litestar.stores.base import NamespacedStore
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("engagement.resilience")

CONNECT_TIMEOUT_SECONDS = 2
REDIS_SOCKET_TIMEOUT_SECONDS = 5
RETRY_REDIS_SECONDS = 5.0
RETRY_AFTER_SECONDS = 30  # what a 503 tells the client
STREAM_RECONNECT_SECONDS = (0.2, 5.0)  # first and longest pause between reconnection attempts
UNSENT_EVENTS_KEPT = 1000  # live events kept while Redis is down (the oldest go first; the database has all)

REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
# A database that cannot be reached or went away mid-query (restart, failover, network).
DATABASE_UNAVAILABLE_ERRORS = (
    ConnectionError,  # refused, reset, aborted (OSError subclasses)
    TimeoutError,
    asyncpg.PostgresConnectionError,  # the connection was lost or could not be made
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.InterfaceError,  # "connection is closed", "pool is closing"
)
SERVICE_UNAVAILABLE_ERRORS = (*DATABASE_UNAVAILABLE_ERRORS, RedisConnectionError, RedisTimeoutError)


class RedisHealth:
    """Shared by the stores of one Redis client: whether to try Redis now."""

    def __init__(self) -> None:
        self.down_until = 0.0

    def usable(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self, error: Exception) -> None:
        if self.usable():
            log.warning("Redis unavailable (%s): in-process stores for %.0f s", error, RETRY_REDIS_SECONDS)
        self.down_until = time.monotonic() + RETRY_REDIS_SECONDS


class RedisWithFallbackStore(NamespacedStore):
    """A Redis store that falls back to an in-process store while Redis cannot be reached.

    During an outage each process counts its own rate limits and keeps new sessions in memory;
    sessions held in Redis are back once it is.
    """

    def __init__(self, primary: RedisStore, health: RedisHealth | None = None) -> None:
        self.primary = primary
        self.fallback = MemoryStore()
        self.health = health or RedisHealth()

    def with_namespace(self, namespace: str) -> RedisWithFallbackStore:
        return RedisWithFallbackStore(self.primary.with_namespace(namespace), self.health)

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self.health.usable():
            try:
                return await getattr(self.primary, method)(*args, **kwargs)
            except REDIS_ERRORS as error:
                self.health.failed(error)
        return await getattr(self.fallback, method)(*args, **kwargs)

    async def set(self, key: str, value: str | bytes, expires_in: Any = None) -> None:
        await self._call("set", key, value, expires_in)

    async def get(self, key: str, renew_for: Any = None) -> bytes | None:
        return await self._call("get", key, renew_for)

    async def delete(self, key: str) -> None:
        await self._call("delete", key)

    async def delete_all(self) -> None:
        await self._call("delete_all")

    async def exists(self, key: str) -> bool:
        return await self._call("exists", key)

    async def expires_in(self, key: str) -> int | None:
        return await self._call("expires_in", key)


class ResilientRedisStreamBackend(RedisChannelsStreamBackend):
    """Litestar's Redis streams backend, surviving a Redis outage.

    Litestar's publisher and subscriber tasks end at the first Redis error, and live events would
    stop for the life of the process. Here an event that cannot be published is kept and published
    once Redis answers again (before any newer one; a connection to a restarted Redis fails once, so
    each publish is tried twice), and the subscription reconnects with a back-off, resuming after
    the last event it read.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unsent: deque[tuple[bytes, list[str]]] = deque(maxlen=UNSENT_EVENTS_KEPT)
        self._publishing = asyncio.Lock()  # the publisher task and the subscriber task both send them

    async def publish(self, data: bytes, channels: Any) -> None:
        self._unsent.append((data, list(channels)))
        await self._publish_unsent()

    async def _publish_unsent(self) -> None:
        async with self._publishing:
            while self._unsent:
                data, channels = self._unsent[0]
                try:
                    await self._publish_twice(data, channels)
                except REDIS_ERRORS as error:
                    log.warning("%d live event(s) waiting, Redis unavailable: %s", len(self._unsent), error)
                    return
                self._unsent.popleft()

    async def _publish_twice(self, data: bytes, channels: list[str]) -> None:
        try:
            await super().publish(data, channels)
        except REDIS_ERRORS:
            await super().publish(data, channels)

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        stream_ids: dict[str, bytes] = {}
        pause = STREAM_RECONNECT_SECONDS[0]
        while True:
            keys = [self._make_key(channel) for channel in await self._get_subscribed_channels()]
            try:
                data = await self._redis.xread({key: stream_ids.get(key, 0) for key in keys},
                                               block=self._stream_sleep_no_subscriptions)
            except REDIS_ERRORS as error:
                log.warning("live subscription lost (%s); reconnecting in %.1f s", error, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, STREAM_RECONNECT_SECONDS[1])
                continue
            pause = STREAM_RECONNECT_SECONDS[0]
            if self._unsent:  # Redis is back: what was published meanwhile goes out now
                await self._publish_unsent()
            for stream_key, events in data or []:
                for event_id, fields in events:
                    stream_ids[stream_key.decode()] = event_id
                    yield fields[b"channel"].decode(), fields[b"data"]
