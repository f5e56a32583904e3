"""A short-lived cache of public pages for anonymous visitors, with ETag, Last-Modified and 304 answers.

Hot public pages (home, lists, a consultation, a live session, /statistics) are mostly read by people
who are not logged in and have verified nothing, and between two changes of the content every one of
them gets the same HTML. :class:`PageCacheMiddleware` keeps that HTML for ``ttl`` seconds:

- **Key**: path + query string + language + elder mode (method GET; HEAD is answered from a GET entry).
- **Who is served from the cache**: a request with no ``Authorization`` header and no session cookie
  (staff log in and citizens verify through the session, so neither is ever served a cached page, nor
  anyone with a draft or a notice in their session). Paths of the back office, the API, the login and
  verification pages, the admin and the development outbox are never cached, nor any route whose handler
  says ``opt={"page_cache": False}``.
- **What is stored**: 200 ``text/html`` responses whose handler did not write the session, without any
  ``Set-Cookie`` (the visitor's own cookies are added when each copy is sent). A page with a form carries
  the visitor's CSRF token: it is stored with a placeholder in its place, and every copy gets the token of
  the visitor it is sent to (from their CSRF cookie, or a new one set with the answer), so no two visitors
  share a token and forms keep working.
- **Invalidation**: every entry remembers the *content generation* it was rendered in and is served only
  while that generation is current and its ``ttl`` has not passed. The generation moves on after every
  committed unit of work in this process (``engagement.db.unit_of_work``, which services, eager jobs and
  test factories use) and before the answer to every request that may write (POST, PUT, PATCH, DELETE) is
  sent. With ``ENGAGEMENT_REDIS_URL`` the write requests also bump a counter in Redis that every web
  process reads, so all processes invalidate together. Changes made elsewhere (Celery workers, the clock:
  a consultation closing at its deadline) appear when the entry expires, within ``ttl`` seconds.
- **Conditional requests**: each answer has an ``ETag`` (a hash of the stored page, plus a hash of the
  visitor's CSRF token on pages with a form) and ``Last-Modified`` (when it was rendered);
  ``If-None-Match`` and, on pages without a form, ``If-Modified-Since`` are answered 304.
- **Counting**: a route that counts its views gives ``opt={"page_cache_hits": fn}``; the views served
  from the cache, and those the route renders (it calls ``count_view``), are added up in memory and handed
  to ``await fn(path_params, views)`` within ``HIT_FLUSH_SECONDS``.

Concurrent misses of one key render once (the others wait for that render, then are served its copy).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any

from litestar.middleware.csrf import generate_csrf_token
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from redis.asyncio import Redis

from engagement import db
from engagement.compat import csrf_cookie_header
from engagement.ratelimit import SHARED_READ
from engagement.resilience import REDIS_ERRORS
from engagement.web import preferences_for

log = logging.getLogger("engagement.page_cache")

DEFAULT_TTL_SECONDS = 10
MAX_ENTRIES = 512  # least recently used entries go first: random query strings cannot grow it without bound
MAX_BODY_BYTES = 1024 * 1024
HIT_FLUSH_SECONDS = 2.0
MISS_WAIT_SECONDS = 5.0
REDIS_GENERATION_KEY = "engagement:page-cache:generation"
REDIS_RETRY_SECONDS = 5.0
NEVER_CACHED_PREFIXES = ("/api/", "/staff", "/admin", "/login", "/logout", "/verify", "/dev/", "/ws/", "/schema",
                         "/static/", "/healthz")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_TOKEN = re.compile(r"[0-9a-f]{128}")  # what litestar.middleware.csrf.generate_csrf_token makes
PLACEHOLDER = b"\x00engagement-csrf-token\x00"
SESSION_COOKIE = "session"
DROPPED_HEADERS = frozenset({b"set-cookie", b"content-length", b"etag", b"last-modified", b"cache-control"})


# --- content generation ---------------------------------------------------------------------------

_local_generation = 0


def content_changed() -> None:
    """The content may have changed in this process: no page rendered before is served again."""
    global _local_generation
    _local_generation += 1


db.on_commit(content_changed)


def local_generation() -> int:
    """This process's content generation: it moves on with every commit and every write request here."""
    return _local_generation


