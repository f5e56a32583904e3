"""PostgreSQL: a text-search index over the letters' two-character words, to intersect several terms.

Two common words that never occur together (电梯 停车位, each in 10% of 1,000,000 letters) took 0.4-0.9 s:
the pg_trgm indexes give every letter holding either word, and each one is read and rechecked. The words as
text-search lexemes (``to_tsvector('simple', search_bigrams)``, a GIN index keeping their places) are
intersected inside the index, and a term of three characters or more is its words side by side
(停车 <-> 车位). Used by mailbox.search.all_words_condition; SQLite keeps its FTS5 tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "PostgreSQL: text-search GIN index over the two-character words of letters"

FORWARDS = [
    ("CREATE INDEX IF NOT EXISTS mailbox_letter_search_words ON mailbox_letter "
     "USING gin (to_tsvector('simple', search_bigrams))"),
    "ANALYZE mailbox_letter",
]
BACKWARDS = ["DROP INDEX IF EXISTS mailbox_letter_search_words"]


async def _run(statements: list[str]) -> None:
    engine = engine_finder()
    if engine.engine_type == "postgres":
        for statement in statements:
            await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="mailbox", description=DESCRIPTION)

    async def run():
        await _run(FORWARDS)

    async def run_backwards():
        await _run(BACKWARDS)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
