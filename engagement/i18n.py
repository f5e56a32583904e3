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
from jinja2 import pass_context
from markupsafe import Markup

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "frontend" / "translations"
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)
# The module whose words come first (set per request from the route's package; templates use their folder):
# the same English id may read differently in two modules (a letter's "Closed" is 已办结, a consultation's 已截止).
current_module: ContextVar[str | None] = ContextVar("current_module", default=None)


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
def catalogue(language: str, module: str | None = None) -> gettext_module.NullTranslations:
    """``module``'s own catalogue (<module>.po) first, then the core's (messages.po), then the other modules'.

    One file per module lets modules add strings without editing a shared file.
    """
    directory = TRANSLATIONS_DIR / language / "LC_MESSAGES"
    first = {f"{module}.po": 0, "messages.po": 1} if module else {"messages.po": 0}
    paths = sorted(directory.glob("*.po"), key=lambda path: (first.get(path.name, 2), path.name))
    if not paths:
        return gettext_module.NullTranslations()
    translations = _compile(paths[0], language)
    for path in paths[1:]:
        translations.add_fallback(_compile(path, language))
    return translations


@cache  # asked on every translated string of every page: a file-system check each time was a fifth of a render
def module_of(dotted_name: str | None) -> str | None:
    """The top-level package of a module or template path (``mailbox.api``, ``mailbox/index.html``)."""
    if not dotted_name:
        return None
    head = dotted_name.replace("/", ".").split(".")[0]
    return head if (TRANSLATIONS_DIR / DEFAULT_LANGUAGE / "LC_MESSAGES" / f"{head}.po").exists() else None


def gettext(message: str) -> str:
    return catalogue(current_language.get(), current_module.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue(current_language.get(), current_module.get()).ngettext(singular, plural, n)


# Jinja's own newstyle gettext goes through three ``Context.call`` layers (``_`` -> ``gettext`` -> the callable),
# then wraps the translation in ``Markup`` and formats it with ``%`` on every call; a page has 50-100 of them and
# they were ~40% of a consultation page's render. The same result, computed once per string and language:
MAX_MEMOISED = 20_000  # messages are template literals; a template translating data could grow it: start over
_memo: dict[tuple[str, str | None, str, bool], str] = {}


def _finish(text: str, autoescape: bool, variables: dict) -> str:
    """What jinja2.ext's newstyle gettext returns: Markup when autoescaping, always ``%``-formatted."""
    return (Markup(text) if autoescape else text) % variables


@pass_context
def fast_template_gettext(context, message: str, **variables: object) -> str:
    """``{{ _("...") }}`` and ``{% trans %}``: identical output to jinja2.ext's newstyle gettext, memoised."""
    module = module_of(context.name) or current_module.get()
    language = current_language.get()
    autoescape = context.eval_ctx.autoescape
    if variables:
        return _finish(catalogue(language, module).gettext(message), autoescape, variables)
    key = (language, module, message, autoescape)
    found = _memo.get(key)
    if found is None:
        found = _finish(catalogue(language, module).gettext(message), autoescape, {})
        if len(_memo) >= MAX_MEMOISED:
            _memo.clear()
        _memo[key] = found
    return found


@pass_context
def fast_template_ngettext(context, singular: str, plural: str, n: int, **variables: object) -> str:
    """jinja2.ext's newstyle ngettext (``num`` defaults to ``n``), without its ``Context.call`` layers."""
    module = module_of(context.name) or current_module.get()
    variables.setdefault("num", n)
    text = catalogue(current_language.get(), module).ngettext(singular, plural, n)
    return _finish(text, context.eval_ctx.autoescape, variables)


# Read by engagement.compat.FastCallContext: these read only the context's name and evaluation context, so a
# call inside a ``{% for %}`` loop needs no copy of the context with the loop's variables in it.
READS_NO_TEMPLATE_VARIABLES = "engagement_reads_no_template_variables"
setattr(fast_template_gettext, READS_NO_TEMPLATE_VARIABLES, True)
setattr(fast_template_ngettext, READS_NO_TEMPLATE_VARIABLES, True)


def install_fast_gettext(environment) -> None:
    """The i18n extension's ``_``/``gettext``/``ngettext`` as the above: newstyle (``{% trans %}`` compiles to
    calls with keyword variables), without ``install_gettext_callables``' wrappers. The template's own module
    is looked up first (``mailbox/...``), else the request's."""
    environment.newstyle_gettext = True
    environment.globals.update(_=fast_template_gettext, gettext=fast_template_gettext,
                               ngettext=fast_template_ngettext)


_ = gettext


# N_ is gettext's customary name for "mark now, translate when shown".
def N_(message: str) -> str:
    return message
