"""Phone numbers: parsing with phonenumbers, masking for display."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from engagement.errors import InvalidInput
from engagement.i18n import _

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
MAX_RAW_LENGTH = 32


def parse_mobile(raw: object) -> str:
    """The E.164 form of a mobile number; mainland numbers may omit +86."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(_("Please enter a mobile phone number."))
    if len(raw) > MAX_RAW_LENGTH:
        raise InvalidInput(_("That is not a valid mobile phone number."))
    try:
        number = phonenumbers.parse(raw.strip(), "CN")
    except NumberParseException:
        raise InvalidInput(_("That is not a valid mobile phone number.")) from None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidInput(_("That is not a valid mobile phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_e164(e164: str) -> str:
    """+8613800138000 -> 138****8000 (mainland) or +44****0123 elsewhere."""
    national = e164.removeprefix("+86")
    if len(national) < 8:
        return "*" * len(national)
    return f"{national[:3]}****{national[-4:]}"
