"""The voice line through signed Twilio webhooks, TwiML parsed and asserted: the greeting's Gather, whole calls in
French and English by keypad and by speech, silences, "0" for a person, emergencies, retries and the status
callback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from bot.assistant import Inbound
from bot.booking.outage import start_outage
from bot.bootstrap import Services, bootstrap, build_assistant, build_replayer
from bot.channels.sms_sender import TwilioSender
from bot.core.vocabulary import AppointmentStatus, Channel
from bot.db.models import Appointment, CallOutcome
from bot.db.patients import set_opted_out
from bot.engine.replies import Handoff
from bot.outbox.store import waiting
from bot.settings import Settings
from fakes.twilio_recorder import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, TwilioRecorder
from rdvbot.call import CALL_PATH, SignedCallClient
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from webhooks import create_app

CALLER = "+15145550171"
CLINIC_PHONE = "+15145550199"


@pytest.fixture
def calling(services: Services, monday_9am: datetime) -> Callable[..., SignedCallClient]:
    """`calling(at=…, caller=…)`: a phone calling the demo clinic at that time (Monday 9:00 by default)."""

    def phone(at: datetime = monday_9am, caller: str = CALLER) -> SignedCallClient:
        app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: at})
        return SignedCallClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, caller)

    return phone


def voice_appointments(services: Services) -> list[Appointment]:
    with services.database.reading() as session:
        return list(session.scalars(select(Appointment).where(Appointment.channel == Channel.VOICE)))


def test_the_greeting_listens_for_keys_and_speech_in_french(calling: Callable[..., SignedCallClient]) -> None:
    step = calling().dial()
    [greeting] = step.said
    assert greeting.startswith("Bonjour, ici l'assistant de Clinique Démo Plateau. For English, press 9.")
    gather = step.gather
    assert gather is not None
    assert gather["input"] == "dtmf speech" and gather["language"] == "fr-CA"
    assert gather["method"] == "POST" and gather["actionOnEmptyResult"] == "true" and gather["numDigits"] == "1"
    assert gather["timeout"] == "6" and gather["speechTimeout"] == "auto"
    assert gather["action"].startswith("/twilio/voice/gather?turn=1&expects=nothing&language=fr")
    assert "rendez-vous" in gather["hints"] and "Dre Isabelle Tremblay" in gather["hints"]


def test_the_say_is_spoken_in_the_clinics_voice(services: Services, monday_9am: datetime) -> None:
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: monday_9am})
    call = SignedCallClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, CALLER)
    call.dial()
    response = call._send(CALL_PATH, call._form({}))  # the raw TwiML, to read the <Say> attributes
    say = ElementTree.fromstring(response.data).find("Gather/Say")
    assert say is not None and say.attrib == {"language": "fr-CA", "voice": "Polly.Chantal"}


def test_booking_by_keypad_in_french(services: Services, calling: Callable[..., SignedCallClient]) -> None:
    call = calling()
    call.dial()
    offer = call.say("je voudrais un rendez-vous demain matin")
    [text] = offer.said
    assert text.startswith("Disponible demain matin: mardi ") and ", faites le 1." in text and ", faites le 3." in text
    assert text.endswith("Dites ou faites le numéro de votre choix.")
    assert offer.gather is not None and "expects=pick" in offer.gather["action"]
    confirm = call.press("2")
    assert confirm.said[0].startswith("Je réserve le mardi ") and "faites le 1 pour oui" in confirm.said[0]
    assert confirm.gather is not None and "expects=yes_no" in confirm.gather["action"]
    assert "oui" in confirm.gather["hints"]
    booked = call.press("1")
    assert booked.said[0].startswith("C'est réservé: mardi ")
    [appointment] = voice_appointments(services)
    assert appointment.status is AppointmentStatus.BOOKED


def test_booking_by_speech_in_english(services: Services, calling: Callable[..., SignedCallClient]) -> None:
    call = calling(caller="+15145550172")
    call.dial()
    english = call.press("9")
    assert english.said == ["OK, I will answer in English. Say appointment, when, cancel or move."]
    assert english.gather is not None and english.gather["language"] == "en-CA"
    offer = call.say("I need an appointment tomorrow afternoon")
    assert offer.said[0].startswith("Available tomorrow afternoon: Tuesday, ") and ", press 1." in offer.said[0]
    confirm = call.say("the first one")
    assert confirm.said[0].startswith("Shall I book Tuesday, ")
    assert call.say("yes").said[0].startswith("Booked: Tuesday, ")
    assert len(voice_appointments(services)) == 1


def test_checking_and_cancelling_by_voice(services: Services, calling: Callable[..., SignedCallClient]) -> None:
    call = calling()
    call.dial()
    call.say("rendez-vous demain matin")
    call.press("1")
    booked = call.press("1")
    assert booked.said[0].endswith("Une confirmation vous sera envoyée par texto. Merci, au revoir.")
    assert booked.hung_up and booked.gather is None, "a booking made by phone ends the call with its closing line"
    call = calling()
    assert "votre prochain rendez-vous, le 2" in call.dial().said[0]
    told = call.press("2")  # the greeting's menu: 2 is "your next appointment"
    assert told.said[0].startswith("Votre rendez-vous: mardi ")
    asked = call.say("je veux annuler")
    assert asked.said[0].startswith("J'annule votre rendez-vous du mardi ")
    assert call.press("1").said[0].startswith("Votre rendez-vous du mardi ")
    assert [a.status for a in voice_appointments(services)] == [AppointmentStatus.CANCELLED]


def test_two_silences_are_asked_again_and_the_third_puts_the_caller_through(
    calling: Callable[..., SignedCallClient],
) -> None:
    call = calling()
    call.dial()
    call.say("rendez-vous demain matin")
    for _ in range(2):
        [again] = call.silence().said
        assert again.startswith("Je ne vous ai pas entendu. Disponible demain matin: mardi ")
        assert "faites le 3." in again, "the pending question is asked again"
    third = call.silence()
    assert third.said == ["Je vous transfère à la clinique. Un instant, s'il vous plaît."]
    assert third.dialled == CLINIC_PHONE and third.gather is None


def test_three_silences_after_hours_give_the_hours_and_811_and_end_the_call(
    calling: Callable[..., SignedCallClient], monday_9am: datetime
) -> None:
    call = calling(at=monday_9am.replace(hour=19))
    call.dial()
    call.silence()
    call.silence()
    last = call.silence()
    spoken = " ".join(last.said)
    assert "811" in spoken and "La clinique est fermée; elle ouvre demain à 8 h" in spoken, spoken
    assert last.hung_up and last.dialled is None and last.gather is None


def test_zero_reaches_the_clinic_when_open_and_its_hours_when_closed(
    calling: Callable[..., SignedCallClient], monday_9am: datetime
) -> None:
    open_call = calling()
    open_call.dial()
    open_call.say("rendez-vous jeudi")
    through = open_call.press("0")
    assert through.dialled == CLINIC_PHONE and not through.hung_up

    closed_call = calling(at=monday_9am.replace(hour=19))
    closed_call.dial()
    told = closed_call.press("0")
    spoken = " ".join(told.said)
    assert "appelez la clinique au 514-555-0199" in spoken and "811" in spoken and "elle ouvre demain à 8 h" in spoken
    assert told.dialled is None and told.gather is not None, "the caller may still do something else"


def test_emergency_words_end_the_call_with_911(calling: Callable[..., SignedCallClient]) -> None:
    call = calling()
    call.dial()
    step = call.say("j'ai une douleur à la poitrine et j'ai du mal à respirer")
    assert step.said == ["Si c'est une urgence, raccrochez et composez le 911 maintenant."]
    assert step.hung_up and step.gather is None


def test_booking_switched_off_puts_a_caller_through_when_open_and_ends_the_call_when_closed(
    services: Services, calling: Callable[..., SignedCallClient], monday_9am: datetime
) -> None:
    # Switched before any turn has read the switch: there is no cached copy to wait out.
    start_outage(services.database, "demo-plateau", "Système en panne.", "System down.")
    call = calling()
    call.dial()
    through = call.say("rendez-vous demain matin")
    assert through.said[-1].endswith("Je vous transfère à la clinique. Un instant, s'il vous plaît.")
    assert through.dialled == CLINIC_PHONE
    evening = calling(at=monday_9am.replace(hour=19))
    evening.dial()
    guided = evening.say("rendez-vous demain matin")
    assert "Système en panne." in guided.said[0] and "811" in guided.said[0]
    assert guided.dialled is None


def test_a_retried_gather_gets_the_same_answer_and_books_once(
    services: Services, calling: Callable[..., SignedCallClient]
) -> None:
    call = calling()
    call.dial()
    call.say("rendez-vous demain matin")
    call.press("1")
    confirm_gather = call.last.gather if call.last else None
    assert confirm_gather is not None
    first = call.press("1")
    retry = call._post(confirm_gather["action"], {"Digits": "1"})  # Twilio retrying the same gather
    assert retry == first
    assert len(voice_appointments(services)) == 1


def test_forged_requests_are_refused(services: Services, monday_9am: datetime) -> None:
    client = create_app({"TESTING": True, "SERVICES": services}).test_client()
    form = {"CallSid": "CA" + "1" * 32, "From": CALLER, "To": CLINIC_NUMBER}
    for path in ("/twilio/voice", "/twilio/voice/gather?turn=1", "/twilio/voice/status"):
        answer = client.post(path, data=form, headers={"X-Twilio-Signature": "forged"}, base_url=BASE_URL)
        assert answer.status_code == 403, path


def test_the_status_callback_records_how_the_call_ended(
    services: Services, calling: Callable[..., SignedCallClient]
) -> None:
    call = calling()
    call.dial()
    assert call.status("in-progress", 0) == 204
    assert call.status("completed", 42) == 204
    with services.database.reading() as session:
        [outcome] = session.scalars(select(CallOutcome)).all()
    assert (outcome.call_sid, outcome.status, outcome.duration_s, outcome.caller) == (
        call.call_sid,
        "completed",
        42,
        CALLER,
    )
    assert outcome.updated_at > datetime.now(outcome.updated_at.tzinfo) - timedelta(minutes=1)


def book_by_phone(call: SignedCallClient) -> None:
    call.dial()
    call.say("rendez-vous demain matin")
    call.press("1")
    assert call.press("1").said[0].startswith("C'est réservé")


def test_a_booking_by_phone_is_confirmed_by_text_unless_the_number_cannot_or_must_not_get_one(
    services: Services, calling: Callable[..., SignedCallClient], monday_9am: datetime
) -> None:
    book_by_phone(calling())
    book_by_phone(calling(caller="+18005550123"))  # toll-free: cannot receive texts
    book_by_phone(calling(caller="+15145550173"))
    with services.database.autocommit.begin() as connection:
        set_opted_out(connection, "+15145550173", True)  # they texted STOP before
    assert sorted(r.patient_phone for r in waiting(services.database)) == [CALLER, "+15145550173"]
    with TwilioRecorder() as recorder:
        replayer = build_replayer(services, build_assistant(services, lambda: monday_9am))
        replayer.sender = TwilioSender(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, api_base_url=recorder.base_url)
        assert replayer.drain() == 2
        [text] = recorder.messages
    assert (text.to, text.from_) == (CALLER, CLINIC_NUMBER)
    assert text.body.startswith("Clinique Démo Plateau: votre rendez-vous est réservé, mardi ")
    assert text.body.endswith("Pour annuler, écrivez ANNULER.")
    assert waiting(services.database) == []


def test_checking_and_cancelling_in_english_by_keypad_and_back_to_french(
    services: Services, calling: Callable[..., SignedCallClient]
) -> None:
    call = calling(caller="+15145550174")
    call.dial()
    call.press("9")
    call.say("book tomorrow morning")
    call.press("3")
    assert call.press("1").said[0].startswith("Booked: Tuesday, ")
    call = calling(caller="+15145550174")  # the call ended with the booking; English is remembered for this number
    assert call.dial().said[0].startswith("Hello, this is the Plateau Demo Clinic assistant.")
    assert call.say("when is my appointment").said[0].startswith("Your appointment: Tuesday, ")
    asked = call.say("cancel it")
    assert (
        asked.said[0].startswith("Shall I cancel your appointment on Tuesday, ") and "Press 1 for yes" in asked.said[0]
    )
    assert call.press("1").said[0].startswith("Your appointment on Tuesday, ")
    assert [a.status for a in voice_appointments(services)] == [AppointmentStatus.CANCELLED]
    french = call.press("9")
    assert french.said == ["D'accord, je vous réponds en français. Dites rendez-vous, quand, annuler ou déplacer."]
    assert french.gather is not None and french.gather["language"] == "fr-CA"


def test_a_call_the_assistant_cannot_handle_is_put_through_while_open_and_guided_when_closed(
    services: Services, monday_9am: datetime
) -> None:
    inbound = Inbound(CLINIC_NUMBER, CALLER, "rendez-vous demain", Channel.VOICE, "CA" + "2" * 32)
    clinic = services.clinics.clinics[0]
    for at, handoff in ((monday_9am, Handoff.TRANSFER), (monday_9am.replace(hour=19), Handoff.HANG_UP)):
        app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda at=at: at})
        turn = app.extensions["rdvbot.assistant"].fallback(clinic, inbound)
        assert turn.handoff is handoff
    assert turn.replies[0].text.startswith("Notre système de rendez-vous ne répond pas.")
    assert "811" in turn.replies[0].text and "911" in turn.replies[0].text


def test_a_signed_request_without_numbers_gets_a_way_out_not_an_error(
    services: Services, calling: Callable[..., SignedCallClient]
) -> None:
    step = calling(caller="not a number").dial()  # no caller's number: put through to the clinic, open at 9:00
    assert step.dialled == CLINIC_PHONE and step.gather is None


def test_what_a_caller_said_while_the_database_was_down_is_not_spooled_but_a_text_is(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'missing' / 'rdvbot.db'}",  # a folder that does not exist: no database
        twilio_auth_token=TOKEN,
        public_base_url=BASE_URL,
        spool_dir=spool,
    )
    app = create_app({"TESTING": True, "SERVICES": bootstrap(settings)})
    call = SignedCallClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, CALLER)
    step = call.dial()
    assert step.gather is None and (step.dialled or step.hung_up), "put through or guided, never left hanging"
    assert not spool.exists() or list(spool.iterdir()) == []
    texting = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, CALLER)
    assert "ne répond pas" in texting.send("rdv demain")[0]
    assert len(list(spool.glob("*.json"))) == 1


@pytest.mark.parametrize("hidden", ["+266696687", "Anonymous", "Restricted", ""])
def test_a_hidden_caller_id_is_put_through_while_open_and_told_the_clinic_and_811_when_closed(
    services: Services, calling: Callable[..., SignedCallClient], monday_9am: datetime, hidden: str
) -> None:
    open_call = calling(caller=hidden).dial()
    assert open_call.dialled == CLINIC_PHONE and open_call.gather is None  # nobody's appointments are told
    assert "ne répond pas" not in " ".join(open_call.said)  # the booking system is up: the number is what is missing
    night = calling(at=monday_9am.replace(hour=22), caller=hidden).dial()
    spoken = " ".join(night.said)
    assert night.hung_up and "811" in spoken and "911" in spoken


def test_a_foreign_caller_hears_the_safety_answer_and_is_sent_to_the_clinic_for_a_booking(
    calling: Callable[..., SignedCallClient], services: Services
) -> None:
    emergency = calling(caller="+33655550100")
    emergency.dial()
    assert "911" in " ".join(emergency.say("j'ai une douleur à la poitrine").said)
    call = calling(caller="+33655550101")
    call.dial()
    booking = " ".join(call.say("je voudrais un rendez-vous demain matin").said)
    assert "555-0199" in booking and "811" in booking, booking
    assert voice_appointments(services) == []
