"""Live pub/sub: the configured channels backend delivers published events to subscribers."""

import asyncio
import json

from litestar.channels import ChannelsPlugin

from engagement.live import publish_event
from tests.support import require_service


def channels_of(app) -> ChannelsPlugin:
    return app.plugins.get(ChannelsPlugin)


async def next_event(subscriber, timeout=10.0):
    async def first():
        async for raw in subscriber.iter_events():
            return json.loads(raw)

    return await asyncio.wait_for(first(), timeout)


async def test_a_published_event_reaches_a_subscriber(app):
    channels = channels_of(app)
    subscriber = await channels.subscribe(["live_session:1"])
    try:
        await publish_event(channels, "live_session:1", {"type": "question", "id": 5, "content": "何时开工？"})
        event = await next_event(subscriber)
    finally:
        await channels.unsubscribe(subscriber)
    assert event == {"type": "question", "id": 5, "content": "何时开工？"}


async def test_events_stay_in_their_channel(app):
    channels = channels_of(app)
    subscriber = await channels.subscribe(["live_session:2"])
    try:
        await publish_event(channels, "live_session:3", {"type": "question", "id": 1})
        await publish_event(channels, "live_session:2", {"type": "question", "id": 2})
        event = await next_event(subscriber)
    finally:
        await channels.unsubscribe(subscriber)
    assert event["id"] == 2


async def test_with_redis_an_event_published_by_one_process_reaches_another(app):
    """Two applications with their own Redis clients stand for two web processes."""
    require_service("redis")
    from engagement.app import create_app

    other = create_app(rate_limit_per_minute=0)
    async with other.lifespan():
        subscriber = await channels_of(other).subscribe(["live_session:9"])
        try:
            await asyncio.sleep(0.2)
            await publish_event(channels_of(app), "live_session:9", {"type": "status", "status": "live"})
            event = await next_event(subscriber)
        finally:
            await channels_of(other).unsubscribe(subscriber)
    assert event == {"type": "status", "status": "live"}


async def test_a_worker_can_publish_to_viewers_through_redis(app):
    require_service("redis")
    from engagement.live import publish_from_worker
    from engagement.settings import get_settings

    subscriber = await channels_of(app).subscribe(["live_session:4"])
    try:
        await asyncio.sleep(0.2)
        await publish_from_worker(get_settings().redis_url, "live_session:4", {"type": "answer", "question_id": 3})
        event = await next_event(subscriber)
    finally:
        await channels_of(app).unsubscribe(subscriber)
    assert event == {"type": "answer", "question_id": 3}
