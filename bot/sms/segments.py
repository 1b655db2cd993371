"""How many SMS segments a text costs, per 3GPP TS 23.038 (GSM-7 default alphabet, else UCS-2).

French matters here: é è à ù are in the GSM-7 alphabet, but ê â î ô û ç « » ’ are not, and a single one of
them turns the whole message into UCS-2, which more than halves the characters per segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

#: Canadian carriers cap concatenated replies; every bot reply must fit in this many segments.
MAX_SEGMENTS = 2

#: The GSM-7 default alphabet, one septet each (its escape character 0x1B is not a character of its own).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

#: The GSM-7 extension table: each character is sent as escape + code, two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE_SEPTETS = 160
GSM7_PART_SEPTETS = 153  # the user data header of a concatenated message takes 7 septets
UCS2_SINGLE_UNITS = 70
UCS2_PART_UNITS = 67  # the same header takes 3 UTF-16 code units


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SegmentInfo:
    """A text's encoding, its length in units (GSM-7 septets or UTF-16 code units) and its segment count."""

    encoding: Encoding
    units: int
    segments: int


def segment_info(text: str) -> SegmentInfo:
    """Encoding, units and segments of `text` as a carrier would send it (an empty text still costs 1)."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        septets = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return _pack(Encoding.GSM7, septets, GSM7_SINGLE_SEPTETS, GSM7_PART_SEPTETS)
    code_units = [2 if ord(char) > 0xFFFF else 1 for char in text]  # outside the BMP: a surrogate pair
    return _pack(Encoding.UCS2, code_units, UCS2_SINGLE_UNITS, UCS2_PART_UNITS)


def segment_count(text: str) -> int:
    """How many SMS segments `text` costs."""
    return segment_info(text).segments


def _pack(encoding: Encoding, widths: list[int], single_limit: int, part_limit: int) -> SegmentInfo:
    """Fill segments character by character: an escape pair or a surrogate pair is never split across two."""
    units = sum(widths)
    if units <= single_limit:
        return SegmentInfo(encoding, units, 1)
    segments, used = 1, 0
    for width in widths:
        if used + width > part_limit:
            segments, used = segments + 1, 0
        used += width
    return SegmentInfo(encoding, units, segments)


# Guillemets take their inner (usually non-breaking) spaces with them: « oui » reads "oui", not " oui ".
_OPENING_GUILLEMET = re.compile("«[ \u00a0\u202f]*")
_CLOSING_GUILLEMET = re.compile("[ \u00a0\u202f]*»")
_TYPOGRAPHY = str.maketrans(
    {
        "\u2019": "'",  # ’ right single quotation mark, the typographic apostrophe
        "\u2018": "'",  # ‘ its opening counterpart
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u2013": "-",  # – en dash
        "\u2014": "-",  # — em dash
        "\u2026": "...",  # … ellipsis
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space (French typography before ; : ! ?)
    }
)


def gsm7_safe(text: str) -> str:
    """`text` with typographic punctuation and spaces that force UCS-2 replaced by GSM-7 equivalents.

    Letters are never touched: ê, ç, À… stay, so a French text that needs them stays correct (and UCS-2).
    """
    text = _OPENING_GUILLEMET.sub('"', text)
    text = _CLOSING_GUILLEMET.sub('"', text)
    return text.translate(_TYPOGRAPHY)
