"""Phone numbers as logs may show them (SPEC §5: phone numbers masked)."""

from __future__ import annotations

MASKED_DIGITS = 4


def mask_number(e164: str) -> str:
    """`e164` with its last four characters hidden: "+15145550142" -> "+1514555****"."""
    return e164[:-MASKED_DIGITS] + "*" * MASKED_DIGITS if len(e164) > MASKED_DIGITS else "*" * MASKED_DIGITS
