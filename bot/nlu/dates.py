"""Days, Québec style: "demain", "mardi prochain", "le 15", "jeudi le 10", "8 déc", "10/12", "la semaine prochaine".

Every date is computed from the `today` argument, never from the clock. The rules, each documented where it
is resolved:

- a weekday alone ("mardi", "this tuesday") is its next occurrence strictly after today, or today when the
  message also says "aujourd'hui" / "today";
- "mardi prochain", "next tuesday", "mardi de la semaine prochaine" is the Tuesday of next calendar week
  (weeks start on Monday): on a Monday, "mardi" is tomorrow and "mardi prochain" is 8 days away;
- a day of the month ("le 15", "the 15th") or a day and month ("8 décembre") is the next such day on or after today;
- "10/12" reads as 10 December or 12 October: both future readings are returned unless only one exists ("25/12");
- a weekday and a bare number ("jeudi 9") is that weekday at that hour when the number is 1 to 12 and not the
  weekday's coming date; "jeudi 10" on the week of Thursday the 10th, and "jeudi le 10", are dates;
- "dans 2 mois" is the same day two months ahead, "le mois prochain" the whole next calendar month;
- "hier" and "yesterday" are read when asked for ("un rdv hier"), so that the bot can say the day is past;
- days of the month said in words, as speech transcripts write them ("le vingt-deux décembre", "mardi le
  quinze", "the twenty first"), are read as their digits would be; "le premier" and "le deux" alone are picks;
- "avant vendredi", "before the 24th", "avant Noël", "d'ici vendredi", "by Friday" is today to the day before
  (the holidays start on 25 December); "dans les 2 prochaines semaines", "within two weeks" today to 13 days on;
- a month named ("en janvier", "in January", "le mois de janvier") is that whole month, the next one on or after
  today (from today on when it is this month);
- "la semaine suivante", "the following week" and "pas cette semaine, la suivante" are next week; "pas cette
  semaine" alone names no day;
- Québec's "à matin" and "à soir", and "cet aprem", are today (clock.py reads the part of the day).

Several days in one message ("lundi ou mardi", "le 12 ou le 13", "the 16th and 17th") give the range from the
first to the last; a day read for sure outranks a choice between two; of several deadlines, the earliest holds.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice

from dateparser.date import DateDataParser

from bot.nlu.clock import (
    MONTH,
    blank,
    blank_times_in_passing,
    find_clock_time,
    find_part_of_day,
    find_window,
    hour_alone,
)
from bot.nlu.model import When

_WEEKDAYS = {
    "lundi": 0,
    "monday": 0,
    "mardi": 1,
    "tuesday": 1,
    "mercredi": 2,
    "mecredi": 2,
    "wednesday": 2,
    "wensday": 2,
    "jeudi": 3,
    "thursday": 3,
    "thurday": 3,
    "vendredi": 4,
    "friday": 4,
    "samedi": 5,
    "saturday": 5,
    "dimanche": 6,
    "sunday": 6,
}
_DAYS_FROM_TODAY = {
    "aujourd'hui": 0,
    "asteure": 0,  # joual "now"
    "astheure": 0,
    "today": 0,
    "tonight": 0,
    "ce matin": 0,
    "cet apres-midi": 0,
    "ce soir": 0,
    "this morning": 0,
    "this afternoon": 0,
    "this evening": 0,
    # Québec: "à matin" is this morning, "à soir" tonight; "cet aprem" is this afternoon (clock.py reads the part).
    "a matin": 0,
    "a'matin": 0,
    "a soir": 0,
    "a'soir": 0,
    "cet aprem": 0,
    "cet apm": 0,
    "c't'aprem": 0,
    "demain": 1,
    "tomorrow": 1,
    "apres-demain": 2,
    "day after tomorrow": 2,
}
_SMALL_NUMBERS = {
    **dict(un=1, une=1, deux=2, trois=3, quatre=4, cinq=5, six=6, sept=7, huit=8, neuf=9, dix=10, onze=11, douze=12),
    **dict(one=1, two=2, three=3, four=4, five=5, six=6, seven=7, eight=8, nine=9, ten=10, eleven=11, twelve=12),
    "a": 1,  # "in a week", "in a month"
}

_WEEKDAY = "(?:" + "|".join(_WEEKDAYS) + ")"
_NUMBER = r"(?:\d{1,2}|" + "|".join(_SMALL_NUMBERS) + ")"
_NEXT_WEEK = r"(?:(?:de )?la semaine prochaine|next week)"

# Months by name, after normalisation, for the month alone ("en janvier") and around a day in words ("the first of
# January"). "sep" and "sept" are left out: "sept" is also seven ("vingt sept").
_MONTH_NUMBERS = {
    **dict.fromkeys(("janvier", "january", "janv", "jan"), 1),
    **dict.fromkeys(("fevrier", "february", "fevr", "fev", "feb"), 2),
    **dict.fromkeys(("mars", "march"), 3),
    **dict.fromkeys(("avril", "april", "avr", "apr"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juin", "june", "jun"), 6),
    **dict.fromkeys(("juillet", "july", "juil", "jul"), 7),
    **dict.fromkeys(("aout", "august", "aug"), 8),
    **dict.fromkeys(("septembre", "september"), 9),
    **dict.fromkeys(("octobre", "october", "oct"), 10),
    **dict.fromkeys(("novembre", "november", "nov"), 11),
    **dict.fromkeys(("decembre", "december", "dec"), 12),
}
_MONTH_NAME = r"(?:" + "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)) + r")(?![\w'-])\.?"

# Days of the month in words, with one space between their parts (a text may join them with hyphens), as
# (day, ordinal). "un" / "one" are left out: "mardi le un" is not said, and "the one" is not a day.
_FRENCH_UNITS = dict(deux=2, trois=3, quatre=4, cinq=5, six=6, sept=7, huit=8, neuf=9)
_ENGLISH_UNITS = dict(one=1, two=2, three=3, four=4, five=5, six=6, seven=7, eight=8, nine=9)
_ENGLISH_ORDINAL_UNITS = dict(first=1, second=2, third=3, fourth=4, fifth=5, sixth=6, seventh=7, eighth=8, ninth=9)
_FRENCH_DAY_NUMBERS = {
    **_FRENCH_UNITS,
    **dict(dix=10, onze=11, douze=12, treize=13, quatorze=14, quinze=15, seize=16),
    **{"dix sept": 17, "dix huit": 18, "dix neuf": 19, "vingt": 20, "vingt et un": 21, "trente": 30},
    **{f"vingt {word}": 20 + unit for word, unit in _FRENCH_UNITS.items()},
    "trente et un": 31,
}
_ENGLISH_DAY_NUMBERS = {
    **dict(thirteen=13, fourteen=14, fifteen=15, sixteen=16, seventeen=17, eighteen=18, nineteen=19, twenty=20),
    **{f"twenty {word}": 20 + unit for word, unit in _ENGLISH_UNITS.items()},
    **{"thirty": 30, "thirty one": 31},
}
_ENGLISH_DAY_ORDINALS = {
    **_ENGLISH_ORDINAL_UNITS,
    **dict(tenth=10, eleventh=11, twelfth=12, thirteenth=13, fourteenth=14, fifteenth=15, sixteenth=16),
    **dict(seventeenth=17, eighteenth=18, nineteenth=19, twentieth=20, thirtieth=30),
    **{f"twenty {word}": 20 + unit for word, unit in _ENGLISH_ORDINAL_UNITS.items()},
    "thirty first": 31,
}
_DAY_WORDS: dict[str, tuple[int, bool]] = {
    **{word: (day, False) for word, day in (_FRENCH_DAY_NUMBERS | _ENGLISH_DAY_NUMBERS).items()},
    **{word: (day, True) for word, day in _ENGLISH_DAY_ORDINALS.items()},
    "premier": (1, True),
}
# Longest first, so that "vingt-deux" is not read as "vingt", nor "dix-sept" as "dix".
_DAY_WORD = "(?:" + "|".join(word.replace(" ", "[- ]") for word in sorted(_DAY_WORDS, key=len, reverse=True)) + ")"
_WORD_SEPARATORS = re.compile(r"[- ]+")
# A number word read as a day only where a number in digits would be, and where it can be no hour nor pick: after a
# weekday ("mardi le vingt-deux", "tuesday the fifteenth", "lundi vingt et un"), around a month ("le premier
# janvier", "december twenty first"), after "du" / "au" ("du quinze", "au vingt-neuf"), after "le" / "the" ("le
# seize", "the twenty first"), or joined to another day ("the sixteenth and seventeenth"). Each case is weighed in
# `_spoken_day_in_digits`.
_SPOKEN_DAY = re.compile(
    rf"(?:\b(?P<weekday>{_WEEKDAY}),?\s+(?P<article>(?:le|the)\s+)?"
    rf"|\b(?!may\b)(?P<month_before>{_MONTH_NAME})\s+(?:the\s+)?"  # not "you may first call"
    r"|\b(?P<du_au>du|au)\s+"
    r"|\b(?P<article_alone>le|the)\s+"
    r"|(?<![\w'-]))"
    rf"(?P<word>{_DAY_WORD})(?![\w'-])"
)
_MONTH_NEXT = re.compile(rf"\s+(?:de\s+|of\s+)?{_MONTH_NAME}")
_AU_NEXT = re.compile(rf"\s+au\s+(?:\d{{1,2}}|{_DAY_WORD})(?![\w'-])")
_DU_BEFORE = re.compile(rf"\bdu\s+(?:\d{{1,2}}(?:er)?|{_DAY_WORD})\s+$")
_JOINED_TO_A_DAY = re.compile(rf"(?:\d{{1,2}}(?:er|re|st|nd|rd|th)?|{_DAY_WORD})\s*,?\s*(?:and|or|et|ou|&|-)\s*$")
# Up to 12, a number word right after a weekday may be an hour ("jeudi dix"): it is left as it was said.
_FIRST_DAY_NOT_AN_HOUR = 13
# Menus number their options 1 to 9: "le premier", "le deux", "the second" alone are picks, not days.
_FIRST_DAY_NOT_A_PICK = 10
# Wishes such as "bonne fin de semaine" or "good morning" name no day or part of the day.
_POLITE_WISHES = re.compile(
    r"\b(?:bon matin|bon apres-midi|bonne (?:journee|matinee|soiree|apres-midi|fin de semaine|nuit)"
    r"|bonne fin (?:de journee|d'apres-midi|de soiree|de matinee)|good (?:morning|afternoon|evening|night)"
    r"|have a (?:good|nice|great) (?:day|evening|weekend|night))\b"
)
_EARLIEST = re.compile(
    r"\ble (?:plus|\+) (?:tot|vite|rapidement) possible|\bau plus (?:tot|vite|sacrant)|\bdes que possible"
    r"|\bn'importe quand"
    r"|\ble plus vite\b|\b(?:whatever|whoever|whichever|celui|celle|qui)(?: \w+){0,4} (?:is )?(?:free )?first\b"
    r"|\b(?:ca|c'est) presse\b"
    r"|\b(?:premier|premiere|prochain|prochaine) (?:rendez-vous |place |plage )?(?:disponible|disponibilite)"
    r"|\b(?:asap|first available|next available|earliest|soonest|as soon as possible|any ?time|whenever|first thing)\b"
    r"|\b(?:plus tot|earlier)\b"
)
# School lets out at about 3: "après l'école", "after school" start the window there.
_AFTER_SCHOOL = re.compile(r"\b(?:apres l'?ecole|apres les cours|after school)\b")
AFTER_SCHOOL = time(15)
_REFUSED_PART = re.compile(
    r"\b(?:pas|not|no|jamais|never|sauf|except|anything but)\b (?:le |la |en |l'|dans l'|in the |the |du )?"
    r"(?:(?P<morning>matin|matinee|avant-midi|am|morning)|(?P<afternoon>apres-midi|aprem|pm|afternoon)"
    r"|(?P<evening>soir|soiree|evening))\b"
)
#: The start times left when a part of the day is refused.
_WINDOW_WITHOUT: dict[str, tuple[time | None, time | None]] = {
    "morning": (time(12), None),
    "afternoon": (None, time(12)),
    "evening": (None, time(17)),
}
#: The last slot of the day: "le dernier rdv de la journée", "the latest you have", "le plus tard possible".
_LATEST = re.compile(
    r"\b(?:le (?:tout )?dernier|la (?:toute )?derniere|the (?:very )?(?:latest|last))\b(?: [\w'-]+){0,3}?"
    r" (?:de la journee|du jour|of the day|you have|you've got|possible|disponible|available)\b"
    r"|\b(?:le plus tard possible|aussi tard que possible|as late as possible|the latest)\b"
)
# A message names a few days at most; reading more would only cost time (dateparser takes about 1 ms a call).
_MOST_MATCHES_PER_RULE = 3
# Months searched for "jeudi le 10" before calling it ambiguous.
_MONTHS_SEARCHED_FOR_A_WEEKDAY_AND_DAY = 6
# Day-and-month parsing only; the year is ours to choose. 2000 is a leap year, so "29 février" parses.
_MONTH_READER = DateDataParser(
    languages=["fr", "en"], settings={"RELATIVE_BASE": datetime(2000, 1, 1), "REQUIRE_PARTS": ["day", "month"]}
)


@dataclass(frozen=True)
class _Range:
    first: date
    last: date


@dataclass(frozen=True)
class _Choice:
    """Two days the patient may mean; the bot asks which."""

    dates: tuple[date, ...]


@dataclass(frozen=True)
class _Before:
    """A deadline: any day from today to the day before `day` ("avant vendredi", "before Christmas")."""

    day: date


_Reading = _Range | _Choice | _Before


@dataclass(frozen=True)
class _Context:
    today: date
    weekday_may_be_today: bool  # the message also says "aujourd'hui" or "today"


def _one_day(day: date) -> _Range:
    return _Range(day, day)


def _next_weekday(weekday: int, context: _Context) -> date:
    days_ahead = (weekday - context.today.weekday()) % 7
    if days_ahead == 0 and not context.weekday_may_be_today:
        days_ahead = 7
    return context.today + timedelta(days=days_ahead)


def _monday_of_next_week(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _months_from(today: date, count: int) -> list[tuple[int, int]]:
    """(year, month) of this month and the `count - 1` next ones."""
    return [
        (today.year + (today.month - 1 + ahead) // 12, (today.month - 1 + ahead) % 12 + 1) for ahead in range(count)
    ]


def _next_day_and_month(day: int, month: int, today: date) -> date | None:
    """The next `day`/`month` on or after today (up to 8 years ahead, for 29 February)."""
    candidates = (_valid_date(year, month, day) for year in range(today.year, today.year + 9))
    return next((candidate for candidate in candidates if candidate and candidate >= today), None)


def _next_day_of_month(day: int, today: date) -> date | None:
    """The next `day` of a month on or after today ("le 5" on 20 December is 5 January)."""
    candidates = (_valid_date(year, month, day) for year, month in _months_from(today, 12))
    return next((candidate for candidate in candidates if candidate and candidate >= today), None)


def _readings(*days: date | None) -> _Reading | None:
    """One day when the candidates agree, a choice when they differ, nothing when none exists."""
    distinct = tuple(dict.fromkeys(day for day in days if day is not None))
    if not distinct:
        return None
    return _one_day(distinct[0]) if len(distinct) == 1 else _Choice(distinct)


def _matching_weekday(day: date | None, weekday_name: str | None, context: _Context) -> _Reading | None:
    """`day`, or a choice between it and the next named weekday when the patient's weekday does not fit it."""
    if day is None or weekday_name is None or day.weekday() == _WEEKDAYS[weekday_name]:
        return _readings(day)
    return _readings(day, _next_weekday(_WEEKDAYS[weekday_name], context))


