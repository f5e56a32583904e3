"""Chinese-friendly keyword helpers shared by every module's search (no word segmentation needed).

Chinese has no spaces between words, so search is by substring: a query is cut into terms at
spaces (:func:`terms_of`), text typed so far into overlapping three-character pieces
(:func:`suggestion_terms`), and a two-character index word list is :func:`bigrams`.
:func:`all_terms_occur` / :func:`any_term_occurs` are plain ``LIKE`` filters on any column, right
for small tables (the issues of one programme); the mailbox adds full-text indexes on top for its
100,000 letters (mailbox/search.py).
"""

from __future__ import annotations

from typing import Any

from piccolo.columns.combination import WhereRaw

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


def suggestion_terms(text: str, limit: int = 8) -> list[str]:
    """Overlapping three-character pieces of a text typed so far (spaces and punctuation split it)."""
    pieces: list[str] = []
    for word in "".join(char if char.isalnum() else " " for char in text).split():
        if len(word) <= TRIGRAM:
            if len(word) >= 2:
                pieces.append(word)
            continue
        pieces.extend(word[index : index + TRIGRAM] for index in range(len(word) - TRIGRAM + 1))
    unique = list(dict.fromkeys(pieces))
    # Spread the picks over the whole text rather than its first few characters.
    step = max(1, len(unique) // limit)
    return unique[::step][:limit]


def like_pattern(term: str) -> str:
    """``%term%`` with ``%``, ``_`` and ``\\`` taken literally (use with ``ESCAPE '\\'``)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def term_occurs(column: Any, term: str) -> WhereRaw:
    """``column`` contains ``term`` (Latin letters in either case: ILIKE on PostgreSQL, LIKE on SQLite)."""
    meta = column._meta
    operator = "LIKE" if meta.table._meta.db.engine_type == "sqlite" else "ILIKE"
    name = f'"{meta.table._meta.tablename}"."{meta.db_column_name}"'
    return WhereRaw(f"{name} {operator} {{}} ESCAPE '\\'", like_pattern(term))


def all_terms_occur(column: Any, terms: list[str]) -> WhereRaw | None:
    """True where ``column`` contains every one of ``terms`` (None for no terms: no filter)."""
    return _combined(column, terms, all_of=True)


def any_term_occurs(column: Any, terms: list[str]) -> WhereRaw | None:
    """True where ``column`` contains at least one of ``terms`` (None for no terms)."""
    return _combined(column, terms, all_of=False)


def _combined(column: Any, terms: list[str], *, all_of: bool) -> Any:
    condition = None
    for term in terms:
        part = term_occurs(column, term)
        condition = part if condition is None else (condition & part if all_of else condition | part)
    return condition
