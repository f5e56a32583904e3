"""Print every Chinese catalogue entry that is missing, fuzzy or has mismatched placeholders; exit 1 if any."""

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ZH_CN = Path("frontend/translations/zh_CN/LC_MESSAGES")


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]", text))


def problems(directory: Path = ZH_CN) -> list[str]:
    found = []
    for path in sorted(directory.glob("*.po")):
        with path.open("rb") as handle:
            catalogue = read_po(handle)
        found += [
            f"{path.name}: {message.id!r} -> {message.string!r}"
            for message in catalogue
            if message.id
            and (not message.string or message.fuzzy or placeholders(message.id) != placeholders(message.string))
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