def _iso_date(match: re.Match[str], context: _Context) -> _Reading | None:
    return _readings(_valid_date(int(match["year"]), int(match["month"]), int(match["day"])))


def _numeric_date(match: re.Match[str], context: _Context) -> _Reading | None:
    """A numeric date ("10/12"): day/month (Québec) or month/day; both readings that exist are kept, in that order."""
    first, second = int(match["first"]), int(match["second"])

    def reading(day: int, month: int) -> date | None:
        if match["year"] is None:
            return _next_day_and_month(day, month, context.today)
        return _valid_date(int(match["year"]), month, day)

    return _readings(reading(first, second), reading(second, first))


def _month_name_date(match: re.Match[str], context: _Context) -> _Reading | None:
    """A date with a month name ("le 8 décembre", "8 déc", "Dec 8th", "mardi 8 décembre"); dateparser reads the name."""
    day_and_month = f"{match['day'] or match['day_after']} {match['month'] or match['month_first']}"
    parsed = _MONTH_READER.get_date_data(day_and_month).date_obj
    if parsed is None:
        return None
    if match["year"] is None:
        day = _next_day_and_month(parsed.day, parsed.month, context.today)
    else:
        day = _valid_date(int(match["year"]), parsed.month, parsed.day)
    return _matching_weekday(day, match["weekday"], context)


