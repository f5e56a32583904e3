"""Live pub/sub for websocket viewers: Litestar channels, in memory or on Redis streams.

The database stays the record: a (re)connecting client is first sent what it
missed from the database, then live events. Channel history is only a cushion.

Fan-out to thousands of viewers writes frames, not ASGI messages: ``text_frame`` encodes an event
once as a websocket frame, and ``frame_writer`` gives each socket a ``FrameWriter`` that writes
those same bytes straight to the server's transport (under uvicorn's ``websockets-sansio``
protocol), with a bound on what may wait in the write buffer; under another server it falls
back to a small queue of ASGI sends (docs/live_sessions.md, "Fan-out").
"""

from __future__ import annotations

import asyncio
import json
import re
import socket as socket_module
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import partial
from typing import Any

from litestar import WebSocket
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsStreamBackend
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.asyncio import Redis

from engagement.limits import address_group
from engagement.resilience import ResilientRedisStreamBackend

CHANNEL_HISTORY = 200
STREAM_TTL_SECONDS = 3600
SUBSCRIBER_MAX_BACKLOG = 1000
# The largest message a client may send on a websocket (clients only send pings); the server
# refuses larger frames before reading them (engagement/serving.py).
WS_MAX_MESSAGE_BYTES = 512
# What a viewer may leave unread in the server: the kernel's send buffer of its socket (Linux doubles
# the value set) plus the transport's buffer. Beyond that a live frame is not written: the viewer is
# dropped to the catch-up (its own reading pace, from memory or the database) instead of being awaited.
WS_SOCKET_SEND_BUFFER = 64 * 1024
WS_MAX_BUFFERED_BYTES = 128 * 1024
WS_MAX_QUEUED_FRAMES = 64  # the same bound for servers whose transport we cannot write to
_RAW_SEND = "engagement.raw_send"  # the server's own ``send``, kept in the scope by KeepServerSend


