"""Clock times ("14h30", "14 h 30", "2h30 de l'après-midi", "3pm", "midi") and parts of the day ("en pm")."""

from __future__ import annotations

import re
from datetime import time

from bot.core.vocabulary import PartOfDay

_CLOCK = re.compile(
    r"""
    (?<![\w:/.-])(?<!depuis\ )(?<!dans\ )(?<!pendant\ )    # "depuis 1h" is a duration
    (?P<hour>\d{1,2})
    (?:
        (?P<hour_mark>\s*h(?:eures?)?)\s*(?P<minute_after_h>\d{2})?    # 14h30, 14 h 30, 9h, 9 heures
      | :(?P<minute_after_colon>\d{2})                  # 14:30
    )?
    (?:\s*(?P<qualifier>a\.m\.|p\.m\.|am|pm|du\ matin|de\ l'apres-midi|du\ soir))?
    (?![\w:/])
    """,
    re.VERBOSE,
)
_NOON = re.compile(r"(?<![\w-])(?:midi|noon)\b")
_AFTERNOON_QUALIFIERS = frozenset({"pm", "p.m.", "de l'apres-midi", "du soir"})
_MORNING_QUALIFIERS = frozenset({"am", "a.m.", "du matin"})
# A clinic is closed at night: an hour from 1 to 6 with no "am" or "du matin" is in the afternoon ("le 2h30").
_LAST_AFTERNOON_HOUR_WRITTEN_ALONE = 6

_PARTS_OF_DAY = (
    (PartOfDay.MORNING, re.compile(r"\b(?:matin|matinee|avant-midi|morning)\b|\ba\.m\.|(?<!i )\bam\b")),
    (PartOfDay.AFTERNOON, re.compile(r"\b(?:apres-midi|afternoon|pm)\b|\bp\.m\.")),
    (PartOfDay.EVENING, re.compile(r"\b(?:soir|soiree|evening|tonight|apres le travail|after work)\b")),
)


def blank(text: str, start: int, end: int) -> str:
    """`text` with [start, end) replaced by spaces, so that later rules do not read those words again."""
    return text[:start] + " " * (end - start) + text[end:]


def find_clock_time(text: str) -> tuple[time | None, str]:
    """The first clock time in `text`, and `text` with it (and its "pm" or "du matin") blanked out.

    A bare number is not a time: it needs "h", ":" or am/pm. Hours 1 to 6 written alone mean the afternoon.
    """
    for match in _CLOCK.finditer(text):
        minute_text = match["minute_after_h"] or match["minute_after_colon"]
        qualifier = match["qualifier"]
        hour, minute = int(match["hour"]), int(minute_text or 0)
        if not (match["hour_mark"] or match["minute_after_colon"] or qualifier) or hour > 23 or minute > 59:
            continue
        in_the_afternoon = qualifier in _AFTERNOON_QUALIFIERS or (
            qualifier is None and 1 <= hour <= _LAST_AFTERNOON_HOUR_WRITTEN_ALONE
        )
        if qualifier in _MORNING_QUALIFIERS and hour == 12:
            hour = 0
        elif in_the_afternoon and hour < 12:
            hour += 12
        return time(hour, minute), blank(text, match.start(), match.end())
    noon = _NOON.search(text)
    if noon:
        return time(12), blank(text, noon.start(), noon.end())
    return None, text


def find_part_of_day(text: str) -> PartOfDay | None:
    """The one part of the day `text` names ("demain matin", "en pm", "tonight"); None when none or several."""
    named = [part for part, pattern in _PARTS_OF_DAY if pattern.search(text)]
    return named[0] if len(named) == 1 else None
