"""Websockets of live sessions: ``/ws/live-sessions/{id}`` (viewers) and ``.../moderation`` (hosts).

The order of work on every connection, so that nothing is lost or sent twice:

1. check the Origin (the site's own origin plus ``ENGAGEMENT_ALLOWED_ORIGINS``) and accept;
2. subscribe to the session's channel: live events queue up in the subscriber (bounded, oldest dropped);
3. send the catch-up from the database: every recorded event with ``seq`` > ``?after=``;
4. send queued and live events, skipping any with ``seq`` <= the last one sent. When an event
   arrives with a gap before it (the backlog dropped some, or a publish was lost), the missing
   events are read from the database first. Sequence numbers are contiguous per stream, so a
   gap is always noticed by the next event.

Viewers share that work: one ``Fanout`` per session and process holds the only subscription, keeps
steps 2-4 for all of them, and keeps the stream's recent frames (``seq`` -> encoded frame) in memory.
A viewer catches up from those frames (from the database only for what is older than they reach),
then joins the live set, where each event is encoded once and the same bytes are written to every
viewer's transport without awaiting (``engagement.live.frame_writer``). A viewer whose write buffer
is full is taken out of the live set and catches up again at its own pace; one that does not drain
for ``SEND_TIMEOUT_SECONDS`` is disconnected and reconnects with ``?after=``. Moderators (a few
hosts) keep a subscription and ordered delivery of their own (``Stream``).

Under uvicorn the viewers' socket is served before the middleware stack (``direct_live_session_socket``,
through ``engagement.live.KeepServerSend``), with the same checks as the route; connecting viewers share
one read of the session's row (``viewer_session``).

Messages from the client are limited in size and rate (only ``{"type": "ping"}`` is understood).
Viewer counts are not recorded: each process publishes its own count on the channel every few
seconds, and each fan-out shows its viewers the total of the processes heard from recently, only when
it changes (``Audience``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket as socket_module
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath, FromQuery

from engagement.contract import MAX_ID
from engagement.errors import NotFound
from engagement.i18n import _
from engagement.live import FrameWriter, direct_websocket, encode_event, frame_writer, text_frame
from engagement.permissions import guard
from engagement.settings import get_settings
from engagement.web import bearer_token
from live_sessions import services
from live_sessions.tables import LiveSession

log = logging.getLogger("live_sessions.ws")

MAX_INCOMING_BYTES = 512
MAX_INCOMING_PER_WINDOW = 20
INCOMING_WINDOW_SECONDS = 10.0
SEND_TIMEOUT_SECONDS = 30.0  # a client that does not read for this long is dropped; it reconnects with ?after=
CACHED_FRAMES = 2000  # recent frames of a public stream kept per process for catch-ups
CATCH_UP_CHUNK = 200  # frames written at once before waiting for the viewer to read them
VIEWER_PUBLISH_SECONDS = 5.0
VIEWER_DEBOUNCE_SECONDS = 1.0
PROCESS_ID = f"{socket_module.gethostname()}:{os.getpid()}"

# Close codes (4000-4999 are the application's).
CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008


def allowed_origin(connection: WebSocket, require: bool) -> bool:
    return origin_allowed(connection.headers.get("origin"), connection.headers.get("host", ""), require)


def origin_allowed(origin: str | None, host: str, require: bool) -> bool:
    if not origin:
        # Browsers always send Origin; other clients (apps, the benchmark) carry no cookies on the public stream.
        return not require
    own = {f"http://{host}", f"https://{host}"}
    return origin.rstrip("/") in own | {value.rstrip("/") for value in get_settings().allowed_origins}


class ViewerCounter:
    """This process's viewers per session, published now and then (per event loop)."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.dirty: set[int] = set()
        self.tasks: dict[int, asyncio.Task] = {}

    def change(self, channels: ChannelsPlugin, session_id: int, delta: int) -> None:
        self.counts[session_id] = max(0, self.counts.get(session_id, 0) + delta)
        self.dirty.add(session_id)
        task = self.tasks.get(session_id)
        if task is None or task.done():
            self.tasks[session_id] = asyncio.get_running_loop().create_task(self._publisher(channels, session_id))

    async def _publisher(self, channels: ChannelsPlugin, session_id: int) -> None:
        last = 0.0
        try:
            while True:
                await asyncio.sleep(VIEWER_DEBOUNCE_SECONDS)
                count = self.counts.get(session_id, 0)
                if session_id in self.dirty or time.monotonic() - last >= VIEWER_PUBLISH_SECONDS:
                    self.dirty.discard(session_id)
                    last = time.monotonic()
                    services.publish(channels, services.channel_for(session_id), {
                        "type": "viewers", "process": PROCESS_ID, "count": count, "ttl": VIEWER_PUBLISH_SECONDS * 3})
                if count == 0:
                    self.counts.pop(session_id, None)
                    return
        except asyncio.CancelledError:
            pass


