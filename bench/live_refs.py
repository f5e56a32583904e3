"""The two reference servers of ``bench/live_ws.py``: what the framework and Python themselves can do.

- ``bare``: a Litestar websocket under uvicorn (started through ``engagement.serving.serve``, so with the
  application's server settings), no database: ``GET /publish?content=`` encodes the event once and sends
  it to every open socket with ``asyncio.gather`` of the per-socket ASGI sends.
- ``raw``: the ``websockets`` library's own asyncio server; ``GET /publish?content=`` writes the frame to
  every connection with ``websockets.broadcast()`` (no awaiting, no per-socket task).

Both stamp each event with the next sequence number, as the application's events carry theirs, and
answer ``GET /healthz``. Run by the benchmark: ``python bench/live_refs.py bare|raw --port P``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from litestar import Litestar, MediaType, WebSocket, get, websocket
from litestar.exceptions import WebSocketDisconnect

_bare_sockets: set[WebSocket] = set()
_bare_seq = [0]


def _event(seq: int, content: str) -> str:
    return json.dumps({"type": "remark", "seq": seq, "content": content}, ensure_ascii=False)


@websocket("/ws/live-sessions/{session_id:int}")
async def bare_socket(socket: WebSocket, session_id: int) -> None:
    await socket.accept()
    _bare_sockets.add(socket)
    try:
        while (await socket.receive())["type"] != "websocket.disconnect":
            pass
    except WebSocketDisconnect:
        pass
    finally:
        _bare_sockets.discard(socket)


@get("/publish", media_type=MediaType.TEXT)
async def bare_publish(content: str) -> str:
    _bare_seq[0] += 1
    text = _event(_bare_seq[0], content)  # encoded once
    await asyncio.gather(*(socket.send_text(text) for socket in list(_bare_sockets)), return_exceptions=True)
    return "ok"


@get("/healthz", media_type=MediaType.TEXT)
async def bare_health() -> str:
    return "ok"


bare_app = Litestar(route_handlers=[bare_socket, bare_publish, bare_health])


async def serve_raw(port: int) -> None:
    from websockets.asyncio.server import broadcast, serve

    connections: set = set()
    seq = [0]

    def process_request(connection, request):
        url = urlsplit(request.path)
        if url.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok")
        if url.path == "/publish":
            seq[0] += 1
            broadcast(connections, _event(seq[0], parse_qs(url.query)["content"][0]))
            return connection.respond(HTTPStatus.OK, "ok")
        return None

    async def handler(connection) -> None:
        connections.add(connection)
        try:
            await connection.wait_closed()
        finally:
            connections.discard(connection)

    async with serve(handler, "127.0.0.1", port, process_request=process_request, compression=None,
                     ping_interval=None, max_size=512, backlog=4096):
        await asyncio.get_running_loop().create_future()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", choices=["bare", "raw"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.which == "raw":
        import uvloop

        uvloop.run(serve_raw(args.port))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from engagement.serving import serve

    serve(port=args.port, app="bench.live_refs:bare_app", log_level="warning")


if __name__ == "__main__":
    main()