class Generation:
    """This process's counter, plus the one all processes share in Redis when there is Redis.

    While Redis cannot be reached (tried again every ``REDIS_RETRY_SECONDS``) there is no current
    generation: pages are rendered for everyone, since another process's writes could not be seen.
    """

    def __init__(self, redis: Redis | None) -> None:
        self.redis = redis
        self.redis_down_until = 0.0

    async def current(self, scope: Scope) -> tuple[int, int] | None:
        local = _local_generation
        if self.redis is None:
            return local, 0
        if SHARED_READ in scope:  # read by the rate limit at the start of this request, in its round trip
            return local, int(scope.pop(SHARED_READ) or 0)
        if time.monotonic() < self.redis_down_until:
            return None
        try:
            shared = await self.redis.get(REDIS_GENERATION_KEY)
        except REDIS_ERRORS as error:
            self._down(error)
            return None
        return local, int(shared or 0)

    async def bump(self) -> None:
        content_changed()
        if self.redis is None:
            return
        try:
            await self.redis.incr(REDIS_GENERATION_KEY)
        except REDIS_ERRORS as error:  # the write succeeded; other processes render until Redis is back
            self._down(error)

    def _down(self, error: Exception) -> None:
        if time.monotonic() >= self.redis_down_until:
            log.warning("Redis unavailable (%s): pages are not cached for %.0f s", error, REDIS_RETRY_SECONDS)
        self.redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS


# --- entries ----------------------------------------------------------------------------------------


class _Rendering(asyncio.Event):
    """Set when the first visitor's render of a page is done; ``kept`` when it went into the cache."""

    kept = False


@dataclass(frozen=True)
class Entry:
    body: bytes  # with PLACEHOLDER where the visitor's CSRF token goes
    headers: tuple[tuple[bytes, bytes], ...]
    etag: str
    last_modified: str
    rendered_at: float
    expires: float  # time.monotonic()
    generation: tuple[int, int]
    has_token: bool

    def body_for(self, token: str | None) -> bytes:
        return self.body.replace(PLACEHOLDER, token.encode()) if self.has_token and token else self.body

    def etag_for(self, token: str | None) -> str:
        if not self.has_token:
            return f'"{self.etag}"'
        return f'"{self.etag}-{hashlib.sha256((token or "").encode()).hexdigest()[:12]}"'


class PageCache:
    """The entries of one application, least recently used first."""

    def __init__(self, redis: Redis | None, ttl: float = DEFAULT_TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.generation = Generation(redis)
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.rendering: dict[tuple, _Rendering] = {}

    def get(self, key: tuple, generation: tuple[int, int]) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.generation != generation or entry.expires <= time.monotonic():
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple, entry: Entry) -> None:
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)


HitCounter = Callable[[dict[str, Any], int], Awaitable[Any]]
VIEW_FLUSH_TASK = "engagement.page_cache: count views"  # the task's name (tests leave its statements out of a request's)
_pending_hits: dict[tuple[HitCounter, tuple], int] = {}
_scheduled_flush: asyncio.TimerHandle | None = None
_flushing: set[asyncio.Task] = set()  # keeps the flushing tasks referenced until they finish


def count_view(scope: Scope) -> None:
    """One view of a route that counts its views (``opt={"page_cache_hits": fn}``), served from the cache or
    rendered: added up in memory and handed to ``fn`` within ``HIT_FLUSH_SECONDS`` (and at shutdown), so that
    no page view waits for a write. A view is a figure, not a submission: those of the last seconds before a
    crash may be lost."""
    counter = getattr(scope.get("route_handler"), "opt", {}).get("page_cache_hits")
    if counter is None:
        return
    key = (counter, tuple(sorted(scope.get("path_params", {}).items())))
    _pending_hits[key] = _pending_hits.get(key, 0) + 1
    global _scheduled_flush
    loop = asyncio.get_running_loop()
    if _scheduled_flush is None or _scheduled_flush.when() < loop.time():
        # A handle whose time has passed belongs to a loop that stopped before it ran (tests run several loops).
        # The flush runs in a context of its own: it belongs to no request.
        _scheduled_flush = loop.call_later(HIT_FLUSH_SECONDS, _start_flush, context=contextvars.Context())


def _start_flush() -> None:
    global _scheduled_flush
    _scheduled_flush = None
    task = asyncio.get_running_loop().create_task(flush_counted_hits(), name=VIEW_FLUSH_TASK)
    _flushing.add(task)
    task.add_done_callback(_flushing.discard)


def discard_counted_views() -> None:
    """Forget the views not yet handed on (tests: the records they counted are gone)."""
    _pending_hits.clear()


async def flush_counted_hits() -> None:
    """Hand the views counted so far to their routes' counters (also called at shutdown)."""
    hits = dict(_pending_hits)
    _pending_hits.clear()
    for (counter, params), views in hits.items():
        try:
            await counter(dict(params), views)
        except Exception:  # counting views must never break pages
            log.exception("counting %d views with %r failed", views, counter)