class WebsocketsPerAddress:
    """ASGI middleware: at most ``limit`` open websockets per client address (IPv6: per /64) in this process.

    A connection over the limit is refused at the handshake (HTTP 403) before any route code runs.
    Frames pass straight through: nothing is added to each message sent to a viewer. Litestar builds
    one middleware instance per route, so the application passes all of them one shared count
    (``KeepServerSend`` uses the same count for the websockets it serves before the stack).
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


# Websocket routes served before the middleware stack (``KeepServerSend``): (route name, path pattern, handler).
# A handler is ``async (app, scope, receive, send)``; the pattern's named groups are put in scope["path_params"].
DirectHandler = Callable[[Any, Scope, Receive, Send], Awaitable[None]]
_direct_websockets: list[tuple[str, re.Pattern[str], DirectHandler]] = []


def direct_websocket(route_name: str, pattern: str) -> Callable[[DirectHandler], DirectHandler]:
    """Register ``handler`` to serve websockets whose path matches ``pattern`` without the middleware stack.

    Only for routes that need none of it (no session, no CSRF, no guards): the handler does its own checks.
    It is used only in applications that have the Litestar route named ``route_name`` (the same socket through
    the stack: test clients and servers other than uvicorn use that one), and the per-address limit of
    ``WebsocketsPerAddress`` still applies, with the application's own count.
    """
    def register(handler: DirectHandler) -> DirectHandler:
        _direct_websockets.append((route_name, re.compile(pattern), handler))
        return handler

    return register


class KeepServerSend:
    """ASGI wrapper around the whole application: keeps the server's own ``send`` of a websocket in its scope,
    and serves the websockets registered with ``direct_websocket`` before the application's middleware stack.

    Litestar wraps ``send`` on its way to a handler; ``frame_writer`` needs the server's, to reach
    the transport. ``engagement.serving`` puts this around the application it serves with uvicorn.
    A viewer's handshake through the stack (exception middleware, the five middlewares of the app,
    the router, the signature model) cost about a tenth of the process's time in a connection storm
    of 5,000 viewers (docs/live_sessions.md, "Fan-out").
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.direct: list[tuple[re.Pattern[str], ASGIApp]] | None = None  # resolved on the first websocket

    def _resolve(self) -> list[tuple[re.Pattern[str], ASGIApp]]:
        app = self.app
        find = getattr(app, "get_handler_index_by_name", None)
        limit: DefineMiddleware | None = next(
            (definition for definition in getattr(app, "middleware", ())
             if getattr(definition, "middleware", None) is WebsocketsPerAddress), None)
        routes = []
        for name, pattern, handler in _direct_websockets:
            if find is None or find(name) is None:
                continue
            served: ASGIApp = partial(handler, app)  # type: ignore[assignment]
            if limit is not None:
                served = WebsocketsPerAddress(served, limit.kwargs["limit"], limit.kwargs["open_sockets"])
            routes.append((pattern, served))
        return routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[_RAW_SEND] = send  # type: ignore[literal-required]
            direct = self.direct
            if direct is None:
                direct = self.direct = self._resolve()
            for pattern, served in direct:
                match = pattern.fullmatch(scope["path"])
                if match is not None:
                    scope["path_params"] = match.groupdict()
                    await served(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def create_channels_plugin(redis: Redis | None) -> ChannelsPlugin:
    backend = (  # survives a Redis outage (engagement.resilience)
        ResilientRedisStreamBackend(history=CHANNEL_HISTORY, redis=redis, stream_ttl=STREAM_TTL_SECONDS * 1000)
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


def text_frame(text: bytes) -> bytes:
    """One unmasked, uncompressed websocket text frame (RFC 6455 section 5.2), the same for every viewer."""
    length = len(text)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 1 << 16:
        header = bytes((0x81, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + length.to_bytes(8, "big")
    return header + text


class FrameWriter:
    """Writes encoded frames to one accepted websocket without awaiting; refuses when the viewer lags."""

    def write(self, frame: bytes, text: str, force: bool = False) -> bool:
        """Queue one frame; False (nothing written) if the socket is gone or, unless ``force``, too far behind."""
        raise NotImplementedError

    def write_many(self, frames: list[tuple[bytes, str]]) -> bool:
        """Queue a catch-up (frames and their texts) whatever the lag; False if the socket is gone."""
        raise NotImplementedError

    async def drained(self) -> None:
        """Return once what was written has mostly left (flow control for catch-up)."""
        raise NotImplementedError

    def abort(self) -> None:
        """Drop the connection at once (a viewer that stopped reading cannot even take a close frame)."""
        raise NotImplementedError


class TransportWriter(FrameWriter):
    """Under uvicorn's ``websockets-sansio`` protocol: frames go straight to its asyncio transport.

    Relies on the protocol's attributes ``transport``, ``conn`` (the ``websockets`` sans-I/O connection),
    ``writable`` (set while the transport is below its high-water mark), ``close_sent`` and ``disconnected``
    (uvicorn 0.54.0; tests/engagement/test_live.py checks they are there). Frames are whole, so they
    interleave safely with the pings and the close frame the protocol writes itself.
    """

    __slots__ = ("protocol", "transport")

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        self.transport = protocol.transport
        sock = self.transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket_module.AF_INET, socket_module.AF_INET6):
            # A bounded kernel buffer per viewer: memory stays predictable, and a stalled viewer is noticed.
            sock.setsockopt(socket_module.SOL_SOCKET, socket_module.SO_SNDBUF, WS_SOCKET_SEND_BUFFER)

    def write(self, frame: bytes, text: str, force: bool = False) -> bool:
        protocol, transport = self.protocol, self.transport
        if protocol.close_sent or protocol.disconnected or transport.is_closing():
            return False
        if not force and transport.get_write_buffer_size() > WS_MAX_BUFFERED_BYTES:
            return False
        transport.write(frame)
        return True

    def write_many(self, frames: list[tuple[bytes, str]]) -> bool:
        return self.write(b"".join(frame for frame, _text in frames), "", force=True)

    async def drained(self) -> None:
        await self.protocol.writable.wait()

    def abort(self) -> None:
        self.transport.abort()


class QueueWriter(FrameWriter):
    """Any other ASGI server: a bounded queue of texts, sent by one task that exists only while it has work."""

    def __init__(self, socket: WebSocket) -> None:
        self.socket = socket
        self.queue: deque[str] = deque()
        self.sender: asyncio.Task | None = None
        self.idle = asyncio.Event()
        self.idle.set()
        self.failed = False

    def write(self, frame: bytes, text: str, force: bool = False) -> bool:
        if self.failed or (not force and len(self.queue) >= WS_MAX_QUEUED_FRAMES):
            return False
        self.queue.append(text)
        if self.sender is None or self.sender.done():
            self.idle.clear()
            self.sender = asyncio.get_running_loop().create_task(self._send())
        return True

    def write_many(self, frames: list[tuple[bytes, str]]) -> bool:
        return all(self.write(frame, text, force=True) for frame, text in frames)

    async def _send(self) -> None:
        try:
            while self.queue:
                await self.socket.send_text(self.queue.popleft())
        except Exception:  # noqa: BLE001 - a gone client; the handler sees the disconnect
            self.failed = True
            self.queue.clear()
        finally:
            self.idle.set()

    async def drained(self) -> None:
        await self.idle.wait()

    def abort(self) -> None:
        self.failed = True
        self.queue.clear()
        if self.sender is not None:
            self.sender.cancel()
        asyncio.get_running_loop().create_task(self._close())

    async def _close(self) -> None:
        with suppress(Exception):  # closing a client that does not read may fail; it is gone either way
            async with asyncio.timeout(5):
                await self.socket.close(code=1013)


def frame_writer(socket: WebSocket) -> FrameWriter:
    """The cheapest writer for an accepted socket: straight to the transport when the server allows it."""
    send = socket.scope.get(_RAW_SEND)
    protocol = getattr(send, "__self__", None)
    if _is_sansio_protocol(protocol) and not protocol.conn.extensions:  # no permessage-deflate negotiated
        return TransportWriter(protocol)
    return QueueWriter(socket)


def _is_sansio_protocol(protocol: Any) -> bool:
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:  # pragma: no cover - uvicorn is a runtime dependency
        return False
    return isinstance(protocol, WebSocketsSansIOProtocol)
