"""Database engines: SQLite (embedded default) or PostgreSQL, chosen by the URL."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlparse

from piccolo.columns.combination import WhereRaw
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

from engagement.compat import QueryRunner, SQLiteEngineWithQueryRunner
from engagement.settings import Settings

log = logging.getLogger("engagement.db")

SQLITE_BUSY_TIMEOUT_SECONDS = 30
SQLITE_POOL_SIZE = 4  # readers run in parallel under WAL; more threads only contend for the GIL


def engine_for(settings: Settings) -> Engine:
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        enable_wal(str(path))
        # The timeout is sqlite3's busy timeout: a writer waits for the lock instead of failing.
        return PooledSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return PostgresEngine(config={"dsn": settings.database_url.replace("postgres://", "postgresql://", 1)})


class PooledSQLiteEngine(SQLiteEngineWithQueryRunner):
    """Piccolo's SQLite engine, with queries outside transactions on a few long-lived connections.

    Piccolo opens a new aiosqlite connection (a new thread) for every query: about seven hand-offs
    between the event loop and threads per query. While the web app runs (``start_connection_pool``
    in its lifespan), each query is one hand-off to a connection kept open in its own thread.
    Elsewhere (the command line, migrations) Piccolo's own behaviour stays. Transactions keep
    Piccolo's connection per transaction.
    """

    def __init__(self, *args: Any, pool_size: int = SQLITE_POOL_SIZE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool_size = pool_size
        self._pools: dict[int, _SQLitePool] = {}

    def has_pool(self) -> bool:
        return id(asyncio.get_running_loop()) in self._pools

    async def start_connection_pool(self, **_: Any) -> None:
        self._pools[id(asyncio.get_running_loop())] = _SQLitePool(self.connection_kwargs, self.pool_size)

    async def close_connection_pool(self) -> None:
        pool = self._pools.pop(id(asyncio.get_running_loop()), None)
        if pool is not None:
            await pool.close()

    def query_runner(self) -> QueryRunner | None:
        """This loop's pool, if the web app started one (engagement.compat: Piccolo's private hook)."""
        pool = self._pools.get(id(asyncio.get_running_loop()))
        return pool.run if pool is not None else None


class _SQLiteWorker:
    """One connection, used only from its own thread (sqlite3 connections belong to one thread)."""

    def __init__(self, connection_kwargs: dict[str, Any]) -> None:
        self.connection_kwargs = connection_kwargs
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self.connection: sqlite3.Connection | None = None

    def execute(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        if self.connection is None:
            # isolation_level=None (Piccolo's default): autocommit, as Piccolo's own per-query connections.
            self.connection = sqlite3.connect(**self.connection_kwargs)
            self.connection.row_factory = dict_factory
            self.connection.execute("PRAGMA foreign_keys = 1")
        cursor = self.connection.execute(query, args)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class _SQLitePool:
    def __init__(self, connection_kwargs: dict[str, Any], size: int) -> None:
        self.workers = [_SQLiteWorker(connection_kwargs) for _ in range(size)]
        self.idle: asyncio.Queue[_SQLiteWorker] = asyncio.Queue()
        for worker in self.workers:
            self.idle.put_nowait(worker)

    async def run(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        worker = await self.idle.get()
        try:
            return await asyncio.get_running_loop().run_in_executor(worker.executor, worker.execute, query, args)
        finally:
            self.idle.put_nowait(worker)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        for worker in self.workers:
            await loop.run_in_executor(worker.executor, worker.close)
            worker.executor.shutdown(wait=False)


def enable_wal(path: str) -> None:
    """WAL lets readers run beside the single writer; the mode is stored in the file."""
    with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


@asynccontextmanager
async def write_transaction(engine: Engine) -> AsyncIterator[Any]:
    """A transaction that takes the write lock at once on SQLite.

    A deferred SQLite transaction that reads and then writes can fail with
    "database is locked" without waiting; IMMEDIATE waits for the lock instead.
    Writers of one process also queue on an asyncio lock first: SQLite's busy handler
    waits by sleeping up to 100 ms at a time, so writers contending inside SQLite
    lose whole seconds under load (docs/architecture.md). Other processes still
    meet the busy timeout.
    """
    if not isinstance(engine, SQLiteEngine):
        async with engine.transaction() as transaction:
            yield transaction
        return
    if engine.current_transaction.get() is not None:  # nested: the outer one holds the lock
        async with engine.transaction(transaction_type=TransactionType.immediate) as transaction:
            yield transaction
        return
    async with _process_write_lock(engine), engine.transaction(transaction_type=TransactionType.immediate) as transaction:
        yield transaction


Effect = Callable[[], Awaitable[Any]]
_pending_effects: ContextVar[list[Effect] | None] = ContextVar("engagement_pending_effects", default=None)
_commit_listeners: list[Callable[[], None]] = []


def on_commit(listener: Callable[[], None]) -> None:
    """Call ``listener()`` after every unit of work of this process commits (the page cache's invalidation)."""
    if listener not in _commit_listeners:
        _commit_listeners.append(listener)


@asynccontextmanager
async def unit_of_work():
    """One write transaction whose ``after_commit`` effects run once it has committed.

    Nested units join the outer one: their effects wait for the outermost commit.
    """
    if _pending_effects.get() is not None:
        yield
        return
    engine = engine_finder()
    if engine.current_transaction.get() is not None:
        raise RuntimeError("open the outer transaction with unit_of_work(), so side effects wait for its commit")
    effects: list[Effect] = []
    token = _pending_effects.set(effects)
    try:
        async with write_transaction(engine):
            yield
    finally:
        _pending_effects.reset(token)
    for listener in _commit_listeners:
        listener()
    for effect in effects:
        await _run_effect(effect)


async def after_commit(effect: Effect) -> None:
    """Run ``effect`` after the current unit of work commits (at once when there is none)."""
    effects = _pending_effects.get()
    if effects is None:
        await _run_effect(effect)
    else:
        effects.append(effect)


async def _run_effect(effect: Effect) -> None:
    # The change is committed and acknowledged: a failing effect must not turn it into an error.
    # Effects are idempotent and swept up later (e.g. queued SMS are re-enqueued by a scheduled job).
    try:
        await effect()
    except Exception:
        log.exception("side effect %r failed after commit", effect)


async def lock_row_for_update(table: Any, row_id: int) -> None:
    """Inside a write transaction: make other writers of this row wait until it ends.

    For check-then-insert rules (e.g. "at most 3 questions a minute per citizen") under PostgreSQL's
    READ COMMITTED. SQLite needs nothing: its IMMEDIATE write transaction already serialises writers.
    """
    if table._meta.db.engine_type == "sqlite":
        return
    await table.select(table.id).where(table.id == row_id).lock_rows("UPDATE")


def contains(column: Any, text: str) -> WhereRaw:
    """``column`` contains ``text`` (``%`` and ``_`` taken literally; Latin letters in either case).

    ILIKE on PostgreSQL; LIKE on SQLite, which ignores ASCII case already and has no ILIKE.
    """
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    meta = column._meta
    operator = "LIKE" if meta.table._meta.db.engine_type == "sqlite" else "ILIKE"
    name = f'"{meta.table._meta.tablename}"."{meta.db_column_name}"'
    return WhereRaw(f"{name} {operator} {{}} ESCAPE '\\'", f"%{escaped}%")


_write_locks: dict[tuple[int, str], asyncio.Lock] = {}


def _process_write_lock(engine: SQLiteEngine) -> asyncio.Lock:
    key = (id(asyncio.get_running_loop()), engine.path)
    lock = _write_locks.get(key)
    if lock is None:
        lock = _write_locks[key] = asyncio.Lock()
    return lock


def database_label(url: str) -> str:
    """The URL without credentials, for logs."""
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        return url
    host = parsed.hostname or "localhost"
    return f"{parsed.scheme}://{host}:{parsed.port or 5432}{parsed.path}"
