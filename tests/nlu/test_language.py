"""The language of a message, and explicit requests for the other language."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu import Intent, detect_language, understand

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I need an appointment tomorrow morning", "en"),
        ("Hello, do you have anything on Friday?", "en"),
        ("rdv demain matin svp", "fr"),
        ("Bonjour, j'aimerais un rendez-vous", "fr"),
        ("je veux cancel mon rdv", "fr"),
        ("jeudi", "fr"),
        ("oui", "fr"),
        ("yes", "en"),
        ("2", None),
        ("ok", None),
        ("14h30", None),
        ("👍", None),
        ("", None),
    ],
)
def test_detect_language(text: str, language: str | None) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("English", "en"),
        ("EN", "en"),
        ("in english please", "en"),
        ("anglais", "en"),
        ("en anglais svp", "en"),
        ("Parlez-vous anglais?", "en"),
        ("français", "fr"),
        ("french", "fr"),
        ("FR", "fr"),
        ("Do you speak French?", "fr"),
    ],
)
def test_a_request_for_a_language(text: str, language: str) -> None:
    understanding = understand(text, today=TODAY)
    assert (understanding.language_switch, understanding.intent) == (language, Intent.CHANGE_LANGUAGE)


@pytest.mark.parametrize("text", ["en pm", "rdv en personne", "je suis en retard", "frites", "I need it"])
def test_not_a_request_for_a_language(text: str) -> None:
    assert understand(text, today=TODAY).language_switch is None
