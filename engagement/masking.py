"""Find and mask personal data in text before it is published (DESIGN section 5).

Letters to the mayor's mailbox and opinions on draft plans are published with
the writer's name, phone numbers, ID numbers, e-mail addresses and bank card
numbers masked. :func:`find_personal_data` reports what will be masked, so staff
can see it highlighted before publishing; :func:`mask_personal_data` applies it
and leaves every other character exactly as written. :func:`mask_name` and
:func:`mask_phone` mask a single value, e.g. the author shown under an opinion.
:class:`PublicRead` is the base of every public read type of user- or
staff-written text: it masks its fields when it is built, whoever builds it.

Detectors run from the most specific to the least (e-mail, ID number, bank
card, mobile, landline, given names); a span claimed by one is never looked at
again, so an ID number is never read as a bank card and nothing is masked twice.
Digits and punctuation typed in full width (１３９…, （０１０）) are recognised too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import msgspec

MASK = "*"
MEMOISED_TEXTS = 4096  # mask_personal_data results kept (it is a pure function of the text and the names)


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind and where it is in the text."""

    kind: str
    start: int
    end: int
    text: str


# --- Patterns (matched against the half-width copy of the text) -------------

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space map one to one
# onto ASCII, so every index found in the normalised copy is an index into the
# original text and the patterns below only need to know ASCII.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"(?<![A-Za-z0-9._%+-])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+-]*)@(?:{_LABEL}\.)+[A-Za-z]{{2,}}(?![A-Za-z0-9-])"
)

# 6-digit region, 8-digit birth date, 3-digit sequence, check character; the
# parts may be separated by a space or hyphen, the same one both times.
_ID_18 = re.compile(r"(?<![0-9])[0-9]{6}(?P<sep>[ -]?)[0-9]{8}(?P=sep)[0-9]{3}[0-9Xx](?![0-9])")
_ID_15 = re.compile(r"(?<![0-9])[0-9]{15}(?![0-9])")

# 16 to 19 digits, either in one run or in groups of four with one separator.
_BANK_CARD = re.compile(
    r"(?<![0-9])[0-9]{4}(?P<sep>[ -]?)[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{4}(?:(?P=sep)[0-9]{1,3})?(?![0-9])"
)
# Said right before a number, these make it a card number even without a valid
# Luhn digit: people mistype, and the number is personal data all the same.
_CARD_CONTEXT = re.compile(r"(?:卡号|银行卡|账号|帐号)码?[是为]?[ :]*$")
_CARD_CONTEXT_WIDTH = 10

_MOBILE = re.compile(
    r"(?<![0-9])(?P<prefix>(?:\+86|0086|86)[ -]?)?(?P<number>1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4})(?![0-9])"
)

# 010 and 02x are the three-digit area codes; every other one has four digits.
_AREA_CODE = r"0(?:10|2[0-9]|[3-9][0-9]{2})"
_LANDLINE = re.compile(
    rf"(?<![0-9])(?:\((?P<area_in_parens>{_AREA_CODE})\)[ -]?|(?P<area>{_AREA_CODE})[ -]?)"
    r"(?P<local>[1-9][0-9]{2,3}[ -]?[0-9]{4})"
    r"(?:(?:转|-|ext\.?)(?P<extension>[0-9]{1,6}))?(?![0-9])"
)

_LATIN_LETTERS = "A-Za-z\u00c0-\u024f"
_LATIN_NAME = re.compile(rf"[{_LATIN_LETTERS}\s.'’-]+")
_LATIN_WORD = re.compile(rf"[{_LATIN_LETTERS}]+")

# GB 11643: weight of position i is 2**(17 - i) mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# First two digits of mainland provinces (11 Beijing .. 65 Xinjiang), Taiwan,
# Hong Kong and Macau; used only for 15-digit numbers, which have no check digit.
_PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()  # noqa: SIM905
)


# --- Public API ---------------------------------------------------------------


