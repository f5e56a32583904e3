"""Moderation shared by every module: the sensitive-word check and the pre-moderation states.

A submission that hits a listed word is held (pending) for a moderator instead
of being published; the citizen is told so. The word list is edited by
administrators in /admin and re-read at most every WORD_CACHE_SECONDS.
"""

from __future__ import annotations

import time
import unicodedata
from enum import Enum

from engagement.errors import Conflict
from engagement.i18n import _
from engagement.tables import SensitiveWord

WORD_CACHE_SECONDS = 30.0


class ModerationState(str, Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


# action -> (states it may start from, resulting state)
TRANSITIONS = {
    "approve": ({ModerationState.pending, ModerationState.rejected}, ModerationState.approved),
    "reject": ({ModerationState.pending, ModerationState.approved}, ModerationState.rejected),
}

_cache: tuple[float, tuple[str, ...]] = (0.0, ())


def next_state(current: str, action: str) -> ModerationState:
    """The state after ``action``; Conflict (409) when the action does not apply."""
    if action not in TRANSITIONS:
        raise Conflict(_("Unknown moderation action."))
    allowed_from, result = TRANSITIONS[action]
    if ModerationState(current) not in allowed_from:
        raise Conflict(_("This item has already been moderated."))
    return result


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, no spaces: so 'Ｆ Ａ Ｋ Ｅ' matches 'fake'."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if not ch.isspace())


async def sensitive_words() -> tuple[str, ...]:
    global _cache
    loaded_at, words = _cache
    if time.monotonic() - loaded_at > WORD_CACHE_SECONDS:
        rows = await SensitiveWord.select(SensitiveWord.word)
        words = tuple(sorted({normalise(row["word"]) for row in rows if row["word"].strip()}))
        _cache = (time.monotonic(), words)
    return words


def forget_cached_words() -> None:
    global _cache
    _cache = (0.0, ())


async def find_sensitive_words(text: str) -> list[str]:
    folded = normalise(text)
    return [word for word in await sensitive_words() if word in folded]


async def initial_state(text: str, premoderate: bool = False) -> ModerationState:
    """Approved at once unless the module pre-moderates or the text hits a listed word."""
    if premoderate or await find_sensitive_words(text):
        return ModerationState.pending
    return ModerationState.approved
