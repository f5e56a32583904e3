"""The application factory: the core plus every installed module's manifest."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig
from redis.asyncio import Redis

from engagement import i18n
from engagement.admin import admin_mount
from engagement.compat import EngagementEnvironment, LitestarWithoutWebsocketSendHooks
from engagement.contract import ContractJsonRenderPlugin, document_errors
from engagement.db import PooledSQLiteEngine
from engagement.live import WebsocketsPerAddress, create_channels_plugin
from engagement.modules import load_task_modules, manifests
from engagement.page_cache import REDIS_GENERATION_KEY, PageCache, PageCacheMiddleware, flush_counted_hits
from engagement.ratelimit import AddressLimit, RateLimit
from engagement.resilience import CONNECT_TIMEOUT_SECONDS, REDIS_SOCKET_TIMEOUT_SECONDS, RedisWithFallbackStore
from engagement.sessions import RenewingSessionConfig
from engagement.settings import Settings, get_settings
from engagement.web import (
    EXCEPTION_HANDLERS,
    InFlight,
    ShedLoad,
    add_headers,
    apply_preferences,
    provide_citizen,
    provide_staff,
)

log = logging.getLogger("engagement")

FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"
SESSION_MAX_AGE = 8 * 3600
CSRF_COOKIE = "engagement_csrf"  # piccolo-admin uses "csrftoken" for its own
MAX_REQUEST_BODY_BYTES = 25 * 1024 * 1024


def template_environment() -> Environment:
    environment = EngagementEnvironment(
        loader=FileSystemLoader(str(FRONTEND_DIR / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install_fast_gettext(environment)
    return environment


def _stores(redis: Redis | None) -> StoreRegistry:
    if redis is None:
        return StoreRegistry(default_factory=lambda name: MemoryStore())
    root = RedisWithFallbackStore(RedisStore(redis, namespace="engagement"))  # in-process while Redis is down
    return StoreRegistry(default_factory=root.with_namespace)


class EngagementApp(LitestarWithoutWebsocketSendHooks):
    """Litestar, with the ``before_send`` hooks kept off websocket frames (engagement/compat.py)."""


def create_app(settings: Settings | None = None, rate_limit_per_minute: int | None = None) -> Litestar:
    """The application; ``rate_limit_per_minute`` defaults to ``ENGAGEMENT_RATE_LIMIT`` (0: no limit, for tests)."""
    settings = settings or get_settings()
    if rate_limit_per_minute is None:
        rate_limit_per_minute = settings.rate_limit
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
                           socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS) if settings.redis_url else None
    load_task_modules()
    template_engine = JinjaTemplateEngine.from_environment(template_environment())
    from engagement.templating import register_template_globals

    register_template_globals(template_engine.engine, settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        from piccolo.engine import engine_finder

        engine = engine_finder()
        # Only the first application in a process (per event loop, for SQLite) owns the pool (tests build several apps).
        if engine.engine_type == "postgres":
            pooled = getattr(engine, "pool", None) is None
        else:
            pooled = isinstance(engine, PooledSQLiteEngine) and not engine.has_pool()
        if pooled:
            await engine.start_connection_pool()
        try:
            yield
        finally:
            await flush_counted_hits()  # views served from the page cache since the last flush
            if pooled:
                await engine.close_connection_pool()
            if redis is not None:
                await redis.aclose()

    route_handlers = [handler for manifest in manifests() for handler in manifest.route_handlers]
    route_handlers.append(create_static_files_router(path="/static", directories=[FRONTEND_DIR / "static"],
                                                     include_in_schema=False, cache_control=None))
    route_handlers.append(admin_mount(settings))
    # Outermost first: refuse beyond capacity before anything else; cached pages still count against the rate limit.
    middleware = [DefineMiddleware(ShedLoad, gate=InFlight(settings.max_in_flight))]
    if rate_limit_per_minute:
        # Regular expressions searched in the path: anchored. The page cache's generation comes with the count.
        limit = AddressLimit(rate_limit_per_minute, redis, exclude=["^/static/", "^/healthz$"],
                             read_along=REDIS_GENERATION_KEY)
        middleware.append(DefineMiddleware(RateLimit, limit=limit))
    middleware.append(DefineMiddleware(PageCacheMiddleware, cache=PageCache(redis, ttl=settings.page_cache_seconds)))
    middleware.append(DefineMiddleware(WebsocketsPerAddress, limit=settings.ws_connections_per_address,
                                       open_sockets=Counter()))
    middleware.append(
        RenewingSessionConfig(
            key="session", max_age=SESSION_MAX_AGE, httponly=True, samesite="lax",
            secure=settings.is_production, store="sessions",
        ).middleware
    )
    app = EngagementApp(
        route_handlers=route_handlers,
        lifespan=[lifespan],
        debug=False,
        middleware=middleware,
        stores=_stores(redis),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=CSRF_COOKIE,
            cookie_secure=settings.is_production,
            cookie_httponly=False,
            header_name="x-csrftoken",
            # Regular expressions searched anywhere in the (decoded) path, so each is anchored at the start.
            exclude=["^/api/", "^/admin(/|$)", "^/schema(/|$)", "^/ws/", "^/dev/"],
        ),
        template_config=TemplateConfig(instance=template_engine),
        plugins=[create_channels_plugin(redis)],
        dependencies={"staff": Provide(provide_staff), "citizen": Provide(provide_citizen)},
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_request=apply_preferences,
        before_send=[partial(add_headers, hsts=settings.is_production)],
        request_max_body_size=MAX_REQUEST_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title=f"{settings.site_name} API",
            version="1",
            path="/schema",
            render_plugins=[ContractJsonRenderPlugin()],
        ),
    )
    document_errors(app)
    return app

