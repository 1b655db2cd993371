"""Clock times, windows of start times, times said in passing, and parts of the day, written or spoken.

- Clock times: "14h30", "14 h 30", "2h30 de l'après-midi", "3pm", "midi", "10h et demie", and the way speech
  transcripts (and some patients) give them: "dix heures", "quatorze heures quinze", "midi et quart", "dix heures
  moins quart", "two thirty", "ten o'clock", "half past nine", "quarter to three".
- Windows of start times: "pas avant 10h", "after 4", "au plus tard 11h", "entre 13h et 15h", "between 10 and noon".
- Times said in passing, about the patient's day rather than the appointment: "je finis à 16h", "I work until 5".
- Parts of the day: "en pm", "aprem", "after lunch", "first thing", "fin de journée".

A bare number is not a time ("j'ai 2 enfants"), except in a window ("after 4"). An hour from 1 to 6 with no "am" or
"du matin" is in the afternoon: a clinic is closed at night.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from bot.core.vocabulary import PartOfDay

#: A month's name or abbreviation ("décembre", "dec.", "sept"), after normalisation; dates.py reads dates with it,
#: and here it tells that the number before it is a day, not an hour ("après 15 décembre").
MONTH = (
    r"(?:janv?(?:ier)?|january|fevr?(?:ier)?|feb(?:ruary)?|mars|march|avr(?:il)?|apr(?:il)?|mai|may|juin|june?"
    r"|juil(?:let)?|july?|aout|aug(?:ust)?|sept?(?:embre|ember)?|oct(?:obre|ober)?|nov(?:embre|ember)?"
    r"|dec(?:embre|ember)?)(?![a-z])\.?"
)

# Number words, with one space between their parts; a text may join them with a hyphen ("dix-huit").
_FRENCH_UNITS = dict(un=1, une=1, deux=2, trois=3, quatre=4, cinq=5, six=6, sept=7, huit=8, neuf=9)
_FRENCH_TEENS = {
    **dict(dix=10, onze=11, douze=12, treize=13, quatorze=14, quinze=15, seize=16),
    **{"dix sept": 17, "dix huit": 18, "dix neuf": 19},
}
_ENGLISH_UNITS = dict(one=1, two=2, three=3, four=4, five=5, six=6, seven=7, eight=8, nine=9)
_ENGLISH_TEENS = dict(ten=10, eleven=11, twelve=12, thirteen=13, fourteen=14, fifteen=15, sixteen=16, seventeen=17)
_ENGLISH_TEENS |= dict(eighteen=18, nineteen=19)


def _up_to_59(
    units: Mapping[str, int], teens: Mapping[str, int], tens: Mapping[str, int], and_one: str
) -> dict[str, int]:
    """Every number word from 1 to 59: units, teens, tens, and tens with a unit ("vingt et une", "forty five")."""
    numbers = {**units, **teens, **tens}
    for ten_word, ten in tens.items():
        for unit_word, unit in units.items():
            numbers[f"{ten_word} {and_one}{unit_word}" if unit == 1 else f"{ten_word} {unit_word}"] = ten + unit
    return numbers


_FRENCH_NUMBERS: dict[str, int] = _up_to_59(
    _FRENCH_UNITS, _FRENCH_TEENS, {"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50}, "et "
)
_ENGLISH_NUMBERS: dict[str, int] = _up_to_59(
    _ENGLISH_UNITS, _ENGLISH_TEENS, {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}, ""
)
_FRENCH_HOURS = {word: number for word, number in _FRENCH_NUMBERS.items() if number <= 23}
# "dix heures cinq" is 10:05, but "10h un jeudi" is not 10:01: minutes in words are 5 or from 10 on.
_FRENCH_MINUTES = {word: number for word, number in _FRENCH_NUMBERS.items() if number == 5 or number >= 10}
# Said alone, in a window ("pas avant dix"); "un" and "une" are articles far more often than hours.
_FRENCH_BARE_HOURS = {word: number for word, number in _FRENCH_NUMBERS.items() if number <= 12}
_ENGLISH_HOURS = {word: number for word, number in _ENGLISH_NUMBERS.items() if number <= 12}
# "nine fifteen", "nine oh five"; "two five" is no time.
_ENGLISH_MINUTES = {word: number for word, number in _ENGLISH_NUMBERS.items() if number >= 10}
_ENGLISH_MINUTES |= {f"oh {word}": number for word, number in _ENGLISH_UNITS.items()}
#: "one", "un", "une" said alone are articles or durations ("une heure d'attente") more often than times.
_ONE_WORDS = frozenset({"un", "une", "one"})
_RELATIVE_MINUTES = {"quarter": 15, "half": 30, "five": 5, "ten": 10, "twenty": 20, "twenty five": 25}
_NOON_WORDS = frozenset({"midi", "noon"})
_SEPARATORS = re.compile(r"[- ]+")


def _alternation(words: Iterable[str], separator: str = "[- ]") -> str:
    """A pattern for any of `words`, the longer tried first so that "dix huit" is not read as "dix"; `separator`
    stands for the space between a word's parts ("dix-huit", "dix huit").

    Words whose first parts go on with the same rests share one alternative: "vingt", "trente", "quarante" and
    "cinquante" all go on with "et un", "deux" ... "neuf", written once rather than once per ten, so that the minutes
    in French words take 200 characters rather than 800. The time grammar is inlined in every pattern that reads a
    time, and compiling those patterns is most of this module's import time.

    The pattern matches what one alternative per word, sorted longest first, would match, and tries it in the same
    order: the words found at one place all start the longest of them, an alternative tries its longer rests before
    its first part alone, and it comes after those whose first parts begin with one of its own ("cinquante" before
    "cinq", which is checked).
    """
    rests_by_first: dict[str, list[str]] = {}
    for word in words:
        first, _, rest = word.partition(" ")
        rests_by_first.setdefault(first, []).append(rest)
    firsts_by_rests: dict[tuple[str, ...], list[str]] = {}
    for first, rests in rests_by_first.items():
        firsts_by_rests.setdefault(tuple(sorted(rests)), []).append(first)
    alternatives: list[str] = []
    tried: list[str] = []
    for shared_rests, firsts in sorted(firsts_by_rests.items(), key=lambda item: -max(map(len, item[1]))):
        if any(first.startswith(earlier) for first in firsts for earlier in tried):
            raise ValueError(f"{firsts} would be read as the shorter words tried before them")
        tried += firsts
        firsts_pattern = "|".join(re.escape(first) for first in sorted(firsts, key=len, reverse=True))
        longer = [rest for rest in shared_rests if rest]
        if not longer:
            alternatives.append(firsts_pattern)
            continue
        # Greedy: the rests are tried before the first part alone (when that is a word).
        rests_pattern = f"(?:{separator}{_alternation(longer, separator)})" + ("?" if "" in shared_rests else "")
        alternatives.append((firsts_pattern if len(firsts) == 1 else f"(?:{firsts_pattern})") + rests_pattern)
    return "(?:" + "|".join(alternatives) + ")"


def _number(numbers: Mapping[str, int], word: str) -> int:
    return numbers[_SEPARATORS.sub(" ", word)]


_MORNING_QUALIFIERS = frozenset({"am", "a.m.", "a.m", "a-m", "du matin", "in the morning"})
_AFTERNOON_QUALIFIERS = frozenset(
    {"pm", "p.m.", "p.m", "p-m", "de l'apres-midi", "de l'aprem", "du soir", "in the afternoon", "in the evening"}
)
# Sorted, so that the pattern is the same in every process (a frozenset's order is not).
_QUALIFIER = _alternation(sorted(_MORNING_QUALIFIERS | _AFTERNOON_QUALIFIERS), " ")
_FRENCH_MINUTE_WORDS = _alternation(_FRENCH_MINUTES)
# What may follow "9h", "neuf heures" or "midi": "30", "trente", "et demie", "et quart", "moins (le) quart", "moins
# dix". The alternatives start differently (a digit, "et", "moins", a number word), so their order does not matter.
_MINUTES_AFTER_THE_HOUR = (
    r"(?:\s*(?P<minutes>\d{2})(?!\d)"
    r"|\s+et\s+(?P<plus>demie?|quart)"
    r"|\s+moins\s+(?:le\s+)?(?P<quarter_to>quart)"
    rf"|\s+(?P<minus>moins\s+(?:le\s+)?)?(?P<word_minutes>{_FRENCH_MINUTE_WORDS}))?"
)

# One grammar for a time, with named groups for `_reading`; each form is one alternative, save that "9h", "dix
# heures" and "midi" share the minutes that may follow them. Forms that start alike are tried in the order one
# alternative per form would be: "9h" and its minutes, then "9:30" or "9 o'clock", then "9" alone.
_TIME_FORMS = (
    # 14h30, 14 h 30, 9h, 10 heures et demie, 10h moins quart; dix heures, onze heures trente, neuf heures et demie,
    # dix heures moins quart; midi, midi et demi, midi et quart, midi moins quart: the same minutes follow all three
    r"(?:(?P<marked_digits>\d{1,2})(?P<digit_mark>\s*h(?:eures?)?)"
    rf"|(?P<french_hour>{_alternation(_FRENCH_HOURS)})\s+heures?"
    rf"|(?P<noon>{_alternation(sorted(_NOON_WORDS))}))" + _MINUTES_AFTER_THE_HOUR,
    # 14:30, 10 o'clock; a bare 4 (a time in a window only)
    r"(?P<digits>\d{1,2})(?::(?P<colon>\d{2})|\s*(?P<digit_oclock>o'clock))?",
    # half past nine, quarter to three, ten past 9
    rf"(?P<relative>{_alternation(_RELATIVE_MINUTES)})\s+(?P<relation>past|to|of)\s+"
    rf"(?P<relative_hour>{_alternation(_ENGLISH_HOURS)}|noon|\d{{1,2}})",
    # two thirty, nine oh five, ten o'clock; a bare "four" (a time in a window only)
    rf"(?P<english_hour>{_alternation(_ENGLISH_HOURS)})"
    rf"(?:\s+(?P<english_oclock>o'clock)|\s+(?P<english_minutes>{_alternation(_ENGLISH_MINUTES)}))?",
    # a bare "dix" (a time in a window only: "pas avant dix")
    rf"(?P<french_bare>{_alternation(_FRENCH_BARE_HOURS)})",
)
# A time starts with a digit or with the first letter of a word a form starts with (`_FIRST_WORDS`, to be kept with
# the forms). Looking at that first fails at once at most places in a text, quicker than trying each form there.
_FIRST_WORDS = (_FRENCH_HOURS, _NOON_WORDS, _RELATIVE_MINUTES, _ENGLISH_HOURS, _FRENCH_BARE_HOURS)
_FIRST_LETTERS = "".join(sorted({word[0] for words in _FIRST_WORDS for word in words}))
_TIME = rf"(?=[\d{_FIRST_LETTERS}])(?:" + "|".join(_TIME_FORMS) + rf")(?:\s*(?P<qualifier>{_QUALIFIER}))?"
# The same grammar without group names, to be used several times in one pattern (the two ends of "entre 9h et 11h").
_ANY_TIME = re.sub(r"\(\?P<\w+>", "(?:", _TIME)
# A clock time standing alone: not part of a number, a date or a word ("514-555-0199", "10/12", "9ieme"). Its
# fullmatch reads a piece of text matched by `_ANY_TIME`: the lookarounds see nothing outside the piece.
_CLOCK = re.compile(r"(?<![\w:/.-])" + _TIME + r"(?![\w:/])")
# Words after which a time is a length of time: "depuis 2h", "dans deux heures", "ça fait une heure".
_DURATION_WORDS = frozenset(
    {"depuis", "dans", "pendant", "durant", "fait", "attendu", "attends", "waited", "prend", "prendre", "dure", "durer"}
)
# Words after which "une heure" is 13:00 ("à une heure", "vers une heure") rather than an hour of waiting.
_AT_WORDS = frozenset({"a", "vers", "pour", "at", "around", "for"})
_LAST_WORD = re.compile(r"([\w']+)\W*$")
# A clinic is closed at night: an hour from 1 to 6 with no "am" or "du matin" is in the afternoon ("le 2h30").
_LAST_AFTERNOON_HOUR_ALONE = 6
NOON_HOUR = 12
#: The latest hour a bare number can be read as in the evening ("de 1 à 10" is a scale, not 13h to 22h).
LATEST_EVENING_HOUR = 21
_LUNCHTIME = re.compile(
    r"\b(?:(?:l')?heure du (?:diner|lunch)|heure de (?:diner|lunch)|lunch ?time|lunch hour|lunch break"
    r"|pause[- ](?:diner|lunch)|(?:at|over|during|on my) lunch(?: break)?|(?:pendant|sur) (?:le|mon) (?:diner|lunch))\b"
)
_BEFORE_OR_AFTER_SOMETHING = re.compile(r"\b(?:apres|after|avant|before)\s+(?:[\w']+\s+){0,2}$")


@dataclass(frozen=True)
class _Reading:
    """One time as read: `bare` when it is a number alone ("10", "four"), `qualified` when it said am or pm."""

    at: time
    bare: bool
    qualified: bool
    one: bool  # "une heure", "one" alone: an article or a duration as often as a time


def _minutes(parts: re.Match[str]) -> tuple[int, int] | None:
    """Minutes after the hour and minutes to take off it ("moins quart"), or None when they do not make sense."""
    if parts["minutes"]:
        return int(parts["minutes"]), 0
    if parts["plus"]:
        return (15 if parts["plus"] == "quart" else 30), 0
    if parts["quarter_to"]:
        return 0, 15
    if parts["word_minutes"]:
        amount = _number(_FRENCH_MINUTES, parts["word_minutes"])
        if not parts["minus"]:
            return amount, 0
        return (0, amount) if amount <= 30 else None  # "dix heures moins quarante" is not said
    return 0, 0


def _reading(parts: re.Match[str], borrowed_qualifier: str | None = None) -> _Reading | None:
    """The time `parts` (a match of `_TIME`) stands for; `borrowed_qualifier` is the "pm" of "between 1 and 3 pm"."""
    marked, noon, word = True, False, ""
    minutes: tuple[int, int] | None
    digits = parts["marked_digits"] or parts["digits"]
    if digits:
        hour, marked = int(digits), bool(parts["digit_mark"] or parts["colon"] or parts["digit_oclock"])
        minutes = (int(parts["colon"]), 0) if parts["colon"] else _minutes(parts)
    elif parts["french_hour"]:
        word = parts["french_hour"]
        hour, minutes = _number(_FRENCH_HOURS, word), _minutes(parts)
    elif parts["noon"]:
        hour, noon, minutes = 12, True, _minutes(parts)
    elif parts["relative"]:
        said_hour = parts["relative_hour"]
        noon = said_hour in _NOON_WORDS
        hour = 12 if noon else int(said_hour) if said_hour.isdigit() else _number(_ENGLISH_HOURS, said_hour)
        amount = _number(_RELATIVE_MINUTES, parts["relative"])
        if parts["relation"] == "past":
            minutes = (amount, 0)
        elif parts["relative"] == "half":
            return None  # "half to three" is not said
        else:
            minutes = (0, amount)
    elif parts["english_hour"]:
        word = parts["english_hour"]
        hour, marked = _number(_ENGLISH_HOURS, word), bool(parts["english_oclock"] or parts["english_minutes"])
        minutes = (_number(_ENGLISH_MINUTES, parts["english_minutes"]) if parts["english_minutes"] else 0, 0)
    else:
        word = parts["french_bare"]
        hour, marked, minutes = _number(_FRENCH_BARE_HOURS, word), False, (0, 0)
    if minutes is None:
        return None
    minute, taken = minutes
    qualifier = parts["qualifier"] or borrowed_qualifier
    if hour > 23 or minute > 59:
        return None
    in_the_afternoon = qualifier in _AFTERNOON_QUALIFIERS or (
        qualifier is None and 1 <= hour <= _LAST_AFTERNOON_HOUR_ALONE
    )
    if not noon and qualifier in _MORNING_QUALIFIERS and hour == 12:  # "12 am"; "midi" is noon whatever follows
        hour = 0
    elif not noon and in_the_afternoon and hour < 12:
        hour += 12
    start = (hour * 60 + minute - taken) % (24 * 60)
    return _Reading(
        at=time(start // 60, start % 60),
        bare=not (marked or parts["qualifier"]),
        qualified=parts["qualifier"] is not None,
        one=word in _ONE_WORDS and minute == 0 and not parts["qualifier"],
    )


def _read(text: str, borrowed_qualifier: str | None = None) -> _Reading | None:
    """The time a piece of text matched by `_ANY_TIME` stands for."""
    parts = _CLOCK.fullmatch(text)
    return _reading(parts, borrowed_qualifier) if parts else None


def blank(text: str, start: int, end: int) -> str:
    """`text` with [start, end) replaced by spaces, so that later rules do not read those words again."""
    return text[:start] + " " * (end - start) + text[end:]


def hour_alone(hour: int) -> time:
    """The time of an hour said without minutes nor am/pm ("jeudi 9"): 1 to 6 are in the afternoon."""
    return time(hour + 12 if 1 <= hour <= _LAST_AFTERNOON_HOUR_ALONE else hour)


def _last_word(text: str) -> str:
    found = _LAST_WORD.search(text)
    return found[1] if found else ""


def find_clock_time(text: str) -> tuple[time | None, str]:
    """The first clock time in `text`, and `text` with it (and its "pm" or "du matin") blanked out.

    A bare number is not a time: it needs "h", ":", am/pm, "heures", "o'clock" or minutes ("two thirty"). Hours 1
    to 6 said alone mean the afternoon. "Lunchtime" and "l'heure du dîner" are noon.
    """
    for match in _CLOCK.finditer(text):
        reading = _reading(match)
        if reading is None or reading.bare:
            continue
        before = _last_word(text[: match.start()])
        if before in _DURATION_WORDS or (reading.one and before not in _AT_WORDS):
            continue
        return reading.at, blank(text, match.start(), match.end())
    for lunch in _LUNCHTIME.finditer(text):
        # "après le dîner" is the afternoon, "before lunch" the morning: find_part_of_day reads them.
        if not _BEFORE_OR_AFTER_SOMETHING.search(text[: lunch.start()]):
            return time(12), blank(text, lunch.start(), lunch.end())
    return None, text


# Windows of start times. A bare number counts as an hour after these words ("not before 10", "after 4", "until 11"),
# but "dès", "by" and a lone "from" need a real time ("dès 14h", "by noon", "from 2pm"): "des 2 enfants".
_AFTER_WORDS = (
    r"pas avant|jamais avant|pas plus tot qu(?:e|'a)|not before|never before|no earlier than|not earlier than"
    # "je suis pas disponible avant 16h", "not available before 4": free from then on
    r"|pas (?:disponible|dispo|libre) avant|(?:not |un)available before|not free before"
    r"|apres|after|later than|plus tard qu(?:e|'a)|a partir d(?:e|')|a compter d(?:e|')|starting (?:at|from)|des|from"
)
_BEFORE_WORDS = (
    r"pas apres|jamais apres|pas plus tard qu(?:e|'a)|not after|no later than|not later than|au plus tard(?: a)?"
    r"|avant|before|until|up until|till|til|jusqu'a|by"
)
_NEEDS_A_REAL_TIME = frozenset({"des", "from", "by"})
# "mon rdv de 9h à 10h", "my appointment from 2pm to 3pm" name the appointment's time (and where it moves).
_THE_APPOINTMENT = re.compile(r"\b(?:rendez-vous|appointment|appt|booking)\s+$")
_AND = r"\s*(?:\bet\b|\bpis\b|\band\b|-|\ba\b|\bto\b)\s*"  # "entre 10h pis 11h"
_TO = r"\s*(?:-|\ba\b|\bto\b|\btill\b|\buntil\b|jusqu'a\b)\s*"
_ONWARD = r"onwards?|and on|and later|or later|et plus|ou plus tard"


def _if_matched(branches: Sequence[tuple[str, str]]) -> str:
    """A pattern for the branch of the first of `branches`' groups to have matched, failing when none has:
    `(?(a)A|(?(b)B|(?!)))`."""
    pattern = "(?!)"
    for group, branch in reversed(branches):
        pattern = f"(?({group})(?:{branch})|{pattern})"
    return pattern


# A window is words of its kind (or none), a time, and what follows the time in that kind: "entre 9h et 11h", "après
# 16h", "9h-11h", "10h au plus tôt". The kinds are alternatives before one time rather than each with its own: the
# time grammar inlined in each kind made a pattern of 67 KB, and compiling it most of this module's import time.
# What follows the time is chosen by the group of the kind that matched. The engine still tries the kinds in turn,
# each with every way of reading the time, so the matches are those of one alternative per kind.
_WINDOW = re.compile(
    r"(?<![\w'-])"
    # "anything after 4", "n'importe quand après 16h": blanked with the window, so that "any time" is not "the earliest"
    r"(?:(?:any ?time|anything|something|n'importe quand|n'importe quelle heure|quelque chose)\s+)?"
    # "pas avant-midi": normalising joined "avant midi" into the morning, but not before noon is after it. (No other
    # kind matches there, so trying it first changes nothing.)
    r"(?:(?P<not_before_noon>(?:pas|jamais) avant-midi)"
    r"|(?:(?P<between_word>entre|between)\s+"
    r"|(?P<from_word>de|from)\s+"
    rf"|(?P<after_word>{_AFTER_WORDS})(?:\s+|(?<='))"
    rf"|(?P<before_word>{_BEFORE_WORDS})(?:\s+|(?<='))"
    # "9h-11h", "2-4pm", "14h à 15h"; "vers 10h30-11h" is about a time, as "vers 14h" is
    r"|(?P<range>(?<!vers )(?<!around )(?<!environ )(?<!de )(?<!from ))"
    # "10h au plus tôt", "4 or later"; "11h au plus tard". These groups and `range` match nothing, only tell the kind.
    r"|(?P<tail_after>)"
    r"|(?P<tail_before>))"
    rf"(?P<first>{_ANY_TIME})"
    "(?:"
    + _if_matched((("between_word", _AND), ("from_word", _TO), ("range", r"\s*(?P<range_sep>-|\bto\b|\ba\b)\s*")))
    + rf"(?P<last>{_ANY_TIME})|"
    + _if_matched(
        (
            ("after_word", rf"(?P<onward>\s+(?:{_ONWARD})|\s+on(?=\s*(?:[,.!?;]|$)))?"),
            ("before_word", ""),
            ("tail_after", rf"\s+(?:au plus tot|at the earliest|{_ONWARD})"),
            ("tail_before", r"\s+(?:au plus tard|at the latest|or earlier|ou plus tot|ou avant)"),
        )
    )
    + "))"
    r"(?![\w:/])"
)
# After a bare number, these words make it a quantity or a day, not an hour: "après 2 semaines", "avant 15 déc".
_NOT_AN_HOUR_NEXT = re.compile(
    r"\s*(?:%|\$|(?:jours?|days?|semaines?|weeks?|mois|months?|ans|annees?|years?|minutes?|mins?|hours?|hrs?"
    r"|fois|times|personnes?|people|enfants?|kids?|tries|essais|visites?|visits?|doses?|pilules?|pills?"
    rf"|ou deux|or two)\b|{MONTH})"
)
_LATE_IN_THE_DAY = re.compile(
    r"\b(?:fin (?:de (?:la )?journee|d'apres-midi|d'aprem|d'apm)|end of (?:the )?day|late (?:in the )?afternoon)\b"
)
#: "fin de journée", "late afternoon": the last two hours of a clinic's afternoon.
LATE_IN_THE_DAY_FROM = time(15)


def _single(text: str, bare_allowed: bool, quantity_next: bool) -> time | None:
    """One end of a window ("après 16h", "after 4"); a bare number only after words that allow it, and not before a
    quantity ("after 2 weeks")."""
    reading = _read(text)
    if reading is None or (reading.bare and (not bare_allowed or reading.one or quantity_next)):
        return None
    return reading.at


def _both_ends(first: str, last: str, quantity_next: bool) -> tuple[time, time] | None:
    """The two ends of "entre 13h et 15h", "between 1 and 3 pm" (the "pm" is the first's too, when it fits)."""
    end = _read(last)
    start = _read(first)
    if start is None or end is None or (end.bare and quantity_next) or (start.one and start.bare and end.bare):
        return None
    if not start.qualified and end.qualified:
        qualifier = _CLOCK.fullmatch(last)
        borrowed = _read(first, qualifier["qualifier"] if qualifier else None)
        if borrowed is not None and borrowed.at < end.at:
            start = borrowed
    if start.bare and end.bare and start.at >= end.at and end.at.hour + NOON_HOUR <= LATEST_EVENING_HOUR:
        evening = time(end.at.hour + NOON_HOUR, end.at.minute)  # "entre 5 et 7": 17h to 19h, as the day goes on
        return (start.at, evening) if start.at < evening else None
    return (start.at, end.at) if start.at < end.at else None


def _stands_alone(first: str, last: str, separator: str) -> bool:
    """Whether a range with no "entre" nor "de" is one: both ends are times ("9h-11h", "14h à 15h"), or a number
    comes before a time with a dash or "to" ("2-4pm"); "jeudi 10 à 11h" is the 10th at 11."""
    start, end = _read(first), _read(last)
    if start is None or end is None or end.bare:
        return False
    return not start.bare or separator != "a"


def find_window(text: str) -> tuple[time | None, time | None, str]:
    """The window of start times `text` asks for: not before `after`, not after `before`; and `text` without it.

    "pas avant 10h", "après 16h", "à partir de 13h", "not before 10", "from 2pm on" give `after`; "avant 10h", "au
    plus tard 11h", "until 11", "no later than 3" give `before`; "entre 13h et 15h", "de 9h à 11h", "between 10 and
    noon" give both. "Fin de journée" and "late afternoon" start at LATE_IN_THE_DAY_FROM. A time with no such word
    ("vers 14h", "à 14h") is no window: find_clock_time reads it. Of two windows that cannot both hold ("avant 10h
    ou après 16h"), the first said is kept.
    """
    after: time | None = None
    before: time | None = None
    for match in _WINDOW.finditer(text):
        quantity_next = _NOT_AN_HOUR_NEXT.match(text, match.end()) is not None
        if (match["from_word"] or match["after_word"] == "from") and _THE_APPOINTMENT.search(text[: match.start()]):
            continue
        found_after = found_before = None
        first, last = match["first"], match["last"]
        if match["not_before_noon"]:
            found_after = time(12)
        elif match["after_word"]:
            # "from 2 on" is a window, "from 2" alone the start of an unsaid "from 2 to ..."
            bare_allowed = match["after_word"] not in _NEEDS_A_REAL_TIME or bool(match["onward"])
            found_after = _single(first, bare_allowed, quantity_next)
        elif match["before_word"]:
            found_before = _single(first, match["before_word"] not in _NEEDS_A_REAL_TIME, quantity_next)
        elif match["tail_after"] is not None or match["tail_before"] is not None:  # these groups match ""
            single = _read(first)
            if single is not None and not single.bare:
                found_after, found_before = (single.at, None) if match["tail_after"] is not None else (None, single.at)
        else:
            ends = _both_ends(first, last, quantity_next)
            if ends and match["range"] is not None and not _stands_alone(first, last, match["range_sep"]):
                ends = None
            if ends:
                found_after, found_before = ends
        if found_after is None and found_before is None:
            continue
        if after is None and found_after is not None and not (before is not None and found_after >= before):
            after = found_after
        if before is None and found_before is not None and not (after is not None and found_before <= after):
            before = found_before
        text = blank(text, match.start(), match.end())
    if after is None and _LATE_IN_THE_DAY.search(text):
        after = LATE_IN_THE_DAY_FROM
    return after, before, text


# Times said about the patient's day, not the appointment: "je travaille jusqu'à 17h", "I get off at 4", "mon bus
# arrive à 8h", "je travaille de 9h à 17h", "I work 9 to 5". Up to two words may come between ("je finis de
# travailler à 16h"), but none that starts another thought ("je travaille demain donc jeudi à 14h").
_PERSONAL_EVENTS = (
    r"travaille\w*|travail|job|shift|quart de travail|finis|finit|fini|finir|termine\w*|sors|sort|sortir|je commence"
    r"|ecole|garderie|(?<!au )cours|reunion|occupee?|bus|autobus|metro|(?<!en )train|traversier"
    r"|(?:i|i'm|we|we're)(?: \w+)? work(?:ing|s)?|(?:at|from|off|my) work|finish\w*|get(?:ting)? (?:off|out)"
    r"|(?:i'm|i am) (?:off|done|busy)|i start|my shift starts|school|class(?:es)?|daycare|subway"
)
_PERSONAL_PREPOSITIONS = r"jusqu'a|jusqu'au|a|au|vers|de|des|entre|until|till|til|at|around|from|between|by"
# "Vous êtes ouverts jusqu'à 20h?" and "you close at 5?" are about the clinic; "open at 3pm" is a wish.
_OPENING = r"ouvert\w*|open"
_OPENING_PREPOSITIONS = r"jusqu'a|jusqu'au|until|till|til|de|from|entre|between"
_CLOSING = r"ferme\w*|close[sd]?|closing"
_CLOSING_PREPOSITIONS = r"jusqu'a|jusqu'au|a|vers|until|till|til|at|around"
_ANOTHER_THOUGHT = (
    r"(?:apres|after|avant|before|pas|not|partir|compter|donc|alors|so|mais|but|et|and|ou|or|sinon|otherwise|then"
    r"|puis|pis|because|parce|svp|please|can|could|peux|pouvez|avez|avez-vous|have|do|rendez-vous|appointment"
    r"|dispo|disponible|available|free|libre|je|i|i'm|vous|you)(?![\w'-])|j'"
)
_RANGE_END = r"\s*(?:-|\ba\b|\bto\b|\bet\b|\band\b|\btill\b|\buntil\b|jusqu'a\b)\s*"  # "de 9h à 17h", "9 to 5"


def _in_passing(events: str, prepositions: str) -> re.Pattern[str]:
    """A time (or a range) after one of `events` and one of `prepositions`, in group `time`."""
    return re.compile(
        # "après le travail à 17h30" asks for 17:30: the time is not the event's.
        r"(?P<relation>\b(?:apres|after|avant|before|pendant|during)\s+(?:(?:le|la|les|ma|mon|mes|my|the)\s+|l')?)?"
        rf"\b(?:{events})\b(?:\s+(?!{_ANOTHER_THOUGHT})[\w'-]+){{0,2}}?"
        # A time after a preposition, maybe a range ("à 16h", "de 9h à 17h"), or a range without one ("9 to 5"). The
        # time grammar is written once for both rather than in two alternatives (see `_WINDOW`): with no
        # preposition, the range must follow, `(?(preposition)|(?!))` failing then.
        rf"\s+(?P<time>(?:(?P<preposition>{prepositions})\s+)?{_ANY_TIME}"
        rf"(?:{_RANGE_END}{_ANY_TIME}|(?(preposition)|(?!))))"
        r"(?![\w:/])"
    )


# Each with a pattern of its events alone: most messages name none, and finding none is quicker than trying the
# whole pattern at every word.
_TIMES_IN_PASSING = tuple(
    (re.compile(rf"\b(?:{events})\b"), _in_passing(events, prepositions))
    for events, prepositions in (
        (_PERSONAL_EVENTS, _PERSONAL_PREPOSITIONS),
        (_OPENING, _OPENING_PREPOSITIONS),
        (_CLOSING, _CLOSING_PREPOSITIONS),
    )
)


# "... jusqu'à 17h, alors il me faudrait après", "I get off at 4, anything later?": the time in passing then starts
# the window asked for.
_THEN_AFTER = re.compile(r"[^.?!]{0,40}?\b(?:apres|after|plus tard|later)\b")


def blank_times_in_passing(text: str) -> tuple[str, time | None]:
    """`text` without the times it gives of the patient's day or the clinic's hours ("je finis à 16h", "I work until
    5", "vous êtes ouverts jusqu'à 20h"): they are not the appointment's. "Disponible après 17h" is kept: a window.

    Also the time a patient is free from, when the time in passing is followed by "après" or "later" ("je finis mes
    cours à 15h, donc après ça").
    """
    free_from: time | None = None
    for events, pattern in _TIMES_IN_PASSING:
        if events.search(text) is None:
            continue
        for match in pattern.finditer(text):
            if match["relation"]:
                continue
            if free_from is None and events is _TIMES_IN_PASSING[0][0] and _THEN_AFTER.match(text, match.end()):
                free_from = _end_of(match["time"], match["preposition"])
            text = blank(text, match.start("time"), match.end("time"))
    return text, free_from


def _end_of(passing: str, preposition: str | None) -> time | None:
    """When a time in passing ends: its time, or a range's last ("de 9h à 17h")."""
    last = re.split(_RANGE_END, passing[len(preposition or "") :].strip())[-1]
    reading = _read(last)
    return reading.at if reading is not None else None


_PARTS_OF_DAY = (
    (
        PartOfDay.MORNING,
        re.compile(
            # "am" is no a.m. in "I am" nor in "when am I", "or am I still booked"
            r"\b(?:matins?|matinee|avant-midis?|mornings?|first thing|before lunch)\b|\ba\.m\.|(?<!i )\bam\b(?! i\b)"
            r"|(?<![\w-])a-m(?![\w-])|\bavant (?:le |mon |ma )?(?:diner|lunch)\b"
        ),
    ),
    (
        PartOfDay.AFTERNOON,
        re.compile(
            r"\b(?:l?apres-midis?|l?apres midi|afternoons?|pm|d?aprem|apm|after lunch|fin de (?:la )?journee"
            r"|end of (?:the )?day)\b"
            r"|\bp\.m\.|(?<![\w-])p-m(?![\w-])"
            r"|\bapres (?:le |mon |ma |l')?(?:heure du |heure de |pause )?(?:diner|lunch)\b"
        ),
    ),
    (
        PartOfDay.EVENING,
        re.compile(
            r"\b(?:soirs?|soirees?|evenings?|tonight|apres le travail|after work|after (?:dinner|supper))\b"
            r"|\bapres (?:le |mon )?souper\b"
        ),
    ),
)


# A part of the day gone by ("fièvre depuis hier soir", "since this morning") or given up ("le matin au lieu du soir")
# is no part of the day wished.
_NOT_WISHED_PART = re.compile(
    r"\b(?:(?:hier|yesterday|last|depuis|since)(?: (?:ce|cet|cette|this|hier|yesterday))?"
    r"|(?:au lieu d[eu]|instead of)(?: (?:le|la|l'|the|a))?) ?(?:matin|soir|apres-midi|nuit|morning|evening|afternoon"
    r"|night)\b"
)


def find_part_of_day(text: str) -> PartOfDay | None:
    """The one part of the day `text` names ("demain matin", "en pm", "aprem", "after lunch", "first thing",
    "fin de journée"); None when none or several."""
    text = _NOT_WISHED_PART.sub(" ", text)
    named = [part for part, pattern in _PARTS_OF_DAY if pattern.search(text)]
    return named[0] if len(named) == 1 else None


# The time of the appointment a move starts from, which is not the time wished: "mon rdv de jeudi 9h", "my 3pm",
# "instead of 4:40", "from 8:20 to 10", "8h c'est trop tôt".
_MOVED_FROM_DAY = (
    r"(?:lundi|mardi|mercredi|jeudi|vendredi|monday|tuesday|wednesday|thursday|friday|demain|tomorrow|today"
    r"|aujourd'hui|\d{1,2}(?:st|nd|rd|th|er)?)"
)
_MOVED_FROM = re.compile(
    # "mon rdv de 9h", "my appointment is at 2:40", "rendez-vous de jeudi à 14h20": never "mon rdv à 15h30", which
    # says where it goes
    r"(?:\b(?:rendez-vous|appointment|appt|booking)(?:'s)?(?:\s+(?:de|du|d'|of|is|est|c'est|c|was|on|le))"
    rf"(?:\s+(?:the\s+|de\s+)?{_MOVED_FROM_DAY})?(?:\s+(?:a|at))?"
    r"|\b(?:j'ai|i have|i've got|i got)(?:\s+(?:un|an|a))?\s+(?:rendez-vous|appointment|appt)"
    rf"(?:\s+(?:the\s+|le\s+)?{_MOVED_FROM_DAY})?\s+(?:a|at)"
    r"|\b(?:peux|pourrai|pourrais|can't|cannot|can not)(?:\s+(?:pas|plus|pu))?\s+(?:a|at|venir a|come at|make it at)"
    r"|\b(?:my|mon|ma|son|sa|his|her)|\b(?:instead of|au lieu de|au lieu d'|a la place de|from))"
    rf"\s+(?P<time>{_ANY_TIME})(?![\w:/])"
    rf"|(?<![\w:/.-])(?P<too_early>{_ANY_TIME})(?![\w:/])\s+(?:(?:c'est|c|is|est|it's|its|ca)\s+)?(?:trop|too)\b"
)


def blank_the_time_moved_from(text: str) -> str:
    """`text` without the time of the appointment being moved, so that only the time wished for it is read."""
    for match in _MOVED_FROM.finditer(text):
        group = "time" if match["time"] else "too_early"
        text = blank(text, match.start(group), match.end(group))
    return text
