"""Every message in the code and templates has a Chinese translation (Chinese is the default language)."""

import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from scripts.check_messages import placeholders, translated_ids

pytestmark = pytest.mark.database_independent  # the same in both runs of `make test`: the first covers them


def test_every_message_id_has_a_chinese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_", "-k", "N_",
         "--ignore-dirs=.* ._ node_modules var __pycache__ tests bench", "-o", str(pot), "."],
        check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    translated = translated_ids()
    missing = sorted(map(str, wanted - set(translated)))  # a plural entry's id is a (singular, plural) tuple
    assert not missing, "run `make messages` and translate:\n" + "\n".join(missing)
    mismatched = [i for i in wanted if placeholders(i) != placeholders(translated[i])]
    assert not mismatched, mismatched


def test_the_default_language_answers_api_errors_in_chinese():
    from engagement.i18n import catalogue

    assert catalogue("zh_CN").gettext("Please log in.") != "Please log in."



def test_each_module_reads_its_own_words_first():
    """One English id may read differently in two modules: each module's catalogue comes first for it."""
    from engagement.i18n import catalogue

    assert catalogue("zh_CN", "mailbox").gettext("Closed") == "已办结"
    assert catalogue("zh_CN", "consultations").gettext("Closed") == "已截止"
    assert catalogue("zh_CN", "mailbox").gettext("Please log in.") == catalogue("zh_CN").gettext("Please log in.")
