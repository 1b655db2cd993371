"""A clinic whose system of record is a FHIR server, through the signed SMS webhook: booking and checking on it,
the failover to a secondary (slots to be confirmed, kept, then booked on the system of record once it is back),
the guidance and the offer to keep a request while nothing answers, and the breaker answering at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.bootstrap import Services, bootstrap, build_assistant, build_replayer
from bot.channels.sms_sender import TwilioSender
from bot.db.clinics import sync_clinics
from bot.outbox import store
from bot.settings import Settings
from fakes.fhir_server import FhirTestServer, RecordedRequest, fhir_clinic_data, make_schedule, make_slot
from fakes.twilio_recorder import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, TwilioRecorder
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, TOKEN
from webhooks import create_app

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

CLINIC_NUMBER, PATIENT = "+15145550101", "+15145550155"
SCHEDULES = {"owl": "owl-sched", "lark": "lark-sched"}
ZONE = "America/Toronto"


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def stocked(server: FhirTestServer, prefix: str) -> FhirTestServer:
    """owl's and lark's Schedules with morning slots tomorrow; slot ids start with `prefix`."""
    server.add(make_schedule("owl-sched", "Practitioner/owl"))
    server.add(make_schedule("lark-sched", "Practitioner/lark"))
    for practitioner, hour in (("owl", 9), ("lark", 10)):
        for minute in (0, 20, 40):
            start = tomorrow_at(hour, minute)
            slot = make_slot(
                f"{prefix}{practitioner}-{hour}{minute:02d}",
                f"{practitioner}-sched",
                start,
                start + timedelta(minutes=20),
            )
            server.add(slot)
    return server


@pytest.fixture
def primary() -> Iterator[FhirTestServer]:
    with FhirTestServer() as server:
        yield stocked(server, "p-")
    assert server.errors == []


@pytest.fixture
def secondary() -> Iterator[FhirTestServer]:
    with FhirTestServer() as server:
        yield stocked(server, "s-")


def wired(tmp_path: Path, sqlite_url: str, clinics: dict[str, object]) -> Services:
    path = tmp_path / "clinics.yaml"
    path.write_text(yaml.safe_dump(clinics, allow_unicode=True), encoding="utf-8")
    settings = Settings(
        database_url=sqlite_url,
        twilio_account_sid=FAKE_ACCOUNT_SID,
        twilio_auth_token=TOKEN,
        public_base_url=BASE_URL,
        clinics_file=path,
    )
    services = bootstrap(settings)
    sync_clinics(services.database, services.clinics)
    return services


def texting(services: Services) -> SignedSmsClient:
    app = create_app({"TESTING": True, "SERVICES": services})
    return SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, PATIENT)


def timed(client: SignedSmsClient, text: str) -> tuple[str, float]:
    began = time.monotonic()
    reply = client.send(text)[0]
    return reply, time.monotonic() - began


def posts(server: FhirTestServer) -> list[RecordedRequest]:
    return [r for r in server.requests if r.method in ("POST", "PUT")]


def test_booking_and_checking_on_the_clinics_fhir_system(
    tmp_path: Path, sqlite_url: str, primary: FhirTestServer
) -> None:
    patient = texting(wired(tmp_path, sqlite_url, fhir_clinic_data(primary.base_url, SCHEDULES)))
    offer = patient.send("rdv demain matin svp")[0]
    assert "1) " in offer and "9 h" in offer and "à confirmer" not in offer
    assert "Confirmer" in patient.send("1")[0]
    assert patient.send("oui")[0].startswith("C'est réservé")
    [appointment] = primary.resources("Appointment")
    assert appointment["status"] == "booked" and appointment["slot"] == [{"reference": "Slot/p-owl-900"}]
    assert "9 h" in patient.send("c'est quand mon rdv?")[0]


def test_a_clock_time_asked_at_a_fhir_clinic_is_read_in_the_clinics_zone(
    tmp_path: Path, sqlite_url: str, primary: FhirTestServer
) -> None:
    # The server gives starts in UTC: tomorrow's 9 h slots start at 14:00Z, which a comparison in UTC would offer.
    for slot_id, hour, minute in (("p-owl-1400", 14, 0), ("p-owl-1420", 14, 20), ("p-lark-1600", 16, 0)):
        start = tomorrow_at(hour, minute)
        practitioner = slot_id.split("-")[1]
        primary.add(make_slot(slot_id, f"{practitioner}-sched", start, start + timedelta(minutes=20)))
    patient = texting(wired(tmp_path, sqlite_url, fhir_clinic_data(primary.base_url, SCHEDULES)))
    offer = patient.send("rdv demain vers 14h10")[0]
    assert "14 h," in offer and "14 h 20" in offer, offer
    assert " 9 h" not in offer and " 10 h" not in offer, offer
    confirm = patient.send("rdv demain à 14h")[0]  # a free slot named exactly: confirmed at once, by local time
    assert confirm.startswith("Confirmer le ") and " à 14 h avec " in confirm, confirm
    assert patient.send("oui")[0].startswith("C'est réservé")
    [appointment] = primary.resources("Appointment")
    assert appointment["slot"] == [{"reference": "Slot/p-owl-1400"}]


def test_slots_from_the_secondary_are_to_be_confirmed_then_booked_on_the_system_of_record_once_back(
    tmp_path: Path, sqlite_url: str, primary: FhirTestServer, secondary: FhirTestServer
) -> None:
    second = {"kind": "fhir", "base_url": secondary.base_url, "schedules": SCHEDULES}
    services = wired(tmp_path, sqlite_url, fhir_clinic_data(primary.base_url, SCHEDULES, second))
    patient = texting(services)
    primary.set_fault("hang")
    offer, took = timed(patient, "rdv demain matin")
    assert took < 2.0, "within the webhook's budget although the system of record hangs"
    assert "1) " in offer and "(à confirmer)" in offer, offer
    patient.send("2")
    kept, _ = timed(patient, "oui")
    assert kept.startswith("C'est noté: ") and "à confirmer" in kept, kept
    assert posts(secondary) == [], "a secondary is never written to"
    [waiting] = store.waiting(services.database)
    assert waiting.kind == "book" and waiting.request["slot"]["id"].startswith("s-")

    primary.clear_fault()
    with TwilioRecorder(auth_token=FAKE_AUTH_TOKEN) as recorder:
        replayer = build_replayer(services, build_assistant(services))
        replayer.sender = TwilioSender(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, api_base_url=recorder.base_url)
        assert replayer.drain() == 1
        [text] = recorder.messages
    assert text.body.startswith("Nuit: c'est réservé, ") and "9 h 20" in text.body, text.body
    [appointment] = primary.resources("Appointment")
    assert appointment["slot"] == [{"reference": "Slot/p-owl-920"}], "the same time, found again on the record"
    assert posts(secondary) == []


def test_with_nothing_answering_the_patient_gets_the_guidance_and_can_keep_the_request(
    tmp_path: Path, sqlite_url: str, primary: FhirTestServer
) -> None:
    services = wired(tmp_path, sqlite_url, fhir_clinic_data(primary.base_url, SCHEDULES))
    patient = texting(services)
    primary.set_fault("503")
    reply, _ = timed(patient, "rdv demain matin")
    assert "Notre système de rendez-vous ne répond pas" in reply and "514-555-0102" in reply
    assert "Santé: 811" in reply and "Urgence: 911" in reply
    assert reply.endswith("OUI ou NON")
    assert patient.send("oui")[0].startswith("C'est noté")
    [waiting] = store.waiting(services.database)
    assert waiting.request["when"]["part_of_day"] == "morning"
    for _ in range(2):  # the breaker opens after 3 failed turns…
        patient.send("rdv demain")
    calls = len(primary.requests)
    reply, took = timed(patient, "rdv demain")
    assert "ne répond pas" in reply and took < 0.5  # …then answers without waiting on the back-end
    assert len(primary.requests) == calls


def test_a_replayed_booking_whose_answer_was_lost_is_made_once(
    tmp_path: Path, sqlite_url: str, primary: FhirTestServer
) -> None:
    services = wired(tmp_path, sqlite_url, fhir_clinic_data(primary.base_url, SCHEDULES))
    wanted = {"id": "x", "start": tomorrow_at(10, 20).isoformat(), "practitioner": "lark"}
    store.keep(services.database, "night", PATIENT, "fr", "book", {"slot": wanted, "when": None})
    with TwilioRecorder() as recorder:
        replayer = build_replayer(services, build_assistant(services))
        replayer.sender = TwilioSender(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, api_base_url=recorder.base_url)
        primary.fail_next(
            1, "reset", after_processing=True, when=lambda r: r.method == "POST" and "Appointment" in r.path
        )
        assert replayer.drain() == 0  # booked on the server, but the answer never came: it waits
        assert replayer.drain() == 1  # found again by its time: not booked twice
        [text] = recorder.messages
    assert "10 h 20" in text.body
    assert len(primary.resources("Appointment")) == 1


def test_while_the_system_is_down_appointments_are_told_as_last_known_and_a_cancellation_is_kept(
    tmp_path: Path, sqlite_url: str, primary: FhirTestServer
) -> None:
    services = wired(tmp_path, sqlite_url, fhir_clinic_data(primary.base_url, SCHEDULES, fail_max=100))
    patient = texting(services)
    patient.send("rdv demain matin")
    patient.send("1")
    assert patient.send("oui")[0].startswith("C'est réservé")
    stranger = SignedSmsClient(
        create_app({"TESTING": True, "SERVICES": services}).test_client(),
        TOKEN,
        BASE_URL,
        CLINIC_NUMBER,
        "+15145550156",
    )

    primary.set_fault("hang")
    told, took = timed(patient, "c'est quand mon rdv?")
    assert took < 2.0
    assert told.startswith("Selon nos derniers renseignements (notre système ne répond pas en ce moment)")
    assert "\n1) " in told and "9 h" in told, told
    assert "ne répond pas" in stranger.send("c'est quand mon rdv?")[0], "nothing known of this number: guidance"

    asked = patient.send("je veux annuler mon rdv")[0]  # the only one, from the mirror: asked at once
    assert asked.startswith("Annuler votre rendez-vous du ") and "9 h" in asked, asked
    reply = patient.send("oui")[0]
    assert "ne répond pas" in reply and reply.endswith("OUI ou NON"), reply
    assert patient.send("oui")[0].startswith("C'est noté")
    [kept] = store.waiting(services.database)
    assert kept.kind == "cancel"

    primary.clear_fault()
    with TwilioRecorder() as recorder:
        replayer = build_replayer(services, build_assistant(services))
        replayer.sender = TwilioSender(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, api_base_url=recorder.base_url)
        assert replayer.drain() == 1
        [text] = recorder.messages
    assert text.body.startswith("Nuit: c'est fait, votre rendez-vous du ") and text.body.endswith("est annulé.")
    [appointment] = primary.resources("Appointment")
    assert appointment["status"] == "cancelled"
    assert patient.send("c'est quand mon rdv?")[0].startswith("Je ne trouve aucun rendez-vous")
