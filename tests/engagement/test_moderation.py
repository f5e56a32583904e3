"""The sensitive-word check and the pre-moderation state machine."""

import pytest

from engagement.errors import Conflict
from engagement.moderation import (
    ModerationState,
    find_sensitive_words,
    forget_cached_words,
    initial_state,
    next_state,
)
from engagement.tables import SensitiveWord


@pytest.fixture
async def words():
    await SensitiveWord.insert(SensitiveWord(word="代开发票"), SensitiveWord(word="FAKE"))
    forget_cached_words()


async def test_a_listed_word_holds_the_text_for_a_moderator(words):
    assert await initial_state("小区门口有人散发代开发票的小广告") == ModerationState.pending
    assert await find_sensitive_words("小区门口有人散发代开发票的小广告") == ["代开发票"]


async def test_spacing_full_width_and_case_do_not_hide_a_word(words):
    assert await find_sensitive_words("代 开 发 票") == ["代开发票"]
    assert await find_sensitive_words("ｆａｋｅ news") == ["fake"]


async def test_clean_text_is_approved_at_once_unless_the_module_premoderates(words):
    text = "建议在幸福路增设一处公交站台，方便老人出行。"
    assert await initial_state(text) == ModerationState.approved
    assert await initial_state(text, premoderate=True) == ModerationState.pending


async def test_words_added_by_an_administrator_apply_without_restart():
    forget_cached_words()
    assert await find_sensitive_words("出售枪支") == []
    await SensitiveWord.insert(SensitiveWord(word="枪支"))
    forget_cached_words()  # what the cache expiry does after WORD_CACHE_SECONDS
    assert await find_sensitive_words("出售枪支") == ["枪支"]


@pytest.mark.parametrize(
    "current, action, expected",
    [
        ("pending", "approve", "approved"),
        ("pending", "reject", "rejected"),
        ("rejected", "approve", "approved"),
        ("approved", "reject", "rejected"),
    ],
)
def test_moderation_transitions(current, action, expected):
    assert next_state(current, action) == ModerationState(expected)


@pytest.mark.parametrize("current, action", [("approved", "approve"), ("rejected", "reject"), ("pending", "delete")])
def test_repeated_or_unknown_actions_are_conflicts(current, action):
    with pytest.raises(Conflict):
        next_state(current, action)
