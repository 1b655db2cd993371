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
from collections.abc import Mapping
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
_SEPARATORS = re.compile(r"[- ]+")


def _words(numbers: Mapping[str, int]) -> str:
    """An alternation of `numbers`' words, longest first so that "dix huit" is not read as "dix"."""
    return "(?:" + "|".join(word.replace(" ", "[- ]") for word in sorted(numbers, key=len, reverse=True)) + ")"


def _number(numbers: Mapping[str, int], word: str) -> int:
    return numbers[_SEPARATORS.sub(" ", word)]


_MORNING_QUALIFIERS = frozenset({"am", "a.m.", "a.m", "a-m", "du matin", "in the morning"})
_AFTERNOON_QUALIFIERS = frozenset(
    {"pm", "p.m.", "p.m", "p-m", "de l'apres-midi", "de l'aprem", "du soir", "in the afternoon", "in the evening"}
)
_QUALIFIER = "|".join(re.escape(q) for q in sorted(_MORNING_QUALIFIERS | _AFTERNOON_QUALIFIERS, key=len, reverse=True))


def _minutes_after_the_hour(prefix: str) -> str:
    """What may follow "9h", "neuf heures" or "midi": "30", "trente", "et demie", "et quart", "moins (le) quart"."""
    return (
        rf"(?:\s*(?P<{prefix}_minutes>\d{{2}})(?!\d)"
        rf"|\s+(?P<{prefix}_word_minutes>{_words(_FRENCH_MINUTES)})"
        rf"|\s+et\s+(?P<{prefix}_plus>demie?|quart)"
        rf"|\s+moins\s+(?:le\s+)?(?P<{prefix}_minus>quart|{_words(_FRENCH_MINUTES)}))?"
    )


# One grammar for a time, with named groups for `_reading`; each form is one alternative.
_TIME_FORMS = (
    # 14h30, 14 h 30, 9h, 10 heures et demie, 10h moins quart, 14:30, 10 o'clock; a bare 4 (a time in a window only)
    r"(?P<digits>\d{1,2})(?:(?P<digit_mark>\s*h(?:eures?)?)"
    + _minutes_after_the_hour("digit")
    + r"|:(?P<colon>\d{2})|\s*(?P<digit_oclock>o'clock))?",
    # dix heures, onze heures trente, neuf heures et demie, dix heures moins quart
    rf"(?P<french_hour>{_words(_FRENCH_HOURS)})\s+heures?" + _minutes_after_the_hour("french"),
    # midi, midi et demi, midi et quart, midi moins quart
    r"(?P<noon>midi|noon)" + _minutes_after_the_hour("noon"),
    # half past nine, quarter to three, ten past 9
    r"(?P<relative>quarter|half|twenty[- ]five|twenty|ten|five)\s+(?P<relation>past|to|of)\s+"
    rf"(?P<relative_hour>{_words(_ENGLISH_HOURS)}|noon|\d{{1,2}})",
    # two thirty, nine oh five, ten o'clock; a bare "four" (a time in a window only)
    rf"(?P<english_hour>{_words(_ENGLISH_HOURS)})"
    rf"(?:\s+(?P<english_oclock>o'clock)|\s+(?P<english_minutes>{_words(_ENGLISH_MINUTES)}))?",
    # a bare "dix" (a time in a window only: "pas avant dix")
    rf"(?P<french_bare>{_words(_FRENCH_BARE_HOURS)})",
)
_TIME = "(?:" + "|".join(_TIME_FORMS) + rf")(?:\s*(?P<qualifier>{_QUALIFIER}))?"
# The same grammar without group names, to be used several times in one pattern (the two ends of "entre 9h et 11h").
_ANY_TIME = re.sub(r"\(\?P<\w+>", "(?:", _TIME)
_TIME_PARTS = re.compile(_TIME)
# A clock time standing alone: not part of a number, a date or a word ("514-555-0199", "10/12", "9ieme").
_CLOCK = re.compile(r"(?<![\w:/.-])" + _TIME + r"(?![\w:/])")
_NOON_WORDS = frozenset({"midi", "noon"})
# Words after which a time is a length of time: "depuis 2h", "dans deux heures", "ça fait une heure".
_DURATION_WORDS = frozenset(
    {"depuis", "dans", "pendant", "durant", "fait", "attendu", "attends", "waited", "prend", "prendre", "dure", "durer"}
)
# Words after which "une heure" is 13:00 ("à une heure", "vers une heure") rather than an hour of waiting.
_AT_WORDS = frozenset({"a", "vers", "pour", "at", "around", "for"})
_LAST_WORD = re.compile(r"([\w']+)\W*$")
# A clinic is closed at night: an hour from 1 to 6 with no "am" or "du matin" is in the afternoon ("le 2h30").
_LAST_AFTERNOON_HOUR_ALONE = 6
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