_counters: dict[int, ViewerCounter] = {}


def viewer_counter() -> ViewerCounter:
    loop_id = id(asyncio.get_running_loop())
    return _counters.setdefault(loop_id, ViewerCounter())


@lru_cache(maxsize=1024)
def _decoded(raw: bytes) -> tuple[int | None, int | None, str, dict[str, Any]]:
    """Parsed once per event, not once per viewer: every subscriber gets the same bytes (the dict is shared:
    read it, never change it)."""
    event = json.loads(raw)
    return event.get("seq"), event.get("epoch"), raw.decode(), event


class Audience:
    """The viewers of a session over all web processes, from the counts each one publishes on the channel.

    Viewers are shown one total (``{"type": "viewers", "count"}``), written by each process to its own
    viewers only when the total changed, at most once every ``VIEWER_DEBOUNCE_SECONDS``: a steady audience
    costs no frame at all, where every process's count used to be written to every viewer of every process
    every few seconds (with two processes, four writes to each viewer per 5 s, which delayed the events
    next to them). A new peak is written to ``live_session.peak_viewers`` (the analytics' figure), at most
    one write at a time.
    """

    def __init__(self, session_id: int, show: Callable[[bytes, str], None]) -> None:
        self.session_id = session_id
        self.show = show
        self.counts: dict[str, tuple[int, float]] = {}  # process -> (viewers, when the count expires)
        self.recorded = 0
        self.writing: asyncio.Task | None = None
        self.shown: int | None = None
        self.frame: Frame | None = None  # the total last shown, for viewers who join
        self.showing: asyncio.TimerHandle | None = None

    def heard(self, event: dict[str, Any]) -> None:
        now = time.monotonic()
        self.counts[str(event.get("process"))] = (int(event.get("count") or 0), now + float(event.get("ttl") or 15))
        total = self.total(now)
        if total > self.recorded and (self.writing is None or self.writing.done()):
            self.recorded = total
            self.writing = asyncio.get_running_loop().create_task(self._write(total))
        if total != self.shown and self.showing is None:
            self.showing = asyncio.get_running_loop().call_later(VIEWER_DEBOUNCE_SECONDS, self._show)

    def total(self, now: float) -> int:
        return sum(count for count, expires in self.counts.values() if expires > now)

    def _show(self) -> None:
        self.showing = None
        total = self.total(time.monotonic())
        if total != self.shown:
            self.shown = total
            self.frame = _frame_of({"type": "viewers", "count": total})
            self.show(*self.frame)

    def close(self) -> None:
        if self.showing is not None:
            self.showing.cancel()

    async def _write(self, total: int) -> None:
        try:
            await services.record_peak_viewers(self.session_id, total)
        except Exception:  # a figure for the statistics: the stream goes on without it
            log.exception("could not record the peak viewers of session %s", self.session_id)
            self.recorded = 0


