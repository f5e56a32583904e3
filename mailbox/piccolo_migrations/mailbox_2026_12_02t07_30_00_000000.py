"""PostgreSQL: two-character terms through pg_trgm on the letter's two-character words, not an array.

At 1,000,000 letters the array index (``mailbox_letter_search_bigrams``, ``string_to_array(search_bigrams)``)
gave PostgreSQL no statistics (a fixed guess of 0.5% of the letters), so a term found in 10% of them was
fetched through the index and sorted (seconds), and checking one letter against the array cost ~60 µs.
Its replacement indexes ``' ' || search_bigrams || ' '`` with pg_trgm: a term is ``LIKE '% 电梯 %'`` (one
whole word: exact), the index has ANALYZE statistics (it is not partial, and unpublished letters have no
words), so the planner walks the newest letters for common terms and uses the index for rare ones.
SQLite keeps its FTS5 tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T07:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "PostgreSQL: pg_trgm index over the padded two-character words of letters, instead of the array"

FORWARDS = [
    ("CREATE INDEX IF NOT EXISTS mailbox_letter_search_bigram_words ON mailbox_letter "
     "USING gin ((' ' || search_bigrams || ' ') gin_trgm_ops)"),
    "DROP INDEX IF EXISTS mailbox_letter_search_bigrams",
    "ANALYZE mailbox_letter",  # the new index's statistics, which the planner needs from the first search
]
BACKWARDS = [
    ("CREATE INDEX IF NOT EXISTS mailbox_letter_search_bigrams ON mailbox_letter "
     "USING gin (string_to_array(search_bigrams, ' ')) WHERE published"),
    "DROP INDEX IF EXISTS mailbox_letter_search_bigram_words",
]


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