def _weekday_and_day_of_month(match: re.Match[str], context: _Context) -> _Reading | None:
    """A weekday and a day of the month ("jeudi le 10"): the first month, within six, where the 10th is a Thursday;
    else a choice between the next 10th and the next Thursday."""
    day_of_month, weekday = int(match["day"]), _WEEKDAYS[match["weekday"]]
    for year, month in _months_from(context.today, _MONTHS_SEARCHED_FOR_A_WEEKDAY_AND_DAY + 1):
        candidate = _valid_date(year, month, day_of_month)
        if candidate and candidate >= context.today and candidate.weekday() == weekday:
            return _one_day(candidate)
    return _readings(_next_day_of_month(day_of_month, context.today), _next_weekday(weekday, context))


def _relative_day(match: re.Match[str], context: _Context) -> _Reading | None:
    return _one_day(context.today + timedelta(days=_DAYS_FROM_TODAY[match[0]]))


def _weekday_date(match: re.Match[str], context: _Context) -> date:
    """The day a weekday names: its next occurrence, or that day of next week with "prochain" or "next"."""
    weekday = _WEEKDAYS[match["weekday"]]
    if match["next_before"] or match["next_after"]:
        return _monday_of_next_week(context.today) + timedelta(days=weekday)
    return _next_weekday(weekday, context)


