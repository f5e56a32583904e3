"""Print every Chinese catalogue entry that is missing, fuzzy or has mismatched placeholders; exit 1 if any."""

import re
import sys

from babel.messages.pofile import read_po


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]", text))


def problems(path: str = "frontend/translations/zh_CN/LC_MESSAGES/messages.po") -> list[str]:
    with open(path, "rb") as handle:
        catalogue = read_po(handle)
    return [
        f"zh_CN needs work: {message.id!r} -> {message.string!r}"
        for message in catalogue
        if message.id and (not message.string or message.fuzzy or placeholders(message.id) != placeholders(message.string))
    ]


if __name__ == "__main__":
    found = problems()
    print("\n".join(found))
    sys.exit(1 if found else 0)
