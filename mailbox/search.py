"""Keyword search over published letters, substring-correct for Chinese.

SQLite: an FTS5 table with the trigram tokenizer (``mailbox_letter_fts``, kept in step with
``mailbox_letter.search_text`` by triggers made in the migration) answers terms of three or more
characters; trigrams cannot answer shorter terms, so two-character terms (common in Chinese: 噪音, 电梯) are
looked up as words in a second FTS5 table over the same text cut into overlapping two-character
words (``mailbox_letter_bigram``), and anything else shorter (one character, punctuation) falls
back to ``LIKE`` on the text. PostgreSQL: two-character terms are one whole word of the same
two-character words padded with spaces (``' ' || search_bigrams || ' ' LIKE '% 电梯 %'``, pg_trgm GIN
index ``mailbox_letter_search_bigram_words``); other terms are ``LIKE`` on ``search_text`` with the
pg_trgm GIN index (``ILIKE`` only when the term has letters with case: on Chinese text ILIKE's recheck
costs about twice as much). Both have statistics, so for a common term the planner walks the newest
letters until a page is full, and for a rare one it asks the index.

Several terms separated by spaces must all occur. The text is the masked public version only.
Totals: see :func:`total_matches` (counting every one of 100,000 matches costs more than the page).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from piccolo.columns.combination import WhereRaw
from piccolo.query import OrderByRaw

# terms_of, bigrams and suggestion_terms are used by the mailbox's services as search.*
from engagement.textsearch import TRIGRAM, bigrams, suggestion_terms, term_occurs, terms_of  # noqa: F401
from engagement.textsearch import like_pattern as _like_pattern
from mailbox.tables import Letter

# The expression of the index mailbox_letter_search_bigram_words (migration ...2026_12_02t07_30): every word " xx ".
PADDED_BIGRAMS = "(' ' || \"mailbox_letter\".\"search_bigrams\" || ' ')"
# The expression of the index mailbox_letter_search_words (migration ...2026_12_04t02_00): the same words as
# PostgreSQL text-search lexemes, with their places, so that several terms are intersected in the index.
WORD_VECTOR = "to_tsvector('simple', \"mailbox_letter\".\"search_bigrams\")"
CHINESE_TERM = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")  # Han characters only
EXACT_COUNT_BELOW = 2_000
NEWEST_WINDOW = 4_000  # letters (by id) a search with several terms first looks through


def _is_sqlite() -> bool:
    return Letter._meta.db.engine_type == "sqlite"


def _index_for(term: str) -> tuple[str, str] | None:
    """(FTS table, MATCH expression) answering ``term`` on SQLite, or None when only LIKE can."""
    if len(term) >= TRIGRAM:
        return "mailbox_letter_fts", '"' + term.replace('"', '""') + '"'
    if len(term) == 2 and term.isalnum():
        return "mailbox_letter_bigram", '"' + term.lower() + '"'
    return None


def _constant(text: str) -> str:
    """``text`` as an SQL string constant, for Piccolo's template (braces doubled).

    PostgreSQL keeps a generic plan for a prepared statement after five runs, and for ``LIKE $1`` it cannot
    know how common the term is: a two-word search went from 20 ms to 2.5-4.5 s on its sixth run. With the
    pattern in the statement, each term gets a plan made for it. The constant is dollar-quoted with a
    tag that does not occur in the text, so no quote or backslash in it means anything, whatever the
    server's standard_conforming_strings.
    """
    text = text.replace("\x00", "")
    tag = "$t$"
    while tag in text:
        tag = f"$t{secrets.token_hex(4)}$"
    return (tag + text + tag).replace("{", "{{").replace("}", "}}")


def _postgres_condition(term: str) -> WhereRaw:
    if len(term) == 2 and term.isalnum():  # one whole two-character word (no % or _ in it): exact
        return WhereRaw(f"{PADDED_BIGRAMS} LIKE {_constant(f'% {term.lower()} %')}")
    operator = "ILIKE" if term.lower() != term.upper() else "LIKE"  # case matters only for letters that have it
    return WhereRaw(f"\"mailbox_letter\".\"search_text\" {operator} {_constant(_like_pattern(term))} ESCAPE '\\'")


def all_words_condition(terms: list[str]) -> WhereRaw | None:
    """PostgreSQL: letters whose two-character words hold every term, each as adjacent words (停车位: 停车 <-> 车位),
    answered by the text-search index, which intersects the terms' entries without reading the letters. Only
    for Chinese terms (one lexeme per word, so the places line up); None otherwise. It may also match a term
    across a punctuation mark (the words skip it), so it narrows the letters and ``term_condition`` stays exact.
    """
    if not terms or not all(CHINESE_TERM.fullmatch(term) for term in terms):
        return None
    query = " & ".join("(" + " <-> ".join(term[index : index + 2] for index in range(len(term) - 1)) + ")"
                       for term in terms)
    return WhereRaw(f"{WORD_VECTOR} @@ to_tsquery('simple', {_constant(query)})")


def term_condition(term: str) -> WhereRaw:
    """A WHERE condition true for letters whose public text contains ``term``."""
    if not _is_sqlite():
        return _postgres_condition(term)
    if (index := _index_for(term)) is not None:
        # Trigrams answer three characters or more; two-character terms are one exact word of the bigram table.
        table, expression = index
        return WhereRaw(f"\"mailbox_letter\".\"id\" IN (SELECT rowid FROM {table} WHERE {table} MATCH {{}})", expression)
    return term_occurs(Letter.search_text, term)


def any_term_condition(terms: list[str]) -> WhereRaw | None:
    """True for letters containing at least one of ``terms`` (used for suggestions)."""
    condition = None
    for term in terms:
        part = term_condition(term)
        condition = part if condition is None else (condition | part)
    return condition


async def newest_matches(columns: Sequence, filters: list, terms: list[str], offset: int, size: int) -> list[dict]:
    """A page of the letters matching ``filters`` and containing every term, newest first by id.

    PostgreSQL reckons several terms independent: two common words that never occur together (电梯 停车位)
    look like 1% of the letters, so it walks the newest letters expecting a page soon, and visits all of
    them (5-10 s at 1,000,000). So with several terms the newest NEWEST_WINDOW letters are searched first
    (a bounded walk); only when they do not fill the page are the terms intersected (an order PostgreSQL
    cannot walk: ``id + 0``): by the text-search index of the words for Chinese terms (``all_words_condition``:
    the intersection of the terms' entries, no letter read unless it has them all), else by their pg_trgm
    indexes (which recheck every letter holding either term: 0.4-0.9 s for two common ones at 1,000,000).
    """
    where = [*filters, *(term_condition(term) for term in terms)]
    if len(terms) < 2 or _is_sqlite():
        return await Letter.select(*columns).where(*where).order_by(Letter.id, ascending=False).limit(size).offset(offset)
    window = WhereRaw("\"mailbox_letter\".\"id\" > (SELECT max(id) FROM mailbox_letter) - {}", NEWEST_WINDOW)
    rows = await Letter.select(*columns).where(*where, window).order_by(
        Letter.id, ascending=False).limit(size).offset(offset)
    if len(rows) == size:
        return rows
    if (words := all_words_condition(terms)) is not None:
        # The words' index alone: the terms' pg_trgm indexes would add every letter holding either term.
        where = [*filters, words, *(_exact_unindexed(term) for term in terms if len(term) > 2)]
    return await Letter.select(*columns).where(*where).order_by(
        OrderByRaw("\"mailbox_letter\".\"id\" + 0"), ascending=False).limit(size).offset(offset)


def _exact_unindexed(term: str) -> WhereRaw:
    """PostgreSQL: ``term`` in the public text, checked on the letters found otherwise (no index matches
    ``search_text || ''``). Two-character Chinese terms need none: their word in the index is exact."""
    return WhereRaw(f"(\"mailbox_letter\".\"search_text\" || '') LIKE {_constant(_like_pattern(term))} ESCAPE '\\'")


async def total_matches(where: list, rows: list[dict], offset: int, size: int) -> int:
    """How many published letters match ``where`` (search terms only), given the page just read from it
    (newest first by id, after ``offset`` others). One query, whatever the answer.

    Counting visits every match: 100,000 of a million letters contain 电梯, which takes many times longer
    than the page itself. So a page that is not full gives the exact total; a full one estimates it from
    how densely the matches so far lie among the newest letters (the page's last id against the ids of all
    published letters, which follow receipt), and only an estimate below EXACT_COUNT_BELOW is replaced by
    a count, cheap then because the index finds those few letters. The count stops after
    EXACT_COUNT_BELOW + 1 (should the estimate be far off), which also keeps PostgreSQL's cost estimate of
    the statement low enough not to JIT-compile it (150-300 ms).
    """
    if len(rows) < size and (rows or offset == 0):
        known: int | None = offset + len(rows)
        oldest_seen = None
    else:
        known, oldest_seen = None, rows[-1]["id"] if rows else None
    capped = Letter.select(Letter.id).where(*where).limit(EXACT_COUNT_BELOW + 1).querystrings[0]
    # CASE runs the count's subquery only in its own branch (both engines).
    answer = (await Letter.raw(
        "SELECT estimate, CASE WHEN CAST({} AS INTEGER) IS NULL AND (estimate IS NULL OR estimate < {})"
        " THEN (SELECT count(*) FROM ({}) AS capped) END AS counted"
        " FROM (SELECT {} * (newest - oldest + 1.0) / (newest - CAST({} AS INTEGER) + 1) AS estimate FROM ("
        "SELECT (SELECT id FROM mailbox_letter WHERE published ORDER BY id LIMIT 1) AS oldest,"
        " (SELECT id FROM mailbox_letter WHERE published ORDER BY id DESC LIMIT 1) AS newest) AS bounds) AS guess",
        known, EXACT_COUNT_BELOW, capped, offset + len(rows), oldest_seen))[0]
    if known is not None:
        return known
    if answer["counted"] is not None and answer["counted"] <= EXACT_COUNT_BELOW:
        return int(answer["counted"])
    return max(round(float(answer["estimate"] or 0)), EXACT_COUNT_BELOW + 1, offset + len(rows))