def _minutes(parts: re.Match[str], prefix: str) -> tuple[int, int] | None:
    """Minutes after the hour and minutes to take off it ("moins quart"), or None when they do not make sense."""
    if parts[f"{prefix}_minutes"]:
        return int(parts[f"{prefix}_minutes"]), 0
    if parts[f"{prefix}_word_minutes"]:
        return _number(_FRENCH_MINUTES, parts[f"{prefix}_word_minutes"]), 0
    if parts[f"{prefix}_plus"]:
        return (15 if parts[f"{prefix}_plus"] == "quart" else 30), 0
    minus = parts[f"{prefix}_minus"]
    if minus:
        taken = 15 if minus == "quart" else _number(_FRENCH_MINUTES, minus)
        return (0, taken) if taken <= 30 else None  # "dix heures moins quarante" is not said
    return 0, 0


def _reading(parts: re.Match[str], borrowed_qualifier: str | None = None) -> _Reading | None:
    """The time `parts` (a match of `_TIME`) stands for; `borrowed_qualifier` is the "pm" of "between 1 and 3 pm"."""
    marked, noon, word = True, False, ""
    minutes: tuple[int, int] | None
    if parts["digits"]:
        hour, marked = int(parts["digits"]), bool(parts["digit_mark"] or parts["colon"] or parts["digit_oclock"])
        minutes = (int(parts["colon"]), 0) if parts["colon"] else _minutes(parts, "digit")
    elif parts["french_hour"]:
        word = parts["french_hour"]
        hour, minutes = _number(_FRENCH_HOURS, word), _minutes(parts, "french")
    elif parts["noon"]:
        hour, noon, minutes = 12, True, _minutes(parts, "noon")
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
    parts = _TIME_PARTS.fullmatch(text)
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
    r"|apres|after|later than|plus tard qu(?:e|'a)|a partir d(?:e|')|a compter d(?:e|')|starting (?:at|from)|des|from"
)
_BEFORE_WORDS = (
    r"pas apres|jamais apres|pas plus tard qu(?:e|'a)|not after|no later than|not later than|au plus tard(?: a)?"
    r"|avant|before|until|up until|till|til|jusqu'a|by"
)
_NEEDS_A_REAL_TIME = frozenset({"des", "from", "by"})
# "mon rdv de 9h à 10h", "my appointment from 2pm to 3pm" name the appointment's time (and where it moves).
_THE_APPOINTMENT = re.compile(r"\b(?:rendez-vous|appointment|appt|booking)\s+$")
_AND = r"\s*(?:\bet\b|\band\b|-|\ba\b|\bto\b)\s*"
_TO = r"\s*(?:-|\ba\b|\bto\b|\btill\b|\buntil\b|jusqu'a\b)\s*"
_ONWARD = r"onwards?|and on|and later|or later|et plus|ou plus tard"
_WINDOW = re.compile(
    r"(?<![\w'-])"
    # "anything after 4", "n'importe quand après 16h": blanked with the window, so that "any time" is not "the earliest"
    r"(?:(?:any ?time|anything|something|n'importe quand|n'importe quelle heure|quelque chose)\s+)?"
    "(?:"
    rf"(?:entre|between)\s+(?P<between_first>{_ANY_TIME}){_AND}(?P<between_last>{_ANY_TIME})"
    rf"|(?:de|from)\s+(?P<from_first>{_ANY_TIME}){_TO}(?P<from_last>{_ANY_TIME})"
    # "pas avant-midi": normalising joined "avant midi" into the morning, but not before noon is after it.
    r"|(?P<not_before_noon>(?:pas|jamais) avant-midi)"
    rf"|(?P<after_word>{_AFTER_WORDS})(?:\s+|(?<='))(?P<after>{_ANY_TIME})"
    rf"(?P<onward>\s+(?:{_ONWARD})|\s+on(?=\s*(?:[,.!?;]|$)))?"
    rf"|(?P<before_word>{_BEFORE_WORDS})(?:\s+|(?<='))(?P<before>{_ANY_TIME})"
    # "9h-11h", "2-4pm", "14h à 15h"; "vers 10h30-11h" is about a time, as "vers 14h" is
    rf"|(?<!vers )(?<!around )(?<!environ )(?<!de )(?<!from )"
    rf"(?P<range_first>{_ANY_TIME})\s*(?P<range_sep>-|\bto\b|\ba\b)\s*(?P<range_last>{_ANY_TIME})"
    rf"|(?P<tail_after>{_ANY_TIME})\s+(?:au plus tot|at the earliest|{_ONWARD})"
    rf"|(?P<tail_before>{_ANY_TIME})\s+(?:au plus tard|at the latest|or earlier|ou plus tot|ou avant)"
    ")"
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
        qualifier = _TIME_PARTS.fullmatch(last)
        borrowed = _read(first, qualifier["qualifier"] if qualifier else None)
        if borrowed is not None and borrowed.at < end.at:
            start = borrowed
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
        if (match["from_first"] or match["after_word"] == "from") and _THE_APPOINTMENT.search(text[: match.start()]):
            continue
        found_after = found_before = None
        if match["not_before_noon"]:
            found_after = time(12)
        elif match["after"]:
            # "from 2 on" is a window, "from 2" alone the start of an unsaid "from 2 to ..."
            bare_allowed = match["after_word"] not in _NEEDS_A_REAL_TIME or bool(match["onward"])
            found_after = _single(match["after"], bare_allowed, quantity_next)
        elif match["before"]:
            found_before = _single(match["before"], match["before_word"] not in _NEEDS_A_REAL_TIME, quantity_next)
        elif match["tail_after"] or match["tail_before"]:
            single = _read(match["tail_after"] or match["tail_before"])
            if single is not None and not single.bare:
                found_after, found_before = (single.at, None) if match["tail_after"] else (None, single.at)
        else:
            name = next(name for name in ("between", "from", "range") if match[f"{name}_first"])
            first, last = match[f"{name}_first"], match[f"{name}_last"]
            ends = _both_ends(first, last, quantity_next)
            if ends and name == "range" and not _stands_alone(first, last, match["range_sep"]):
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
        rf"\s+(?P<time>(?:{prepositions})\s+{_ANY_TIME}(?:{_RANGE_END}{_ANY_TIME})?|{_ANY_TIME}{_RANGE_END}{_ANY_TIME})"
        r"(?![\w:/])"
    )


