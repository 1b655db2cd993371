"""Dates and times the Québec way in French, and plainly in English."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.actions import ACTION_NAMES
from bot.clinics.config import load_clinics
from bot.core.wish import Wish
from bot.engine.flows import load_flow_book
from bot.engine.render import Renderer, clock, day_label, format_phone, moment_label, when_label
from bot.nlu import Intent
from bot.settings import demo_clinics_file

TODAY = date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize(
    ("moment", "language", "expected"),
    [
        (time(9, 20), "fr", "9 h 20"),
        (time(14, 0), "fr", "14 h"),
        (time(9, 5), "en", "9:05 a.m."),
        (time(12, 0), "en", "12:00 p.m."),
        (time(0, 30), "en", "12:30 a.m."),
    ],
)
def test_clock(moment: time, language: str, expected: str) -> None:
    assert clock(moment, language) == expected


def test_day_and_moment_labels() -> None:
    assert day_label(date(2026, 12, 8), "fr") == "mardi 8 décembre"
    assert day_label(date(2026, 12, 1), "fr") == "mardi 1er décembre"
    assert day_label(date(2026, 12, 1), "fr", short=True) == "mardi 1er déc."
    assert day_label(date(2026, 12, 8), "en") == "Tuesday, December 8"
    moment = datetime(2026, 12, 8, 9, 20, tzinfo=ZoneInfo("America/Toronto"))
    assert moment_label(moment, "fr") == "mardi 8 décembre à 9 h 20"
    assert moment_label(moment, "en") == "Tuesday, December 8 at 9:20 a.m."


@pytest.mark.parametrize(
    ("when", "language", "expected"),
    [
        ({"first_day": "2026-11-24", "last_day": "2026-11-24", "part_of_day": "morning"}, "fr", "demain matin"),
        ({"first_day": "2026-11-24", "last_day": "2026-11-24", "part_of_day": "morning"}, "en", "tomorrow morning"),
        ({"first_day": "2026-11-23", "last_day": "2026-11-23", "part_of_day": "afternoon"}, "fr", "cet après-midi"),
        ({"first_day": "2026-11-23", "last_day": "2026-11-23", "part_of_day": "afternoon"}, "en", "this afternoon"),
        (
            {"first_day": "2026-11-27", "last_day": "2026-11-27", "part_of_day": "afternoon"},
            "en",
            "on Friday, November 27 in the afternoon",
        ),
        ({"first_day": "2026-11-30", "last_day": "2026-12-06"}, "fr", "du 30 novembre au 6 décembre"),
        ({"first_day": "2026-12-01", "last_day": "2026-12-04"}, "fr", "du 1er au 4 décembre"),
        (
            {"first_day": "2026-12-08", "last_day": "2026-12-08", "at": "14:30"},
            "fr",
            "le mardi 8 décembre vers 14 h 30",
        ),
        ({"earliest": True}, "fr", "dès que possible"),
        ({"part_of_day": "evening"}, "fr", "en soirée"),
        ({"part_of_day": "morning"}, "en", "in the morning"),
        ({"first_day": "2026-11-24", "after": "16:00"}, "fr", "demain à partir de 16 h"),
        (
            {"first_day": "2026-11-24", "after": "13:00", "before": "15:00"},
            "en",
            "tomorrow between 1:00 p.m. and 3:00 p.m.",
        ),
        ({"before": "10:00"}, "fr", "avant 10 h"),
    ],
)
def test_when_label(when: dict[str, str], language: str, expected: str) -> None:
    assert when_label(Wish.from_json(when), TODAY, language) == expected


def test_phone_numbers_are_written_as_quebecers_do() -> None:
    assert format_phone("+15145550199") == "514-555-0199"
    assert format_phone("+33155550199") == "+33155550199"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "Il n'y a pas de Dr Bouchard ici."), ("en", "There is no Dr Bouchard here.")],
)
def test_an_unknown_practitioner_is_named_as_the_patient_said(language: str, expected: str) -> None:
    book = load_flow_book(ACTION_NAMES, [i.value for i in Intent])
    renderer = Renderer(book, load_clinics(demo_clinics_file()).clinics[0], TODAY)
    reply = renderer.render("utter_unknown_practitioner", {}, language, {"unknown_practitioner": "dr bouchard"})
    assert reply.text.startswith(expected)