def _weekday(match: re.Match[str], context: _Context) -> _Reading | None:
    return _one_day(_weekday_date(match, context))


def _week_holding(day: date | None) -> _Range | None:
    if day is None:
        return None
    monday = day - timedelta(days=day.weekday())
    return _Range(monday, monday + timedelta(days=6))


def _week(match: re.Match[str], context: _Context) -> _Reading | None:
    """Weeks: "cette semaine" is today to Sunday, "la semaine prochaine" next Monday to Sunday, "dans 2 semaines"
    the week holding the day 14 days away, "la semaine du 14" the week holding the next 14th, and "la fin de
    semaine" (Québec for the weekend) the coming Saturday and Sunday."""
    today = context.today
    if match["this_week"]:
        return _Range(today, today + timedelta(days=6 - today.weekday()))
    if match["next_week"]:
        return _week_holding(_monday_of_next_week(today))
    if match["week_of"]:
        return _week_holding(_next_day_of_month(int(match["week_of"]), today))
    if match["next_weekend"]:
        saturday = _monday_of_next_week(today) + timedelta(days=5)
        return _Range(saturday, saturday + timedelta(days=1))
    if match["weekend"]:
        saturday_or_sunday = today + timedelta(days=max(0, 5 - today.weekday()))
        return _Range(saturday_or_sunday, saturday_or_sunday + timedelta(days=6 - saturday_or_sunday.weekday()))
    return _week_holding(today + timedelta(weeks=_number(match["weeks"])))


def _in_days(match: re.Match[str], context: _Context) -> _Reading | None:
    return _one_day(context.today + timedelta(days=_number(match["days"])))


def _months_ahead(today: date, count: int) -> date:
    """The same day of the month `count` months after `today`, or that month's last day ("dans 2 mois" on 31 December
    is the end of February)."""
    year, month = divmod(today.month - 1 + count, 12)
    year, month = today.year + year, month + 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def _in_months(match: re.Match[str], context: _Context) -> _Reading | None:
    """Months ahead ("dans 2 mois", "in a month"): the day that many months ahead, one day, so that the bot can say
    when booking opens for it, as for any day past its horizon."""
    return _one_day(_months_ahead(context.today, _number(match["months"])))


def _calendar_month(match: re.Match[str], context: _Context) -> _Reading | None:
    """The month asked for: "le mois prochain" / "next month" is the next calendar month, "ce mois-ci" / "this
    month" today to the month's end."""
    start = context.today if match["this_month"] else _months_ahead(context.today.replace(day=1), 1)
    return _Range(start, start.replace(day=calendar.monthrange(start.year, start.month)[1]))


def _day_of_month(match: re.Match[str], context: _Context) -> _Reading | None:
    return _readings(_next_day_of_month(int(match["day"]), context.today))


def _day_in_month_named(day: int, month_name: str, today: date) -> date | None:
    return _next_day_and_month(day, _MONTH_NUMBERS[month_name.rstrip(".")], today)


def _two_days(match: re.Match[str], context: _Context) -> _Reading | None:
    """Two days of the month joined ("the 16th and 17th", "le 16 ou 17", "Dec 16 or 17", "du 15 au 20", "the
    4th-8th"): the range from one to the other. A span ("au", "to", "-") ends on or after its start ("du 28 au 3" runs
    into the next month); two days given as a choice are each the next such day."""
    month = match["month_before"] or match["month_after"]
    if month is None and match["lead"] is None:  # "2 et 3", "1 or 2": counts, not days
        return None
    first, second = int(match["first"]), int(match["second"])
    if month is not None:
        start, end = _day_in_month_named(first, month, context.today), _day_in_month_named(second, month, context.today)
    else:
        start = _next_day_of_month(first, context.today)
        span = start is not None and match["joint"] in _SPAN_JOINTS
        end = _next_day_of_month(second, start if span and start else context.today)
    if start is None or end is None:
        return None
    return _Range(min(start, end), max(start, end))


def _named_month(match: re.Match[str], context: _Context) -> _Reading | None:
    """A month named ("en janvier", "in January", "le mois de janvier 2027"): the whole month, the next one on or
    after today (this month from today on), or that of the year said."""
    today, month = context.today, _MONTH_NUMBERS[match["month"].rstrip(".")]
    coming_year = today.year if month >= today.month else today.year + 1
    year = int(match["year"]) if match["year"] else coming_year
    first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return _Range(today, last) if first <= today <= last else _Range(first, last)


