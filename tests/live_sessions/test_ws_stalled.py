"""A viewer that stops reading must not hold up the others (the fan-out drops it to the catch-up).

Against the real server process, as in test_ws.py: the stalled viewer's socket has a small receive
buffer and its client library stops reading after one queued message, so the events pile up on the
server's side until the fan-out stops writing to it; the readers keep receiving each event before the
host posts the next one. When the stalled viewer reads again, it gets every event once, in order,
either on the same connection (caught up) or after being disconnected and reconnecting with ``?after=``.
"""

from __future__ import annotations

import socket as socket_module
from urllib.parse import urlsplit

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.live_sessions.test_ws import next_recorded, scene, ws_url  # noqa: F401 - scene is a fixture

READERS = 12
REMARKS = 60
# ~12 KB a frame: 60 of them are several times what the stalled viewer's socket buffers and the
# server's bound on unsent bytes per viewer can hold (engagement.live.WS_MAX_BUFFERED_BYTES).
LONG_TEXT = "长" * 4000


def stalled_socket(base_url: str) -> socket_module.socket:
    address = urlsplit(base_url)
    sock = socket_module.socket()
    sock.setsockopt(socket_module.SOL_SOCKET, socket_module.SO_RCVBUF, 4096)  # before connecting: no autotuning
    sock.connect((address.hostname, address.port))
    return sock


async def test_a_viewer_that_stops_reading_is_dropped_without_delaying_the_others(live_server, scene):  # noqa: F811
    path = ws_url(live_server, f"/ws/live-sessions/{scene.session_id}")
    readers = [await connect(path) for _ in range(READERS)]
    stalled = await connect(path, sock=stalled_socket(live_server), max_queue=1)
    try:
        for reader in readers:
            assert (await next_recorded(reader))["seq"] == 1
        for n in range(REMARKS):
            await scene.remark(f"{n}:{LONG_TEXT}")
            for reader in readers:  # everyone else has it before the next one is posted
                event = await next_recorded(reader)
                assert event["seq"] == n + 2 and event["content"].startswith(f"{n}:")
        last = REMARKS + 1
        seen = await read_until(stalled, last)
        while seen[-1:] != [last]:  # disconnected: reconnect with the last event it has
            async with connect(f"{path}?after={seen[-1] if seen else 0}") as again:
                seen += await read_until(again, last)
        assert seen == list(range(1, last + 1))
    finally:
        for socket in [*readers, stalled]:
            await socket.close()


async def read_until(socket, last: int) -> list[int]:
    seqs: list[int] = []
    try:
        while not seqs or seqs[-1] < last:
            seqs.append((await next_recorded(socket))["seq"])
    except ConnectionClosed:
        pass
    return seqs
