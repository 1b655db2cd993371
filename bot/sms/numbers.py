"""Which numbers can be texted at all."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

#: Numbers that may be mobiles. North American numbers never say which they are: most are FIXED_LINE_OR_MOBILE, and
#: a landline among them simply gets no text (Twilio reports it undelivered).
_TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PERSONAL_NUMBER}


def can_receive_texts(e164: str) -> bool:
    """False for numbers that cannot be mobiles (known landlines, toll-free, premium), or that do not parse."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in _TEXTABLE