def _within(match: re.Match[str], context: _Context) -> _Reading | None:
    """A span from today ("dans les 2 prochaines semaines", "within two weeks", "in the next 10 days"): today and
    the days up to its end, 13 days on for two weeks."""
    count = match["count"] or match["count_after"] or match["count_alone"]
    if count is None:  # "dans les prochaines semaines" says no length
        return None
    days = _number(count) * (7 if match["weeks"] else 1)
    return _Range(context.today, context.today + timedelta(days=days - 1)) if days else None


def _before_a_holiday(match: re.Match[str], context: _Context) -> _Reading | None:
    """A holiday after "avant", "before", "d'ici" or "by" ("avant Noël", "before the holidays", "avant le jour de
    l'an"): the next such holiday is the deadline. The holidays ("les fêtes") are counted from Christmas Day, so that
    the days before them end on Christmas Eve."""
    if match["eve"]:
        month, day = 12, 24
    elif match["new_year"]:
        month, day = 1, 1
    else:
        month, day = 12, 25
    holiday = _next_day_and_month(day, month, context.today)
    return _Before(holiday) if holiday is not None else None


#: Days patients name rather than date, each its (month, day): the clinic's calendar then says whether it is open.
_NAMED_DAYS = {
    "christmas_eve": (12, 24),
    "christmas": (12, 25),
    "boxing_day": (12, 26),
    "new_years_eve": (12, 31),
    "new_years_day": (1, 1),
    "saint_jean": (6, 24),
    "canada_day": (7, 1),
}


def _named_day(match: re.Match[str], context: _Context) -> _Reading | None:
    """The next day of that name ("le jour de Noël", "boxing day", "le jour de l'an", "la Saint-Jean")."""
    name = next(group for group, value in match.groupdict().items() if value)
    day = _next_day_and_month(_NAMED_DAYS[name][1], _NAMED_DAYS[name][0], context.today)
    return _Range(day, day) if day is not None else None


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _SMALL_NUMBERS[text]


# A weekday and a number that may be an hour ("jeudi 9", "next thursday 9", "vendredi à 10"), not a date ("jeudi le
# 10", "jeudi 10 décembre", "jeudi 10/12").
_WEEKDAY_AND_HOUR = re.compile(
    rf"(?P<next_before>\bnext\s+|\b{_NEXT_WEEK},?\s+)?\b(?P<weekday>{_WEEKDAY})(?P<next_after>\s+prochaine?)?,?\s+"
    rf"(?P<at_word>(?:a|at|vers|around)\s+)?(?P<hour>\d{{1,2}})(?![\w:/]|[.,-]\d)(?!\s*(?:de\s+|of\s+)?{MONTH})"
)
_HIGHEST_HOUR_AFTER_A_WEEKDAY = 12
_PAST_DAYS = r"(?<![\w'-])(?P<day>avant-hier|day before yesterday|hier|yesterday)\b"
_TWO_DAYS_AGO = frozenset({"avant-hier", "day before yesterday"})
# Words of a wish before "hier": "un rdv hier", "an appointment yesterday", "pour hier", "can I come yesterday".
_PAST_DAY_WISHED = re.compile(
    r"\b(?:rendez-vous|appointment|appointments|booking|book|reserver|reservation|pour|for|venir|come)"
    rf"(?:\s+[\w'-]+){{0,2}}?\s+{_PAST_DAYS}"
)
_PAST_DAY_ALONE = re.compile(rf"\W*(?:le |pour |for )?{_PAST_DAYS}\W*")
# A weekday the patient rules out ("la semaine prochaine sauf mercredi", "pas le vendredi", "anything but friday"):
# not a day asked for. "Je peux pas jeudi" stays a day: it names the appointment to cancel or move.
_REFUSED_WEEKDAY = re.compile(
    r"\b(?:(?:sauf|excepte|except|anything but|other than)(?:\s+(?:le|les|on))?|pas\s+(?:le|les)|not\s+on)"
    rf"\s+{_WEEKDAY}s?\b"
    # a weekday given up after the one meant: "jeudi pas mercredi", "thursday, not wednesday" (a lone "pas jeudi"
    # still names the appointment: "je peux pas jeudi")
    rf"|(?<=di|ay),?\s+(?:(?:et|and|mais|but)\s+)?(?:pas|not)\s+(?:le\s+|on\s+)?{_WEEKDAY}\b"
    # a day of the month given up after the one meant: "le 18 pas le 17", "the 14th, not the 15th"
    r"|(?<=\d)(?:er|st|nd|rd|th)?,?\s+(?:pas|not)\s+(?:le|the)\s+\d{1,2}(?:er|st|nd|rd|th)?\b"
)
_RELATIVE_DAY = re.compile(r"\b(?:" + "|".join(sorted(_DAYS_FROM_TODAY, key=len, reverse=True)) + r")\b")
_Resolver = Callable[[re.Match[str], _Context], _Reading | None]

