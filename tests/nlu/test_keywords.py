"""Carrier keywords count only when they are the whole message; "cancel" is about an appointment."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu import Intent, Keyword, understand

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("text", "keyword", "intent"),
    [
        ("STOP", Keyword.OPT_OUT, Intent.STOP),
        ("stop", Keyword.OPT_OUT, Intent.STOP),
        (" Stop. ", Keyword.OPT_OUT, Intent.STOP),
        ("S T O P", Keyword.OPT_OUT, Intent.STOP),
        ("STOPALL", Keyword.OPT_OUT, Intent.STOP),
        ("UNSUBSCRIBE", Keyword.OPT_OUT, Intent.STOP),
        ("END", Keyword.OPT_OUT, Intent.STOP),
        ("QUIT", Keyword.OPT_OUT, Intent.STOP),
        ("ARRET", Keyword.OPT_OUT, Intent.STOP),
        ("ARRÊT", Keyword.OPT_OUT, Intent.STOP),
        ("Arrête!", Keyword.OPT_OUT, Intent.STOP),
        ("ARRETE", Keyword.OPT_OUT, Intent.STOP),
        ("DÉSABONNER", Keyword.OPT_OUT, Intent.STOP),
        ("START", Keyword.OPT_IN, Intent.START),
        ("UNSTOP", Keyword.OPT_IN, Intent.START),
        ("DEBUT", Keyword.OPT_IN, Intent.START),
        ("Début", Keyword.OPT_IN, Intent.START),
        ("AIDE", Keyword.HELP_FR, Intent.HELP),
        ("HELP", Keyword.HELP_EN, Intent.HELP),
        ("info", Keyword.INFO, Intent.HELP),
    ],
)
def test_a_whole_message_keyword(text: str, keyword: Keyword, intent: Intent) -> None:
    understanding = understand(text, today=TODAY)
    assert (understanding.keyword, understanding.intent) == (keyword, intent)


@pytest.mark.parametrize(
    "text",
    [
        "please stop calling me",
        "stop 2",
        "arrêt de bus",
        "help me book",
        "j'ai besoin d'aide",
        "start over",
        "info sur la clinique",
        "CANCEL",
        "cancel my appointment",
    ],
)
def test_a_keyword_inside_a_sentence_is_not_a_keyword(text: str) -> None:
    assert understand(text, today=TODAY).keyword is None


def test_a_lone_cancel_cancels_the_appointment() -> None:
    assert understand("CANCEL", today=TODAY).intent is Intent.CANCEL


def test_asking_to_stop_in_a_sentence_is_still_a_stop() -> None:
    understanding = understand("please stop calling me", today=TODAY)
    assert (understanding.intent, understanding.keyword) == (Intent.STOP, None)
