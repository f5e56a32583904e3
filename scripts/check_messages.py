"""Print every Chinese catalogue entry that is missing, fuzzy or has mismatched placeholders; exit 1 if any."""

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ZH_CN = Path("frontend/translations/zh_CN/LC_MESSAGES")


def placeholders(text: str | tuple[str, ...]) -> list[str]:
    """The named placeholders of a message (of its singular form, for a plural one)."""
    return sorted(re.findall(r"%\(\w+\)[sd]", text[0] if isinstance(text, tuple) else text))


def untranslated(string: str | tuple[str, ...]) -> bool:
    return not (any(string) if isinstance(string, tuple) else string)


def problems(directory: Path = ZH_CN) -> list[str]:
    found = []
    for path in sorted(directory.glob("*.po")):
        with path.open("rb") as handle:
            catalogue = read_po(handle)
        found += [
            f"{path.name}: {message.id!r} -> {message.string!r}"
            for message in catalogue
            if message.id
            and (untranslated(message.string) or message.fuzzy
                 or placeholders(message.id) != placeholders(message.string))
        ]
    return found


def translated_ids(directory: Path = ZH_CN) -> dict[str, str]:
    ids: dict[str, str] = {}
    for path in sorted(directory.glob("*.po")):
        with path.open("rb") as handle:
            ids.update({m.id: m.string for m in read_po(handle) if m.id and m.string and not m.fuzzy})
    return ids


if __name__ == "__main__":
    listed = problems()
    print("\n".join(listed))
    sys.exit(1 if listed else 0)
