"""Live pub/sub: the configured channels backend delivers published events to subscribers."""

import asyncio
import json
import sys
import uuid

from litestar.channels import ChannelsPlugin

from engagement.live import publish_event
from engagement.settings import get_settings
from tests.support import require_service, service_environment


def channels_of(app) -> ChannelsPlugin:
    return app.plugins.get(ChannelsPlugin)


async def next_event(subscriber, timeout=10.0):
    async def first():
        async for raw in subscriber.iter_events():
            return json.loads(raw)

    return await asyncio.wait_for(first(), timeout)


def fresh_channel() -> str:
    """A channel no earlier test used: Redis streams keep their history beyond a test."""
    return f"test:{uuid.uuid4().hex}"


async def test_a_published_event_reaches_a_subscriber(app):
    channels = channels_of(app)
    channel = fresh_channel()
    subscriber = await channels.subscribe([channel])
    try:
        await publish_event(channels, channel, {"type": "question", "id": 5, "content": "何时开工？"})
        event = await next_event(subscriber)
    finally:
        await channels.unsubscribe(subscriber)
    assert event == {"type": "question", "id": 5, "content": "何时开工？"}


async def test_events_stay_in_their_channel(app):
    channels = channels_of(app)
    mine, other = fresh_channel(), fresh_channel()
    subscriber = await channels.subscribe([mine])
    try:
        await publish_event(channels, other, {"type": "question", "id": 1})
        await publish_event(channels, mine, {"type": "question", "id": 2})
        event = await next_event(subscriber)
    finally:
        await channels.unsubscribe(subscriber)
    assert event["id"] == 2


async def test_with_redis_an_event_published_by_another_process_reaches_a_viewer_here(app):
    """Another process (a second web process or a Celery worker) publishes through the shared Redis streams."""
    require_service("redis")
    channel = fresh_channel()
    subscriber = await channels_of(app).subscribe([channel])
    try:
        await asyncio.sleep(0.2)
        publisher = await asyncio.create_subprocess_exec(
            sys.executable, "-c",
            "import asyncio, sys; from engagement.live import publish_from_worker; "
            "asyncio.run(publish_from_worker(sys.argv[1], sys.argv[2], {'type': 'answer', 'question_id': 3}))",
            get_settings().redis_url,
            channel,
            env=service_environment(),
        )
        assert await publisher.wait() == 0
        event = await next_event(subscriber)
    finally:
        await channels_of(app).unsubscribe(subscriber)
    assert event == {"type": "answer", "question_id": 3}


def test_a_frame_is_encoded_as_the_websockets_library_encodes_it():
    from websockets.frames import Frame, Opcode

    from engagement.live import text_frame

    for size in (0, 125, 126, 65535, 65536):
        text = ("问" * size).encode()[:size]
        assert text_frame(text) == Frame(Opcode.TEXT, text).serialize(mask=False, extensions=[])


def test_uvicorn_still_has_what_the_fan_out_writes_through():
    """engagement.live.TransportWriter reads these attributes of uvicorn's protocol (checked on 0.54.0)."""
    import inspect

    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    source = inspect.getsource(WebSocketsSansIOProtocol)
    for attribute in ("self.transport", "self.conn", "self.writable", "self.close_sent", "self.disconnected"):
        assert f"{attribute} =" in source, attribute
    assert "await self.writable.wait()" in inspect.getsource(WebSocketsSansIOProtocol.send)
