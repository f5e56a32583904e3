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

On SQLite a page and the hints are read from the FTS5 tables newest first (``ORDER BY rowid DESC LIMIT n``:
a fraction of a millisecond at 1,000,000 letters), and the letters then by id with the other filters, in
growing batches until the page is full (:func:`_newest_from_index`, :func:`_similar_from_index`); the
condition ``id IN (SELECT rowid ... MATCH ...)`` would first collect every match (100,000 for 电梯).
Totals: see :func:`total_matches` (counting every one of 100,000 matches costs more than the page).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.query import OrderByRaw
from piccolo.querystring import QueryString

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
WIDEST_WINDOW = 100_000  # PostgreSQL: the most newest letters a deeper page of several terms walks
TRIGRAMS, BIGRAMS = "mailbox_letter_fts", "mailbox_letter_bigram"  # SQLite's FTS5 tables (migration ...26t10_07_32)
MAX_BATCH = 2_000  # SQLite: index rows a page reads at a time
SCAN_LIMIT = 8_000  # SQLite: index rows a page reads before it leaves the search to SQLite's own plan
HINT_WINDOW = 4  # SQLite: the hints first read the newest ``HINT_WINDOW * limit`` matches of each FTS5 table
HINT_CANDIDATES = 1_000  # SQLite: older letters published since the hints' last pick that are checked, at most


@dataclass(frozen=True)
class IdSpan:
    """The ids of the letters a filter allows lie in ``low..high`` (a month of receipt: one stretch of ids)."""

    low: int
    high: int


async def received_span(start: Any, end: Any) -> IdSpan | None:
    """The ids of the letters received in ``[start, end)``, or None when there are none (one index range read).

    A search in one month then reads only that stretch of each term's index, instead of every match from the
    newest down (at 1,000,000 letters 电梯 in one month took 412 ms, most of it collecting 84,388 matches)."""
    # ``id + 0``: PostgreSQL would otherwise answer MIN(id) by walking the primary key from the first letter until
    # one was received that month (622 ms for a month in the middle of 1,000,000 letters), not the month's range.
    row = await Letter.select(QueryString('MIN("mailbox_letter"."id" + 0)', alias="low"),
                              QueryString('MAX("mailbox_letter"."id" + 0)', alias="high")).where(
        (Letter.received_at >= start) & (Letter.received_at < end)).first()
    return None if row is None or row["low"] is None else IdSpan(int(row["low"]), int(row["high"]))


def received_within(start: Any, end: Any, span: IdSpan) -> list:
    """The conditions of a month of receipt whose letters' ids are ``span``: the ids, for the indexes, and the
    month itself, checked on the letters found. PostgreSQL multiplies the two ranges' selectivities as if they
    were independent (1% of 1%), expects a handful of letters, and reads the whole month to sort it (35 ms at
    1,000,000) instead of walking its ids newest first (0.4 ms): there the month is written so that no index
    and no statistics match it (``received_at + interval '0 seconds'``, as ``id + 0`` elsewhere)."""
    ids = [Letter.id >= span.low, Letter.id <= span.high]
    if _is_sqlite():
        return [*ids, Letter.received_at >= start, Letter.received_at < end]
    shifted = "(\"mailbox_letter\".\"received_at\" + interval '0 seconds')"
    return [*ids, WhereRaw(f"{shifted} >= {{}}", start), WhereRaw(f"{shifted} < {{}}", end)]


def _span_sql(span: IdSpan | None) -> tuple[str, list[int]]:
    """The FTS5 rowid bound of ``span`` (FTS5 reads only that stretch of its index), and its values."""
    return ("", []) if span is None else (" AND rowid BETWEEN {} AND {}", [span.low, span.high])


def _is_sqlite() -> bool:
    return Letter._meta.db.engine_type == "sqlite"


def _index_for(term: str) -> tuple[str, str] | None:
    """(FTS table, MATCH expression) answering ``term`` on SQLite, or None when only LIKE can."""
    if len(term) >= TRIGRAM:
        return TRIGRAMS, '"' + term.replace('"', '""') + '"'
    if len(term) == 2 and term.isalnum():
        return BIGRAMS, '"' + term.lower() + '"'
    return None


