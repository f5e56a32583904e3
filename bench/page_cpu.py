"""Server CPU per uncached page render, in process: the ASGI app called directly, one request at a time.

No server, no load generator, no other connections: ``time.process_time()`` (this process and its SQLite
threads) around each call of the application, page cache off, on a temporary SQLite database with the demo
data (``python -m engagement migrate`` and ``demo``, as bench/http_bench.py prepares it). Prints the median
and the 90th percentile per page, and the queries each page ran. See bench/README.md, "Uncached renders".

    .venv/bin/python bench/page_cpu.py                      # every page of http_bench.py, 200 requests each
    .venv/bin/python bench/page_cpu.py --paths live-session consultation --requests 500
    .venv/bin/python bench/page_cpu.py --profile live-session    # cProfile of that page, top 30 by own time
    .venv/bin/python bench/page_cpu.py --paths statistics --after-change   # the figures computed again each time
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_bench import APP_PATHS, SAMPLE_LINKS, app_environment, prepare_app  # noqa: E402


async def asgi_get(app, path: str, cookies: str = "") -> tuple[int, bytes]:
    """One GET through the whole application (its middleware stack included), as a server would call it."""
    raw_path, _, query = path.partition("?")
    headers = [(b"host", b"127.0.0.1"), (b"accept", b"text/html"), (b"accept-language", b"zh-CN")]
    if cookies:
        headers.append((b"cookie", cookies.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": raw_path, "raw_path": raw_path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": headers, "client": ("10.1.2.3", 50000), "server": ("127.0.0.1", 8000), "state": {}}
    status, body = 0, []
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(body)


async def sample_ids(app) -> dict[str, str]:
    ids = {}
    for name, (page, pattern) in SAMPLE_LINKS.items():
        _, body = await asgi_get(app, page)
        found = re.search(pattern, body.decode())
        ids[name] = found.group(1) if found else "1"
    return ids


RENDER_TIMES: list[float] = []  # CPU ms of each Jinja render (Template.render), of the pages measured


def time_template_renders() -> None:
    """Record the CPU of every ``Template.render`` in RENDER_TIMES: the template's share of a page."""
    import jinja2

    render = jinja2.Template.render

    def timed_render(self, *args, **kwargs):
        start = time.process_time()
        try:
            return render(self, *args, **kwargs)
        finally:
            RENDER_TIMES.append((time.process_time() - start) * 1000)

    jinja2.Template.render = timed_render


async def measure(app, path: str, requests: int, after_change: bool = False) -> list[float]:
    """CPU ms of each of ``requests`` GETs of ``path``; ``after_change``: each one right after a (pretended)
    change of the content, so that what is kept between changes (the statistics' figures) is computed again."""
    from engagement.page_cache import content_changed

    for _ in range(20):  # warm: templates compiled, caches of the code filled
        await asgi_get(app, path)
    times = []
    RENDER_TIMES.clear()
    for _ in range(requests):
        if after_change:
            content_changed()
        start = time.process_time()
        status, _ = await asgi_get(app, path)
        times.append((time.process_time() - start) * 1000)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    return times


async def count_queries(app, path: str) -> int:
    from tests.support import captured_queries
    with captured_queries() as statements:
        await asgi_get(app, path)
    return len(statements)


class Lifespan:
    """The application's startup and shutdown in this event loop, as a server runs them (the SQLite pool is
    per event loop: Litestar's test clients run the lifespan in a thread of their own)."""

    def __init__(self, app) -> None:
        self.app = app
        self.to_app: asyncio.Queue = asyncio.Queue()
        self.from_app: asyncio.Queue = asyncio.Queue()

    async def __aenter__(self):
        self.task = asyncio.ensure_future(self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                                   self.to_app.get, self.from_app.put))
        await self.to_app.put({"type": "lifespan.startup"})
        message = await self.from_app.get()
        if message["type"] != "lifespan.startup.complete":
            raise SystemExit(f"startup failed: {message}")
        return self

    async def __aexit__(self, *exc) -> None:
        await self.to_app.put({"type": "lifespan.shutdown"})
        await self.from_app.get()
        await self.task


async def run(args) -> None:
    from engagement.app import create_app

    app = create_app(rate_limit_per_minute=10**9)
    async with Lifespan(app):  # the SQLite pool, the channels plugin
        ids = await sample_ids(app)
        chosen = args.paths or [name for name in APP_PATHS if name != "mailbox-search"] + ["mailbox-search"]
        if args.profile:
            path = APP_PATHS[args.profile].format(**ids)
            await measure(app, path, 20)
            profiler = cProfile.Profile()
            profiler.enable()
            await measure(app, path, args.requests, args.after_change)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
            return
        time_template_renders()
        print(f"{'page':16} {'path':36} {'median ms':>10} {'p90 ms':>8} {'render ms':>10} {'queries':>8}"
              "  (CPU per request, in process, uncached; render: the Jinja template's part)")
        for name in chosen:
            path = APP_PATHS[name].format(**ids)
            times = await measure(app, path, args.requests, args.after_change)
            p90 = sorted(times)[int(len(times) * 0.9)]
            render = statistics.median(RENDER_TIMES) if RENDER_TIMES else 0.0
            queries = await count_queries(app, path)
            print(f"{name:16} {path[:36]:36} {statistics.median(times):10.2f} {p90:8.2f} {render:10.2f} {queries:8d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", nargs="+", choices=APP_PATHS)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", choices=APP_PATHS)
    parser.add_argument("--sort", default="tottime", help="pstats order of --profile: tottime, cumulative, ...")
    parser.add_argument("--top", type=int, default=30, help="lines of --profile")
    parser.add_argument("--after-change", action="store_true",
                        help="every request right after a change of the content (the statistics computed again)")
    parser.add_argument("--database", help="an already prepared SQLite file (default: a new one with the demo)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = app_environment(Path(tmp), workers=1, page_cache=False)
        env.setdefault("ENGAGEMENT_SECRET_KEY", secrets.token_urlsafe(36))
        if args.database:
            env["ENGAGEMENT_DATABASE_URL"] = f"sqlite:///{Path(args.database).resolve()}"
        elif not prepare_app(env):
            raise SystemExit(1)
        # Served as in production (templates not re-read from disk), on the demo's SQLite file; no SMS is sent.
        env.update(ENGAGEMENT_ENV="production", ENGAGEMENT_ALLOW_SQLITE="1", ENGAGEMENT_SMS_BACKEND="twilio",
                   TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="unused", TWILIO_FROM_NUMBER="+15005550006")
        os.environ.update(env)
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
