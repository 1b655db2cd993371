"""The FHIR R4 adapter over real HTTP against the local FHIR test server: search, book, cancel, move, list, faults."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.booking.fhir import FhirScheduler
from bot.clinics.config import DEFAULT_TIMEZONE, ClinicConfig
from bot.core.booking import (
    AppointmentNotFound,
    BackendFailure,
    BookingError,
    BookingRequest,
    SlotNotFound,
    SlotSearch,
    SlotTaken,
)
from bot.core.deadline import turn_deadline
from bot.core.vocabulary import AppointmentStatus, Channel, PartOfDay
from fakes.fhir_server import FhirTestServer, make_appointment, make_patient, make_schedule, make_slot
from tests.helpers import fhir_clinic

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

PATIENT, OTHER = "+15145550123", "+15145550124"
#: A day far enough ahead that every slot is in the future, in the clinic's zone (Montréal).
DAY = date.today() + timedelta(days=7)


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """A Montréal wall-clock time on `day`, in UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(DEFAULT_TIMEZONE)).astimezone(UTC)


@pytest.fixture
def server() -> Iterator[FhirTestServer]:
    """A FHIR server with Schedules for owl and lark (and one of another clinic), and slots on DAY."""
    with FhirTestServer() as running:
        running.add(make_schedule("owl-sched", "Practitioner/owl"))
        running.add(make_schedule("lark-sched", "Practitioner/lark"))
        running.add(make_schedule("elsewhere", "Practitioner/stranger"))
        for slot_id, schedule, hour, minute, status in [
            ("o-0900", "owl-sched", 9, 0, "free"),
            ("o-0920", "owl-sched", 9, 20, "busy"),
            ("o-1400", "owl-sched", 14, 0, "free"),
            ("o-1800", "owl-sched", 18, 0, "free"),
            ("l-0840", "lark-sched", 8, 40, "free"),
            ("l-1500", "lark-sched", 15, 0, "free"),
            ("x-0800", "elsewhere", 8, 0, "free"),
        ]:
            start = local(hour, minute)
            running.add(make_slot(slot_id, schedule, start, start + timedelta(minutes=20), status))
        yield running
    assert running.errors == []


def clinic_on(server: FhirTestServer, schedules: dict[str, str] | None = None) -> ClinicConfig:
    return fhir_clinic(server.base_url, schedules or {"owl": "owl-sched", "lark": "lark-sched"}).clinics[0]


@pytest.fixture
def fhir(server: FhirTestServer) -> FhirScheduler:
    clinic = clinic_on(server)
    return FhirScheduler(clinic, clinic.backends[0])


def search(fhir: FhirScheduler, **fields: object) -> list[str]:
    query = SlotSearch("night", DAY, DAY, **fields)  # type: ignore[arg-type]
    return [slot.slot_id for slot in fhir.search(query)]


def test_search_offers_free_slots_of_the_clinics_schedules_earliest_first(fhir: FhirScheduler) -> None:
    assert search(fhir, limit=10) == ["l-0840", "o-0900", "o-1400", "l-1500", "o-1800"]
    first = fhir.search(SlotSearch("night", DAY, DAY, limit=1))[0]
    assert (first.practitioner_id, first.start, first.end) == ("lark", local(8, 40), local(9))
    assert not first.to_confirm


def test_search_narrows_to_practitioner_part_of_day_limit_and_not_before(fhir: FhirScheduler) -> None:
    assert search(fhir, practitioner_id="owl", limit=10) == ["o-0900", "o-1400", "o-1800"]
    assert search(fhir, part_of_day=PartOfDay.AFTERNOON, limit=10) == ["o-1400", "l-1500"]
    assert search(fhir, part_of_day=PartOfDay.EVENING, limit=10) == ["o-1800"]
    assert search(fhir, limit=2) == ["l-0840", "o-0900"]
    assert search(fhir, not_before=local(10), limit=10) == ["o-1400", "l-1500", "o-1800"]


def test_search_follows_next_pages(server: FhirTestServer) -> None:
    server.default_page_size = 2
    clinic = clinic_on(server)
    assert len(FhirScheduler(clinic, clinic.backends[0]).search(SlotSearch("night", DAY, DAY, limit=10))) == 5


def test_stu3_slots_are_read_and_zero_length_ones_skipped(server: FhirTestServer) -> None:
    server.load_json("hl7-fhir/slot-example.json")  # STU3: serviceCategory is an object, not a list
    server.load_json("argonaut-scheduling/Schedule-2017-08-28-derm.json")
    server.load_bundle("argonaut-scheduling/Bundle-slot-bundle-example.json")  # offsets that make every slot 0 long
    clinic = clinic_on(server, {"owl": "example", "lark": "2017-08-28-derm"})
    fhir = FhirScheduler(clinic, clinic.backends[0])
    found = fhir.search(SlotSearch("night", date(2013, 12, 24), date(2013, 12, 26), limit=5))
    assert [(s.slot_id, s.practitioner_id, s.start) for s in found] == [
        ("example", "owl", datetime(2013, 12, 25, 9, 15, tzinfo=UTC))
    ]
    assert fhir.search(SlotSearch("night", date(2017, 8, 26), date(2017, 8, 29), practitioner_id="lark")) == []