# Words that make the day after them a deadline. "Pas avant vendredi" is from Friday on, not before it, and "stop by
# Friday", "come by tomorrow" are visits on that day.
_BEFORE_WORD = (
    r"(?<![\w'-])(?<!pas )(?<!not )(?<!jamais )(?<!never )"
    r"(?P<before>avant|before|d'ici|(?<!stop )(?<!come )(?<!drop )(?<!swing )(?<!pop )(?<!pass )(?<!stopping )"
    r"(?<!coming )(?<!dropping )(?<!passing )by)"
)
# Ends the text before a day the rules read: "avant [vendredi]", "before [the 24th]", "avant le [8 décembre]".
_BEFORE_A_DAY = re.compile(_BEFORE_WORD + r"\s+(?:(?:le|la|les|the)\s+)?$")
# How far back from a day `_BEFORE_A_DAY` looks: its longest match ("d'ici les ") and some blanks.
_BEFORE_A_DAY_REACH = 24
# A wish ("Joyeux Noël!", "merry christmas" are none), after the deadlines ("avant Noël") were read.
_NAMED_DAY = re.compile(
    r"(?<!joyeux )(?<!joyeuses )(?<!merry )(?<!happy )(?<!bonne )(?<!bon )\b(?:"
    r"(?P<christmas_eve>(?:la )?veille de noel|christmas eve)"
    r"|(?P<boxing_day>(?:le )?lendemain de noel|boxing day|le 26 decembre)"
    r"|(?P<new_years_eve>(?:la )?veille du jour de l'an|new year'?s eve|(?:le )?reveillon du jour de l'an)"
    r"|(?P<new_years_day>(?:le )?jour de l'?\s?an\b|new year'?s day|(?:le )?nouvel an)"
    # Christmas said in passing ("pour Noël", "le souper de Noël", "after christmas") names no day: only the day itself
    r"|(?P<christmas>(?:le )?jour de noel|christmas day|(?:le )?matin de noel|christmas morning"
    r"|(?<=\bon )christmas|(?<=\ble )noel)"
    r"|(?P<saint_jean>(?:la )?st-jean|(?:la )?saint-jean(?:-baptiste)?|(?:la )?fete nationale)"
    r"|(?P<canada_day>(?:la )?fete du canada|canada day))\b"
)
_BEFORE_A_HOLIDAY = re.compile(
    _BEFORE_WORD + r"\s+(?:(?P<eve>la veille de noel|christmas eve)"
    r"|(?P<new_year>le jour de l'an|(?:the )?new year(?!'?s? eve)(?:'s|s)?(?: day)?)"
    r"|noel|christmas|xmas|(?:le temps des|les) fetes|the holidays?(?: season)?|holidays)\b"
)
#: How two days are joined into a span that ends on or after its start ("du 28 au 3").
_SPAN_JOINTS = frozenset({"au", "to", "through", "thru", "-"})
# After a number, words that make it a quantity, not a day: "le vaccin du 18 mois", "le 2 ou 3 jours".
_QUANTITY_NEXT = (
    r"(?!\s*(?:jours?|days?|semaines?|weeks?|mois|months?|ans|years?|heures?|hours?|h\b|minutes?|mins?"
    r"|personnes?|people|fois|times|enfants?|kids?)\b)"
)
_TWO_DAYS = re.compile(
    rf"(?:\b(?P<lead>le|du|the)\s+|\b(?P<month_before>{_MONTH_NAME})\s+(?:the\s+)?)?"
    r"(?<![\w/.:-])(?P<first>\d{1,2})(?:er|re|st|nd|rd|th)?"
    r"\s*,?\s*(?P<joint>et|ou|and|or|&|-|au|to|through|thru)\s*(?:le\s+|the\s+)?"
    rf"(?P<second>\d{{1,2}})(?:er|re|st|nd|rd|th)?(?![\w:/]|[.,]\d){_QUANTITY_NEXT}"
    rf"(?:\s+(?:de\s+|of\s+)?(?P<month_after>{_MONTH_NAME}))?"
)
# A span from today: "dans les 2 prochaines semaines", "in the next two weeks", "within 2 weeks", "d'ici 2 semaines".
_WITHIN = re.compile(
    r"\b(?:(?:dans|au cours|durant|pendant|d'ici|within|in|over|during)\s+(?:les|des|the)\s+"
    rf"(?:(?P<count>{_NUMBER})\s+)?(?:prochaines?|prochains?|next|coming|following)\s+"
    rf"(?:(?P<count_after>{_NUMBER})\s+)?"
    r"|(?:within|d'ici|en dedans de|(?:dans|in) (?:moins de|less than))\s+(?:the next\s+)?"
    rf"(?P<count_alone>{_NUMBER})\s+)"
    r"(?:(?P<weeks>semaines?|weeks?)|jours?|days?)\b"
)
# A month after a word that makes it a time to book in, not a date's ("le 8 janvier" is read before): "en janvier",
# "in January", "pour janvier", "à janvier", "mes rdv de décembre", "le mois d'août". A bare "d'" is left out: "le 15
# d'août" is a date this module does not read, not the 15th and August.
_NAMED_MONTH = re.compile(
    r"(?<![\w'-])(?:(?:(?:au|le|du|ce) )?mois (?:de |d')|(?:the )?month of |(?:en|in|pour|for|de|during|durant"
    rf"|pendant|a(?! march| may)) )(?P<month>{_MONTH_NAME})(?:\s+(?P<year>\d{{4}}))?"
)
# "Pas cette semaine" is no wish for this week; what may follow names the week wished for ("la suivante"). A weekday
# after "next" is that day of next week, left to the weekday rule ("not this week, next tuesday").
_REFUSED_THIS_WEEK = re.compile(
    r"\b(?:pas|not|non|no)\s+(?:cette semaine|this week)\b"
    r"(?:\s*[,;.]?\s*(?:mais\s+|but\s+|plutot\s+|rather\s+)?"
    r"(?P<next>(?:la )?(?:semaine )?(?:suivante|prochaine|d'apres)|celle d'apres"
    rf"|(?:the )?(?:next|following)(?: one| week)?|the one after|the week after)\b(?!,?\s*{_WEEKDAY}))?"
)

