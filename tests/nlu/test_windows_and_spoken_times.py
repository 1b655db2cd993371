"""Windows of start times, spoken times, a weekday with a bare hour, times said in passing, parts of the day, and
past or far days; in French, joual, without accents and in English, as SMS and as speech transcripts."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.core.vocabulary import PartOfDay
from bot.nlu import When, understand

MONDAY = date(2026, 12, 7)
TUESDAY, THURSDAY, FRIDAY = date(2026, 12, 8), date(2026, 12, 10), date(2026, 12, 11)
MORNING, AFTERNOON, EVENING = PartOfDay.MORNING, PartOfDay.AFTERNOON, PartOfDay.EVENING


def when_of(text: str, today: date = MONDAY) -> When | None:
    return understand(text, today=today).when


def on(
    day: date,
    *,
    part_of_day: PartOfDay | None = None,
    at: time | None = None,
    after: time | None = None,
    before: time | None = None,
    earliest: bool = False,
) -> When:
    """What one day, with its part of the day, time or window, reads as."""
    return When(
        first_day=day, last_day=day, part_of_day=part_of_day, at=at, after=after, before=before, earliest=earliest
    )


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("pas avant 10h", time(10)),
        ("pas avant dix heures", time(10)),
        ("Pas avant 10 h svp", time(10)),
        ("après 16h", time(16)),
        ("apres 16h", time(16)),
        ("après seize heures", time(16)),
        ("a partir de 13h", time(13)),
        ("à partir d'une heure", time(13)),
        ("chu dispo à partir de midi", time(12)),
        ("à compter de 14h", time(14)),
        ("pas plus tôt que 9h", time(9)),
        ("pas plus tot que 9h", time(9)),
        ("not before 10", time(10)),
        ("not before ten", time(10)),
        ("after 4", time(16)),
        ("after four", time(16)),
        ("after 4 pls", time(16)),
        ("apres 4 svp", time(16)),
        ("anything after 4pm", time(16)),
        ("any time after 4", time(16)),
        ("n'importe quand après 16h", time(16)),
        ("from 2pm on", time(14)),
        ("from 2 onwards", time(14)),
        ("dès 14h", time(14)),
        ("10h au plus tôt", time(10)),
        ("4pm or later", time(16)),
        ("no earlier than 9", time(9)),
        ("disponible après 17h", time(17)),
        ("free after 5", time(17)),
        ("pas avant midi", time(12)),
        ("je ne suis pas disponible avant 16h", time(16)),
        ("not available before 4", time(16)),
        # A time of the patient's day, then "après" / "later": free from then on.
        ("je travaille jusqu'à 17h alors il me faudrait après", time(17)),
        ("je finis mes cours à 15h, donc après ça", time(15)),
        ("I get off work at 4, any chance for later?", time(16)),
        ("je travaille de 9h à 16h donc après", time(16)),
    ],
)
def test_not_before(text: str, after: time) -> None:
    assert when_of(text) == When(after=after)


@pytest.mark.parametrize(
    ("text", "before"),
    [
        ("avant 10h", time(10)),
        ("avant dix heures", time(10)),
        ("au plus tard 11h", time(11)),
        ("au plus tard à 11h", time(11)),
        ("11h au plus tard", time(11)),
        ("pas après 14h", time(14)),
        ("pas apres 14h", time(14)),
        ("pas plus tard que 15h", time(15)),
        ("before noon", time(12)),
        ("jusqu'à midi", time(12)),
        ("until 11", time(11)),
        ("until eleven", time(11)),
        ("no later than 3", time(15)),
        ("not after 2", time(14)),
        ("by noon", time(12)),
        ("je suis libre jusqu'à 11h", time(11)),
    ],
)
def test_not_after(text: str, before: time) -> None:
    assert when_of(text) == When(before=before)


@pytest.mark.parametrize(
    ("text", "after", "before"),
    [
        ("entre 13h et 15h", time(13), time(15)),
        ("entre 13 h et 15 h", time(13), time(15)),
        ("entre une heure et trois heures", time(13), time(15)),
        ("entre deux et quatre heures", time(14), time(16)),
        ("entre midi et une heure", time(12), time(13)),
        ("between 1 and 3 pm", time(13), time(15)),
        ("between one and three pm", time(13), time(15)),
        ("between 8 and 10 pm", time(20), time(22)),
        ("between 10 and 2 pm", time(10), time(14)),
        ("de 9h à 11h", time(9), time(11)),
        ("de 9h a 11h", time(9), time(11)),
        ("de 10 à 2", time(10), time(14)),
        ("from ten to three", time(10), time(15)),
        ("between 10 and noon", time(10), time(12)),
        ("9h-11h", time(9), time(11)),
        ("2-4pm", time(14), time(16)),
        ("apres 10h et avant 14h", time(10), time(14)),
        ("entre 10h pis 11h", time(10), time(11)),
    ],
)
def test_a_window_with_both_ends(text: str, after: time, before: time) -> None:
    assert when_of(text) == When(after=after, before=before)


def test_a_window_goes_with_the_day_and_the_part_of_the_day() -> None:
    assert when_of("can i book something tomorrow after 3") == on(TUESDAY, after=time(15))
    assert when_of("vendredi après seize heures avec julie roy") == on(FRIDAY, after=time(16))
    assert when_of("avez vous qqch vendredi apres-midi apres 16h") == on(FRIDAY, part_of_day=AFTERNOON, after=time(16))
    assert when_of("rdv demain de 14h à 15h") == on(TUESDAY, after=time(14), before=time(15))


@pytest.mark.parametrize(
    ("text", "at"),
    [("vers 14h", time(14)), ("à 14h", time(14)), ("14h", time(14)), ("vers 10h30-11h", time(10, 30))],
)
def test_a_time_without_a_window_word_is_an_at(text: str, at: time) -> None:
    assert when_of(text) == When(at=at)


def test_the_appointment_s_own_time_is_not_a_window() -> None:
    # "de 9h à 10h" is no window here: 9h is the appointment's time, 10h the one wished
    assert when_of("déplacer mon rdv de 9h à 10h") == When(at=time(10))
    assert when_of("move my appointment from 2pm to 3pm") == When(at=time(15))


def test_two_windows_that_cannot_both_hold_keep_the_first() -> None:
    assert when_of("avant 10h ou après 16h") == When(before=time(10))


@pytest.mark.parametrize(
    "text",
    ["after 2 weeks", "après 3 jours de fièvre", "entre 2 et 3 semaines", "de 1 à 10", "from 2", "dès 2", "by 3"],
)
def test_a_bare_number_that_is_a_quantity_is_no_window(text: str) -> None:
    assert when_of(text) is None


def test_a_bare_number_before_a_month_or_after_le_is_a_day() -> None:
    assert when_of("après 15 décembre") == on(date(2026, 12, 15))
    # "avant le 10" is a deadline: from today up to the 9th (the 10 is no hour).
    assert when_of("avant le 10") == When(first_day=MONDAY, last_day=date(2026, 12, 9))


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("dix heures", time(10)),
        ("onze heures trente", time(11, 30)),
        ("quatorze heures quinze", time(14, 15)),
        ("seize heures", time(16)),
        ("seize heures quarante", time(16, 40)),
        ("deux heures de l'après-midi", time(14)),
        ("deux heures de l'apres-midi", time(14)),
        ("deux heures", time(14)),
        ("neuf heures et demie", time(9, 30)),
        ("neuf heures et demi", time(9, 30)),
        ("quatre heures et quart", time(16, 15)),
        ("midi et demi", time(12, 30)),
        ("midi et quart", time(12, 15)),
        ("midi moins quart", time(11, 45)),
        ("dix heures moins quart", time(9, 45)),
        ("dix heures moins le quart", time(9, 45)),
        ("onze heures moins dix", time(10, 50)),
        ("dix-huit heures", time(18)),
        ("dix huit heures", time(18)),
        ("vingt et une heures", time(21)),
        ("neuf heures vingt-cinq", time(9, 25)),
        ("à une heure", time(13)),
        ("two pm", time(14)),
        ("two thirty", time(14, 30)),
        ("nine fifteen", time(9, 15)),
        ("nine forty", time(9, 40)),
        ("nine oh five", time(9, 5)),
        ("ten o'clock", time(10)),
        ("10 o'clock", time(10)),
        ("half past nine", time(9, 30)),
        ("quarter to three", time(14, 45)),
        ("quarter past ten", time(10, 15)),
        ("a quarter to one", time(12, 45)),
        ("eleven a.m.", time(11)),
        ("twelve thirty", time(12, 30)),
        ("nine in the morning", time(9)),
        ("two in the afternoon", time(14)),
        ("10h et demie", time(10, 30)),
        ("10 heures et demie", time(10, 30)),
        ("10h moins quart", time(9, 45)),
        ("10 heures 30", time(10, 30)),
        ("9h30 am", time(9, 30)),
        ("3 p.m.", time(15)),
    ],
)
def test_spoken_times(text: str, at: time) -> None:
    assert when_of(text) == When(at=at)


def test_spoken_times_in_transcripts() -> None:
    assert when_of("demain à dix heures avec la docteure tremblay") == on(TUESDAY, at=time(10))
    assert when_of("jeudi à neuf heures avec le docteur gagnon") == on(THURSDAY, at=time(9))
    assert when_of("mardi dix-huit heures avec gagnon") == on(TUESDAY, at=time(18))
    assert when_of("tomorrow at two pm with doctor gagnon") == on(TUESDAY, at=time(14))
    assert when_of("next week tuesday nine forty with julie roy") == on(date(2026, 12, 15), at=time(9, 40))


@pytest.mark.parametrize(
    "text",
    ["une heure", "dans une heure", "dans deux heures", "ça fait 2h que j'attends", "j'ai attendu deux heures", "two"],
)
def test_a_length_of_time_or_a_lone_number_word_is_no_time(text: str) -> None:
    assert when_of(text) is None


def test_number_words_are_still_picks() -> None:
    assert understand("two", today=MONDAY).pick == 2
    assert understand("la deux", today=MONDAY).pick == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jeudi 9 avec gagnon", on(THURSDAY, at=time(9))),
        ("thursday 9 with gagnon", on(THURSDAY, at=time(9))),
        ("Jeudi 9 avec Gagnon svp", on(THURSDAY, at=time(9))),
        ("vendredi 10", on(FRIDAY, at=time(10))),
        ("jeudi 11", on(THURSDAY, at=time(11))),
        ("lundi 2", on(date(2026, 12, 14), at=time(14))),
        ("thursday 9.", on(THURSDAY, at=time(9))),
        ("jeudi prochain 9", on(date(2026, 12, 17), at=time(9))),
        ("next thursday 9", on(date(2026, 12, 17), at=time(9))),
        ("thursday at 9", on(THURSDAY, at=time(9))),
        ("vendredi à 10", on(FRIDAY, at=time(10))),
    ],
)
def test_a_weekday_and_a_bare_hour(text: str, expected: When) -> None:
    assert when_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jeudi 10", on(THURSDAY)),  # Thursday is the 10th
        ("mardi 8", on(TUESDAY)),
        ("jeudi le 10", on(THURSDAY)),
        ("jeudi 10 décembre", on(THURSDAY)),
        ("mardi 15", on(date(2026, 12, 15))),  # not an hour
        ("samedi 12", on(date(2026, 12, 12))),
    ],
)
def test_a_weekday_and_its_own_date_stay_a_date(text: str, expected: When) -> None:
    assert when_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("je travaille jusqu'à 17h, avez-vous qqch jeudi?", on(THURSDAY)),
        ("je travaille jusqu'a 17h, avez vous qqch jeudi", on(THURSDAY)),
        ("je finis à 16h", None),
        ("je finis de travailler à 16h, 16h30 ça marche?", When(at=time(16, 30))),
        ("je sors de la job à 17h", None),
        ("chu au travail jusqu'à 5h", None),
        ("je travaille de 9h à 17h", None),
        ("I work until 5", None),
        ("I work 9 to 5", None),
        ("I get off at 4", None),
        ("I'm off at 4, after 4:30 maybe?", When(after=time(16, 30))),
        ("my shift ends at 3", None),
        ("mon bus arrive à 8h", None),
        ("mon bus arrive a 8h", None),
        ("I finish school at 3 so 4pm works", When(at=time(16))),
        ("jeudi 19h avec julie? vous etes ouvert jusqu'a 20h le jeudi non?", on(THURSDAY, at=time(19))),
    ],
)
def test_a_time_said_in_passing_is_not_the_appointment_s(text: str, expected: When | None) -> None:
    assert when_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("après le travail à 17h30", When(part_of_day=EVENING, at=time(17, 30))),
        ("after school at 4pm", When(at=time(16))),
        ("je travaille demain donc jeudi à 14h", When(first_day=TUESDAY, last_day=THURSDAY, at=time(14))),
        ("I work from home tomorrow at 2pm", on(TUESDAY, at=time(14))),
        ("do you have anything open at 3pm tomorrow", on(TUESDAY, at=time(15))),
        ("mardi 18h svp chu au travail avant", on(TUESDAY, at=time(18))),
        ("jeudi 7h30 avant ma job c possible?", on(THURSDAY, at=time(7, 30))),
    ],
)
def test_a_time_next_to_the_patient_s_day_may_still_be_the_appointment_s(text: str, expected: When) -> None:
    assert when_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jeudi aprem", on(THURSDAY, part_of_day=AFTERNOON)),
        ("jeudi aprèm", on(THURSDAY, part_of_day=AFTERNOON)),
        ("demain apm", on(TUESDAY, part_of_day=AFTERNOON)),
        ("demain p-m", on(TUESDAY, part_of_day=AFTERNOON)),
        ("demain a-m", on(TUESDAY, part_of_day=MORNING)),
        ("après le dîner", When(part_of_day=AFTERNOON)),
        ("apres le diner", When(part_of_day=AFTERNOON)),
        ("après le lunch", When(part_of_day=AFTERNOON)),
        ("wednesday after lunch", on(date(2026, 12, 9), part_of_day=AFTERNOON)),
        ("avant le dîner", When(part_of_day=MORNING)),
        ("before lunch", When(part_of_day=MORNING)),
        ("après le souper", When(part_of_day=EVENING)),
        ("en début de matinée", When(part_of_day=MORNING)),
        ("tôt le matin", When(part_of_day=MORNING)),
        ("first thing", When(part_of_day=MORNING, earliest=True)),
        ("first thing tomorrow", on(TUESDAY, part_of_day=MORNING, earliest=True)),
        ("fin d'après-midi", When(part_of_day=AFTERNOON, after=time(15))),
        ("fin de journée", When(part_of_day=AFTERNOON, after=time(15))),
        ("en fin de journee apres 16h", When(part_of_day=AFTERNOON, after=time(16))),
        ("late afternoon", When(part_of_day=AFTERNOON, after=time(15))),
        ("heure du dîner", When(at=time(12))),
        ("sur l'heure du dîner", When(at=time(12))),
        ("pendant mon heure de diner", When(at=time(12))),
        ("lunchtime", When(at=time(12))),
        ("at lunch tomorrow", on(TUESDAY, at=time(12))),
    ],
)
def test_parts_of_the_day(text: str, expected: When) -> None:
    assert when_of(text) == expected


@pytest.mark.parametrize("text", ["Merci, bonne fin de journée!", "bonne fin d'après-midi", "bon après-midi"])
def test_polite_wishes_name_no_part_of_the_day(text: str) -> None:
    assert when_of(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hier", on(date(2026, 12, 6))),
        ("yesterday", on(date(2026, 12, 6))),
        ("avant-hier", on(date(2026, 12, 5))),
        ("j'avais besoin d'un rdv hier lol, c tu encore possible?", on(date(2026, 12, 6))),
        ("I needed an appointment yesterday", on(date(2026, 12, 6))),
        ("je me sens pas bien depuis hier", None),
        ("sick since yesterday", None),
        ("je suis tombé hier, j'ai besoin d'un rdv", None),
        ("j'ai appelé hier pour un rdv demain", on(TUESDAY)),
        ("dans 2 mois", on(date(2027, 2, 7))),
        ("je voudrais un rdv dans 2 mois pour mon suivi de pression", on(date(2027, 2, 7))),
        ("in two months", on(date(2027, 2, 7))),
        ("in a month", on(date(2027, 1, 7))),
        ("dans six mois", on(date(2027, 6, 7))),
        ("le mois prochain", When(first_day=date(2027, 1, 1), last_day=date(2027, 1, 31))),
        ("next month", When(first_day=date(2027, 1, 1), last_day=date(2027, 1, 31))),
        ("ce mois-ci", When(first_day=MONDAY, last_day=date(2026, 12, 31))),
    ],
)
def test_past_and_far_days_are_read(text: str, expected: When | None) -> None:
    assert when_of(text) == expected


def test_months_ahead_keep_to_the_end_of_a_short_month() -> None:
    assert when_of("dans 2 mois", today=date(2026, 12, 31)) == on(date(2027, 2, 28))
    assert when_of("le mois prochain", today=date(2027, 1, 31)) == When(
        first_day=date(2027, 2, 1), last_day=date(2027, 2, 28)
    )


@pytest.mark.parametrize(
    ("text", "wished"),
    [
        # The time of the appointment being moved is not the time wished for it.
        ("mon rdv de 9h jpeux pas, jpeux-tu venir à 11h à place?", time(11)),
        ("Est-ce qu'on peut remettre mon rendez-vous à 9h au lieu de 13h?", time(9)),
        ("my appointment is at 2:40 on friday, could I move it to 4:20?", time(16, 20)),
        ("j'ai rendez-vous jeudi à 10h, pouvez-vous le déplacer à 14h?", time(14)),
        ("décale mon rdv à 15h30 svp", time(15, 30)),  # "mon rdv à 15h30" says where it goes
        ("can my appt be moved to 8am", time(8)),
        # Only the old time said: no time is wished.
        ("I need to change my appointment time, 9am is too early for me", None),
        ("jpeux pas a 9h, y aurait tu plus tard la meme journee? je voudrais deplacer mon rdv", None),
    ],
)
def test_a_move_wishes_its_new_time_not_the_old_one(text: str, wished: time | None) -> None:
    when = when_of(text)
    assert (when.at if when else None) == wished


def test_the_time_of_an_appointment_asked_about_or_cancelled_is_kept() -> None:
    when = when_of("annuler mon rdv de 9h demain")
    assert when is not None and when.at == time(9)


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("book me in w tremblay next week pls, mornings only", PartOfDay.MORNING),
        ("Hi, I'd like to see Dr. Gagnon sometime next week, mornings are best", PartOfDay.MORNING),
        ("ya tu moyen de passer aujourd'hui en fin daprem", PartOfDay.AFTERNOON),
        ("un rdv demain dans lapres-midi pour mon mari", PartOfDay.AFTERNOON),
        ("est-ce que je pourrais venir le matin au lieu du soir jeudi?", PartOfDay.MORNING),
        ("rdv pour ma fille, elle fait de la fièvre depuis hier soir, aujourd'hui si possible", None),
        ("When am I seeing the doctor?", None),  # "am" is no a.m. there
        ("or am I still booked thursday", None),
    ],
)
def test_the_part_of_the_day_wished(text: str, part: PartOfDay | None) -> None:
    when = when_of(text)
    assert (when.part_of_day if when else None) is part


@pytest.mark.parametrize(
    ("text", "after", "before"),
    [
        ("mardi ou jeudi entre 5 et 7", time(17), time(19)),  # the evening's 7, after the afternoon's 5
        ("is there anything this Thursday between 5 and 7?", time(17), time(19)),
        ("rdv entre 9 et 11", time(9), time(11)),
        ("un rdv apres lecole demain", time(15), None),
        ("Can I book an appointment for my son after school tomorrow?", time(15), None),
    ],
)
def test_windows_as_patients_say_them(text: str, after: time | None, before: time | None) -> None:
    when = when_of(text)
    assert when is not None and (when.after, when.before) == (after, before)
