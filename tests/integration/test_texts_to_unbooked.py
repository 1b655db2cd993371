"""The SMS-pumping defence (issue 12, point 5): texts sent unprompted to a number that never booked at the clinic
are capped per day; a patient of the clinic is never capped."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.bootstrap import Services, twilio_sender
from bot.channels.sms_sender import CappedSender, SendCapped
from bot.core.booking import BookingRequest, SlotSearch
from bot.core.vocabulary import Channel
from fakes.twilio_recorder import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, TwilioRecorder

CLINIC = "+15145550100"
STRANGER, PATIENT = "+15145550163", "+15145550164"


@pytest.fixture
def sender(services: Services) -> Iterator[tuple[CappedSender, TwilioRecorder]]:
    with TwilioRecorder() as recorder:
        settings = dataclasses.replace(
            services.settings,
            twilio_account_sid=FAKE_ACCOUNT_SID,
            twilio_auth_token=FAKE_AUTH_TOKEN,
            twilio_api_url=recorder.base_url,
        )
        capped = twilio_sender(dataclasses.replace(services, settings=settings))
        assert capped is not None
        yield capped, recorder


def test_a_number_that_never_booked_gets_three_texts_a_day_then_none(
    sender: tuple[CappedSender, TwilioRecorder],
) -> None:
    capped, recorder = sender
    for n in range(3):
        capped.send(CLINIC, STRANGER, f"Code {n}")
    with pytest.raises(SendCapped) as refused:
        capped.send(CLINIC, STRANGER, "Code 3")
    assert STRANGER not in str(refused.value)
    assert [m.body for m in recorder.wait_for(3, timeout_s=2)] == ["Code 0", "Code 1", "Code 2"]


def test_a_patient_of_the_clinic_is_never_capped(
    sender: tuple[CappedSender, TwilioRecorder], services: Services, monday_9am: datetime
) -> None:
    capped, recorder = sender
    clinic = services.clinics.clinics[0]
    day = monday_9am.date()
    slot = services.scheduler.search(SlotSearch(clinic.id, day, day, limit=1))[0]
    services.scheduler.book(BookingRequest(slot.slot_id, PATIENT, Channel.VOICE))
    for n in range(6):
        capped.send(CLINIC, PATIENT, f"Rappel {n}")
    assert len(recorder.wait_for(6, timeout_s=2)) == 6