class _IndexedTerm(WhereRaw):
    """The condition (SQLite) of a term an FTS5 table answers, naming that table and the MATCH expression.

    As a condition it is ``id IN (SELECT rowid FROM <table> WHERE MATCH ...)``, which collects every match
    (100,000 of a million letters for 电梯) before the newest are taken; :func:`newest_matches` and
    :func:`similar_letters` read the table itself newest first instead (``ORDER BY rowid DESC LIMIT n``).
    """

    def __init__(self, term: str, table: str, expression: str, span: IdSpan | None = None) -> None:
        bound, values = _span_sql(span)
        super().__init__(f"\"mailbox_letter\".\"id\" IN (SELECT rowid FROM {table} WHERE {table} MATCH {{}}{bound})",
                         expression, *values)
        self.term, self.table, self.expression, self.span = term, table, expression, span


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


def term_condition(term: str, span: IdSpan | None = None) -> WhereRaw:
    """A WHERE condition true for letters whose public text contains ``term`` (and, on SQLite, whose id is in
    ``span``: the filters' own condition, repeated inside the index lookup so that it reads only that stretch)."""
    if not _is_sqlite():
        return _postgres_condition(term)
    if (index := _index_for(term)) is not None:
        # Trigrams answer three characters or more; two-character terms are one exact word of the bigram table.
        return _IndexedTerm(term, *index, span)
    return term_occurs(Letter.search_text, term)


def any_term_condition(terms: list[str]) -> WhereRaw | None:
    """True for letters containing at least one of ``terms`` (used for suggestions)."""
    condition = None
    for term in terms:
        part = term_condition(term)
        condition = part if condition is None else (condition | part)
    return condition


async def newest_matches(columns: Sequence, filters: list, terms: list[str], offset: int, size: int,
                         span: IdSpan | None = None) -> list[dict]:
    """A page of the letters matching ``filters`` and containing every term, newest first by id.

    SQLite, when a term is in an FTS5 table: read from that table newest first (:func:`_newest_from_index`).

    PostgreSQL reckons several terms independent: two common words that never occur together (电梯 停车位)
    look like 1% of the letters, so it walks the newest letters expecting a page soon, and visits all of
    them (5-10 s at 1,000,000). So with several terms the newest NEWEST_WINDOW letters are searched first
    (a bounded walk); only when they do not fill the page are the terms intersected (an order PostgreSQL
    cannot walk: ``id + 0``): by the text-search index of the words for Chinese terms (``all_words_condition``:
    the intersection of the terms' entries, no letter read unless it has them all), else by their pg_trgm
    indexes (which recheck every letter holding either term: 0.4-0.9 s for two common ones at 1,000,000).
    """
    where = [*filters, *(term_condition(term, span) for term in terms)]
    if _is_sqlite() and (plan := _plan(where)) is not None:
        rows = await _newest_from_index(plan, columns, offset, size)
        if rows is not None:
            return rows
    if len(terms) < 2 or _is_sqlite():
        return await Letter.select(*columns).where(*where).order_by(Letter.id, ascending=False).limit(size).offset(offset)
    rows = await Letter.select(*columns).where(*where, _newest_window(NEWEST_WINDOW)).order_by(
        Letter.id, ascending=False).limit(size).offset(offset)
    if len(rows) == size:
        return rows
    if offset and (wider := await _window_for(where, offset + size)) is not None:
        # A deeper page of terms that are common together: walking a wider stretch of the newest letters costs
        # tens of milliseconds where intersecting the terms reads every letter having both (84,388 for 电梯
        # 补贴: 2.8 s at page 100).
        rows = await Letter.select(*columns).where(*where, _newest_window(wider)).order_by(
            Letter.id, ascending=False).limit(size).offset(offset)
        if len(rows) == size:
            return rows
    if (words := all_words_condition(terms)) is not None:
        # The words' index alone: the terms' pg_trgm indexes would add every letter holding either term.
        where = [*filters, words, *(_exact_unindexed(term) for term in terms if len(term) > 2)]
    return await Letter.select(*columns).where(*where).order_by(
        OrderByRaw("\"mailbox_letter\".\"id\" + 0"), ascending=False).limit(size).offset(offset)


def _newest_window(letters: int) -> WhereRaw:
    return WhereRaw("\"mailbox_letter\".\"id\" > (SELECT max(id) FROM mailbox_letter) - {}", letters)