def mask_name(name: str) -> str:
    """张三 -> 张*, 张小明 -> 张*明, 欧阳小明 -> 欧**明, John Smith -> J*** S****."""
    name = name.strip()
    if not name:
        return ""
    if _LATIN_NAME.fullmatch(name) and _LATIN_WORD.search(name):
        return _LATIN_WORD.sub(lambda word: word[0][0] + MASK * (len(word[0]) - 1), name)
    if len(name) <= 2:
        return name[:-1] + MASK
    return name[0] + MASK * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """13800138000 -> 138****8000, +8613800138000 -> +86138****8000, 010-12345678 -> 010-****5678.

    Anything that is neither a mainland mobile nor a landline with area code
    has every digit but the last four masked.
    """
    phone = phone.strip()
    if not phone:
        return ""
    plain = _normalise(phone)
    if mobile := _MOBILE.fullmatch(plain):
        return _hide(phone, *mobile.span("number"), keep_first=3, keep_last=4)
    if landline := _LANDLINE.fullmatch(plain):
        return _hide(phone, *landline.span("local"), keep_first=0, keep_last=4)
    return _hide(phone, 0, len(phone), keep_first=0, keep_last=4)


def find_personal_data(text: str, names: Iterable[str] = ()) -> list[Finding]:
    """Every piece of personal data in ``text``, in order, none overlapping another.

    ``names`` are names known to belong to people (the writer, names given by
    staff); they are found wherever they occur, longest first.
    """
    plain = _normalise(text)
    claimed = bytearray(len(text))
    found: list[Finding] = []
    for kind, start, end in _candidates(plain, names):
        if not any(claimed[start:end]):
            claimed[start:end] = b"\x01" * (end - start)
            found.append(Finding(kind, start, end, text[start:end]))
    return sorted(found, key=lambda finding: finding.start)


