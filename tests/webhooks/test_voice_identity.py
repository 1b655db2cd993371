"""Identity on the phone (issue 12, point 3): caller ID alone never reads or cancels an appointment. The carrier's
A-level attestation, or a one-time code texted to the number and keyed in, is needed; otherwise the caller is sent
to the clinic. A cancellation by phone is confirmed by text to the number that booked."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from rasa_sdk import Tracker

from bot.actions.appointments import may_confirm_by_text
from bot.bootstrap import Services, build_replayer
from bot.core.booking import BookingRequest, SlotSearch
from bot.core.vocabulary import Channel
from fakes.twilio_recorder import FAKE_AUTH_TOKEN, TwilioRecorder
from rdvbot.call import CallStep, SignedCallClient
from tests.conftest import BASE_URL, CLINIC_NUMBER
from webhooks import create_app

CALLER = "+15145550181"
ASKED = "c'est quand mon rendez-vous"


@pytest.fixture
def booked(twilio_services: Services, monday_9am: datetime) -> str:
    """CALLER's appointment two days ahead; its id."""
    clinic = twilio_services.clinics.clinics[0]
    day = monday_9am.date() + timedelta(days=2)
    slot = twilio_services.scheduler.search(SlotSearch(clinic.id, day, day, limit=1))[0]
    return twilio_services.scheduler.book(BookingRequest(slot.slot_id, CALLER, Channel.SMS)).appointment_id


def caller(services: Services, now: datetime, attestation: str | None) -> SignedCallClient:
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: now})
    token = services.settings.twilio_auth_token or ""
    return SignedCallClient(app.test_client(), token, BASE_URL, CLINIC_NUMBER, CALLER, attestation)


def said(step: CallStep) -> str:
    return " ".join(step.said)


def code_texted(recorder: TwilioRecorder, count: int = 1) -> str:
    message = recorder.wait_for(count, timeout_s=2)[-1]
    assert message.to == CALLER and message.from_ == CLINIC_NUMBER
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found, message.body
    return found.group(1)


def test_an_attested_caller_hears_their_appointment_at_once(
    twilio_services: Services, monday_9am: datetime, booked: str, recorder: TwilioRecorder
) -> None:
    call = caller(twilio_services, monday_9am, "TN-Validation-Passed-A")
    call.dial()
    assert "mercredi" in said(call.say(ASKED))
    assert recorder.messages == [], "no code needed"


@pytest.mark.parametrize("attestation", [None, "TN-Validation-Passed-B", "TN-Validation-Passed-C", "No-TN-Validation"])
def test_any_other_caller_keys_the_code_texted_to_the_number_first(
    twilio_services: Services, monday_9am: datetime, booked: str, recorder: TwilioRecorder, attestation: str | None
) -> None:
    call = caller(twilio_services, monday_9am, attestation)
    call.dial()
    asked = call.say(ASKED)
    assert "code" in said(asked) and "mercredi" not in said(asked)
    assert asked.gather is not None and asked.gather["numDigits"] == "6"
    assert "mercredi" in said(call.press(code_texted(recorder)))
    again = call.say("annuler mon rendez-vous")  # the proof holds for the rest of the call
    assert "code" not in said(again) and "J'annule votre rendez-vous" in said(again)
    assert len(recorder.messages) == 1


def test_three_wrong_codes_send_the_caller_to_the_clinic_and_read_nothing(
    twilio_services: Services, monday_9am: datetime, booked: str, recorder: TwilioRecorder
) -> None:
    call = caller(twilio_services, monday_9am, None)
    call.dial()
    call.say("annuler mon rendez-vous")
    real = code_texted(recorder)
    wrong = "000000" if real != "000000" else "111111"
    assert "pas le bon code" in said(call.press(wrong))
    assert "pas le bon code" in said(call.press(wrong))
    last = call.press(wrong)
    assert "je vous transfère à la clinique" in said(last) and last.dialled == "+15145550199"
    assert "mercredi" not in said(last)
    clinic = twilio_services.clinics.clinics[0]
    assert twilio_services.scheduler.appointments_for(clinic.id, CALLER, after=monday_9am), "nothing cancelled"


def test_a_caller_whose_number_cannot_get_a_text_is_sent_to_the_clinic(
    services: Services, monday_9am: datetime
) -> None:
    call = caller(services, monday_9am, None)  # no Twilio credentials: no code can be sent
    call.dial()
    answer = call.say(ASKED)
    assert "Je ne peux pas confirmer que ce numéro est le vôtre" in said(answer) and answer.dialled == "+15145550199"


def test_each_call_proves_itself_anew(
    twilio_services: Services, monday_9am: datetime, booked: str, recorder: TwilioRecorder
) -> None:
    first = caller(twilio_services, monday_9am, None)
    first.dial()
    first.say(ASKED)
    assert "mercredi" in said(first.press(code_texted(recorder)))
    second = caller(twilio_services, monday_9am, None)
    second.dial()
    assert "code" in said(second.say(ASKED)), "a new call needs a new code"


def test_booking_by_phone_needs_no_code(twilio_services: Services, monday_9am: datetime) -> None:
    call = caller(twilio_services, monday_9am, None)
    call.dial()
    assert "code" not in said(call.say("rendez-vous demain matin")).lower()


def test_a_cancellation_by_phone_is_confirmed_by_text_to_the_number_that_booked(
    twilio_services: Services, monday_9am: datetime, booked: str, recorder: TwilioRecorder
) -> None:
    app = create_app({"TESTING": True, "SERVICES": twilio_services, "CLOCK": lambda: monday_9am})
    call = SignedCallClient(app.test_client(), FAKE_AUTH_TOKEN, BASE_URL, CLINIC_NUMBER, CALLER)
    call.dial()
    call.say("annuler mon rendez-vous")
    assert "annulé" in said(call.press("1")).lower()
    assert build_replayer(twilio_services, app.extensions["rdvbot.assistant"]).drain() == 1
    [text] = recorder.wait_for(1, timeout_s=2)
    assert text.to == CALLER and "annulé par téléphone" in text.body and "514-555-0199" in text.body


@pytest.mark.parametrize(
    ("number", "texted"),
    [(CALLER, True), ("+33655550100", False), ("+442079460018", False), ("+18005550100", False)],
    ids=["Québec mobile range", "French mobile", "UK landline", "toll-free"],
)
def test_a_confirmation_is_texted_only_to_a_number_in_the_allowed_countries_that_can_get_texts(
    services: Services, number: str, texted: bool
) -> None:
    clinic = services.clinics.clinics[0]
    tracker = Tracker(number, {}, {}, [], False, None, {}, None)
    assert may_confirm_by_text(clinic, tracker) is texted