def test_booking_registers_the_patient_creates_a_booked_appointment_and_holds_the_slot(
    server: FhirTestServer, fhir: FhirScheduler
) -> None:
    booked = fhir.book(BookingRequest("o-1400", PATIENT, Channel.SMS))
    assert (booked.practitioner_id, booked.start, booked.status) == ("owl", local(14), AppointmentStatus.BOOKED)
    assert booked.backend == f"fhir:{server.base_url}" and booked.patient_phone == PATIENT
    [patient] = server.resources("Patient")
    assert patient["telecom"][0]["value"] == PATIENT
    stored = server.get("Appointment", booked.appointment_id)
    assert stored is not None and stored["status"] == "booked"
    assert stored["participant"][0]["actor"]["reference"] == f"Patient/{patient['id']}"
    assert server.get("Slot", "o-1400")["status"] == "busy"  # type: ignore[index]
    assert "o-1400" not in search(fhir, limit=10)
    # A second booking finds the same Patient instead of registering the number twice.
    fhir.book(BookingRequest("o-1800", PATIENT, Channel.VOICE))
    assert len(server.resources("Patient")) == 1


def test_an_existing_patient_is_found_by_phone(server: FhirTestServer, fhir: FhirScheduler) -> None:
    server.add(make_patient("p-42", "Gagnon", "Marie", PATIENT))
    booked = fhir.book(BookingRequest("o-0900", PATIENT, Channel.SMS))
    appointment = server.get("Appointment", booked.appointment_id)
    assert appointment is not None and appointment["participant"][0]["actor"]["reference"] == "Patient/p-42"
    assert len(server.resources("Patient")) == 1


def test_book_operation_is_used_when_the_capability_statement_declares_it(server: FhirTestServer) -> None:
    server.book_operation = True
    clinic = clinic_on(server)
    booked = FhirScheduler(clinic, clinic.backends[0]).book(BookingRequest("l-1500", PATIENT, Channel.SMS))
    posts = [r.path for r in server.requests if r.method == "POST"]
    assert posts[-1].endswith("/Appointment/$book")
    assert server.get("Appointment", booked.appointment_id)["status"] == "booked"  # type: ignore[index]


def test_taken_slots_and_foreign_slots_are_refused(server: FhirTestServer, fhir: FhirScheduler) -> None:
    with pytest.raises(SlotTaken):
        fhir.book(BookingRequest("o-0920", PATIENT, Channel.SMS))  # busy when read
    server.fail_next(1, "409", when=lambda r: r.method == "POST" and r.path.endswith("/Appointment"))
    with pytest.raises(SlotTaken):
        fhir.book(BookingRequest("o-0900", PATIENT, Channel.SMS))  # free when read, taken when booked
    with pytest.raises(SlotNotFound):
        fhir.book(BookingRequest("x-0800", PATIENT, Channel.SMS))  # another clinic's schedule
    with pytest.raises(SlotNotFound):
        fhir.book(BookingRequest("no-such-slot", PATIENT, Channel.SMS))
    assert server.resources("Appointment") == []


def test_the_patients_upcoming_appointments_are_only_theirs_and_this_clinics(
    server: FhirTestServer, fhir: FhirScheduler
) -> None:
    later = fhir.book(BookingRequest("o-1800", PATIENT, Channel.SMS))
    sooner = fhir.book(BookingRequest("l-0840", PATIENT, Channel.SMS))
    fhir.book(BookingRequest("o-0900", OTHER, Channel.SMS))
    cancelled = fhir.book(BookingRequest("o-1400", PATIENT, Channel.SMS))
    fhir.cancel(cancelled.appointment_id, channel=Channel.SMS, patient_phone=PATIENT)
    # Made at another clinic sharing the EHR, for the same patient: not this clinic's to tell.
    [patient] = [p for p in server.resources("Patient") if p["telecom"][0]["value"] == PATIENT]
    server.add(make_appointment([server.get("Slot", "x-0800")], f"Patient/{patient['id']}", appointment_id="x-1"))
    found = fhir.appointments_for("night", PATIENT, after=local(0))
    assert [(a.appointment_id, a.practitioner_id) for a in found] == [
        (sooner.appointment_id, "lark"),
        (later.appointment_id, "owl"),
    ]
    assert [a.appointment_id for a in fhir.appointments_for("night", PATIENT, after=local(12))] == [
        later.appointment_id
    ]
    assert fhir.appointments_for("night", "+15145550199", after=local(0)) == []