class _TooChatty(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


async def _subscribe(channels: ChannelsPlugin, channel: str):
    """Subscribe; if the connection is cancelled meanwhile, unsubscribe once subscribing is done (litestar#4871)."""
    task = asyncio.ensure_future(channels.subscribe([channel]))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        def cleanup(done: asyncio.Task) -> None:
            if not done.cancelled() and done.exception() is None:
                asyncio.ensure_future(channels.unsubscribe(done.result(), [channel]))

        task.add_done_callback(cleanup)
        raise


class Stream:
    """One connection's ordered delivery of one stream of a session."""

    def __init__(self, socket: WebSocket, session_id: int, stream: str, after: int, epoch: int) -> None:
        self.epoch = epoch
        self.socket = socket
        self.session_id = session_id
        self.stream = stream
        self.last_sent = after

    async def send(self, event: dict[str, Any]) -> None:
        await self.send_text(encode_event(event).decode())

    async def send_text(self, text: str) -> None:
        async with asyncio.timeout(SEND_TIMEOUT_SECONDS):  # no extra task per message, unlike wait_for
            await self.socket.send_text(text)

    async def catch_up(self, before: int | None = None) -> None:
        while True:
            events = await services.events_after(self.session_id, self.stream, self.last_sent, before=before)
            for event in events:
                await self.send(event)
                self.last_sent = event["seq"]
            if len(events) < services.CATCH_UP_LIMIT:
                return

    async def deliver(self, raw: bytes) -> None:
        seq, epoch, text, _event = _decoded(raw)
        if seq is None:  # not part of the record (viewer counts, votes)
            await self.send_text(text)
            return
        if seq <= self.last_sent or epoch != self.epoch:  # seen, or from an older life of this id
            return
        if seq > self.last_sent + 1:
            await self.catch_up(before=seq)
        await self.send_text(text)
        self.last_sent = seq

    async def pump(self, subscriber) -> None:
        async for raw in subscriber.iter_events():
            await self.deliver(raw)

    async def read(self) -> None:
        await read_messages(self.socket, lambda: self.send({"type": "pong", "last_seq": self.last_sent}))


async def read_messages(socket: WebSocket, pong: Callable[[], Awaitable[None]]) -> None:
    """Read the client's messages until it leaves: limited in size and rate; pings are answered."""
    window_start, received = time.monotonic(), 0
    while True:
        message = await socket.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("text") or message.get("bytes") or ""
        if len(data) > MAX_INCOMING_BYTES:
            raise _TooChatty(CLOSE_TOO_BIG)
        now = time.monotonic()
        if now - window_start > INCOMING_WINDOW_SECONDS:
            window_start, received = now, 0
        received += 1
        if received > MAX_INCOMING_PER_WINDOW:
            raise _TooChatty(CLOSE_POLICY)
        try:
            parsed = json.loads(data)
        except (ValueError, TypeError):
            continue
        if isinstance(parsed, dict) and parsed.get("type") == "ping":
            await pong()


# ---------- viewers: one fan-out per session and process ----------

CATCH_UP_READ = "live catch-up read from the database"  # counted by bench/live_ws.py in the server log
Frame = tuple[bytes, str]  # the encoded websocket frame, and its text for servers we cannot write frames to


class _Gone(Exception):
    """The viewer's connection is closed (or was dropped for not reading)."""


class Viewer:
    __slots__ = ("last_sent", "recovery", "socket", "writer")

    def __init__(self, socket: WebSocket, writer: FrameWriter, after: int) -> None:
        self.socket = socket
        self.writer = writer
        self.last_sent = after  # while in the live set, the fan-out's ``high`` is the truth
        self.recovery: asyncio.Task | None = None


def _frame_of(event: dict[str, Any]) -> Frame:
    raw = encode_event(event)
    return text_frame(raw), raw.decode()


class Fanout:
    """The viewers of one session's public stream in this process, and the stream's recent frames.

    Invariant: every viewer in ``live`` has been sent exactly the events up to ``high``, in order;
    ``frames`` holds the contiguous frames ``low..high``. Events are appended one sequence number at
    a time, gaps being read from the database first, so live viewers see no gap and no duplicate.
    """

    def __init__(self, registry: dict, channels: ChannelsPlugin, session_id: int, epoch: int, start: int) -> None:
        self.registry, self.key = registry, (session_id, epoch)
        self.channels, self.session_id, self.epoch = channels, session_id, epoch
        self.channel = services.channel_for(session_id)
        self.members: set[Viewer] = set()
        self.live: dict[Viewer, Callable[[bytes, str], bool]] = {}  # viewer -> its writer's write
        self.waiting: set[Viewer] = set()  # they know of events this process has not heard of yet
        self.frames: dict[int, Frame] = {}
        self.low, self.high = start + 1, start  # only the most recent events are worth keeping
        self.loaded = asyncio.Event()
        self.failed = False
        self.audience = Audience(session_id, lambda wire, text: self._broadcast(None, wire, text))
        self.task = asyncio.get_running_loop().create_task(self._run())
        self.task.add_done_callback(self._ended)

    # --- the one subscription ---

    async def _run(self) -> None:
        subscriber = await _subscribe(self.channels, self.channel)
        try:
            await self._read_record(before=None)
            self.loaded.set()
            async for raw in subscriber.iter_events():
                await self._on_event(raw)
        finally:
            await self.channels.unsubscribe(subscriber, [self.channel])

    def _ended(self, task: asyncio.Task) -> None:
        if task.cancelled():
            return
        log.warning("live fan-out of %s ended: %r", self.channel, task.exception())
        self.failed = True
        self.audience.close()
        self.loaded.set()
        if self.registry.get(self.key) is self:
            del self.registry[self.key]
        for viewer in list(self.members):
            viewer.writer.abort()  # they reconnect with ?after= and find a new fan-out

    async def _on_event(self, raw: bytes) -> None:
        seq, epoch, text, event = _decoded(raw)
        if seq is None:  # not part of the record (viewer counts, votes)
            if event.get("type") == "viewers":  # one process's count: viewers are shown the total
                self.audience.heard(event)
            else:
                self._broadcast(None, text_frame(raw), text)
            return
        if seq <= self.high or epoch != self.epoch:  # seen, or from an older life of this id
            return
        if seq > self.high + 1:
            await self._read_record(before=seq)
        self._append(seq, (text_frame(raw), text))

    async def _read_record(self, before: int | None) -> None:
        while True:
            events = await services.events_after(self.session_id, services.PUBLIC, self.high, before=before)
            log.info("%s: %s after %d, %d events (fan-out)", CATCH_UP_READ, self.channel, self.high, len(events))
            for event in events:
                self._append(event["seq"], _frame_of(event))
            if len(events) < services.CATCH_UP_LIMIT:
                return

    def _append(self, seq: int, frame: Frame) -> None:
        self.frames[seq] = frame
        self.high = seq
        if len(self.frames) > CACHED_FRAMES:
            del self.frames[self.low]
            self.low += 1
        self._broadcast(seq, *frame)
        if self.waiting:
            for viewer in [viewer for viewer in self.waiting if viewer.last_sent == seq]:
                self.waiting.discard(viewer)
                self.live[viewer] = viewer.writer.write

    def _broadcast(self, seq: int | None, wire: bytes, text: str) -> None:
        """Encoded once, the same bytes for everyone; a viewer that lags is dropped to the catch-up."""
        lagging = [viewer for viewer, write in self.live.items() if not write(wire, text)]
        for viewer in lagging:
            log.info("a viewer of %s is behind: dropped to the catch-up", self.channel)
            del self.live[viewer]
            viewer.last_sent = self.high if seq is None else seq - 1
            viewer.recovery = asyncio.get_running_loop().create_task(self._catch_up_again(viewer))

    # --- viewers ---

    def last_sent(self, viewer: Viewer) -> int:
        return self.high if viewer in self.live else viewer.last_sent

    async def catch_up(self, viewer: Viewer) -> None:
        """Send what the viewer lacks, from memory (or the database for older events), then make it live."""
        await self.loaded.wait()
        while viewer.last_sent < self.high and not self.failed:
            if viewer.last_sent + 1 >= self.low:
                end = min(self.high, viewer.last_sent + CATCH_UP_CHUNK)
                frames = [self.frames[seq] for seq in range(viewer.last_sent + 1, end + 1)]
            else:
                frames = await self._older(viewer)
                end = viewer.last_sent + len(frames)
            if not viewer.writer.write_many(frames):
                raise _Gone
            viewer.last_sent = end
            await self._drained(viewer)
        if self.failed:
            raise _Gone
        if self.audience.frame is not None:  # the audience so far, until the total changes
            viewer.writer.write(*self.audience.frame, force=True)
        # No await since the loop's test: the viewer has everything up to ``high`` (or more).
        if viewer.last_sent == self.high:
            self.live[viewer] = viewer.writer.write
        else:
            self.waiting.add(viewer)

    async def _older(self, viewer: Viewer) -> list[Frame]:
        events = await services.events_after(self.session_id, services.PUBLIC, viewer.last_sent, before=self.low)
        log.info("%s: %s after %d, %d events", CATCH_UP_READ, self.channel, viewer.last_sent, len(events))
        if not events:  # the record has no gap; if it had, the viewer would wait here for ever
            raise _Gone
        return [_frame_of(event) for event in events]

    async def _drained(self, viewer: Viewer) -> None:
        try:
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):  # once per chunk, not per frame
                await viewer.writer.drained()
        except TimeoutError:
            viewer.writer.abort()
            raise _Gone from None

    async def _catch_up_again(self, viewer: Viewer) -> None:
        with suppress(_Gone):
            await self._drained(viewer)
            await self.catch_up(viewer)

    def leave(self, viewer: Viewer) -> None:
        self.members.discard(viewer)
        self.live.pop(viewer, None)
        self.waiting.discard(viewer)
        if viewer.recovery is not None:
            viewer.recovery.cancel()
        if not self.members and self.registry.get(self.key) is self:
            del self.registry[self.key]
            self.task.cancel()
            self.audience.close()


