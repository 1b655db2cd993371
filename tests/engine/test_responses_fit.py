"""Every response, rendered with the longest names, addresses, dates and option lists the configuration
allows, fits in two SMS segments: as is when names are GSM-7, and through the SMS composer otherwise."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.actions import ACTION_NAMES
from bot.actions.nearby import LINK_MAX, PLACE_MAX
from bot.channels.sms import sms_text
from bot.clinics.config import MAX_ADDRESS, MAX_NAME, ClinicConfig, ClinicsFile
from bot.core.wish import Wish
from bot.db.models import OUTAGE_MESSAGE_MAX
from bot.engine.flows import FlowBook, load_flow_book
from bot.engine.render import Renderer
from bot.engine.replies import BotTurn
from bot.nlu import Intent
from bot.sms.segments import MAX_SEGMENTS, segment_count

ZONE = ZoneInfo("America/Toronto")
#: The longest French date label: "mercredi 30 septembre à 12 h 40".
LONG_MOMENT = datetime(2026, 9, 30, 12, 40, tzinfo=ZONE)


def longest_clinic(letter: str) -> ClinicConfig:
    """A clinic whose names and address are as long as allowed, written with `letter`."""
    name = {"fr": letter * MAX_NAME, "en": letter * MAX_NAME}
    return ClinicsFile.model_validate(
        {
            "clinics": [
                {
                    "id": "long",
                    "name": name,
                    "sms_number": "+15145550100",
                    "phone": "+15145550199",
                    "address": letter * MAX_ADDRESS,
                    "practitioners": [
                        {"id": f"p{i}", "name": name, "availability": {"mon": ["08:00-17:00"]}} for i in range(3)
                    ],
                }
            ]
        }
    ).clinics[0]


def longest_slots() -> dict[str, object]:
    options = [{"id": str(i), "start": LONG_MOMENT.isoformat(), "practitioner": f"p{i}"} for i in range(3)]
    return {
        "offered": options,
        "appointments": options,
        "chosen_slot": "0",
        "chosen_appointment": "1",
        "search_outcome": "nearest",
        "when": Wish.from_json(
            {"first_day": "2026-09-28", "last_day": "2026-09-30", "part_of_day": "afternoon", "at": "12:40"}
        ),
        "date_choices": [{"first_day": "2026-09-30"}, {"first_day": "2026-12-09"}],
        "nearby": [{"place": "P" * PLACE_MAX, "start": LONG_MOMENT.isoformat(), "contact": "x" * LINK_MAX}] * 2,
    }


@pytest.fixture(scope="module")
def book() -> FlowBook:
    return load_flow_book(ACTION_NAMES, [i.value for i in Intent])


def every_rendering(book: FlowBook, clinic: ClinicConfig) -> list[tuple[str, str, str]]:
    renderer = Renderer(book, clinic, date(2026, 9, 27))
    extra = {
        "closes_at": datetime.combine(date(2026, 9, 27), time(20), ZONE).isoformat(),
        "opens_at": LONG_MOMENT.isoformat(),
    }
    rendered = []
    for name, variants in book.responses.items():
        for index in range(len(variants)):
            slots = longest_slots()
            slots["search_outcome"] = "nearest" if index == 0 else "exact"
            slots["outage_message"] = "M" * OUTAGE_MESSAGE_MAX if index == 0 else None  # staff's longest message
            for language in ("fr", "en"):
                reply = renderer.render(name, slots, language, extra)
                rendered.append((f"{name}[{index}] {language}", language, sms_text(BotTurn(replies=[reply]))))
    return rendered


def test_every_response_fits_with_the_longest_gsm7_values(book: FlowBook) -> None:
    too_long = [
        (label, segment_count(text), text)
        for label, _, text in every_rendering(book, longest_clinic("M"))
        if segment_count(text) > MAX_SEGMENTS
    ]
    assert too_long == []
    # The composer did not have to shorten anything: no accent folded, no ellipsis added.
    assert not any(text.endswith("...") for _, _, text in every_rendering(book, longest_clinic("M")))


def test_names_that_need_ucs2_are_folded_rather_than_sent_in_three_texts(book: FlowBook) -> None:
    for label, _, text in every_rendering(book, longest_clinic("ô")):
        assert segment_count(text) <= MAX_SEGMENTS, label