async def _window_for(where: list, wanted: int) -> int | None:
    """PostgreSQL: how many of the newest letters likely hold ``wanted`` matches of ``where``, from the density of
    matches among the newest NEWEST_WINDOW (one count over those); None when that is more than WIDEST_WINDOW
    (rare terms: intersecting their indexes reads few letters then)."""
    found = await Letter.count().where(*where, _newest_window(NEWEST_WINDOW))
    if not found:
        return None
    letters = int(wanted * NEWEST_WINDOW / found * 1.25) + 1
    return letters if letters <= WIDEST_WINDOW else None


def _exact_unindexed(term: str) -> WhereRaw:
    """PostgreSQL: ``term`` in the public text, checked on the letters found otherwise (no index matches
    ``search_text || ''``). Two-character Chinese terms need none: their word in the index is exact."""
    return WhereRaw(f"(\"mailbox_letter\".\"search_text\" || '') LIKE {_constant(_like_pattern(term))} ESCAPE '\\'")


async def total_matches(where: list, rows: list[dict], offset: int, size: int, filters: Sequence) -> int:
    """How many published letters match ``where`` (the ``filters`` and the search terms), given the page just
    read from it (newest first by id, after ``offset`` others). One query, whatever the answer.

    Counting visits every match: 100,000 of a million letters contain 电梯, which takes many times longer
    than the page itself (1.5-6 s with a category or a month besides). So a page that is not full gives the
    exact total; a full one estimates it from how densely the matches so far lie among the newest letters the
    filters allow (the page's last id against the ids of the first and last of those letters: ids follow
    receipt, so a month's letters are one stretch of ids), and only an estimate below EXACT_COUNT_BELOW is
    replaced by a count, cheap then because the index finds those few letters. The count stops after
    EXACT_COUNT_BELOW + 1 (should the estimate be far off), which also keeps PostgreSQL's cost estimate of
    the statement low enough not to JIT-compile it (150-300 ms).
    """
    if len(rows) < size and (rows or offset == 0):
        known: int | None = offset + len(rows)
        oldest_seen = None
    else:
        known, oldest_seen = None, rows[-1]["id"] if rows else None
    capped = Letter.select(Letter.id).where(*where).limit(EXACT_COUNT_BELOW + 1).querystrings[0]
    oldest, newest = (Letter.select(Letter.id).where(*filters).order_by(Letter.id, ascending=ascending).limit(1)
                      .querystrings[0] for ascending in (True, False))
    # CASE runs the count's subquery only in its own branch (both engines).
    answer = (await Letter.raw(
        "SELECT estimate, CASE WHEN CAST({} AS INTEGER) IS NULL AND (estimate IS NULL OR estimate < {})"
        " THEN (SELECT count(*) FROM ({}) AS capped) END AS counted"
        " FROM (SELECT {} * (newest - oldest + 1.0) / (newest - CAST({} AS INTEGER) + 1) AS estimate FROM ("
        "SELECT ({}) AS oldest, ({}) AS newest) AS bounds) AS guess",
        known, EXACT_COUNT_BELOW, capped, offset + len(rows), oldest_seen, oldest, newest))[0]
    if known is not None:
        return known
    if answer["counted"] is not None and answer["counted"] <= EXACT_COUNT_BELOW:
        return int(answer["counted"])
    return max(round(float(answer["estimate"] or 0)), EXACT_COUNT_BELOW + 1, offset + len(rows))


async def similar_letters(columns: Sequence, terms: list[str], limit: int) -> list[dict]:
    """Published letters containing at least one of ``terms``, the most recently published first.

    SQLite, when every term is in an FTS5 table: from the newest matches of those tables
    (:func:`_similar_from_index`) rather than an ``OR`` of one ``IN (SELECT rowid ...)`` per term.
    """
    condition = any_term_condition(terms)
    if condition is None:
        return []
    query = Letter.select(*columns).where(Letter.published == True, condition).order_by(  # noqa: E712
        Letter.published_at, ascending=False).limit(limit)
    if _is_sqlite():
        parts = [term_condition(term) for term in terms]
        if all(isinstance(part, _IndexedTerm) for part in parts):
            rows = await _similar_from_index(parts, columns, limit)
            if rows is not None:
                return rows
    return await query


# SQLite: searches driven by the FTS5 tables.

def _bigram_phrase(term: str) -> str | None:
    """A phrase of the bigram table that every text containing ``term`` matches: its two-character words in a
    row (more texts match it: the words are also in a row across punctuation, 停车，车位 for 停车位). None when
    the term has no such word, or letters whose lower case is not that of each letter alone (final sigma)."""
    if not all(char.isascii() or char.lower() == char.upper() for char in term):
        return None
    words = bigrams(term)
    return f'"{words}"' if words else None


