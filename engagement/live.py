"""Live pub/sub for websocket viewers: Litestar channels, in memory or on Redis streams.

The database stays the record: a (re)connecting client is first sent what it
missed from the database, then live events. Channel history is only a cushion.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsStreamBackend
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.asyncio import Redis

from engagement.limits import address_group

CHANNEL_HISTORY = 200
STREAM_TTL_SECONDS = 3600
SUBSCRIBER_MAX_BACKLOG = 1000
# The largest message a client may send on a websocket (clients only send pings); the server
# refuses larger frames before reading them (engagement/serving.py).
WS_MAX_MESSAGE_BYTES = 512


class WebsocketsPerAddress:
    """ASGI middleware: at most ``limit`` open websockets per client address (IPv6: per /64) in this process.

    A connection over the limit is refused at the handshake (HTTP 403) before any route code runs.
    Frames pass straight through: nothing is added to each message sent to a viewer. Litestar builds
    one middleware instance per route, so the application passes all of them one shared count.
    """

    def __init__(self, app: ASGIApp, limit: int, open_sockets: Counter[str]) -> None:
        self.app = app
        self.limit = limit
        self.open = open_sockets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = address_group(client[0]) if client else "unknown"
        if self.open[key] >= self.limit:
            await receive()  # the websocket.connect event; closing before accepting refuses the handshake
            await send({"type": "websocket.close", "code": 1008})
            return
        self.open[key] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open[key] -= 1
            if self.open[key] <= 0:
                del self.open[key]


def create_channels_plugin(redis: Redis | None) -> ChannelsPlugin:
    backend = (
        RedisChannelsStreamBackend(history=CHANNEL_HISTORY, redis=redis, stream_ttl=STREAM_TTL_SECONDS * 1000)
        if redis is not None
        else MemoryChannelsBackend(history=CHANNEL_HISTORY)
    )
    return ChannelsPlugin(
        backend=backend,
        arbitrary_channels_allowed=True,
        create_ws_route_handlers=False,
        # A slow viewer loses its oldest queued events, then catches up from the database.
        subscriber_max_backlog=SUBSCRIBER_MAX_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


def encode_event(event: dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False, default=str).encode()


async def publish_event(channels: ChannelsPlugin, channel: str, event: dict[str, Any]) -> None:
    """Publish after the database write that the event describes has committed."""
    channels.publish(encode_event(event), channels=[channel])


async def publish_from_worker(redis_url: str, channel: str, event: dict[str, Any]) -> None:
    """Publish from a Celery worker (no web app there) through the shared Redis streams."""
    redis = Redis.from_url(redis_url)
    try:
        backend = RedisChannelsStreamBackend(history=CHANNEL_HISTORY, redis=redis, stream_ttl=STREAM_TTL_SECONDS * 1000)
        await backend.publish(encode_event(event), [channel])
    finally:
        await redis.aclose()
