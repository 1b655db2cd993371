"""The SMS form of a bot turn: one text, numbered options on their own lines, within two segments."""

from __future__ import annotations

import unicodedata

from bot.engine.replies import BotTurn
from bot.sms.segments import GSM7_BASIC, MAX_SEGMENTS, gsm7_safe, segment_count


def sms_text(turn: BotTurn) -> str:
    """All replies of the turn as one SMS body (one message costs less than several and arrives in order)."""
    parts = []
    for reply in turn.replies:
        lines = [reply.text, *(f"{number}) {option}" for number, option in enumerate(reply.options, start=1))]
        parts.append("\n".join(lines))
    return fit_in_segments(gsm7_safe("\n".join(parts)))


def fit_in_segments(text: str) -> str:
    """`text` if it fits in MAX_SEGMENTS; else with letters outside GSM-7 (ô ê ç…) written without their accent,
    which keeps a French name readable where UCS-2 would need three texts; else cut with an ellipsis."""
    if segment_count(text) <= MAX_SEGMENTS:
        return text
    folded = "".join(_gsm7_letter(character) for character in text)
    while segment_count(folded) > MAX_SEGMENTS:
        folded = folded[: len(folded) - 4].rstrip() + "..."
    return folded


def _gsm7_letter(character: str) -> str:
    if character in GSM7_BASIC:
        return character
    base = unicodedata.normalize("NFD", character)[0]
    return base if base in GSM7_BASIC else character