def test_cancel_sets_cancelled_under_if_match_frees_the_slot_and_is_idempotent(
    server: FhirTestServer, fhir: FhirScheduler
) -> None:
    booked = fhir.book(BookingRequest("o-0900", PATIENT, Channel.SMS))
    with pytest.raises(AppointmentNotFound):
        fhir.cancel(booked.appointment_id, channel=Channel.SMS, patient_phone=OTHER)
    cancelled = fhir.cancel(booked.appointment_id, channel=Channel.SMS, patient_phone=PATIENT)
    assert cancelled.status is AppointmentStatus.CANCELLED and not cancelled.is_live
    [put] = [r for r in server.requests if r.method == "PUT"]
    assert put.headers.get("if-match") == 'W/"1"'
    assert server.get("Slot", "o-0900")["status"] == "free"  # type: ignore[index]
    again = fhir.cancel(booked.appointment_id, channel=Channel.SMS, patient_phone=PATIENT)
    assert again.status is AppointmentStatus.CANCELLED
    assert len([r for r in server.requests if r.method == "PUT"]) == 1


def test_a_cancel_that_lost_a_race_reads_again_and_retries(server: FhirTestServer, fhir: FhirScheduler) -> None:
    booked = fhir.book(BookingRequest("o-0900", PATIENT, Channel.SMS))
    server.fail_next(1, "outcome", status=412, when=lambda r: r.method == "PUT")
    fhir.cancel(booked.appointment_id, channel=Channel.SMS, patient_phone=PATIENT)
    assert server.get("Appointment", booked.appointment_id)["status"] == "cancelled"  # type: ignore[index]
    assert len([r for r in server.requests if r.method == "PUT"]) == 2


def test_reschedule_books_the_new_slot_then_cancels_the_old(server: FhirTestServer, fhir: FhirScheduler) -> None:
    old = fhir.book(BookingRequest("o-0900", PATIENT, Channel.SMS))
    moved = fhir.reschedule(old.appointment_id, "l-1500", channel=Channel.SMS, patient_phone=PATIENT)
    assert (moved.practitioner_id, moved.start) == ("lark", local(15))
    assert server.get("Appointment", old.appointment_id)["status"] == "cancelled"  # type: ignore[index]
    with pytest.raises(SlotTaken):
        fhir.reschedule(moved.appointment_id, "o-0920", channel=Channel.SMS, patient_phone=PATIENT)
    assert server.get("Appointment", moved.appointment_id)["status"] == "booked"  # type: ignore[index]


@pytest.mark.parametrize("fault", ["500", "503", "outcome", "malformed", "reset"])
def test_server_faults_are_backend_failures(server: FhirTestServer, fhir: FhirScheduler, fault: str) -> None:
    server.set_fault(fault)  # type: ignore[arg-type]
    with pytest.raises(BackendFailure):
        fhir.search(SlotSearch("night", DAY, DAY))
    server.clear_fault()
    assert search(fhir)


def test_a_refused_request_is_a_booking_error_not_a_fault(server: FhirTestServer, fhir: FhirScheduler) -> None:
    server.fail_next(1, "outcome", status=422, when=lambda r: r.method == "POST" and "Appointment" in r.path)
    with pytest.raises(BookingError) as refused:
        fhir.book(BookingRequest("o-0900", PATIENT, Channel.SMS))
    assert not isinstance(refused.value, BackendFailure)


def test_a_hung_server_costs_no_more_than_what_is_left_of_the_turn(server: FhirTestServer, fhir: FhirScheduler) -> None:
    server.set_fault("hang")
    began = time.monotonic()
    with turn_deadline(0.3), pytest.raises(BackendFailure):
        fhir.search(SlotSearch("night", DAY, DAY))
    assert time.monotonic() - began < 1.0  # the adapter's own timeout is 2 s: the turn's 0.3 s won
    server.clear_fault()


def test_a_booking_whose_answer_was_lost_is_a_fault_and_still_shows_in_the_patients_list(
    server: FhirTestServer, fhir: FhirScheduler
) -> None:
    server.fail_next(1, "reset", after_processing=True, when=lambda r: r.method == "POST" and "Appointment" in r.path)
    with pytest.raises(BackendFailure):
        fhir.book(BookingRequest("o-0900", PATIENT, Channel.SMS))
    # Whether it was booked is unknown to the caller; the server's truth is found again by the patient's list.
    assert [a.start for a in fhir.appointments_for("night", PATIENT, after=local(0))] == [local(9)]


def test_probe_reads_the_capability_statement(server: FhirTestServer, fhir: FhirScheduler) -> None:
    fhir.probe()
    assert server.requests[-1].path.endswith("/metadata")
    server.set_fault("503")
    with pytest.raises(BackendFailure):
        fhir.probe()
    server.clear_fault()


def test_a_slow_server_is_waited_for_within_the_timeout(server: FhirTestServer, fhir: FhirScheduler) -> None:
    server.set_fault("slow", delay_s=0.4)
    began = time.monotonic()
    assert search(fhir, limit=10) == ["l-0840", "o-0900", "o-1400", "l-1500", "o-1800"]
    assert time.monotonic() - began >= 0.4
    server.clear_fault()