@dataclass(frozen=True)
class _Plan:
    table: str  # the FTS5 table read newest first: every letter matching the search is one of its rows here
    expression: str  # its MATCH expression
    rest: list  # the other conditions, checked on the letters read
    span: IdSpan | None = None  # the stretch of the table to read (the filters allow no other ids)


def _plan(where: list) -> _Plan | None:
    """How to read a search from an FTS5 table; None when no term is in one (LIKE only, or no terms).

    Terms of one table are one MATCH (``"a" AND "b"``: FTS5 intersects them lazily). With terms in both, the
    bigram table is read, the longer terms as phrases of their two-character words (all the letters having
    them, and a few more), and each letter read is checked against the trigram table by its rowid.
    """
    indexed = [part for part in where if isinstance(part, _IndexedTerm)]
    if not indexed:
        return None
    rest = [part for part in where if not isinstance(part, _IndexedTerm)]
    longer = [part for part in indexed if part.table == TRIGRAMS]
    shorter = [part for part in indexed if part.table == BIGRAMS]
    span = indexed[0].span
    if not (longer and shorter):
        return _Plan(indexed[0].table, " AND ".join(part.expression for part in indexed), rest, span)
    phrases = [phrase for part in longer if (phrase := _bigram_phrase(part.term)) is not None]
    rest.append(WhereRaw(f"EXISTS (SELECT 1 FROM {TRIGRAMS} WHERE {TRIGRAMS} MATCH {{}}"
                         f" AND rowid = \"mailbox_letter\".\"id\")", " AND ".join(part.expression for part in longer)))
    return _Plan(BIGRAMS, " AND ".join([part.expression for part in shorter] + phrases), rest, span)


def _newest_rows_condition(table: str, expression: str, limit: int, below: int | None) -> WhereRaw:
    """The letter is one of the newest ``limit`` rows of ``table`` matching ``expression`` (below ``below``).

    SQLite reads those rowids from the index newest first (``LIMIT``: only those), then each letter by id."""
    bound = "" if below is None else " AND rowid < {}"
    return WhereRaw(f"\"mailbox_letter\".\"id\" IN (SELECT rowid FROM {table} WHERE {table} MATCH {{}}{bound}"
                    " ORDER BY rowid DESC LIMIT {})", expression, *([] if below is None else [below]), limit)


async def _newest_rows(table: str, expression: str, columns: Sequence, rest: list, limit: int,
                       below: int | None = None) -> tuple[list[dict], int | None]:
    """The letters meeting ``rest`` among the newest ``limit`` rows of ``table`` matching ``expression`` (below
    ``below``), newest first, and the lowest of those rowids: where the next ones start (None when there were
    fewer: no more matches). One query when no letter is rejected, else two."""
    rows = await Letter.select(*columns).where(*rest, _newest_rows_condition(table, expression, limit, below)).order_by(
        Letter.id, ascending=False)
    if len(rows) == limit:
        return rows, rows[-1]["id"]
    bound = "" if below is None else " AND rowid < {}"
    read = await Letter.raw(f"SELECT count(*) AS n, min(rowid) AS low FROM (SELECT rowid FROM {table} WHERE {table}"
                            f" MATCH {{}}{bound} ORDER BY rowid DESC LIMIT {{}})",
                            expression, *([] if below is None else [below]), limit)
    return rows, read[0]["low"] if read[0]["n"] == limit else None


async def _newest_ids(table: str, expression: str, limit: int, below: int | None = None,
                      span: IdSpan | None = None) -> list[int]:
    """The rowids of the newest ``limit`` rows of ``table`` matching ``expression`` (below ``below``, in ``span``),
    newest first."""
    bound = "" if below is None else " AND rowid < {}"
    within, values = _span_sql(span)
    rows = await Letter.raw(f"SELECT rowid AS id FROM {table} WHERE {table} MATCH {{}}{bound}{within}"
                            " ORDER BY rowid DESC LIMIT {}", expression, *([] if below is None else [below]),
                            *values, limit)
    return [row["id"] for row in rows]