def mask_personal_data(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with every finding of :func:`find_personal_data` masked, all else unchanged."""
    return _masked(text, (names,) if isinstance(names, str) else tuple(names))


@lru_cache(maxsize=MEMOISED_TEXTS)  # a page masks the same opinions and questions on every render
def _masked(text: str, names: tuple[str, ...]) -> str:
    parts: list[str] = []
    position = 0
    for finding in find_personal_data(text, names):
        parts.append(text[position : finding.start])
        parts.append(_mask_finding(finding))
        position = finding.end
    parts.append(text[position:])
    return "".join(parts)


# --- Detection ----------------------------------------------------------------


def _normalise(text: str) -> str:
    return text.translate(_HALF_WIDTH)


def _candidates(plain: str, names: Iterable[str]) -> Iterator[tuple[str, int, int]]:
    """Candidate spans, the most specific kinds first (earlier ones win overlaps)."""
    for match in _EMAIL.finditer(plain):
        yield "email", match.start(), match.end()
    for match in _ID_18.finditer(plain):
        if _is_id_number_18(_significant(match[0])):
            yield "id_number", match.start(), match.end()
    for match in _ID_15.finditer(plain):
        if _is_id_number_15(match[0]):
            yield "id_number", match.start(), match.end()
    for match in _BANK_CARD.finditer(plain):
        if _passes_luhn(_significant(match[0])) or _follows_card_label(plain, match.start()):
            yield "bank_card", match.start(), match.end()
    for match in _MOBILE.finditer(plain):
        yield "mobile", match.start(), match.end()
    for match in _LANDLINE.finditer(plain):
        yield "landline", match.start(), match.end()
    for pattern in _name_patterns(names):
        for match in pattern.finditer(plain):
            yield "name", match.start(), match.end()


def _name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    if isinstance(names, str):  # one name passed bare would otherwise mask each of its characters
        names = (names,)
    unique = {_normalise(name).strip() for name in names if name and name.strip()}
    return [_name_pattern(name) for name in sorted(unique, key=lambda name: (-len(name), name))]


@lru_cache(maxsize=1024)
def _name_pattern(name: str) -> re.Pattern[str]:
    pattern = r"\s+".join(re.escape(part) for part in name.split())
    # A Latin name must not match inside a longer word ("Li" in "Lisbon"); a
    # Chinese one has no word boundaries to respect.
    if re.match(rf"[{_LATIN_LETTERS}]", name):
        pattern = rf"(?<![{_LATIN_LETTERS}])" + pattern
    if re.search(rf"[{_LATIN_LETTERS}]$", name):
        pattern += rf"(?![{_LATIN_LETTERS}])"
    return re.compile(pattern, re.IGNORECASE)


def _significant(number: str) -> str:
    """The digits (and ID check character) of a number, without separators."""
    return re.sub(r"[ -]", "", number)


def _is_id_number_18(number: str) -> bool:
    # A date-valid number with a wrong check character is still masked: it is
    # almost always a real ID number with a typo.
    return _id_check_char(number[:17]) == number[17].upper() or _is_date(number[6:14])


def _is_id_number_15(number: str) -> bool:
    return number[:2] in _PROVINCE_CODES and _is_date("19" + number[6:12])


def _id_check_char(first_17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first_17, _ID_WEIGHTS))
    return _ID_CHECK_CHARS[total % 11]


def _is_date(yyyymmdd: str) -> bool:
    if not yyyymmdd.isdigit():
        return False
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])
    if not (1900 <= year <= 2099 and 1 <= month <= 12):
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 1 <= day <= _DAYS_IN_MONTH[month - 1] + (month == 2 and leap)


def _passes_luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _follows_card_label(plain: str, start: int) -> bool:
    return _CARD_CONTEXT.search(plain, max(0, start - _CARD_CONTEXT_WIDTH), start) is not None


# --- Masking ------------------------------------------------------------------


def _mask_finding(finding: Finding) -> str:
    text = finding.text
    if finding.kind == "name":
        return mask_name(text)
    if finding.kind in ("mobile", "landline"):
        return mask_phone(text)
    if finding.kind == "id_number":
        keep_last = 4 if sum(map(_is_id_char, text)) == 18 else 3
        return _hide(text, 0, len(text), keep_first=6, keep_last=keep_last, is_significant=_is_id_char)
    if finding.kind == "bank_card":
        return _hide(text, 0, len(text), keep_first=4, keep_last=4)
    if finding.kind == "email":
        return text[0] + MASK * 3 + text[_normalise(text).index("@") :]
    raise ValueError(f"unknown kind of personal data: {finding.kind!r}")


def _is_id_char(char: str) -> bool:
    return char.isdecimal() or char in "Xx"


def _hide(
    text: str,
    start: int,
    end: int,
    *,
    keep_first: int,
    keep_last: int,
    is_significant: Callable[[str], bool] = str.isdecimal,
) -> str:
    """Mask the digits in ``text[start:end]`` except the first and last few; separators stay."""
    positions = [index for index in range(start, end) if is_significant(text[index])]
    hidden = set(positions[keep_first : len(positions) - keep_last])
    return "".join(MASK if index in hidden else char for index, char in enumerate(text))


# --- Public read types ----------------------------------------------------------


class PublicRead(msgspec.Struct):
    """Base of the public read types: personal data is masked when the struct is built.

    Every ``str`` field (and each ``str`` of a list field) goes through
    :func:`mask_personal_data`, except those named in ``public_safe`` (ids,
    states, times): a field added later is masked unless declared safe. Fields in
    ``public_names`` take a person's name as written; it is masked with
    :func:`mask_name` and wherever it occurs in the other fields. Pass raw values:
    masking a masked Latin name again changes it.
    """

    public_safe: ClassVar[frozenset[str]] = frozenset()
    public_names: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self) -> None:
        written = [value for field in self.public_names if isinstance(value := getattr(self, field), str) and value]
        for field in self.__struct_fields__:
            if field not in self.public_safe:
                masked = _mask_value(getattr(self, field), written, is_name=field in self.public_names)
                setattr(self, field, masked)

    def mask_names_of_outer(self, names: list[str]) -> None:
        """A read nested in another (an update in a rectification) also masks the outer read's names: staff
        write "已联系张三丰" in an update that has no name field of its own. Masking is idempotent."""
        for field in self.__struct_fields__:
            if field not in self.public_safe and field not in self.public_names:
                setattr(self, field, _mask_value(getattr(self, field), names, is_name=False))


def _mask_value(value: Any, names: list[str], *, is_name: bool) -> Any:
    if isinstance(value, PublicRead):
        if names:
            value.mask_names_of_outer(names)
        return value
    if isinstance(value, str):
        return mask_name(value) if is_name else mask_personal_data(value, names)
    if isinstance(value, list):
        return [_mask_value(item, names, is_name=is_name) for item in value]
    return value
