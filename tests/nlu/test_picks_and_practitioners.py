"""Menu picks, picks by time, and practitioners named in a message."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.nlu import understand

TODAY = date(2026, 12, 7)
CLINIC = {
    "tremblay": ["Dre Isabelle Tremblay", "Dr. Isabelle Tremblay"],
    "cote": ["Dr Jean-François Côté"],
    "roy": ["Julie Roy, infirmière praticienne", "Julie Roy, nurse practitioner"],
}


@pytest.mark.parametrize(
    ("text", "pick"),
    [
        ("2", 2),
        ("2.", 2),
        ("#2", 2),
        ("2e", 2),
        ("le 2", 2),
        ("option 2", 2),
        ("choix #3", 3),
        ("numéro 2", 2),
        ("deux", 2),
        ("la deuxième", 2),
        ("second one", 2),
        ("the first one please", 1),
        ("je prends le 3 svp", 3),
        ("option trois", 3),
    ],
)
def test_a_pick(text: str, pick: int) -> None:
    assert understand(text, today=TODAY).pick == pick


@pytest.mark.parametrize(
    "text", ["0", "10", "option 12", "j'ai 2 enfants", "dans 2 semaines", "2 personnes", "le premier disponible"]
)
def test_not_a_pick(text: str) -> None:
    assert understand(text, today=TODAY).pick is None


@pytest.mark.parametrize("text", ["celui de 9h15", "le 9h15", "9h15 svp", "the 9:15 one", "9:15"])
def test_a_pick_by_time(text: str) -> None:
    assert understand(text, today=TODAY).pick_time == time(9, 15)


def test_a_time_with_a_day_is_not_a_pick_by_time() -> None:
    assert understand("demain 9h15", today=TODAY).pick_time is None


@pytest.mark.parametrize(
    ("text", "practitioner"),
    [
        ("avec tremblay", "tremblay"),
        ("Dre TREMBLAY", "tremblay"),
        ("docteure Isabelle Tremblay", "tremblay"),
        ("avec le Dr Côté", "cote"),
        ("dr cote svp", "cote"),
        ("Jean-François", "cote"),
        ("avec Julie", "roy"),
        ("je veux voir une infirmière", None),
        ("n'importe quel médecin", None),
    ],
)
def test_a_practitioner(text: str, practitioner: str | None) -> None:
    assert understand(text, today=TODAY, practitioners=CLINIC).practitioner == practitioner


def test_a_shared_last_name_needs_the_first_name() -> None:
    clinic = {"tremblay_i": ["Dre Isabelle Tremblay"], "tremblay_m": ["Dr Marc Tremblay"]}
    assert understand("avec Dr Tremblay", today=TODAY, practitioners=clinic).practitioner is None
    assert understand("avec Marc Tremblay", today=TODAY, practitioners=clinic).practitioner == "tremblay_m"


def test_no_practitioners_no_match() -> None:
    assert understand("avec tremblay", today=TODAY).practitioner is None


@pytest.mark.parametrize(
    ("text", "hour"),
    [
        ("ok 8 with dr tremblay", time(8)),
        ("plutot 3", time(15)),
        ("10 svp", time(10)),
        ("le 8 décembre", None),  # a day
        ("8h", None),  # already a time, read as one
        ("mon fils a 8 ans", None),  # a quantity
        ("1 ou 2", None),  # two numbers: no hour
    ],
)
def test_a_lone_number_as_the_hour_it_would_be(text: str, hour: time | None) -> None:
    assert understand(text, today=TODAY).bare_hour == hour


@pytest.mark.parametrize(
    "text",
    [
        "jpourrai pas venir jeudi, annule le stp. celui de vendredi je le garde",
        "je garde celui de vendredi mais annule jeudi",
        "cancel thursday, keep friday",
    ],
)
def test_a_day_in_a_clause_about_an_appointment_kept_is_not_the_request(text: str) -> None:
    when = understand(text, today=TODAY).when
    assert when is not None and when.first_day == when.last_day == date(2026, 12, 10)
