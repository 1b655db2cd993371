"""GSM-7-safe wording: typographic punctuation gives way to GSM-7 equivalents, letters never change."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sms.segments import Encoding, gsm7_safe, segment_info

NBSP = "\u00a0"
NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("typographic", "plain"),
    [
        ("c’est", "c'est"),
        ("l‘heure", "l'heure"),
        ("“oui”", '"oui"'),
        ("8h–12h", "8h-12h"),
        ("demain — 14h", "demain - 14h"),
        ("Un instant…", "Un instant..."),
        (f"Heure{NBSP}: 14h", "Heure : 14h"),
        (f"Confirmé{NNBSP}!", "Confirmé !"),
        (f"«{NBSP}OUI{NBSP}»", '"OUI"'),
        (f"«{NNBSP}OUI{NNBSP}»", '"OUI"'),
        ("«OUI»", '"OUI"'),
        ("« OUI »", '"OUI"'),
    ],
)
def test_typographic_characters_become_gsm7(typographic: str, plain: str) -> None:
    assert gsm7_safe(typographic) == plain
    assert segment_info(plain).encoding is Encoding.GSM7


def test_a_french_reply_becomes_gsm7_and_stays_correct() -> None:
    reply = f"C’est noté{NNBSP}! Répondez «{NBSP}OUI{NBSP}» pour confirmer le rendez-vous de 14h30 à la clinique."
    safe = gsm7_safe(reply)
    assert safe == 'C\'est noté ! Répondez "OUI" pour confirmer le rendez-vous de 14h30 à la clinique.'
    assert segment_info(reply).encoding is Encoding.UCS2
    assert segment_info(safe).encoding is Encoding.GSM7


def test_letters_outside_gsm7_are_kept() -> None:
    text = "Ça fête à l’hôpital, dûment reçu, naïf Noël, cœur"
    assert gsm7_safe(text) == "Ça fête à l'hôpital, dûment reçu, naïf Noël, cœur"
    assert segment_info(gsm7_safe(text)).encoding is Encoding.UCS2


def test_spaces_outside_guillemets_are_kept() -> None:
    assert gsm7_safe("Tapez « 1 » ou « 2 ».") == 'Tapez "1" ou "2".'


@given(st.text())
def test_letters_and_digits_are_never_touched(text: str) -> None:
    def alphanumerics(value: str) -> list[str]:
        return [char for char in value if char.isalnum()]

    assert alphanumerics(gsm7_safe(text)) == alphanumerics(text)


@given(st.text())
def test_it_is_idempotent(text: str) -> None:
    assert gsm7_safe(gsm7_safe(text)) == gsm7_safe(text)
