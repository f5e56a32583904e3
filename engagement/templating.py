"""Globals and filters every template can use: static URLs, navigation, preference links, times."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, pass_context

from engagement import clock, permissions
from engagement.i18n import HTML_LANG, LANGUAGES, current_language
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


def register_time_filters(environment: Environment) -> None:
    """Times in Beijing for people, and valid ``datetime`` attribute values (engagement/clock.py).

    ``{{ value|date }}`` 2026-03-10, ``{{ value|datetime }}`` 2026-03-10 07:30,
    ``{{ value|localtime("seconds") }}`` any of ``clock.FORMATS``, ``{{ value|machine }}`` the attribute
    value, ``{{ time_tag(value, "date") }}`` the whole ``<time>`` element.
    """
    environment.filters.update(
        date=lambda value: clock.display(value, "date"),
        datetime=lambda value: clock.display(value, "datetime"),
        localtime=clock.display,
        machine=clock.machine_datetime,
    )
    environment.globals["time_tag"] = clock.time_tag


def register_template_globals(environment: Environment, settings: Settings) -> None:
    # Outside development the templates do not change while the process runs: no stat() of every template
    # (and of each one it extends or includes) on every render.
    environment.auto_reload = settings.env == "development"
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