_fanouts: dict[int, dict[tuple[int, int], Fanout]] = {}


def fanout_for(channels: ChannelsPlugin, session: dict[str, Any]) -> Fanout:
    """This process's fan-out of the session (made on its first viewer)."""
    registry = _fanouts.setdefault(id(asyncio.get_running_loop()), {})
    key = (session["id"], services.epoch_of(session))
    fanout = registry.get(key)
    if fanout is None:
        start = max(0, session["public_seq"] - CACHED_FRAMES)
        fanout = registry[key] = Fanout(registry, channels, session["id"], key[1], start)
    return fanout


# What a viewer's connection needs of the session: whether it exists, its stream's last seq, its epoch.
_VIEWER_COLUMNS = (LiveSession.id, LiveSession.public_seq, LiveSession.created_at)
_row_reads: dict[int, dict[int, asyncio.Future]] = {}


async def viewer_session(session_id: int) -> dict[str, Any]:
    """The session's row for a connecting viewer; viewers arriving while it is being read share that read.

    In a connection storm this is one query per read's duration instead of one per viewer (the profile:
    a third of the process's time went to building and running the per-viewer query of every column).
    The row is never older than the read in flight when the viewer arrived; what the fan-out has heard
    since is newer still (``serve_viewer`` takes the higher of the two sequence numbers).
    """
    reads = _row_reads.setdefault(id(asyncio.get_running_loop()), {})
    read = reads.get(session_id)
    if read is None:
        read = reads[session_id] = asyncio.ensure_future(
            LiveSession.select(*_VIEWER_COLUMNS).where(LiveSession.id == session_id).first().run())

        def done(_read: asyncio.Future) -> None:
            if reads.get(session_id) is read:
                del reads[session_id]

        read.add_done_callback(done)
    row = await asyncio.shield(read)  # a viewer that leaves does not cancel the others' read
    if row is None:
        raise NotFound(_("The live session was not found."))
    return row


