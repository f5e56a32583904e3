"""Globals and filters every template can use: static URLs, navigation, preference links, times."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, pass_context

from engagement import clock, permissions
from engagement.compat import FastCallContext
from engagement.i18n import (
    HTML_LANG,
    LANGUAGES,
    current_language,
    current_module,
    module_of,
)
from engagement.modules import manifests
from engagement.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "frontend" / "static"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """/static/<path>?v=<content hash>, so browsers may cache assets forever."""
    file = STATIC_DIR / path
    version = hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.exists() else "0"
    return f"/static/{path}?v={version}"


@pass_context
def url_with(context, **params: str) -> str:
    """The current URL with some query parameters replaced (e.g. elder=1, lang=en)."""
    request = context.get("request")
    if request is None:
        return "?" + urlencode(params)
    query = [(k, v) for k, v in parse_qsl(request.url.query) if k not in params]
    query.extend((k, str(v)) for k, v in params.items())
    return f"{request.url.path}?{urlencode(query)}"


@pass_context
def preferences(context):
    request = context.get("request")
    from engagement.web import preferences_for

    return preferences_for(request.scope) if request is not None else None


# --- times ----------------------------------------------------------------------------------------------------
# Pure functions of the value and the format (engagement/clock.py), asked for the same few moments on every render
# of a page: memoised (a value that cannot be hashed is computed as before).
_TIME_CACHE_SIZE = 4096


def _memoised(function):
    cached = lru_cache(maxsize=_TIME_CACHE_SIZE)(function)

    def memoised(value, *args, **kwargs):
        try:
            return cached(value, *args, **kwargs)
        except TypeError:  # an unhashable value (or a wrong call, which then fails as before)
            return function(value, *args, **kwargs)

    memoised.__name__ = memoised.__qualname__ = function.__name__
    memoised.__doc__ = function.__doc__
    return memoised


_display = _memoised(clock.display)
_machine_datetime = _memoised(clock.machine_datetime)
_time_tag = _memoised(clock.time_tag)


# --- the page shell -----------------------------------------------------------------------------------------
SHELL_PARTS_KEPT = 1024  # least recently used first: random query strings cannot grow it without bound
# What base.html's header and footer read besides their arguments: while a page's context gives these names
# their usual values (the environment's globals), the same key gives the same HTML.
SHELL_READS = ("_", "url_with", "current_language", "nav_items", "site_name")
SHELL_TEMPLATE = "base.html"  # where the macros given to shell_part are defined


def shell_part_function(environment: Environment):
    """``{{ shell_part("header", shell_header, elder, current_path) }}``: the macro's HTML, kept per key.

    base.html's header and footer (skip link, tools, navigation, footer: some 30 template calls) depend only on
    the macro's arguments, the language, the module whose words come first (that of the page's template, else
    the request's), the escaping mode and the URL's path and query (``url_with``). Rendered once per such key,
    then served from an LRU of ``SHELL_PARTS_KEPT`` entries per environment. A context that gives one of
    ``SHELL_READS`` another value than the environment's global renders the macro as before.
    """
    kept: OrderedDict[tuple, object] = OrderedDict()
    globals_ = environment.globals

    @pass_context
    def shell_part(context, name: str, macro, *args):
        for read in SHELL_READS:
            if context.resolve_or_missing(read) is not globals_.get(read):
                return macro(*args)
        request = context.get("request")
        if request is None:
            where = None
        else:
            url = request.url
            where = (url.path, url.query)
        # In development templates are re-read when they change: the key then holds base.html's current version.
        version = environment.get_template(SHELL_TEMPLATE) if environment.auto_reload else None
        key = (name, args, current_language.get(), module_of(context.name) or current_module.get(),
               context.eval_ctx.autoescape, where, version)
        html = kept.get(key)
        if html is None:
            html = kept[key] = macro(*args)
            while len(kept) > SHELL_PARTS_KEPT:
                kept.popitem(last=False)
        else:
            with suppress(KeyError):  # dropped meanwhile by another thread's render
                kept.move_to_end(key)
        return html

    return shell_part


def register_time_filters(environment: Environment) -> None:
    """Times in Beijing for people, and valid ``datetime`` attribute values (engagement/clock.py).

    ``{{ value|date }}`` 2026-03-10, ``{{ value|datetime }}`` 2026-03-10 07:30,
    ``{{ value|localtime("seconds") }}`` any of ``clock.FORMATS``, ``{{ value|machine }}`` the attribute
    value, ``{{ time_tag(value, "date") }}`` the whole ``<time>`` element.
    """
    environment.filters.update(
        date=lambda value: _display(value, "date"),
        datetime=lambda value: _display(value, "datetime"),
        localtime=_display,
        machine=_machine_datetime,
    )
    environment.globals["time_tag"] = _time_tag


def register_template_globals(environment: Environment, settings: Settings) -> None:
    # Outside development the templates do not change while the process runs: no stat() of every template
    # (and of each one it extends or includes) on every render.
    environment.auto_reload = settings.env == "development"
    environment.context_class = FastCallContext
    register_time_filters(environment)
    environment.globals.update(
        static=static_url,
        url_with=url_with,
        preferences=preferences,
        site_name=settings.site_name,
        languages=LANGUAGES,
        html_lang=lambda: HTML_LANG.get(current_language.get(), "zh-CN"),
        current_language=current_language.get,
        nav_items=lambda: [item for manifest in manifests() for item in manifest.nav],
        is_development=settings.env == "development",
        # {% if can(staff, "letter.reply", letter.department) %}: the same answer the service gives.
        can=permissions.allowed,
    )
    for manifest in manifests():  # e.g. the modules' state enums, so templates compare with them
        environment.globals.update(manifest.template_globals)
    environment.globals["shell_part"] = shell_part_function(environment)