_TIMES_IN_PASSING = (
    _in_passing(_PERSONAL_EVENTS, _PERSONAL_PREPOSITIONS),
    _in_passing(_OPENING, _OPENING_PREPOSITIONS),
    _in_passing(_CLOSING, _CLOSING_PREPOSITIONS),
)


def blank_times_in_passing(text: str) -> str:
    """`text` without the times it gives of the patient's day or the clinic's hours ("je finis à 16h", "I work until
    5", "vous êtes ouverts jusqu'à 20h"): they are not the appointment's. "Disponible après 17h" is kept: a window."""
    for pattern in _TIMES_IN_PASSING:
        for match in pattern.finditer(text):
            if not match["relation"]:
                text = blank(text, match.start("time"), match.end("time"))
    return text


_PARTS_OF_DAY = (
    (
        PartOfDay.MORNING,
        re.compile(
            r"\b(?:matin|matinee|avant-midi|morning|first thing|before lunch)\b|\ba\.m\.|(?<!i )\bam\b"
            r"|(?<![\w-])a-m(?![\w-])|\bavant (?:le |mon |ma )?(?:diner|lunch)\b"
        ),
    ),
    (
        PartOfDay.AFTERNOON,
        re.compile(
            r"\b(?:apres-midi|afternoon|pm|aprem|apm|after lunch|fin de (?:la )?journee|end of (?:the )?day)\b"
            r"|\bp\.m\.|(?<![\w-])p-m(?![\w-])"
            r"|\bapres (?:le |mon |ma |l')?(?:heure du |heure de |pause )?(?:diner|lunch)\b"
        ),
    ),
    (
        PartOfDay.EVENING,
        re.compile(
            r"\b(?:soir|soiree|evening|tonight|apres le travail|after work|after (?:dinner|supper))\b"
            r"|\bapres (?:le |mon )?souper\b"
        ),
    ),
)


def find_part_of_day(text: str) -> PartOfDay | None:
    """The one part of the day `text` names ("demain matin", "en pm", "aprem", "after lunch", "first thing",
    "fin de journée"); None when none or several."""
    named = [part for part, pattern in _PARTS_OF_DAY if pattern.search(text)]
    return named[0] if len(named) == 1 else None