async def serve_viewer(socket: WebSocket | DirectSocket, channels: ChannelsPlugin, session_id: int, after: int) -> None:
    try:
        session = await viewer_session(session_id)
    except NotFound:
        await socket.close(code=CLOSE_NOT_FOUND)
        return
    await socket.accept()
    fanout = fanout_for(channels, session)
    reset = after > max(session["public_seq"], fanout.high)  # a sequence this database never had
    viewer = Viewer(socket, frame_writer(socket), 0 if reset else after)
    fanout.members.add(viewer)
    counter = viewer_counter()
    counter.change(channels, session_id, +1)

    async def pong() -> None:
        raw = encode_event({"type": "pong", "last_seq": fanout.last_sent(viewer)})
        viewer.writer.write(text_frame(raw), raw.decode(), force=True)

    try:
        if reset:  # before anything else the viewer gets: it forgets what it had
            raw = encode_event({"type": "reset"})
            viewer.writer.write(text_frame(raw), raw.decode(), force=True)
        await fanout.catch_up(viewer)
        await read_messages(socket, pong)
    except _TooChatty as error:
        with suppress(Exception):
            await socket.close(code=error.code)
    except (_Gone, WebSocketDisconnect, OSError):
        pass
    finally:
        fanout.leave(viewer)
        counter.change(channels, session_id, -1)
    with suppress(Exception):
        if socket.connection_state != "disconnect":
            await socket.close()