# --- the middleware -------------------------------------------------------------------------------


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookies(scope: Scope) -> dict[str, str]:
    raw = "; ".join(value.decode("latin-1") for key, value in scope.get("headers", ()) if key == b"cookie")
    if not raw:
        return {}
    parsed = SimpleCookie()
    try:
        parsed.load(raw)
    except CookieError:  # a malformed cookie header: treat the visitor as one we cannot serve from the cache
        return {"": ""}
    return {key: morsel.value for key, morsel in parsed.items()}


def _csrf_cookie_name(scope: Scope) -> str | None:
    config = getattr(scope.get("app"), "csrf_config", None)
    return config.cookie_name if config is not None else None


class PageCacheMiddleware:
    """ASGI middleware (inside the rate limit, outside the session middleware): see the module docstring."""

    def __init__(self, app: ASGIApp, cache: PageCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method in WRITE_METHODS:
            await self.app(scope, receive, self._bumping(send))
            return
        visitor = self._anonymous_visitor(scope) if method in {"GET", "HEAD"} else None
        if visitor is None:
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        deadline = time.monotonic() + MISS_WAIT_SECONDS
        while True:
            generation = await self.cache.generation.current(scope)  # read before rendering: see Entry.generation
            if generation is None:
                await self.app(scope, receive, send)
                return
            entry = self.cache.get(key, generation)
            if entry is not None:
                count_view(scope)
                await self._send_entry(entry, scope, send, visitor)
                return
            rendering = self.cache.rendering.get(key)
            if rendering is None or method == "HEAD" or time.monotonic() >= deadline:
                break
            try:  # someone is rendering this page: wait for their copy rather than render it again
                await asyncio.wait_for(rendering.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
            if not rendering.kept:
                break  # not a page for the cache (e.g. a 404): render for this visitor, beside the others
            # Kept: look again (the content may have changed meanwhile, then someone renders it anew).
        if method == "HEAD":
            await self.app(scope, receive, send)
            return
        await self._render_and_keep(scope, receive, send, key, generation, visitor)

    def _bumping(self, send: Send) -> Send:
        """Invalidate once the handler is done (its transaction has committed) and before the client hears back."""

        async def bumping_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self.cache.generation.bump()
            await send(message)

        return bumping_send

    def _anonymous_visitor(self, scope: Scope) -> dict[str, str] | None:
        """The visitor's cookies when the page may come from the cache for them, else None."""
        if self.cache.ttl <= 0 or scope.get("path", "").startswith(NEVER_CACHED_PREFIXES):
            return None
        handler = scope.get("route_handler")
        if handler is None or getattr(handler, "opt", {}).get("page_cache") is False:
            return None
        if _header(scope, b"authorization") is not None:
            return None
        cookies = _cookies(scope)
        if "" in cookies or cookies.get(SESSION_COOKIE, "null") != "null":
            return None
        csrf_name = _csrf_cookie_name(scope)
        token = cookies.get(csrf_name) if csrf_name else None
        if token is not None and not CSRF_TOKEN.fullmatch(token):
            return None  # a token Litestar did not make: let the CSRF middleware deal with it
        return cookies

    @staticmethod
    def _key(scope: Scope) -> tuple:
        preferences = preferences_for(scope)
        return scope.get("raw_path") or scope["path"], scope.get("query_string", b""), preferences.language, preferences.elder

    async def _send_entry(self, entry: Entry, scope: Scope, send: Send, cookies: dict[str, str]) -> None:
        csrf_name = _csrf_cookie_name(scope)
        token = cookies.get(csrf_name) if csrf_name else None
        new_cookie = None
        if entry.has_token and token is None:
            token = generate_csrf_token(secret=scope["app"].csrf_config.secret)
            new_cookie = csrf_cookie_header(scope["app"].csrf_config, token)
        etag = entry.etag_for(token)
        headers = [*entry.headers, (b"etag", etag.encode()), (b"last-modified", entry.last_modified.encode()),
                   (b"cache-control", b"private, no-cache")]
        if new_cookie is not None:
            headers.append((b"set-cookie", new_cookie))
        if self._not_modified(scope, entry, etag, new_cookie is not None):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.body_for(token)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    @staticmethod
    def _not_modified(scope: Scope, entry: Entry, etag: str, new_token: bool) -> bool:
        if new_token:  # the copy the browser holds has another token in its form
            return False
        if_none_match = _header(scope, b"if-none-match")
        if if_none_match is not None:
            return etag in {value.strip().removeprefix("W/") for value in if_none_match.split(",")} or \
                if_none_match.strip() == "*"
        if_modified_since = _header(scope, b"if-modified-since")
        if if_modified_since is None or entry.has_token:
            return False
        try:
            return parsedate_to_datetime(if_modified_since).timestamp() >= int(entry.rendered_at)
        except (TypeError, ValueError):
            return False

    async def _render_and_keep(self, scope: Scope, receive: Receive, send: Send, key: tuple,
                               generation: tuple[int, int], cookies: dict[str, str]) -> None:
        """Render for this visitor; keep a copy when the answer is the same for every anonymous visitor."""
        done = None if key in self.cache.rendering else self.cache.rendering.setdefault(key, _Rendering())
        capture = _Capture(send)
        try:
            await self.app(scope, receive, capture.send)
            entry = capture.entry(scope, cookies, generation, self.cache.ttl)
            if entry is not None:
                self.cache.put(key, entry)
                if done is not None:
                    done.kept = True
            await capture.finish(entry)
        finally:
            if done is not None:
                del self.cache.rendering[key]
                done.set()


class _Capture:
    """Holds back an HTML answer until it is complete, so it can be kept; anything else streams through."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.passing = False
        self.complete = False
        self.token: str | None = None

    async def send(self, message: Message) -> None:
        if self.passing:
            await self._send(message)
        elif message["type"] == "http.response.start":
            self.start = message
            if not self._keepable_start(message):
                self.passing = True
                await self._send(message)
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            self.complete = not message.get("more_body", False)
            if sum(map(len, self.chunks)) > MAX_BODY_BYTES:
                await self._release()
        else:
            await self._send(message)

    @staticmethod
    def _keepable_start(message: Message) -> bool:
        if message["status"] != 200:
            return False
        headers = dict(message.get("headers", ()))
        return headers.get(b"content-type", b"").startswith(b"text/html") and b"cache-control" not in headers

    async def _release(self) -> None:
        self.passing = True
        await self._send(self.start)
        for chunk in self.chunks:
            await self._send({"type": "http.response.body", "body": chunk, "more_body": True})
        self.chunks = []

    def entry(self, scope: Scope, cookies: dict[str, str], generation: tuple[int, int], ttl: float) -> Entry | None:
        if self.passing or not self.complete or self.start is None:
            return None
        headers = self.start.get("headers", ())
        set_cookies = [value.decode("latin-1") for name, value in headers if name.lower() == b"set-cookie"]
        if any(_sets_session(value) for value in set_cookies):
            return None  # the handler put something in this visitor's session: the page is theirs
        token = self.token = _visitor_token(scope, cookies, set_cookies)
        body = b"".join(self.chunks)
        has_token = bool(token) and token.encode() in body
        stored = body.replace(token.encode(), PLACEHOLDER) if has_token else body
        now = time.time()
        return Entry(
            body=stored,
            headers=tuple((name, value) for name, value in headers if name.lower() not in DROPPED_HEADERS),
            etag=hashlib.sha256(stored).hexdigest()[:20],
            last_modified=formatdate(now, usegmt=True),
            rendered_at=now,
            expires=time.monotonic() + ttl,
            generation=generation,
            has_token=has_token,
        )

    async def finish(self, entry: Entry | None) -> None:
        """Send the held answer (with the cache's validators when it was kept)."""
        if self.passing:
            return
        headers = list(self.start.get("headers", ()))
        if entry is not None:
            headers = [(n, v) for n, v in headers if n not in {b"etag", b"last-modified", b"cache-control"}]
            headers += [(b"etag", entry.etag_for(self.token).encode()), (b"last-modified", entry.last_modified.encode()),
                        (b"cache-control", b"private, no-cache")]
        await self._send({**self.start, "headers": headers})
        await self._send({"type": "http.response.body", "body": b"".join(self.chunks)})


def _sets_session(set_cookie: str) -> bool:
    name, _sep, rest = set_cookie.partition("=")
    return name.strip() == SESSION_COOKIE and not rest.startswith("null")


def _visitor_token(scope: Scope, cookies: dict[str, str], set_cookies: list[str]) -> str | None:
    """The CSRF token this visitor's page was rendered with: their cookie's, or the one set with the answer."""
    name = _csrf_cookie_name(scope)
    if name is None:
        return None
    if cookies.get(name):
        return cookies[name]
    for value in set_cookies:
        cookie_name, _sep, rest = value.partition("=")
        if cookie_name.strip() == name:
            return rest.split(";", 1)[0].strip().strip('"')
    return None