# Strongest first: each rule blanks what it read, so "jeudi le 10" is not read again as "jeudi" and "le 10".
_DAY_RULES: tuple[tuple[re.Pattern[str], _Resolver], ...] = (
    (re.compile(r"(?<![\w/-])(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})(?![\w/-])"), _iso_date),
    (
        re.compile(r"(?<![\w/.-])(?P<first>\d{1,2})[/-](?P<second>\d{1,2})(?:[/-](?P<year>\d{4}))?(?![\w/.-])"),
        _numeric_date,
    ),
    (_TWO_DAYS, _two_days),
    (
        re.compile(
            rf"""(?:\b(?P<weekday>{_WEEKDAY}),?\s+(?:le\s+|the\s+)?)?
            (?:
                \b(?P<day>\d{{1,2}})(?:er|re|st|nd|rd|th)?\s+(?:de\s+|of\s+)?(?P<month>{MONTH})
              | \b(?P<month_first>{MONTH})\s+(?:the\s+)?(?P<day_after>\d{{1,2}})(?:st|nd|rd|th|er)?(?!\d)
            )
            (?:,?\s+(?P<year>\d{{4}}))?""",
            re.VERBOSE,
        ),
        _month_name_date,
    ),
    (
        re.compile(rf"\b(?P<weekday>{_WEEKDAY}),?\s+(?:le\s+|the\s+)?(?P<day>\d{{1,2}})(?:er|st|nd|rd|th)?(?![\w:/])"),
        _weekday_and_day_of_month,
    ),
    (_BEFORE_A_HOLIDAY, _before_a_holiday),
    (_NAMED_DAY, _named_day),
    (_RELATIVE_DAY, _relative_day),
    (
        re.compile(
            rf"(?P<next_before>\bnext\s+|\b{_NEXT_WEEK},?\s+)?\b(?P<weekday>{_WEEKDAY})\b"
            rf"(?P<next_after>\s+(?:prochaine?|{_NEXT_WEEK})\b)?"
        ),
        _weekday,
    ),
    (_WITHIN, _within),
    (
        re.compile(
            rf"\b(?:(?P<this_week>cette semaine|this week)"
            rf"|(?P<next_weekend>next weekend|(?:la )?fin de semaine prochaine)"
            rf"|(?P<weekend>(?:la )?(?:fin de semaine|weekend|week-end))"
            rf"|(?P<next_week>(?:la )?semaine (?:prochaine|suivante|d'apres)|next week|the following week"
            rf"|the week after(?=\s*(?:[,.!?;]|$)))"
            rf"|(?:semaine du|week of(?: the)?) (?P<week_of>\d{{1,2}})(?:st|nd|rd|th)?"
            rf"|(?:dans|in) (?P<weeks>{_NUMBER}) (?:semaines?|weeks?))\b"
        ),
        _week,
    ),
    (re.compile(rf"\b(?:dans|in) (?P<days>{_NUMBER}) (?:jours?|days?)\b"), _in_days),
    (re.compile(rf"\b(?:dans|in) (?P<months>{_NUMBER}) (?:mois|months?)\b"), _in_months),
    (re.compile(r"\b(?:mois prochain|next month|(?P<this_month>ce mois-ci|this month))\b"), _calendar_month),
    (_NAMED_MONTH, _named_month),
    (
        re.compile(rf"\b(?:le|du|the)\s+(?P<day>\d{{1,2}})(?:er|st|nd|rd|th)?(?![\w:/]){_QUANTITY_NEXT}"),
        _day_of_month,
    ),
)


def _spoken_day_in_digits(match: re.Match[str]) -> str:
    """A match of `_SPOKEN_DAY` with its number word in digits when it is a day there, else as it was."""
    day, ordinal = _DAY_WORDS[_WORD_SEPARATORS.sub(" ", match["word"])]
    text, start, end = match.string, match.start("word"), match.end("word")
    if _MONTH_NEXT.match(text, end) or match["article"]:  # "le premier janvier", "lundi le premier"
        is_day = True
    elif match["month_before"] or match["weekday"]:  # "december twenty first", "mardi quinze"; not "jeudi dix"
        is_day = ordinal or day >= _FIRST_DAY_NOT_AN_HOUR
    elif match["du_au"]:  # "du quinze"; "du premier" only in "du premier au cinq" ("au premier étage" is no day)
        paired = _AU_NEXT.match(text, end) if match["du_au"] == "du" else _DU_BEFORE.search(text, 0, match.start())
        is_day = not ordinal or paired is not None
    elif match["article_alone"]:  # "le seize", "the fifteenth"; not "le deux", "the second"
        is_day = day >= _FIRST_DAY_NOT_A_PICK
    else:  # "the sixteenth and seventeenth"
        is_day = day >= _FIRST_DAY_NOT_A_PICK and _JOINED_TO_A_DAY.search(text, 0, start) is not None
    return text[match.start() : start] + str(day) if is_day else match[0]


def _spoken_days_in_digits(text: str) -> str:
    """`text` with the days of the month said in words written in digits ("mardi le vingt-deux" -> "mardi le 22"),
    so that the rules for digits read them. Run once times are read and blanked: "neuf heures" is a time."""
    return _SPOKEN_DAY.sub(_spoken_day_in_digits, text)


def _weekday_hour(text: str, context: _Context) -> tuple[time | None, str]:
    """A weekday and a bare hour ("jeudi 9 avec gagnon", "thursday 9", "vendredi à 10"): the number is a clock time
    when it is 1 to 12 and not the day of the month of the weekday it follows (on Monday 7 December, "jeudi 9" is
    Thursday the 10th at 9:00, but "jeudi 10" is still Thursday the 10th); after "à" / "at" it is always the hour.
    `text` comes back with the number blanked, the weekday left for the day rules."""
    for match in _WEEKDAY_AND_HOUR.finditer(text):
        hour = int(match["hour"])
        if not 1 <= hour <= _HIGHEST_HOUR_AFTER_A_WEEKDAY:
            continue
        if not match["at_word"] and _weekday_date(match, context).day == hour:
            continue
        start = match.start("at_word") if match["at_word"] else match.start("hour")
        return hour_alone(hour), blank(text, start, match.end("hour"))
    return None, text


