"""One spelling per word: lowercase, no accents, shorthand expanded, links and markup dropped."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu import understand

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Jé VEUX   un RDV\ndem1", "je veux un rendez-vous demain"),
        ("cest ajd pcq jsuis malade", "c'est aujourd'hui parce que je suis malade"),
        ("J’ai besoin d’un r-v", "j'ai besoin d'un rendez-vous"),
        ("Déplacer mon rendez vous", "deplacer mon rendez-vous"),
        ("oki thx", "ok thanks"),
        ("cœur", "coeur"),
        ("voir https://example.com/rdv <b>ici</b>", "voir ici"),
        ("", ""),
    ],
)
def test_the_normalised_text(text: str, normalised: str) -> None:
    assert understand(text, today=TODAY).text == normalised
