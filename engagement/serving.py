"""Run the ASGI application under a production server, in the foreground.

Two servers are supported, both with keep-alive HTTP/1.1, websockets and
several worker processes:

- ``uvicorn`` with uvloop, httptools and the ``websockets`` library (its
  sans-I/O implementation); the default, chosen by measurement
  (``bench/http_bench.py --compare-servers``, figures in docs/serving.md);
- ``granian`` (Rust HTTP stack) with uvloop.

Forwarded headers (``X-Forwarded-For``, ``X-Forwarded-Proto``) are believed only
from the trusted proxies given (addresses or CIDR networks; from
``ENGAGEMENT_TRUSTED_PROXIES`` when none are passed); with none, no client can
spoof its address. uvicorn does this itself (``proxy_headers`` with
``forwarded_allow_ips``); granian has no server option for it, so the
application is wrapped in granian's own ``wrap_asgi_with_proxy_headers``.

Incoming websocket messages are refused by uvicorn itself beyond ``WS_MAX_MESSAGE_BYTES``
(``ws_max_size``; its default of 16 MiB would be read into memory before the application
could refuse it). granian 2.8 has no such option: the application's own check applies there.

Under uvicorn the application is wrapped in ``engagement.live.KeepServerSend``, so that the live
fan-out can write websocket frames straight to uvicorn's transports and the viewers' socket is served
before the middleware stack; each websocket's accept and open/close lines are logged at DEBUG
(``QuietWebsocketAccepts``; docs/live_sessions.md, "Fan-out").

Shutdown is bounded by ``SHUTDOWN_TIMEOUT`` (keep the container's stop grace
period longer): granian otherwise waits forever for a worker that does not stop,
which happens when SIGTERM arrives while its workers are still starting.
"""

from __future__ import annotations

import gc
import logging
import os

from engagement.live import WS_MAX_MESSAGE_BYTES, KeepServerSend

SERVERS = ("uvicorn", "granian")
DEFAULT_SERVER = "uvicorn"
SHUTDOWN_TIMEOUT = 20  # seconds for open requests and websockets, then workers are stopped

# Hand-over to granian's worker processes, which import the target by name.
_GRANIAN_APP = "_ENGAGEMENT_GRANIAN_APP"
_GRANIAN_PROXIES = "_ENGAGEMENT_GRANIAN_PROXIES"
_UVICORN_APP = "_ENGAGEMENT_UVICORN_APP"  # the same for uvicorn's factory (its workers import it by name too)


def trusted_proxies(explicit: tuple[str, ...] = ()) -> list[str]:
    """The proxies whose forwarded headers are believed: the given ones, else the setting."""
    if explicit:
        return list(explicit)
    raw = os.environ.get("ENGAGEMENT_TRUSTED_PROXIES", "")
    return [part.strip() for part in raw.split(",") if part.strip()]


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    server: str = DEFAULT_SERVER,
    app: str = "engagement.asgi:app",
    log_level: str = "info",
    forwarded_allow_ips: tuple[str, ...] = (),
    access_log: bool = False,
) -> None:
    """Serve ``app`` (an import string) until interrupted.

    Access logs are off by default: the reverse proxy in front keeps them.
    """
    proxies = trusted_proxies(forwarded_allow_ips)
    if server == "uvicorn":
        _serve_uvicorn(host, port, workers, app, log_level, proxies, access_log)
    elif server == "granian":
        _serve_granian(host, port, workers, app, log_level, proxies, access_log)
    else:
        raise ValueError(f"unknown server {server!r}; choose one of {', '.join(SERVERS)}")


def _serve_uvicorn(host, port, workers, app, log_level, proxies, access_log) -> None:
    import uvicorn

    os.environ[_UVICORN_APP] = app
    uvicorn.run(
        "engagement.serving:uvicorn_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        # Live events are small JSON sent to thousands of viewers: compressing each copy cost about half
        # of the server's time in the live benchmark, for a few bytes saved (docs/live_sessions.md).
        ws_per_message_deflate=False,
        ws_max_size=WS_MAX_MESSAGE_BYTES,
        lifespan="on",
        log_level=log_level,
        access_log=access_log,
        proxy_headers=True,
        forwarded_allow_ips=proxies,
        timeout_graceful_shutdown=SHUTDOWN_TIMEOUT,
    )


def _serve_granian(host, port, workers, app, log_level, proxies, access_log) -> None:
    from granian import Granian

    os.environ[_GRANIAN_APP] = app
    os.environ[_GRANIAN_PROXIES] = ",".join(proxies)
    Granian(
        "engagement.serving:granian_app",
        factory=True,
        address=host,
        port=port,
        workers=workers,
        interface="asgi",
        loop="uvloop",
        websockets=True,
        log_level=log_level,
        log_access=access_log,
        workers_kill_timeout=SHUTDOWN_TIMEOUT,
    ).serve()


class QuietWebsocketAccepts(logging.Filter):
    """Logs each websocket's "[accepted]", "connection open" and "connection closed" at DEBUG, not INFO.

    uvicorn (and the ``websockets`` protocol it passes its logger to) writes those three lines for every
    connection: 10,000 lines for a connection storm of 5,000 viewers, formatted and written while the
    event loop should be answering handshakes. Refusals (403) and errors keep their level.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and (
                record.msg in ("connection open", "connection closed")
                or (isinstance(record.msg, str) and record.msg.endswith('"WebSocket %s" [accepted]'))):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def uvicorn_app():
    """uvicorn's factory: the application named by ``serve``, keeping the server's websocket ``send`` in reach."""
    from uvicorn.importer import import_from_string

    error_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, QuietWebsocketAccepts) for existing in error_log.filters):
        error_log.addFilter(QuietWebsocketAccepts())
    app = KeepServerSend(import_from_string(os.environ[_UVICORN_APP]))
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Leave what the process built at startup (modules, the application, its routes) out of garbage collection.

    A full collection walks every tracked object; in a connection storm of 5,000 viewers those of the
    startup made each one take 380-460 ms of the event loop (``gc.callbacks``, docs/live_sessions.md, "Fan-out").
    Frozen objects are never freed, which is what startup objects are for anyway. ``ENGAGEMENT_GC_FREEZE=0``
    turns it off; tests never run this factory.
    """
    if os.environ.get("ENGAGEMENT_GC_FREEZE", "1") != "0":
        gc.collect()
        gc.freeze()


def granian_app():
    """Granian's factory: the application named by ``serve``, behind the proxy-header filter."""
    from granian.utils.proxies import wrap_asgi_with_proxy_headers
    from uvicorn.importer import import_from_string

    app = import_from_string(os.environ[_GRANIAN_APP])
    proxies = [part for part in os.environ.get(_GRANIAN_PROXIES, "").split(",") if part]
    return wrap_asgi_with_proxy_headers(app, trusted_hosts=proxies)
