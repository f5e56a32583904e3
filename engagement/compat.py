"""The framework internals we override, in one place (docs/architecture.md, "Framework internals").

Each override is short, says why it exists and names the version whose source it was checked
against. tests/engagement/test_compat.py fails loudly when a private API changes shape: run it
after upgrading Litestar or Piccolo, and re-read the overridden source before changing the pins.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import FunctionType
from typing import Any

from jinja2 import Environment, pass_context, pass_environment, pass_eval_context
from jinja2.runtime import Context
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures.headers import MutableScopeHeaders
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import HTTPSendMessage, Scope, Send
from piccolo.columns.base import Column
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.reference import LazyTableReference
from piccolo.engine.sqlite import SQLiteEngine

from engagement.i18n import READS_NO_TEMPLATE_VARIABLES

LITESTAR_CHECKED = "2.25.0"
PICCOLO_CHECKED = "1.38.0"
JINJA_CHECKED = "3.1.6"

# (query, args) -> rows, for queries outside a transaction.
QueryRunner = Callable[[str, list[Any]], Awaitable[list[dict[str, Any]]]]


class LitestarWithoutWebsocketSendHooks(Litestar):
    """Litestar, with the ``before_send`` hooks kept off websocket frames.

    Overrides ``Litestar._wrap_send(send, scope)`` (private; Litestar 2.25.0), which wraps every ASGI
    ``send`` so that each message passes through the hooks. Ours only act on ``http.response.start``
    (response headers), yet every frame sent to every live viewer paid for them: about a tenth of the
    server's time in the live benchmark (docs/live_sessions.md).
    """

    def _wrap_send(self, send: Send, scope: Scope) -> Send:
        if scope["type"] == "websocket":
            return send
        return super()._wrap_send(send=send, scope=scope)


class SQLiteEngineWithQueryRunner(SQLiteEngine):
    """Piccolo's SQLite engine, whose queries outside transactions may run on a runner of our own.

    Overrides ``SQLiteEngine._run_in_new_connection(query, args, query_type, table)`` (private;
    Piccolo 1.38.0), which ``run_querystring`` and ``run_ddl`` call for every query outside a
    transaction and which opens a new aiosqlite connection (a new thread) each time. A subclass
    returns a runner from ``query_runner`` (engagement.db: a pool of open connections), or None to
    keep Piccolo's behaviour. Transactions are untouched (``_run_in_existing_connection``).
    """

    def query_runner(self) -> QueryRunner | None:
        return None

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None, query_type: str = "generic",
                                     table: Any = None) -> Any:
        runner = self.query_runner()
        if runner is None:
            return await super()._run_in_new_connection(query, args, query_type, table)
        return await runner(query, args or [])


def _foreign_key_getattribute(self: ForeignKey, name: str) -> Any:
    """``ForeignKey.__getattribute__`` (Piccolo 1.38.0), with its ``dir(self)`` call made only when it can matter.

    Piccolo's version calls ``dir(self)`` on every public attribute read of a foreign key (each
    ``Opinion.section.heading`` in a query, each column copy while building SQL: 20–25 calls per
    page), only to decide whether a lazily referenced table's proxy columns must be set up first. That
    check is cheap and rarely true, so it comes first here; the rest is Piccolo's method, unchanged
    (tests/engagement/test_compat.py pins its source).
    """
    if not name.startswith("_"):
        _set_lazy_proxy_columns(self, name)
    value = object.__getattribute__(self, name)
    if name.startswith("_"):
        return value
    if isinstance(value, object.__getattribute__(self, "__class__")):  # i.e. a ForeignKey
        return _joined_foreign_key(self, value)
    if issubclass(type(value), Column):
        new_column = value.copy()
        new_column._meta.call_chain = object.__getattribute__(self, "_meta").call_chain.copy()
        new_column._meta.call_chain.append(self)
        return new_column
    return value


def _set_lazy_proxy_columns(foreign_key: ForeignKey, name: str) -> None:
    try:
        meta = object.__getattribute__(foreign_key, "_foreign_key_meta")
    except AttributeError:
        return
    if meta.proxy_columns == [] and isinstance(meta.references, LazyTableReference) and name not in dir(foreign_key):
        object.__getattribute__(foreign_key, "set_proxy_columns")()


def _joined_foreign_key(parent: ForeignKey, value: ForeignKey) -> ForeignKey:
    new_column = value.copy()
    new_column._meta.call_chain.append(parent)
    if len(new_column._meta.call_chain) >= 10:
        raise Exception("Call chain too long!")  # noqa: TRY002 (Piccolo's own error, unchanged)
    foreign_key_meta = object.__getattribute__(new_column, "_foreign_key_meta")
    for proxy_column in foreign_key_meta.proxy_columns:
        try:
            delattr(new_column, proxy_column._meta.name)
        except Exception:  # noqa: BLE001, S110 (Piccolo's own handling, unchanged)
            pass
    foreign_key_meta.proxy_columns = []
    for column in value._foreign_key_meta.resolved_references._meta.columns:
        _column = column.copy()
        _column._meta.call_chain = list(new_column._meta.call_chain)
        setattr(new_column, _column._meta.name, _column)
        foreign_key_meta.proxy_columns.append(_column)
    return new_column


PICCOLO_FOREIGN_KEY_GETATTRIBUTE = ForeignKey.__getattribute__
ForeignKey.__getattribute__ = _foreign_key_getattribute  # type: ignore[method-assign]


# --- template function calls --------------------------------------------------------------------------------
# Jinja compiles every call in a template, ``{{ _("Home") }}`` or ``{{ static("css/site.css") }}``, to
# ``context.call(fn, ...)``, which asks ``hasattr(fn, "__call__")`` and twice for ``jinja_pass_arg`` before calling,
# and inside a ``{% for %}`` loop builds a whole derived Context for every ``pass_context`` function (so it sees
# the loop's variables): 60-100 calls a page, ~15% of home's CPU. The markers, read through Jinja's public decorators:
_PASS_CONTEXT = pass_context(lambda: None).jinja_pass_arg
_PASS_EVAL_CONTEXT = pass_eval_context(lambda: None).jinja_pass_arg
_PASS_ENVIRONMENT = pass_environment(lambda: None).jinja_pass_arg
# A pass_context function marked READS_NO_TEMPLATE_VARIABLES reads only the context's name and evaluation context,
# never its variables (the translations of engagement.i18n): in a loop it gets the context without a derived copy.


class FastCallContext(Context):
    """``Context.call`` (Jinja 3.1.6) with the same result, cheaper for plain Python functions.

    For a function (``types.FunctionType``: the globals and ``_`` of this project) the checks of ``Context.call``
    reduce to one ``jinja_pass_arg`` lookup, since a function's ``__call__`` never carries it; anything else
    (bound methods, macros, callable objects, builtins) goes through Jinja's own ``call``. Installed as the
    environment's ``context_class`` (a documented attribute) by ``engagement.templating.register_template_globals``.
    """

    def call(self, function, /, *args, **kwargs):  # positional-only: a template may pass any keyword
        if type(function) is not FunctionType:
            return Context.call(self, function, *args, **kwargs)
        pass_arg = getattr(function, "jinja_pass_arg", None)
        if kwargs:
            loop_vars = kwargs.pop("_loop_vars", None)
            block_vars = kwargs.pop("_block_vars", None)
        else:
            loop_vars = block_vars = None
        context = self
        if pass_arg is _PASS_CONTEXT:
            if (loop_vars or block_vars) and not getattr(function, READS_NO_TEMPLATE_VARIABLES, False):
                if loop_vars:
                    context = context.derived(loop_vars)
                if block_vars:
                    context = context.derived(block_vars)
            args = (context, *args)
        elif pass_arg is _PASS_EVAL_CONTEXT:
            args = (self.eval_ctx, *args)
        elif pass_arg is _PASS_ENVIRONMENT:
            args = (self.environment, *args)
        try:
            return function(*args, **kwargs)
        except StopIteration:
            return self.environment.undefined("value was undefined because a callable raised a StopIteration exception")


class EngagementEnvironment(Environment):
    """Jinja's environment, with each template's globals one plain dict instead of a ``ChainMap``.

    Every render copies its template's globals into the render's context (``dict(globals, **vars)``); over a
    ``ChainMap`` of 46 globals that is a Python-level lookup per name (~5% of the home page's CPU), over a dict
    a C copy. The difference: a global added to ``environment.globals`` after a template was loaded is not seen
    by that template, which Jinja already says not to do ("avoid modifying any globals after a template is
    loaded", ``Environment.make_globals``): ours are all set in :func:`create_app`, before the first render.
    """

    def make_globals(self, d):  # Jinja 3.1.6: ChainMap(d or {}, self.globals); same lookups, a copy
        return {**self.globals, **(d or {})}


# --- the CSRF cookie ----------------------------------------------------------------------------------------


def csrf_cookie_header(config: CSRFConfig, token: str) -> bytes:
    """The ``Set-Cookie`` value Litestar's CSRF middleware writes, written out.

    Litestar builds it as ``Cookie(...).to_header(header="")``: a dataclass turned into a dict with
    ``dataclasses.asdict``, then a ``SimpleCookie``, for every visitor who has no token yet (~9% of an uncached
    home page, ~20% of ``/healthz``, 5% of a cached hit). Same attributes in the same order; the token is
    hexadecimal, so nothing is quoted. (The page cache's own copy of this, until session 6, had them in another
    order.) tests/engagement/test_compat.py compares the two for every option.
    """
    parts = [f"{config.cookie_name}={token}"]  # then the attributes sorted by name, as Morsel.OutputString does
    if config.cookie_domain:
        parts.append(f"Domain={config.cookie_domain}")
    if config.cookie_httponly:
        parts.append("HttpOnly")
    parts.append(f"Path={config.cookie_path}")
    parts.append(f"SameSite={config.cookie_samesite}")
    if config.cookie_secure:
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")


def _set_csrf_cookie_if_needed(self: CSRFMiddleware, message: HTTPSendMessage, token: str) -> None:
    """``CSRFMiddleware._set_cookie_if_needed(message, token)`` (private; Litestar 2.25.0), same header."""
    MutableScopeHeaders.from_message(message).add("set-cookie", csrf_cookie_header(self.config, token).decode("latin-1"))


LITESTAR_SET_CSRF_COOKIE = CSRFMiddleware._set_cookie_if_needed
CSRFMiddleware._set_cookie_if_needed = _set_csrf_cookie_if_needed  # type: ignore[method-assign]
