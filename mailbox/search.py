"""Keyword search over published letters, substring-correct for Chinese.

SQLite: an FTS5 table with the trigram tokenizer (``mailbox_letter_fts``, kept in step with
``mailbox_letter.search_text`` by triggers made in the migration) answers terms of three or more
characters; trigrams cannot answer shorter terms, so two-character terms (common in Chinese: 噪音, 电梯) are
looked up as words in a second FTS5 table over the same text cut into overlapping two-character
words (``mailbox_letter_bigram``), and anything else shorter (one character, punctuation) falls
back to ``LIKE`` on the text. PostgreSQL: two-character terms are one element of the same
two-character words as an array with a GIN index (``mailbox_letter_search_bigrams``); other terms
are ``LIKE`` on ``search_text`` with the pg_trgm GIN index (``ILIKE`` only when the term has letters
with case: on Chinese text ILIKE's recheck costs about twice as much). Narrowing longer terms by the
array as well was slower: PostgreSQL misjudges how many letters match an array and sorts them all.

Several terms separated by spaces must all occur. The text is the masked public version only.
"""

from __future__ import annotations

from piccolo.columns.combination import WhereRaw

from mailbox.tables import Letter

TRIGRAM = 3
MAX_TERMS = 5
MAX_TERM_LENGTH = 50


def terms_of(query: str | None) -> list[str]:
    return [term[:MAX_TERM_LENGTH] for term in (query or "").split()][:MAX_TERMS]


def bigrams(text: str) -> str:
    """Every pair of adjacent letters or digits as one word: 电梯故障 -> "电梯 梯故 故障" (lower case)."""
    text = text.lower()
    return " ".join(text[index : index + 2] for index in range(len(text) - 1)
                    if text[index].isalnum() and text[index + 1].isalnum())


def _is_sqlite() -> bool:
    return Letter._meta.db.engine_type == "sqlite"


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _index_for(term: str) -> tuple[str, str] | None:
    """(FTS table, MATCH expression) answering ``term`` on SQLite, or None when only LIKE can."""
    if len(term) >= TRIGRAM:
        return "mailbox_letter_fts", '"' + term.replace('"', '""') + '"'
    if len(term) == 2 and term.isalnum():
        return "mailbox_letter_bigram", '"' + term.lower() + '"'
    return None


async def count_in_index(term: str) -> int | None:
    """How many published letters contain ``term``, counted in the SQLite index alone (it holds published
    letters only), or None when that is not possible (PostgreSQL, or a term only LIKE answers)."""
    if not _is_sqlite() or (index := _index_for(term)) is None:
        return None
    table, expression = index
    rows = await Letter.raw(f"SELECT count(*) AS n FROM {table} WHERE {table} MATCH {{}}", expression)
    return int(rows[0]["n"])


def _postgres_condition(term: str) -> WhereRaw:
    if len(term) == 2 and term.isalnum():  # one two-character word of the array index: exact
        return WhereRaw("string_to_array(\"mailbox_letter\".\"search_bigrams\", ' ') @> string_to_array({}, ' ')",
                        bigrams(term))
    operator = "ILIKE" if term.lower() != term.upper() else "LIKE"  # case matters only for letters that have it
    return WhereRaw(f"\"mailbox_letter\".\"search_text\" {operator} {{}} ESCAPE '\\'", _like_pattern(term))


def term_condition(term: str) -> WhereRaw:
    """A WHERE condition true for letters whose public text contains ``term``."""
    if not _is_sqlite():
        return _postgres_condition(term)
    if (index := _index_for(term)) is not None:
        # Trigrams answer three characters or more; two-character terms are one exact word of the bigram table.
        table, expression = index
        return WhereRaw(f"\"mailbox_letter\".\"id\" IN (SELECT rowid FROM {table} WHERE {table} MATCH {{}})", expression)
    return WhereRaw("\"mailbox_letter\".\"search_text\" LIKE {} ESCAPE '\\'", _like_pattern(term))


def any_term_condition(terms: list[str]) -> WhereRaw | None:
    """True for letters containing at least one of ``terms`` (used for suggestions)."""
    condition = None
    for term in terms:
        part = term_condition(term)
        condition = part if condition is None else (condition | part)
    return condition


def suggestion_terms(subject: str, limit: int = 8) -> list[str]:
    """Overlapping three-character pieces of a subject typed so far (spaces and punctuation split it)."""
    pieces: list[str] = []
    for word in "".join(char if char.isalnum() else " " for char in subject).split():
        if len(word) <= TRIGRAM:
            if len(word) >= 2:
                pieces.append(word)
            continue
        pieces.extend(word[index : index + TRIGRAM] for index in range(len(word) - TRIGRAM + 1))
    unique = list(dict.fromkeys(pieces))
    # Spread the picks over the whole subject rather than its first few characters.
    step = max(1, len(unique) // limit)
    return unique[::step][:limit]
