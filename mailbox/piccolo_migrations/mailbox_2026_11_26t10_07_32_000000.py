"""Search indexes for published letters: on SQLite two FTS5 tables kept by triggers (trigrams for terms of three
characters or more, two-character words for two-character terms), on PostgreSQL pg_trgm."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T10:07:32:000000"
VERSION = "1.38.0"
DESCRIPTION = "Search index of published letters (FTS5 trigram and bigram on SQLite, pg_trgm on PostgreSQL)"


def _fts(table: str, column: str, tokenizer: str) -> list[str]:
    """An external-content FTS5 table over ``mailbox_letter.column``, holding published letters only."""
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5("
        f"{column}, content='mailbox_letter', content_rowid='id', tokenize='{tokenizer}')",
        f"CREATE TRIGGER IF NOT EXISTS {table}_insert AFTER INSERT ON mailbox_letter WHEN new.published "
        f"BEGIN INSERT INTO {table}(rowid, {column}) VALUES (new.id, new.{column}); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_delete AFTER DELETE ON mailbox_letter WHEN old.published "
        f"BEGIN INSERT INTO {table}({table}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_update AFTER UPDATE OF published, {column} ON mailbox_letter "
        "BEGIN "
        f"INSERT INTO {table}({table}, rowid, {column}) SELECT 'delete', old.id, old.{column} WHERE old.published; "
        f"INSERT INTO {table}(rowid, {column}) SELECT new.id, new.{column} WHERE new.published; "
        "END",
    ]


SQLITE_FORWARDS = _fts("mailbox_letter_fts", "search_text", "trigram") + _fts(
    "mailbox_letter_bigram", "search_bigrams", "unicode61")

SQLITE_BACKWARDS = [
    f"DROP {kind} IF EXISTS {table}{suffix}"
    for table in ("mailbox_letter_fts", "mailbox_letter_bigram")
    for kind, suffix in (("TRIGGER", "_update"), ("TRIGGER", "_delete"), ("TRIGGER", "_insert"), ("TABLE", ""))
]
POSTGRES_FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS mailbox_letter_search_trgm ON mailbox_letter "
    "USING gin (search_text gin_trgm_ops) WHERE published",
]
POSTGRES_BACKWARDS = ["DROP INDEX IF EXISTS mailbox_letter_search_trgm"]


async def _run(statements_by_engine: dict[str, list[str]]) -> None:
    engine = engine_finder()
    for statement in statements_by_engine["sqlite" if engine.engine_type == "sqlite" else "postgres"]:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="mailbox", description=DESCRIPTION)

    async def run():
        await _run({"sqlite": SQLITE_FORWARDS, "postgres": POSTGRES_FORWARDS})

    async def run_backwards():
        await _run({"sqlite": SQLITE_BACKWARDS, "postgres": POSTGRES_BACKWARDS})

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
