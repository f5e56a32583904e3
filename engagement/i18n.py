"""Translations: gettext catalogues under frontend/translations, chosen per request.

Message ids are English; Simplified Chinese is the default language. The .po
files are compiled in memory at start-up, so no build step is needed.
"""

from __future__ import annotations

import gettext as gettext_module
import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "frontend" / "translations"
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


def normalise_language(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace("-", "_")
    for code in LANGUAGES:
        if value.lower() == code.lower() or value.lower().split("_")[0] == code.lower():
            return code
    return None


def _compile(po_path: Path, language: str) -> gettext_module.GNUTranslations:
    with po_path.open("rb") as handle:
        messages = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, messages)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


@cache
def catalogue(language: str) -> gettext_module.NullTranslations:
    """The core catalogue (messages.po) with each module's own catalogue (<module>.po) as fallbacks.

    One file per module lets modules add strings without editing a shared file.
    """
    directory = TRANSLATIONS_DIR / language / "LC_MESSAGES"
    paths = sorted(directory.glob("*.po"), key=lambda path: path.name != "messages.po")
    if not paths:
        return gettext_module.NullTranslations()
    translations = _compile(paths[0], language)
    for path in paths[1:]:
        translations.add_fallback(_compile(path, language))
    return translations


def gettext(message: str) -> str:
    return catalogue(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue(current_language.get()).ngettext(singular, plural, n)


_ = gettext


# N_ is gettext's customary name for "mark now, translate when shown".
def N_(message: str) -> str:
    return message
