"""The framework internals we override, in one place (docs/architecture.md, "Framework internals").

Each override is short, says why it exists and names the version whose source it was checked
against. tests/engagement/test_compat.py fails loudly when a private API changes shape: run it
after upgrading Litestar or Piccolo, and re-read the overridden source before changing the pins.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar
from litestar.types import Scope, Send
from piccolo.columns.base import Column
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.reference import LazyTableReference
from piccolo.engine.sqlite import SQLiteEngine

LITESTAR_CHECKED = "2.25.0"
PICCOLO_CHECKED = "1.38.0"

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