def _past_day(text: str, today: date) -> _Range | None:
    """A past day asked for ("j'avais besoin d'un rdv hier", "yesterday" alone, "avant-hier"): read, so that the bot
    can say the day is past. "Depuis hier" and "je suis tombé hier" tell a story, not a wish."""
    match = _PAST_DAY_WISHED.search(text) or _PAST_DAY_ALONE.fullmatch(text)
    if match is None:
        return None
    return _one_day(today - timedelta(days=2 if match["day"] in _TWO_DAYS_AGO else 1))


def _refused_this_week(text: str, context: _Context) -> tuple[_Range | None, str]:
    """`text` with "pas cette semaine" blanked, so that "cette semaine" is not read as wished, and the week it names
    instead ("pas cette semaine, la suivante") as next week."""
    match = _REFUSED_THIS_WEEK.search(text)
    if match is None:
        return None, text
    next_week = _week_holding(_monday_of_next_week(context.today)) if match["next"] else None
    return next_week, blank(text, match.start(), match.end())


def _as_deadline(reading: _Reading, text: str, start: int) -> _Reading:
    """`reading`, or the deadline it is when a word such as "avant", "before" or "by" comes right before it (a
    range's first day is the deadline: "avant la semaine prochaine" ends this Sunday). A choice is left one."""
    if not isinstance(reading, _Range):
        return reading
    before = _BEFORE_A_DAY.search(text, max(0, start - _BEFORE_A_DAY_REACH), start)
    if before is None:
        return reading
    return _Before(reading.first)


def find_when(normalised: str, today: date) -> When | None:
    """What a normalised message says about when, or None when it says nothing about it.

    Times are read before days, each blanked once read: first the times said in passing ("je finis à 16h"), which
    are dropped, then a window ("après 16h"), then a clock time ("vers 14h"), then a bare hour after a weekday
    ("jeudi 9"). Days of the month said in words are written in digits once the times are read ("neuf heures" is a
    time, "le dix-sept" a day). A past day ("hier") is read only when no other day is named.
    """
    text = _POLITE_WISHES.sub(lambda wish: " " * len(wish[0]), normalised)
    text, free_from = blank_times_in_passing(text)
    text = _REFUSED_WEEKDAY.sub(lambda refused: " " * len(refused[0]), text)
    refused_part, text = _refused_part_of_day(text)
    latest = _LATEST.search(text) is not None
    after, before, text = find_window(text)
    if refused_part is not None and after is None and before is None:  # "pas le matin": from noon on
        after, before = refused_part
    if after is None and before is None:  # "je finis à 15h, donc après"
        after = free_from
    at, text = find_clock_time(text)
    if after is None and before is None and at is None and _AFTER_SCHOOL.search(text):  # "at 4pm after school" is 4
        after = AFTER_SCHOOL
    part_of_day = find_part_of_day(text)
    earliest = _EARLIEST.search(text) is not None
    says_today = any(_DAYS_FROM_TODAY[match[0]] == 0 for match in _RELATIVE_DAY.finditer(text))
    context = _Context(today=today, weekday_may_be_today=says_today)
    text = _spoken_days_in_digits(text)
    if at is None and after is None and before is None:
        at, text = _weekday_hour(text, context)
    next_week, text = _refused_this_week(text, context)
    readings: list[_Reading] = [next_week] if next_week else []
    for pattern, resolve in _DAY_RULES:
        for match in islice(pattern.finditer(text), _MOST_MATCHES_PER_RULE):
            reading = resolve(match, context)
            if reading is not None:
                readings.append(_as_deadline(reading, text, match.start()))
                text = blank(text, match.start(), match.end())
    past = None if readings else _past_day(text, today)
    ranges = [reading for reading in readings if isinstance(reading, _Range)] + ([past] if past else [])
    # Of several deadlines the earliest holds ("before the holidays, before the 24th" is up to the 23rd); days named
    # beside it widen the range as any other day does.
    deadline = min((reading.day for reading in readings if isinstance(reading, _Before)), default=None)
    if deadline is not None and deadline > today:
        ranges.append(_Range(today, deadline - timedelta(days=1)))
    choices = tuple(dict.fromkeys(day for reading in readings if isinstance(reading, _Choice) for day in reading.dates))
    if not (ranges or choices or part_of_day or at or earliest or after or before or latest):
        return None
    return When(
        first_day=min((reading.first for reading in ranges), default=None),
        last_day=max((reading.last for reading in ranges), default=None),
        part_of_day=part_of_day,
        at=at,
        ambiguous_dates=() if ranges else choices,
        earliest=earliest,
        after=after,
        before=before,
        latest=latest,
    )


def _refused_part_of_day(text: str) -> tuple[tuple[time | None, time | None] | None, str]:
    """A part of the day the patient does not want ("pas le matin", "not in the morning") as the window it leaves,
    and `text` with it blanked (else "matin" would be read as wanted)."""
    match = _REFUSED_PART.search(text)
    if match is None:
        return None, text
    part = next(name for name, value in match.groupdict().items() if value)
    return _WINDOW_WITHOUT[part], blank(text, match.start(), match.end())


def load_month_names() -> None:
    """Load dateparser's French and English data now rather than on the first message that names a month."""
    for sample in ("8 decembre", "8 dec.", "december 8th", "1er janv", "sept 8"):
        _MONTH_READER.get_date_data(sample)
