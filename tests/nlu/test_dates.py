"""Dates and times the Québec way (SPEC §4), always relative to the `today` given, never to the clock."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.core.vocabulary import PartOfDay
from bot.nlu import When, understand, warm_up

MONDAY = date(2026, 12, 7)
MORNING, AFTERNOON, EVENING = PartOfDay.MORNING, PartOfDay.AFTERNOON, PartOfDay.EVENING


def when_of(text: str, today: date = MONDAY) -> When | None:
    return understand(text, today=today).when


def one_day(day: date, part_of_day: PartOfDay | None = None, at: time | None = None) -> When:
    return When(first_day=day, last_day=day, part_of_day=part_of_day, at=at)


def days(first: date, last: date) -> When:
    return When(first_day=first, last_day=last)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14h30", When(at=time(14, 30))),
        ("14 h 30", When(at=time(14, 30))),
        ("14:30", When(at=time(14, 30))),
        ("2h30 de l'après-midi", When(at=time(14, 30))),
        ("2h30 pm", When(at=time(14, 30))),
        ("3pm", When(at=time(15))),
        ("9h", When(at=time(9))),
        ("8h du matin", When(at=time(8))),
        ("7h du soir", When(at=time(19))),
        ("midi", When(at=time(12))),
        ("en pm", When(part_of_day=AFTERNOON)),
        ("en am", When(part_of_day=MORNING)),
        ("demain matin", one_day(date(2026, 12, 8), part_of_day=MORNING)),
        ("dem1 matin", one_day(date(2026, 12, 8), part_of_day=MORNING)),
        ("après-demain", one_day(date(2026, 12, 9))),
        ("aujourd'hui", one_day(MONDAY)),
        ("ajd", one_day(MONDAY)),
        ("ce soir", one_day(MONDAY, part_of_day=EVENING)),
        ("cet après-midi", one_day(MONDAY, part_of_day=AFTERNOON)),
        ("mardi prochain à 14h30", one_day(date(2026, 12, 15), at=time(14, 30))),
        ("le 15", one_day(date(2026, 12, 15))),
        ("jeudi le 10", one_day(date(2026, 12, 10))),
        ("le 8 décembre", one_day(date(2026, 12, 8))),
        ("8 déc", one_day(date(2026, 12, 8))),
        ("December 8", one_day(date(2026, 12, 8))),
        ("Dec 8th", one_day(date(2026, 12, 8))),
        ("le 8 décembre 2027", one_day(date(2027, 12, 8))),
        ("tomorrow morning", one_day(date(2026, 12, 8), part_of_day=MORNING)),
        ("next tuesday at 2:30pm", one_day(date(2026, 12, 15), at=time(14, 30))),
        ("this afternoon", one_day(MONDAY, part_of_day=AFTERNOON)),
        ("in the evening", When(part_of_day=EVENING)),
        ("cette semaine", days(MONDAY, date(2026, 12, 13))),
        ("la semaine prochaine", days(date(2026, 12, 14), date(2026, 12, 20))),
        ("next week", days(date(2026, 12, 14), date(2026, 12, 20))),
        ("dans 2 semaines", days(date(2026, 12, 21), date(2026, 12, 27))),
        ("la semaine du 14", days(date(2026, 12, 14), date(2026, 12, 20))),
        ("dans 3 jours", one_day(date(2026, 12, 10))),
        ("2026-12-10", one_day(date(2026, 12, 10))),
        ("le plus tôt possible", When(earliest=True)),
        ("le + tot possible", When(earliest=True)),
        ("rdv svp, ça presse", When(earliest=True)),
        ("whoever is free first", When(earliest=True)),
        ("ASAP", When(earliest=True)),
        ("first available", When(earliest=True)),
    ],
)
def test_each_form(text: str, expected: When) -> None:
    assert when_of(text) == expected


def test_a_weekday_alone_is_its_next_occurrence_strictly_after_today() -> None:
    assert when_of("mardi") == one_day(date(2026, 12, 8))
    assert when_of("lundi") == one_day(date(2026, 12, 14))  # today is a Monday


def test_a_weekday_is_today_when_the_message_says_today() -> None:
    assert when_of("aujourd'hui lundi") == one_day(MONDAY)


def test_prochain_is_that_day_of_next_calendar_week() -> None:
    assert when_of("mardi prochain") == one_day(date(2026, 12, 15))  # on a Monday: 8 days away, not tomorrow
    assert when_of("mardi de la semaine prochaine") == one_day(date(2026, 12, 15))
    assert when_of("mardi prochain", today=date(2026, 12, 11)) == one_day(date(2026, 12, 15))  # from a Friday
    assert when_of("lundi prochain", today=date(2026, 12, 13)) == one_day(date(2026, 12, 14))  # from a Sunday


def test_two_weekdays_make_a_range() -> None:
    assert when_of("lundi ou mardi", today=date(2026, 12, 9)) == days(date(2026, 12, 14), date(2026, 12, 15))


def test_a_day_of_the_month_rolls_over_to_the_next_month_and_year() -> None:
    assert when_of("le 5", today=date(2026, 12, 20)) == one_day(date(2027, 1, 5))
    assert when_of("le 20", today=date(2026, 12, 20)) == one_day(date(2026, 12, 20))
    assert when_of("le 31", today=date(2027, 2, 1)) == one_day(date(2027, 3, 31))  # February has no 31st


def test_a_day_and_month_is_the_next_one_on_or_after_today() -> None:
    assert when_of("le 7 décembre") == one_day(MONDAY)
    assert when_of("le 3 janvier") == one_day(date(2027, 1, 3))
    assert when_of("29 février") == one_day(date(2028, 2, 29))
    assert when_of("31 novembre") is None


def test_a_numeric_date_that_reads_both_ways_is_ambiguous() -> None:
    both = When(ambiguous_dates=(date(2026, 12, 10), date(2027, 10, 12)))
    assert when_of("10/12") == both
    assert when_of("10-12") == both
    assert when_of("10/12/2027") == When(ambiguous_dates=(date(2027, 12, 10), date(2027, 10, 12)))


def test_a_numeric_date_that_reads_one_way_only_is_exact() -> None:
    assert when_of("25/12") == one_day(date(2026, 12, 25))
    assert when_of("12/25") == one_day(date(2026, 12, 25))
    assert when_of("5/5") == one_day(date(2027, 5, 5))


def test_a_weekday_and_day_of_month_may_be_months_away_or_a_choice() -> None:
    assert when_of("dimanche le 10") == one_day(date(2027, 1, 10))
    # No Friday the 10th within six months: the patient chooses between the 10th and Friday.
    assert when_of("vendredi le 10") == When(ambiguous_dates=(date(2026, 12, 10), date(2026, 12, 11)))


def test_a_weekday_that_contradicts_a_full_date_is_a_choice() -> None:
    assert when_of("mercredi 8 décembre") == When(ambiguous_dates=(date(2026, 12, 8), date(2026, 12, 9)))
    assert when_of("mardi 8 décembre") == one_day(date(2026, 12, 8))


def test_the_weekend_quebec_style() -> None:
    weekend = days(date(2026, 12, 12), date(2026, 12, 13))
    assert when_of("en fin de semaine") == weekend
    assert when_of("en fin de semaine", today=date(2026, 12, 12)) == weekend
    assert when_of("en fin de semaine", today=date(2026, 12, 13)) == one_day(date(2026, 12, 13))
    assert when_of("la fin de semaine prochaine") == days(date(2026, 12, 19), date(2026, 12, 20))


def test_an_hour_from_1_to_6_written_alone_is_in_the_afternoon() -> None:
    assert when_of("le 2h30") == When(at=time(14, 30))
    assert when_of("2h30 du matin") == When(at=time(2, 30))
    assert when_of("7h") == When(at=time(7))


@pytest.mark.parametrize("text", ["25h", "14h75", "depuis 2h", "j'ai 2 enfants", "514-555-0199", "2 semaines"])
def test_not_a_time_nor_a_date(text: str) -> None:
    assert when_of(text) is None


@pytest.mark.parametrize("text", ["bonne fin de semaine", "bon matin", "good morning", "Merci, bonne journée!"])
def test_polite_wishes_name_no_time(text: str) -> None:
    assert when_of(text) is None


def test_dates_after_the_first_500_characters_are_not_read() -> None:
    assert when_of("bla " * 130 + "demain") is None


def test_warm_up_loads_the_month_names() -> None:
    warm_up()
    assert when_of("3 fév.") == one_day(date(2027, 2, 3))


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("can I come on christmas day?", date(2026, 12, 25)),
        ("rdv le jour de noel?", date(2026, 12, 25)),
        ("could I book for boxing day", date(2026, 12, 26)),
        ("rdv le jour de l an svp", date(2027, 1, 1)),
        ("la veille de noel en matinee", date(2026, 12, 24)),
        ("un rdv à la Saint-Jean", date(2027, 6, 24)),
    ],
)
def test_a_day_said_by_its_name(text: str, day: date) -> None:
    when = understand(text, today=date(2026, 12, 7)).when
    assert when is not None and (when.first_day, when.last_day) == (day, day)


@pytest.mark.parametrize(
    "text", ["Joyeux Noël! merci", "I'll be in Toronto for Christmas, thursday works", "mon souper de Noël de job"]
)
def test_christmas_said_in_passing_names_no_day(text: str) -> None:
    when = understand(text, today=date(2026, 12, 7)).when
    assert when is None or when.first_day != date(2026, 12, 25)
