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
