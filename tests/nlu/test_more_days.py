"""More ways to say the day: days of the month in words (speech transcripts), deadlines ("avant vendredi", "before
Christmas"), spans from today ("dans les 2 prochaines semaines"), months ("en janvier"), Québec's "à matin" and "à
soir", week shorthand ("semaine pro", "next wk", "2 sem"), the following week, and two days joined ("the 16th and
17th"). Today is Monday 7 December 2026, as in the outsiders' labels."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.core.vocabulary import PartOfDay
from bot.nlu import When, understand

MONDAY = date(2026, 12, 7)
SUNDAY = date(2026, 12, 13)
NEXT_WEEK = (date(2026, 12, 14), date(2026, 12, 20))
JANUARY = (date(2027, 1, 1), date(2027, 1, 31))


def when_of(text: str, today: date = MONDAY) -> When | None:
    return understand(text, today=today).when


def days_of(text: str, today: date = MONDAY) -> tuple[date | None, date | None]:
    """The first and last day read, (None, None) when no day is."""
    when = when_of(text, today)
    return (when.first_day, when.last_day) if when else (None, None)


def on(day: date) -> tuple[date, date]:
    return day, day


def to(last: date) -> tuple[date, date]:
    """From today (Monday 7 December) to `last`."""
    return MONDAY, last


# ----- 1. days of the month in words ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le vingt-deux décembre", on(date(2026, 12, 22))),
        ("le vingt deux decembre", on(date(2026, 12, 22))),
        ("oui je voudrais annuler mon rendez-vous du vingt-deux décembre", on(date(2026, 12, 22))),
        ("j'aimerais déplacer mon rendez-vous du dix décembre", on(date(2026, 12, 10))),
        ("le premier janvier", on(date(2027, 1, 1))),
        ("le trente et un décembre", on(date(2026, 12, 31))),
        ("le trente et un", on(date(2026, 12, 31))),
        ("le vingt-sept", on(date(2026, 12, 27))),  # "sept" is seven here, not September
        ("ouais allo je voudrais un rendez-vous avec marc gagnon mardi le vingt-deux le matin", on(date(2026, 12, 22))),
        ("bonjour je voudrais annuler mon rendez-vous de jeudi le dix-sept", on(date(2026, 12, 17))),
        ("est-ce que ce serait possible de changer mon rendez-vous pour le lundi vingt et un", on(date(2026, 12, 21))),
        ("mardi quinze", on(date(2026, 12, 15))),
        ("lundi le premier", on(date(2027, 2, 1))),  # the first 1st that is a Monday
        ("pour le seize si c'est possible", on(date(2026, 12, 16))),
        ("Est-ce possible le dix?", on(date(2026, 12, 10))),
        # Moving from one day to another reads both: the engine takes the new one.
        ("je voudrais changer mon rendez-vous du quinze pour le seize", (date(2026, 12, 15), date(2026, 12, 16))),
        ("du vingt-trois au vingt-neuf décembre", (date(2026, 12, 23), date(2026, 12, 29))),
        ("du premier au cinq janvier", (date(2027, 1, 1), date(2027, 1, 5))),
        ("the fifteenth", on(date(2026, 12, 15))),
        ("i'm calling about my appointment on the fifteenth i can't make it", on(date(2026, 12, 15))),
        ("hi i'd like to book an appointment for the twenty first in the afternoon please", on(date(2026, 12, 21))),
        ("on the twenty-first", on(date(2026, 12, 21))),
        ("the thirty first", on(date(2026, 12, 31))),
        ("yes i want to book with doctor tremblay on tuesday the fifteenth", on(date(2026, 12, 15))),
        ("hi there i'd like an appointment for friday the eighteenth in the morning", on(date(2026, 12, 18))),
        ("the first of january", on(date(2027, 1, 1))),
        ("january first", on(date(2027, 1, 1))),
        ("december twenty second", on(date(2026, 12, 22))),
    ],
)
def test_a_day_of_the_month_in_words(text: str, expected: tuple[date, date]) -> None:
    assert days_of(text) == expected


def test_a_spoken_day_keeps_the_time_and_part_of_the_day_said_with_it() -> None:
    assert when_of("je voudrais un rendez-vous à neuf heures et quart jeudi le dix-sept") == When(
        first_day=date(2026, 12, 17), last_day=date(2026, 12, 17), at=time(9, 15)
    )
    assert when_of("je voudrais un rendez-vous mercredi le seize à une heure et demie") == When(
        first_day=date(2026, 12, 16), last_day=date(2026, 12, 16), at=time(13, 30)
    )
    when = when_of("mardi le vingt-deux le matin")
    assert when is not None and when.part_of_day == PartOfDay.MORNING


@pytest.mark.parametrize(
    ("text", "pick"),
    [("le premier", 1), ("oui le premier", 1), ("le deux", 2), ("the second one", 2), ("the first one", 1)],
)
def test_a_small_number_word_alone_is_a_pick_not_a_day(text: str, pick: int) -> None:
    understanding = understand(text, today=MONDAY)
    assert understanding.pick == pick
    assert understanding.when is None


def test_le_2_is_still_read_as_both_a_pick_and_a_day() -> None:
    understanding = understand("le 2 svp", today=MONDAY)
    assert understanding.pick == 2
    assert days_of("le 2 svp") == on(date(2027, 1, 2))


@pytest.mark.parametrize(
    "text",
    [
        "au premier étage",
        "du premier coup",
        "you may first call the clinic",
        "deux ou trois jours",
        "dix ou quinze minutes",
        "vingt sept ans",
    ],
)
def test_number_words_that_are_no_day(text: str) -> None:
    assert days_of(text) == (None, None)


def test_a_number_word_up_to_twelve_after_a_weekday_is_left_as_said() -> None:
    # It may be an hour ("jeudi dix"), so it is not made a date: "mardi deux" stays tomorrow, not 2 February.
    assert days_of("mardi deux") == on(date(2026, 12, 8))
    assert days_of("le premier disponible") == (None, None)
    assert when_of("le premier disponible") == When(earliest=True)


# ----- 2. deadlines and spans from today ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("avant vendredi", to(date(2026, 12, 10))),
        ("allo chu tu capable davoir un rdv avec le doc gagnon avant vendredi", to(date(2026, 12, 10))),
        ("d'ici vendredi", to(date(2026, 12, 10))),
        ("dici vendredi svp", to(date(2026, 12, 10))),
        ("by Friday", to(date(2026, 12, 10))),
        ("can I see someone by friday?", to(date(2026, 12, 10))),
        ("before the 24th", to(date(2026, 12, 23))),
        ("Sometime before the 20th.", to(date(2026, 12, 19))),
        ("avant le 24 décembre", to(date(2026, 12, 23))),
        ("before Jan 10", to(date(2027, 1, 9))),
        ("avant la semaine prochaine", to(SUNDAY)),
        ("avant demain", to(MONDAY)),
        ("avant Noël", to(date(2026, 12, 24))),
        ("avant noel", to(date(2026, 12, 24))),
        ("je peux-tu voir le Dr Gagnon avant Noël?", to(date(2026, 12, 24))),
        ("before Christmas", to(date(2026, 12, 24))),
        ("Do you have any spots left before xmas", to(date(2026, 12, 24))),
        ("before the holidays", to(date(2026, 12, 24))),
        ("avant les fêtes", to(date(2026, 12, 24))),
        ("avant le temps des fetes", to(date(2026, 12, 24))),
        ("before christmas eve", to(date(2026, 12, 23))),
        ("avant le jour de l'an", to(date(2026, 12, 31))),
        # Of two deadlines the earliest holds.
        ("I need my meds renewed before the holidays, can Dr Gagnon see me before the 24th?", to(date(2026, 12, 23))),
        ("dans les 2 prochaines semaines", to(date(2026, 12, 20))),
        ("un certificat pour le hockey, c'est pas urgent, dans les deux prochaines semaines", to(date(2026, 12, 20))),
        ("au cours des 2 prochaines semaines", to(date(2026, 12, 20))),
        ("d'ici 2 semaines", to(date(2026, 12, 20))),
        ("within two weeks", to(date(2026, 12, 20))),
        ("sometime in the next two weeks", to(date(2026, 12, 20))),
        ("within the next 2 weeks", to(date(2026, 12, 20))),
        ("within a week", to(SUNDAY)),
        ("in the next 10 days", to(date(2026, 12, 16))),
        ("dans les 3 prochains jours", to(date(2026, 12, 9))),
    ],
)
def test_a_deadline_is_today_to_the_day_before(text: str, expected: tuple[date | None, date | None]) -> None:
    assert days_of(text) == expected


def test_a_deadline_is_counted_from_the_day_given() -> None:
    friday = date(2026, 12, 11)
    assert days_of("avant vendredi", today=friday) == (friday, date(2026, 12, 17))  # next Friday: today isn't before
    assert days_of("avant Noël", today=date(2026, 12, 26)) == (date(2026, 12, 26), date(2027, 12, 24))
    assert days_of("avant les fêtes", today=date(2026, 12, 24)) == on(date(2026, 12, 24))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pas avant vendredi", on(date(2026, 12, 11))),  # from Friday on, not before it
        ("not before friday", on(date(2026, 12, 11))),
        ("can I stop by friday", on(date(2026, 12, 11))),
        ("can I come by tomorrow", on(date(2026, 12, 8))),
        ("after the holidays", (None, None)),
        ("Joyeux Noël!", (None, None)),
        ("Merry Christmas", (None, None)),
        ("dans les prochaines semaines", (None, None)),  # no length said
    ],
)
def test_no_deadline(text: str, expected: tuple[date | None, date | None]) -> None:
    assert days_of(text) == expected


def test_a_time_before_is_still_a_window_and_avant_le_10_is_a_deadline() -> None:
    assert when_of("avant 10h vendredi") == When(
        first_day=date(2026, 12, 11), last_day=date(2026, 12, 11), before=time(10)
    )
    assert when_of("by 3") is None
    assert days_of("avant le 10") == (date(2026, 12, 7), date(2026, 12, 9))


# ----- 3. months ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "en janvier",
        "Je voudrais repousser mon rdv à janvier svp",
        "J'ai tu un rendez-vous en janvier?",
        "pour janvier",
        "le mois de janvier",
        "au mois de janvier",
        "in January",
        "i'd like to book my annual physical for january",
        "looking to book: annual checkup, any weekday morning in January",
        "the month of january",
        "en janvier 2027",
    ],
)
def test_a_month_named_is_that_whole_month(text: str) -> None:
    assert days_of(text) == JANUARY


def test_a_month_is_the_next_one_on_or_after_today() -> None:
    assert days_of("annule tout mes rdv de décembre") == (MONDAY, date(2026, 12, 31))  # this month: from today
    assert days_of("en mars") == (date(2027, 3, 1), date(2027, 3, 31))
    assert days_of("le mois d'août") == (date(2027, 8, 1), date(2027, 8, 31))
    assert days_of("en février", today=date(2027, 1, 15)) == (date(2027, 2, 1), date(2027, 2, 28))
    assert days_of("in january", today=date(2027, 1, 15)) == (date(2027, 1, 15), date(2027, 1, 31))
    assert days_of("en janvier 2028") == (date(2028, 1, 1), date(2028, 1, 31))


def test_a_date_in_a_month_is_still_that_date() -> None:
    assert days_of("le 15 janvier") == on(date(2027, 1, 15))
    assert days_of("le premier rendez-vous disponible en janvier") == JANUARY


@pytest.mark.parametrize("text", ["a march downtown", "you may need one", "janvier"])
def test_no_month(text: str) -> None:
    assert days_of(text) == (None, None)


# ----- 4. "à matin", "à soir", "cet aprem" ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "part_of_day"),
    [
        ("Y'a tu quelqu'un qui peut me voir à matin?", PartOfDay.MORNING),
        ("a matin svp", PartOfDay.MORNING),
        ("jpeux pas venir à soir, annule", PartOfDay.EVENING),
        ("a soir", PartOfDay.EVENING),
        ("jpeux tu passer voir quelqu'un cet aprem?", PartOfDay.AFTERNOON),
        ("cet apm", PartOfDay.AFTERNOON),
    ],
)
def test_quebec_this_morning_tonight_and_this_afternoon_are_today(text: str, part_of_day: PartOfDay) -> None:
    assert when_of(text) == When(first_day=MONDAY, last_day=MONDAY, part_of_day=part_of_day)


def test_a_weekday_said_with_a_matin_may_be_today() -> None:
    assert days_of("lundi à matin") == on(MONDAY)


# ----- 5. week shorthand ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("la semaine pro", "la semaine prochaine"),
        ("la sem pro", "la semaine prochaine"),
        ("sem prochaine", "semaine prochaine"),
        ("cette sem", "cette semaine"),
        ("next wk pls", "next week please"),
        ("this wk", "this week"),
        ("in 2 wks", "in 2 weeks"),
        ("2 sem", "2 semaines"),
        ("dans 2 sem", "dans 2 semaines"),
        ("dans deux sems", "dans deux semaines"),
        ("1 sem", "1 semaine"),
        ("la semaine dapres", "la semaine d'apres"),
        ("dici vendredi", "d'ici vendredi"),
        ("un pro", "un pro"),  # "pro" alone is also "professionnel"
    ],
)
def test_week_shorthand_is_expanded(text: str, normalised: str) -> None:
    assert understand(text, today=MONDAY).text == normalised


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Slt jvoudrais un rdv avec dre tremblay la semaine pro", NEXT_WEEK),
        ("vous avez quoi la sem pro?", NEXT_WEEK),
        ("Need a follow-up w/ Dr T. re: my bloodwork results, next wk pls", NEXT_WEEK),
        ("rdv dans 2 sem avec Tremblay", (date(2026, 12, 21), date(2026, 12, 27))),
        ("in 2 wks", (date(2026, 12, 21), date(2026, 12, 27))),
    ],
)
def test_week_shorthand_is_read(text: str, expected: tuple[date, date]) -> None:
    assert days_of(text) == expected


# ----- 6. the following week ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "the following week",
        "la semaine suivante",
        "la semaine d'après",
        "la semaine dapres",
        "pas cette semaine, la suivante",
        "pas cette semaine mais la prochaine",
        "not this week but next week",
        "not this week, the following one",
    ],
)
def test_the_following_week_is_next_week(text: str) -> None:
    assert days_of(text) == NEXT_WEEK


def test_moving_to_the_following_week_reads_both_weeks_days() -> None:
    # The day moved from is read too, as for any move: the engine takes the new one.
    assert days_of("Can I move Thursday's appointment to the following week?") == (date(2026, 12, 10), NEXT_WEEK[1])


@pytest.mark.parametrize("text", ["pas cette semaine", "not this week", "je peux pas cette semaine"])
def test_this_week_refused_is_no_day(text: str) -> None:
    assert days_of(text) == (None, None)


def test_a_day_after_this_week_refused_is_read() -> None:
    assert days_of("not this week, next tuesday") == on(date(2026, 12, 15))
    assert days_of("pas cette semaine, jeudi prochain") == on(date(2026, 12, 17))
    assert days_of("the week after next") == (None, None)  # not next week


# ----- 7. two days joined ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ok so I need an appointment, I'm off work on the 16th and 17th so either of those days", (16, 17)),
        ("the 16th and 17th", (16, 17)),
        ("the sixteenth and seventeenth", (16, 17)),
        ("le 16 et le 17", (16, 17)),
        ("le 16 et 17", (16, 17)),
        ("le 16 ou 17 svp", (16, 17)),
        ("le seize ou le dix-sept", (16, 17)),
        ("Can I get a morning appointment with Julie on the 22nd or 23rd?", (22, 23)),
        ("need to move my appointment, something on the 17th or 18th", (17, 18)),
        ("Booking request: Emily Chen, follow-up with Dr. Tremblay, Dec 16 or 17, mornings only", (16, 17)),
        ("16 ou 17 décembre", (16, 17)),
        ("du 15 au 20", (15, 20)),
        ("le 16-17", (16, 17)),
    ],
)
def test_two_days_joined_give_their_range(text: str, expected: tuple[int, int]) -> None:
    assert days_of(text) == (date(2026, 12, expected[0]), date(2026, 12, expected[1]))


def test_a_span_of_days_runs_into_the_next_month() -> None:
    assert days_of("du 28 au 3") == (date(2026, 12, 28), date(2027, 1, 3))
    assert days_of("Do you have anything early January? like the 4th-8th") == (date(2027, 1, 4), date(2027, 1, 8))


@pytest.mark.parametrize("text", ["2 ou 3 jours", "le vaccin du 18 mois", "1 or 2"])
def test_numbers_joined_that_are_no_days(text: str) -> None:
    assert days_of(text) == (None, None)


def test_a_time_after_two_days_stays_a_time() -> None:
    assert when_of("le 16 et 17h") == When(first_day=date(2026, 12, 16), last_day=date(2026, 12, 16), at=time(17))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("next thurs", on(date(2026, 12, 17))),
        ("appt tues 6:20pm?", on(date(2026, 12, 8))),
        ("is 11:40 on wed available", on(date(2026, 12, 9))),
        ("Need appt. Fri. Any time.", on(date(2026, 12, 11))),
        ("jveux un rdv asteure", on(MONDAY)),
    ],
)
def test_weekdays_as_texted(text: str, expected: tuple[date, date]) -> None:
    assert days_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("la semaine prochaine sauf mercredi", (date(2026, 12, 14), date(2026, 12, 20))),
        ("semaine prochaine pas le vendredi", (date(2026, 12, 14), date(2026, 12, 20))),
        ("next week anything but friday", (date(2026, 12, 14), date(2026, 12, 20))),
        ("rdv avec gagnon mais pas le vendredi", (None, None)),
        # A day the patient cannot come names the appointment to cancel or move: kept.
        ("je peux pas jeudi, annule", on(date(2026, 12, 10))),
    ],
)
def test_a_weekday_ruled_out_is_no_day_asked_for(text: str, expected: tuple[date | None, date | None]) -> None:
    assert days_of(text) == expected
