"""Live pub/sub for websocket viewers: Litestar channels, in memory or on Redis streams.

The database stays the record: a (re)connecting client is first sent what it
missed from the database, then live events. Channel history is only a cushion.
"""

from __future__ import annotations

import json
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsStreamBackend
from redis.asyncio import Redis

CHANNEL_HISTORY = 200
STREAM_TTL_SECONDS = 3600
SUBSCRIBER_MAX_BACKLOG = 1000


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
