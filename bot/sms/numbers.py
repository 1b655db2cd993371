"""Which numbers can be texted at all."""

from __future__ import annotations

from functools import lru_cache

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


@lru_cache(maxsize=4096)  # every webhook parses its sender, and phonenumbers is comparatively slow
def sender_e164(value: str) -> str | None:
    """The sender's number in E.164 whenever it parses at all, valid or not: a new or reserved range or a foreign
    number still gets an answer (safety, STOP and START above all). None for what is no phone number."""
    try:
        number = phonenumbers.parse(value.strip(), "CA")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def country_of(e164: str) -> str:
    """The number's country (ISO 3166 code); for a number in no known range, its calling code's main country (a new
    North American range is "US"), or "ZZ"."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return "ZZ"
    return phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(
        number.country_code or 0
    )
