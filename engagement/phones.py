"""Phone numbers: parsing with phonenumbers, masking for display.

Only numbers that can receive an SMS code are accepted: mobile numbers, written with digits,
spaces, hyphens, dots, brackets and a leading "+" (full-width characters are read as their ASCII
forms). phonenumbers itself is lenient: it reads "ext 123", "x123", "#123" and ";ext=123" as an
extension, turns letters into digits (1-800-FLOWERS) and skips text before the number, so those
are refused before parsing. ``FIXED_LINE_OR_MOBILE`` is accepted: in the North American plan
(US, Canada) a number does not tell whether it is a mobile, and refusing it would refuse every
mobile there; a landline simply never receives the SMS. Mainland numbers may omit +86.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from engagement.errors import InvalidInput
from engagement.i18n import _

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
MAX_RAW_LENGTH = 32
WRITTEN_NUMBER = re.compile(r"\+?[0-9 ().-]+")


def parse_mobile(raw: object) -> str:
    """The E.164 form of a mobile number; mainland numbers may omit +86."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(_("Please enter a mobile phone number."))
    if len(raw) > MAX_RAW_LENGTH:
        raise InvalidInput(_("That is not a valid mobile phone number."))
    written = unicodedata.normalize("NFKC", raw).strip()
    if not WRITTEN_NUMBER.fullmatch(written):
        raise InvalidInput(_("Enter the mobile phone number in digits only, without an extension."))
    try:
        number = phonenumbers.parse(written, "CN")
    except NumberParseException:
        raise InvalidInput(_("That is not a valid mobile phone number.")) from None
    if number.extension:
        raise InvalidInput(_("Enter the mobile phone number in digits only, without an extension."))
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidInput(_("That is not a valid mobile phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_e164(e164: str) -> str:
    """+8613800138000 -> 138****8000 (mainland) or +44****0123 elsewhere."""
    national = e164.removeprefix("+86")
    if len(national) < 8:
        return "*" * len(national)
    return f"{national[:3]}****{national[-4:]}"