async def _ids_among(table: str, expression: str, ids: list[int]) -> list[int]:
    """Which of ``ids`` are rows of ``table`` matching ``expression`` (one index lookup each)."""
    places = ", ".join("{}" for _ in ids)
    rows = await Letter.raw(f"SELECT rowid AS id FROM {table} WHERE {table} MATCH {{}} AND rowid IN ({places})",
                            expression, *ids)
    return [row["id"] for row in rows]


async def _newest_from_index(plan: _Plan, columns: Sequence, offset: int, size: int) -> list[dict] | None:
    """The page, from the plan's FTS5 table read newest first in growing batches (the page's size first, then
    4 × as many each time up to MAX_BATCH), each batch's letters looked up by id with the other conditions
    (published, category, department, months, LIKE terms), until the page is full or the matches run out:
    two queries a batch, whatever the number of matches (the page's letters once more beyond the first page).

    None when SCAN_LIMIT index rows did not fill it (filters rejecting nearly every match: SQLite's own
    plan may start from a filter's index instead) or the page lies beyond them.
    """
    wanted = offset + size
    if wanted > SCAN_LIMIT:
        return None
    picked = columns if offset == 0 else (Letter.id,)  # beyond the first page, only the page's letters are read
    found: list[dict] = []
    below: int | None = None
    batch, read = min(wanted, MAX_BATCH), 0
    while True:
        ids = await _newest_ids(plan.table, plan.expression, batch, below, plan.span)
        if ids:
            found += await Letter.select(*picked).where(*plan.rest, Letter.id.is_in(ids)).order_by(
                Letter.id, ascending=False)
        read += len(ids)
        if len(found) >= wanted or len(ids) < batch:
            break
        if read >= SCAN_LIMIT:
            return None
        below, batch = ids[-1], min(batch * 4, MAX_BATCH)
    page = found[offset:wanted]
    if offset == 0 or not page:
        return page
    return await Letter.select(*columns).where(Letter.id.is_in([row["id"] for row in page])).order_by(
        Letter.id, ascending=False)


def _published_order(row: dict) -> tuple:
    """Most recently published first (as ``ORDER BY published_at DESC``: no date last), then newest id."""
    return (row["published_at"] is not None, row["published_at"], row["id"])


async def _similar_from_index(parts: list[_IndexedTerm], columns: Sequence, limit: int) -> list[dict] | None:
    """The hints, from the newest matches of each FTS5 table (one ``OR`` of its terms).

    Publication does not follow receipt (ids), so the newest ``HINT_WINDOW * limit`` matches of each table
    are read and ordered by publication; a match older than those (every match from the lowest id read up is
    among them) can only come before the ``limit``-th of them if it was published at or after it: those
    letters (HINT_CANDIDATES at most) are checked against the tables by rowid. None (the caller asks SQLite)
    when more letters than that were published since, or too few of the matches read are published.
    """
    if limit <= 0:
        return []
    expressions: dict[str, list[str]] = {}
    for part in parts:
        expressions.setdefault(part.table, []).append(part.expression)
    streams = {table: " OR ".join(dict.fromkeys(found)) for table, found in expressions.items()}
    window = HINT_WINDOW * limit
    found: dict[int, dict[str, Any]] = {}
    lows: list[int] = []  # per table read: every match of it from there up is read (none when all were)
    for table, expression in streams.items():
        rows, low = await _newest_rows(table, expression, columns, [Letter.published == True], window)  # noqa: E712
        found.update((row["id"], row) for row in rows)
        lows += [] if low is None else [low]
    rows = sorted(found.values(), key=_published_order, reverse=True)
    if not lows:  # every match read
        return rows[:limit]
    if len(rows) < limit or rows[limit - 1]["published_at"] is None:
        return None
    low = max(lows)  # every match from here up is read
    known = {row["id"] for row in rows}
    later = await Letter.select(Letter.id).where(
        Letter.published == True, Letter.id < low, Letter.published_at >= rows[limit - 1]["published_at"],  # noqa: E712
    ).order_by(Letter.published_at, ascending=False).limit(HINT_CANDIDATES + 1)
    if len(later) > HINT_CANDIDATES:
        return None
    candidates = [row["id"] for row in later if row["id"] not in known]
    matched: set[int] = set()
    for table, expression in streams.items():
        if candidates:
            matched.update(await _ids_among(table, expression, candidates))
    if matched:
        rows += await Letter.select(*columns).where(Letter.id.is_in(sorted(matched)))
        rows.sort(key=_published_order, reverse=True)
    return rows[:limit]