async def serve_stream(socket: WebSocket, channels: ChannelsPlugin, session_id: int, stream: str, after: int,
                       count_viewer: bool) -> None:
    try:
        session = await services.get_session(session_id)
    except NotFound:
        await socket.close(code=CLOSE_NOT_FOUND)
        return
    await socket.accept()
    current = session["public_seq"] if stream == services.PUBLIC else session["staff_seq"]
    if after > current:  # the client remembers a sequence this database never had
        await socket.send_text(json.dumps({"type": "reset"}))
        after = 0
    connection = Stream(socket, session_id, stream, after, services.epoch_of(session))
    channel = services.channel_for(session_id, stream)
    counter = viewer_counter() if count_viewer else None
    subscriber = await _subscribe(channels, channel)
    if counter is not None:
        counter.change(channels, session_id, +1)
    tasks: list[asyncio.Task] = []
    try:
        await connection.catch_up()
        tasks = [asyncio.ensure_future(connection.read()), asyncio.ensure_future(connection.pump(subscriber))]
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = task.exception()
            if isinstance(error, _TooChatty):
                with suppress(Exception):
                    await socket.close(code=error.code)
            elif error is not None and not isinstance(error, (WebSocketDisconnect, asyncio.TimeoutError, OSError)):
                log.warning("live socket %s ended: %r", channel, error)
    except (TimeoutError, WebSocketDisconnect, OSError):
        pass
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(BaseException):
                await task
        if counter is not None:
            counter.change(channels, session_id, -1)
        await channels.unsubscribe(subscriber, [channel])
    with suppress(Exception):
        if socket.connection_state != "disconnect":
            await socket.close()


# Viewers need no session: skipping the session middleware spares a send wrapper on every frame.
@websocket("/ws/live-sessions/{session_id:int}", name="live-session-socket", opt={"skip_session": True})
async def live_session_socket(socket: WebSocket, session_id: FromPath[int], channels: NamedDependency[ChannelsPlugin],
                              after: FromQuery[int] = 0) -> None:
    """Public events of a session: approved questions, answers, remarks, status, viewers."""
    if not allowed_origin(socket, require=False):
        await socket.close(code=CLOSE_FORBIDDEN_ORIGIN)
        return
    await serve_viewer(socket, channels, session_id, max(0, after))


