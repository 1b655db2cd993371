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
- "hier" and "yesterday" are read when asked for ("un rdv hier"), so that the bot can say the day is past.

Several days in one message ("lundi ou mardi", "le 12 ou le 13") give the range from the first to the last; a
day read for sure outranks a choice between two.
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
    "today": 0,
    "tonight": 0,
    "ce matin": 0,
    "cet apres-midi": 0,
    "ce soir": 0,
    "this morning": 0,
    "this afternoon": 0,
    "this evening": 0,
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
# Wishes such as "bonne fin de semaine" or "good morning" name no day or part of the day.
_POLITE_WISHES = re.compile(
    r"\b(?:bon matin|bon apres-midi|bonne (?:journee|matinee|soiree|apres-midi|fin de semaine|nuit)"
    r"|bonne fin (?:de journee|d'apres-midi|de soiree|de matinee)|good (?:morning|afternoon|evening|night)"
    r"|have a (?:good|nice|great) (?:day|evening|weekend|night))\b"
)
_EARLIEST = re.compile(
    r"\ble plus (?:tot|vite|rapidement) possible|\bau plus (?:tot|vite|sacrant)|\bdes que possible|\bn'importe quand"
    r"|\b(?:premier|premiere|prochain|prochaine) (?:rendez-vous |place |plage )?(?:disponible|disponibilite)"
    r"|\b(?:asap|first available|next available|earliest|soonest|as soon as possible|any ?time|whenever|first thing)\b"
    r"|\b(?:plus tot|earlier)\b"
)
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


_Reading = _Range | _Choice


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
_RELATIVE_DAY = re.compile(r"\b(?:" + "|".join(sorted(_DAYS_FROM_TODAY, key=len, reverse=True)) + r")\b")
_Resolver = Callable[[re.Match[str], _Context], _Reading | None]

# Strongest first: each rule blanks what it read, so "jeudi le 10" is not read again as "jeudi" and "le 10".
_DAY_RULES: tuple[tuple[re.Pattern[str], _Resolver], ...] = (
    (re.compile(r"(?<![\w/-])(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})(?![\w/-])"), _iso_date),
    (
        re.compile(r"(?<![\w/.-])(?P<first>\d{1,2})[/-](?P<second>\d{1,2})(?:[/-](?P<year>\d{4}))?(?![\w/.-])"),
        _numeric_date,
    ),
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
    (_RELATIVE_DAY, _relative_day),
    (
        re.compile(
            rf"(?P<next_before>\bnext\s+|\b{_NEXT_WEEK},?\s+)?\b(?P<weekday>{_WEEKDAY})\b"
            rf"(?P<next_after>\s+(?:prochaine?|{_NEXT_WEEK})\b)?"
        ),
        _weekday,
    ),
    (
        re.compile(
            rf"\b(?:(?P<this_week>cette semaine|this week)"
            rf"|(?P<next_weekend>next weekend|(?:la )?fin de semaine prochaine)"
            rf"|(?P<weekend>(?:la )?(?:fin de semaine|weekend|week-end))"
            rf"|(?P<next_week>(?:la )?semaine prochaine|next week)"
            rf"|(?:semaine du|week of(?: the)?) (?P<week_of>\d{{1,2}})(?:st|nd|rd|th)?"
            rf"|(?:dans|in) (?P<weeks>{_NUMBER}) (?:semaines?|weeks?))\b"
        ),
        _week,
    ),
    (re.compile(rf"\b(?:dans|in) (?P<days>{_NUMBER}) (?:jours?|days?)\b"), _in_days),
    (re.compile(rf"\b(?:dans|in) (?P<months>{_NUMBER}) (?:mois|months?)\b"), _in_months),
    (re.compile(r"\b(?:mois prochain|next month|(?P<this_month>ce mois-ci|this month))\b"), _calendar_month),
    (re.compile(r"\b(?:le|du|the)\s+(?P<day>\d{1,2})(?:er|st|nd|rd|th)?(?![\w:/])"), _day_of_month),
)


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


def find_when(normalised: str, today: date) -> When | None:
    """What a normalised message says about when, or None when it says nothing about it.

    Times are read before days, each blanked once read: first the times said in passing ("je finis à 16h"), which
    are dropped, then a window ("après 16h"), then a clock time ("vers 14h"), then a bare hour after a weekday
    ("jeudi 9"). A past day ("hier") is read only when no other day is named.
    """
    text = _POLITE_WISHES.sub(lambda wish: " " * len(wish[0]), normalised)
    text = blank_times_in_passing(text)
    refused_part, text = _refused_part_of_day(text)
    latest = _LATEST.search(text) is not None
    after, before, text = find_window(text)
    if refused_part is not None and after is None and before is None:  # "pas le matin": from noon on
        after, before = refused_part
    at, text = find_clock_time(text)
    part_of_day = find_part_of_day(text)
    earliest = _EARLIEST.search(text) is not None
    says_today = any(_DAYS_FROM_TODAY[match[0]] == 0 for match in _RELATIVE_DAY.finditer(text))
    context = _Context(today=today, weekday_may_be_today=says_today)
    if at is None and after is None and before is None:
        at, text = _weekday_hour(text, context)
    readings: list[_Reading] = []
    for pattern, resolve in _DAY_RULES:
        for match in islice(pattern.finditer(text), _MOST_MATCHES_PER_RULE):
            reading = resolve(match, context)
            if reading is not None:
                readings.append(reading)
                text = blank(text, match.start(), match.end())
    past = None if readings else _past_day(text, today)
    ranges = [reading for reading in readings if isinstance(reading, _Range)] + ([past] if past else [])
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
