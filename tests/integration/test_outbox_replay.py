"""Kept requests replayed once the system of record answers: exactly once (two workers, lost answers), at the
configured pace, texted through the twilio SDK to a local recorder, within texting hours, and a texted choice
of slots that the patient answers by number."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import func, select

from bot.booking.outage import SWITCH_CACHE_S, OutageSwitches, end_outage, start_outage
from bot.booking.slot_supply import generate_slots
from bot.bootstrap import Services, bootstrap, build_assistant, build_replayer
from bot.channels.sms_sender import TwilioSender
from bot.core.booking import BookingRequest, SlotSearch
from bot.core.vocabulary import AppointmentStatus, Channel
from bot.db.clinics import sync_clinics
from bot.db.models import Appointment, OutboxRequest, OutboxStatus, Patient
from bot.db.patients import set_opted_out
from bot.outbox import store
from bot.outbox.pace import LocalTokenBucket, Pace
from bot.outbox.replay import SEND_RETRY, Replayer
from bot.settings import Settings
from fakes.twilio_recorder import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, TwilioRecorder
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from tests.helpers import FakeClock, quiet_monday
from webhooks import create_app

CLINIC = "demo-plateau"


def replayer(
    services: Services,
    recorder: TwilioRecorder,
    now: datetime,
    worker: str = "test-worker",
    pace: Callable[[float], Pace] = lambda rate: LocalTokenBucket(1000.0, burst=1000),
) -> Replayer:
    assistant = build_assistant(services, lambda: now)
    sender = TwilioSender(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, api_base_url=recorder.base_url)
    return dataclasses.replace(
        build_replayer(services, assistant), sender=sender, pace_at=pace, clock=lambda: now, worker=worker
    )


def free_slots(services: Services, now: datetime, count: int) -> list[tuple[str, datetime, str]]:
    day = now.astimezone(services.clinics.clinics[0].zone).date()
    later = now + timedelta(hours=1)
    found = services.scheduler.search(SlotSearch(CLINIC, day, day + timedelta(days=4), not_before=later, limit=count))
    return [(slot.slot_id, slot.start, slot.practitioner_id) for slot in found]


def keep_booking(services: Services, phone: str, start: datetime, practitioner: str, language: str = "fr") -> int:
    slot = {"id": "elsewhere-1", "start": start.isoformat(), "practitioner": practitioner, "to_confirm": True}
    return store.keep(services.database, CLINIC, phone, language, "book", {"slot": slot, "when": None})


def live_appointments(services: Services, phone: str) -> list[datetime]:
    with services.database.reading() as session:
        return list(
            session.scalars(
                select(Appointment.start_at)
                .join(Patient, Patient.id == Appointment.patient_id)
                .where(Patient.phone == phone, Appointment.status == AppointmentStatus.BOOKED)
            )
        )


def test_a_kept_slot_is_booked_by_its_time_and_the_patient_texted_once(
    services: Services, monday_9am: datetime, recorder: TwilioRecorder
) -> None:
    [(_, start, practitioner)] = free_slots(services, monday_9am, 1)
    kept = keep_booking(services, "+15145550140", start, practitioner)
    drains = replayer(services, recorder, monday_9am)
    assert drains.drain() == 1
    assert live_appointments(services, "+15145550140") == [start]
    [text] = recorder.messages
    assert (text.to, text.from_) == ("+15145550140", CLINIC_NUMBER)
    assert text.body.startswith("Clinique Démo Plateau: c'est réservé, lundi ")
    assert " à 10 h avec " in text.body and text.body.endswith("Pour annuler, écrivez ANNULER.")
    assert drains.drain() == 0 and len(recorder.messages) == 1, "replayed or texted twice"
    assert store.waiting(services.database) == []
    with services.database.reading() as session:
        row = session.get(OutboxRequest, kept)
        assert row is not None and (row.status, row.outcome) == (OutboxStatus.DONE, "booked")


def test_a_kept_search_is_texted_as_a_choice_the_patient_answers_by_number(
    services: Services, monday_9am: datetime, recorder: TwilioRecorder
) -> None:
    phone = "+15145550141"
    when = {"first_day": (monday_9am + timedelta(days=1)).date().isoformat(), "part_of_day": "morning"}
    store.keep(services.database, CLINIC, phone, "fr", "book", {"when": when, "practitioner": None, "slot": None})
    replayer(services, recorder, monday_9am).drain()
    [offer] = recorder.messages
    assert offer.body.startswith("Votre demande de rendez-vous: voici ce qui est libre.")
    assert "\n1) mardi " in offer.body and "\n3) " in offer.body
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: monday_9am})
    patient = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, phone)
    assert "Confirmer" in patient.send("2")[0]
    assert patient.send("oui")[0].startswith("C'est réservé")
    second_offered = offer.body.split("\n2) ")[1].split(",")[0]
    assert len(live_appointments(services, phone)) == 1 and second_offered.startswith("mardi ")


def test_a_kept_cancellation_is_applied_and_texted(
    services: Services, monday_9am: datetime, recorder: TwilioRecorder
) -> None:
    [(slot_id, start, practitioner)] = free_slots(services, monday_9am, 1)
    phone = "+15145550142"
    booked = services.scheduler.book(BookingRequest(slot_id, phone, Channel.SMS))
    option = {"id": booked.appointment_id, "start": start.isoformat(), "practitioner": practitioner}
    store.keep(services.database, CLINIC, phone, "en", "cancel", {"appointment": option})
    replayer(services, recorder, monday_9am).drain()
    assert live_appointments(services, phone) == []
    [text] = recorder.messages
    assert text.body.startswith("Plateau Demo Clinic: done, your appointment of Monday")
    assert text.body.endswith("is cancelled.")


def test_nothing_is_replayed_while_booking_is_still_off(
    services: Services, monday_9am: datetime, recorder: TwilioRecorder
) -> None:
    clock = FakeClock()
    services = dataclasses.replace(services, outages=OutageSwitches(services.database, monotonic=clock))
    [(_, start, practitioner)] = free_slots(services, monday_9am, 1)
    keep_booking(services, "+15145550143", start, practitioner)
    start_outage(services.database, CLINIC, "En panne.", "Down.")
    assert replayer(services, recorder, monday_9am).drain() == 0
    assert recorder.messages == [] and len(store.waiting(services.database)) == 1
    end_outage(services.database, CLINIC)
    assert replayer(services, recorder, monday_9am).drain() == 0, "the switch as read is trusted for SWITCH_CACHE_S"
    clock.advance(SWITCH_CACHE_S)
    assert replayer(services, recorder, monday_9am).drain() == 1
    assert live_appointments(services, "+15145550143") == [start]


def test_texts_wait_for_texting_hours_and_skip_opted_out_patients(
    services: Services, monday_9am: datetime, recorder: TwilioRecorder
) -> None:
    night = monday_9am.replace(hour=23)
    (_, first, p1), (_, second, p2) = free_slots(services, monday_9am + timedelta(days=1), 2)
    keep_booking(services, "+15145550144", first, p1)
    keep_booking(services, "+15145550145", second, p2)
    with services.database.autocommit.begin() as connection:
        set_opted_out(connection, "+15145550145", True)
    assert replayer(services, recorder, night).drain() == 2  # both booked; one waits to be told, one never will
    assert live_appointments(services, "+15145550144") == [first], "booked at once: the time is secured"
    assert live_appointments(services, "+15145550145") == [second]
    assert recorder.messages == []
    [waiting] = store.waiting(services.database)
    assert waiting.status is OutboxStatus.NOTIFYING
    assert replayer(services, recorder, monday_9am + timedelta(days=1)).drain() == 1
    assert [m.to for m in recorder.messages] == ["+15145550144"]
    assert live_appointments(services, "+15145550144") == [first], "the booking was not made a second time"


def test_a_text_twilio_refused_is_sent_again_by_the_next_drain(
    services: Services, monday_9am: datetime, recorder: TwilioRecorder
) -> None:
    [(_, start, practitioner)] = free_slots(services, monday_9am, 1)
    keep_booking(services, "+15145550146", start, practitioner)
    recorder.fail_next(1, 503)
    assert replayer(services, recorder, monday_9am).drain() == 1  # booked; the text is put off
    assert recorder.messages == [] and replayer(services, recorder, monday_9am).drain() == 0
    assert replayer(services, recorder, monday_9am + SEND_RETRY).drain() == 1
    assert len(recorder.messages) == 1 and live_appointments(services, "+15145550146") == [start]


def test_two_drain_workers_never_replay_a_request_twice(database_url: str, recorder: TwilioRecorder) -> None:
    """On SQLite and on PostgreSQL (where the claims skip each other's locked rows)."""
    services = bootstrap(Settings(database_url=database_url, twilio_auth_token=TOKEN, public_base_url=BASE_URL))
    sync_clinics(services.database, services.clinics)
    clinic = services.clinics.clinics[0]
    monday = quiet_monday(clinic)
    generate_slots(services.database, clinic, 5, first_day=monday)
    now = datetime.combine(monday, clock_time(9), clinic.zone)
    slots = free_slots(services, now, 24)
    phones = [f"+151455501{30 + n}" for n in range(24)]
    for phone, (_, start, practitioner) in zip(phones, slots, strict=True):
        keep_booking(services, phone, start, practitioner)
    workers = [replayer(services, recorder, now, worker=f"w{n}") for n in range(2)]
    counts: list[int] = []
    threads = [threading.Thread(target=lambda w=w: counts.append(w.drain())) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(counts) == len(slots) == 24
    assert sorted(m.to for m in recorder.messages) == phones
    with services.database.reading() as session:
        booked = session.scalar(select(func.count()).select_from(Appointment).where(Appointment.status == "booked"))
    assert booked == 24
    assert store.waiting(services.database) == []


def test_replay_keeps_the_configured_pace(services: Services, monday_9am: datetime, recorder: TwilioRecorder) -> None:
    for n, (_, start, practitioner) in enumerate(free_slots(services, monday_9am, 5)):
        keep_booking(services, f"+151455501{60 + n}", start, practitioner)
    paced = replayer(services, recorder, monday_9am, pace=lambda rate: LocalTokenBucket(4.0, burst=1))
    began = time.monotonic()
    assert paced.drain() == 5
    assert time.monotonic() - began >= 4 / 4.0 * 0.9  # 5 requests at 4/s with a burst of 1: at least a second
