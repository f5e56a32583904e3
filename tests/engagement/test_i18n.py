"""Every message in the code and templates has a Chinese translation (Chinese is the default language)."""

import subprocess
import sys

from babel.messages.pofile import read_po

from scripts.check_messages import placeholders, translated_ids


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
    missing = sorted(wanted - set(translated))
    assert not missing, "run `make messages` and translate:\n" + "\n".join(missing)
    mismatched = [i for i in wanted if placeholders(i) != placeholders(translated[i])]
    assert not mismatched, mismatched


def test_the_default_language_answers_api_errors_in_chinese():
    from engagement.i18n import catalogue

    assert catalogue("zh_CN").gettext("Please log in.") != "Please log in."