class DirectSocket:
    """What ``serve_viewer`` uses of Litestar's ``WebSocket``, over the server's own ``receive`` and ``send``.

    Litestar's object parses every header into a multidict and wraps both callables: about 2.5 KiB per viewer
    (tracemalloc, 5,000 viewers), a tenth of what a viewer's connection holds. Same messages, same states.
    """

    __slots__ = ("_receive", "_send", "connection_state", "scope")

    def __init__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scope, self._receive, self._send = scope, receive, send
        self.connection_state = "init"

    async def receive(self) -> dict[str, Any]:
        if self.connection_state == "disconnect":
            raise WebSocketDisconnect(detail="the client is gone")
        message = await self._receive()
        kind = message["type"]
        self.connection_state = ("connect" if kind == "websocket.connect" else
                                 "receive" if kind == "websocket.receive" else "disconnect")
        return message

    async def _out(self, message: dict[str, Any]) -> None:
        if self.connection_state == "disconnect":
            raise WebSocketDisconnect(detail="the client is gone")
        await self._send(message)

    async def accept(self) -> None:
        if self.connection_state == "init":
            await self.receive()
            await self._out({"type": "websocket.accept", "subprotocol": None, "headers": []})

    async def send_text(self, text: str) -> None:
        await self._out({"type": "websocket.send", "text": text})

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self._out({"type": "websocket.close", "code": code, "reason": reason or ""})


_AFTER = re.compile(r"-?[0-9]{1,19}")
_channels_of: dict[int, ChannelsPlugin] = {}


@direct_websocket("live-session-socket", r"/ws/live-sessions/(?P<session_id>[0-9]+)")
async def direct_live_session_socket(app: Any, scope: Any, receive: Any, send: Any) -> None:
    """``live_session_socket`` served before the middleware stack, under uvicorn (engagement.live.KeepServerSend).

    The viewer's socket uses none of the stack (no session, CSRF exempt, no guard, HTTP rate limits do not apply
    to websockets; the per-address limit of open websockets is applied by KeepServerSend), so the handshake of a
    viewer costs the checks the route makes and nothing else: the Origin, the id's range, ``?after=``.
    """
    socket = DirectSocket(scope, receive, send)
    digits = scope["path_params"]["session_id"].lstrip("0")
    session_id = int(digits) if 0 < len(digits) <= 10 else 0  # more digits: above MAX_ID, refused below
    after = 0
    for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
        if name == "after":
            if not _AFTER.fullmatch(value):  # the route refuses a malformed ?after= too
                await socket.close(code=CLOSE_POLICY)
                return
            after = int(value)
            break
    origin = host = None
    for name, value in scope["headers"]:  # ASGI: lower-case names; the first of each counts
        if name == b"origin" and origin is None:
            origin = value.decode("latin-1")
        elif name == b"host" and host is None:
            host = value.decode("latin-1")
    if not origin_allowed(origin, host or "", require=False):
        await socket.close(code=CLOSE_FORBIDDEN_ORIGIN)
        return
    if not 1 <= session_id <= MAX_ID:  # a 32-bit column on PostgreSQL: a bigger id cannot exist (engagement.contract)
        await socket.close(code=CLOSE_NOT_FOUND)
        return
    channels = _channels_of.get(id(app))
    if channels is None:
        channels = _channels_of[id(app)] = app.plugins.get(ChannelsPlugin)
    await serve_viewer(socket, channels, session_id, max(0, after))


# The guard refuses strangers and other roles before the handshake is accepted (the client sees HTTP 403).
@websocket("/ws/live-sessions/{session_id:int}/moderation", name="live-session-moderation-socket",
           guards=[guard("question.read_queue")])
async def moderation_socket(socket: WebSocket, session_id: FromPath[int], channels: NamedDependency[ChannelsPlugin],
                            after: FromQuery[int] = 0) -> None:
    """Moderators' events (new and moderated questions), for hosts logged in on the website or by bearer token."""
    # With the session cookie, only our own pages may connect (cross-site websocket hijacking).
    if not allowed_origin(socket, require=bearer_token(socket) is None):
        await socket.close(code=CLOSE_FORBIDDEN_ORIGIN)
        return
    await serve_stream(socket, channels, session_id, services.STAFF, max(0, after), count_viewer=False)
