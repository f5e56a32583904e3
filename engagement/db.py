"""Database engines: SQLite (embedded default) or PostgreSQL, chosen by the URL."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from engagement.settings import Settings

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def engine_for(settings: Settings) -> Engine:
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        enable_wal(str(path))
        # The timeout is sqlite3's busy timeout: a writer waits for the lock instead of failing.
        return SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return PostgresEngine(config={"dsn": settings.database_url.replace("postgres://", "postgresql://", 1)})


def enable_wal(path: str) -> None:
    """WAL lets readers run beside the single writer; the mode is stored in the file."""
    with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def write_transaction(engine: Engine):
    """A transaction that takes the write lock at once on SQLite.

    A deferred SQLite transaction that reads and then writes can fail with
    "database is locked" without waiting; IMMEDIATE waits for the lock instead.
    """
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def database_label(url: str) -> str:
    """The URL without credentials, for logs."""
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        return url
    host = parsed.hostname or "localhost"
    return f"{parsed.scheme}://{host}:{parsed.port or 5432}{parsed.path}"
