"""The SMS form of a bot turn: one text, numbered options on their own lines, within two segments."""

from __future__ import annotations

import unicodedata

from bot.engine.replies import BotTurn
from bot.sms.segments import GSM7_BASIC, MAX_SEGMENTS, gsm7_safe, segment_count


def sms_text(turn: BotTurn) -> str:
    """All replies of the turn as one SMS body (one message costs less than several and arrives in order); when
    it is too long, the last numbered options are left out (never the first) before any text is cut."""
    shown = [list(reply.options) for reply in turn.replies]
    text = _body(turn, shown)
    if segment_count(text) <= MAX_SEGMENTS:  # nearly every turn: nothing to fold or leave out
        return text
    while segment_count(_folded(text)) > MAX_SEGMENTS and (longer := [o for o in shown if len(o) > 1]):
        longer[-1].pop()
        text = _body(turn, shown)
    return fit_in_segments(text)


def _body(turn: BotTurn, shown: list[list[str]]) -> str:
    parts = []
    for reply, options in zip(turn.replies, shown, strict=True):
        lines = [reply.text, *(f"{number}) {option}" for number, option in enumerate(options, start=1))]
        parts.append("\n".join(lines))
    return gsm7_safe("\n".join(parts))


def fit_in_segments(text: str) -> str:
    """`text` if it fits in MAX_SEGMENTS; else with letters outside GSM-7 (ô ê ç…) written without their accent,
    which keeps a French name readable where UCS-2 would need three texts; else cut with an ellipsis."""
    if segment_count(text) <= MAX_SEGMENTS:
        return text
    folded = _folded(text)
    while segment_count(folded) > MAX_SEGMENTS:
        folded = folded[: len(folded) - 4].rstrip() + "..."
    return folded


def _folded(text: str) -> str:
    return "".join(_gsm7_letter(character) for character in text)


def _gsm7_letter(character: str) -> str:
    if character in GSM7_BASIC:
        return character
    base = unicodedata.normalize("NFD", character)[0]
    return base if base in GSM7_BASIC else character
