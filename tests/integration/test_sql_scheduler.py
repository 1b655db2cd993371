"""The built-in SQL scheduler on SQLite and PostgreSQL: search, book, cancel, reschedule, list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from bot.booking.slot_supply import generate_slots
from bot.booking.sql import SqlScheduler
from bot.clinics.config import ClinicsFile
from bot.core.booking import (
    AppointmentNotFound,
    AppointmentNotLive,
    BookingRequest,
    SlotNotFound,
    SlotSearch,
    SlotTaken,
)
from bot.core.vocabulary import AppointmentStatus, Channel, PartOfDay
from bot.db.models import Appointment, AppointmentEvent, Slot
from bot.db.patients import patient_id
from bot.db.session import Database
from tests.helpers import quiet_monday

CLINIC = "demo-plateau"
ALICE, BOB = "+15145550142", "+15145550143"


@pytest.fixture
def monday(database: Database, demo_clinics: ClinicsFile) -> date:
    """A Monday with a full open week of demo slots (3 practitioners, 08:00-17:00, 20 minutes)."""
    clinic = demo_clinics.clinics[0]
    day = quiet_monday(clinic)
    report = generate_slots(database, clinic, 5, first_day=day)
    assert report.added == 5 * 27 * 3
    return day


def find(scheduler: SqlScheduler, day: date, **options: object) -> list:
    return scheduler.search(SlotSearch(CLINIC, day, day, **options))  # type: ignore[arg-type]


def book(scheduler: SqlScheduler, slot_id: str, phone: str = ALICE):
    return scheduler.book(BookingRequest(slot_id, phone, Channel.SMS))


def test_search_gives_earliest_free_slots_in_local_time(scheduler: SqlScheduler, monday: date) -> None:
    offered = find(scheduler, monday, limit=3)
    assert [slot.start.time() for slot in offered] == [time(8)] * 3
    assert sorted(slot.practitioner_id for slot in offered) == ["gagnon", "roy", "tremblay"]
    assert all(
        slot.start.tzinfo is not None and slot.start.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4))
        for slot in offered
    )
    assert all(slot.end - slot.start == timedelta(minutes=20) for slot in offered)


@pytest.mark.parametrize(
    ("part", "first", "last"),
    [
        (PartOfDay.MORNING, time(8), time(11, 40)),
        (PartOfDay.AFTERNOON, time(12), time(16, 40)),
    ],
)
def test_search_by_part_of_day(scheduler: SqlScheduler, monday: date, part: PartOfDay, first: time, last: time) -> None:
    offered = find(scheduler, monday, part_of_day=part, practitioner_id="tremblay", limit=50)
    assert offered[0].start.time() == first and offered[-1].start.time() == last
    assert len(offered) == 12 if part is PartOfDay.MORNING else 15
    assert find(scheduler, monday, part_of_day=PartOfDay.EVENING) == [], "no evening availability"


def test_search_filters_practitioner_type_and_range(scheduler: SqlScheduler, monday: date) -> None:
    assert {s.practitioner_id for s in find(scheduler, monday, practitioner_id="roy", limit=10)} == {"roy"}
    assert len(find(scheduler, monday, appointment_type="consultation", limit=5)) == 5
    assert find(scheduler, monday, appointment_type="surgery") == [], "unknown type"
    week = scheduler.search(SlotSearch(CLINIC, monday, monday + timedelta(days=4), limit=1000))
    assert len(week) == 5 * 27 * 3
    assert [s.start for s in week] == sorted(s.start for s in week)
    assert scheduler.search(SlotSearch("other-clinic", monday, monday)) == []


def test_search_skips_booked_and_past_slots(scheduler: SqlScheduler, monday: date) -> None:
    first = find(scheduler, monday, practitioner_id="tremblay", limit=1)[0]
    book(scheduler, first.slot_id)
    again = find(scheduler, monday, practitioner_id="tremblay", limit=1)[0]
    assert again.start == first.start + timedelta(minutes=20)
    late = datetime.combine(monday, time(16, 30), first.start.tzinfo)
    assert [s.start.time() for s in find(scheduler, monday, practitioner_id="roy", not_before=late)] == [time(16, 40)]


def test_book_then_same_slot_is_taken(scheduler: SqlScheduler, monday: date) -> None:
    slot = find(scheduler, monday, limit=1)[0]
    appointment = book(scheduler, slot.slot_id)
    assert appointment.status is AppointmentStatus.BOOKED and appointment.is_live
    assert (appointment.start, appointment.patient_phone, appointment.slot_id) == (slot.start, ALICE, slot.slot_id)
    with pytest.raises(SlotTaken):
        book(scheduler, slot.slot_id, BOB)
    for bad in ("999999", "abc", ""):
        with pytest.raises(SlotNotFound):
            book(scheduler, bad)


def test_cancel_is_idempotent_and_frees_the_slot(scheduler: SqlScheduler, monday: date) -> None:
    slot = find(scheduler, monday, limit=1)[0]
    appointment = book(scheduler, slot.slot_id)
    with pytest.raises(AppointmentNotFound):
        scheduler.cancel(appointment.appointment_id, channel=Channel.SMS, patient_phone=BOB)
    first = scheduler.cancel(appointment.appointment_id, channel=Channel.SMS, patient_phone=ALICE)
    second = scheduler.cancel(appointment.appointment_id, channel=Channel.SMS, patient_phone=ALICE)
    assert first.status is second.status is AppointmentStatus.CANCELLED
    assert find(scheduler, monday, limit=1)[0].slot_id == slot.slot_id, "free again"
    assert book(scheduler, slot.slot_id, BOB).patient_phone == BOB


def test_reschedule_moves_in_one_transaction(scheduler: SqlScheduler, database: Database, monday: date) -> None:
    first, second, third = find(scheduler, monday, practitioner_id="gagnon", limit=3)
    original = book(scheduler, first.slot_id)
    taken = book(scheduler, third.slot_id, BOB)
    with pytest.raises(SlotTaken):
        scheduler.reschedule(original.appointment_id, taken.slot_id, channel=Channel.SMS, patient_phone=ALICE)
    assert [a.slot_id for a in scheduler.appointments_for(CLINIC, ALICE, after=datetime.now(UTC))] == [first.slot_id]

    moved = scheduler.reschedule(original.appointment_id, second.slot_id, channel=Channel.VOICE, patient_phone=ALICE)
    assert moved.slot_id == second.slot_id and moved.channel is Channel.VOICE
    listed = scheduler.appointments_for(CLINIC, ALICE, after=datetime.now(UTC))
    assert [a.appointment_id for a in listed] == [moved.appointment_id]
    with pytest.raises(AppointmentNotLive):
        scheduler.reschedule(original.appointment_id, third.slot_id, channel=Channel.SMS)
    with database.transaction() as session:
        actions = session.execute(
            select(AppointmentEvent.appointment_id, AppointmentEvent.action).order_by(AppointmentEvent.id)
        ).all()
    assert [a for _, a in actions] == ["booked", "booked", "rescheduled_from", "rescheduled_to"]


def test_appointments_for_lists_only_the_patients_live_future_ones(scheduler: SqlScheduler, monday: date) -> None:
    slots = find(scheduler, monday, practitioner_id="tremblay", limit=4)
    mine = [book(scheduler, slots[i].slot_id) for i in (2, 0)]
    book(scheduler, slots[1].slot_id, BOB)
    scheduler.cancel(book(scheduler, slots[3].slot_id).appointment_id, channel=Channel.SMS)
    listed = scheduler.appointments_for(CLINIC, ALICE, after=datetime.now(UTC))
    assert [a.appointment_id for a in listed] == [mine[1].appointment_id, mine[0].appointment_id]
    assert scheduler.appointments_for("elsewhere", ALICE, after=datetime.now(UTC)) == []
    assert scheduler.appointments_for(CLINIC, ALICE, after=slots[3].end + timedelta(days=1)) == []


def test_database_itself_refuses_a_second_live_appointment(
    scheduler: SqlScheduler, database: Database, monday: date
) -> None:
    """Bypassing the scheduler: the partial unique index, not application code, forbids double-booking."""
    slot = find(scheduler, monday, limit=1)[0]
    booked = book(scheduler, slot.slot_id)
    with pytest.raises(IntegrityError), database.transaction() as session:
        row = session.get(Slot, int(slot.slot_id))
        assert row is not None
        session.execute(
            insert(Appointment).values(
                clinic_id=CLINIC,
                practitioner_id=row.practitioner_id,
                slot_id=row.id,
                patient_id=patient_id(session.connection(), BOB),
                start_at=row.start_at,
                end_at=row.end_at,
                status=AppointmentStatus.CONFIRMED,
                channel=Channel.STAFF,
            )
        )
    scheduler.cancel(booked.appointment_id, channel=Channel.STAFF)
    assert book(scheduler, slot.slot_id, BOB).is_live, "a cancelled appointment no longer holds the slot"


def test_database_itself_refuses_overlapping_slots(database: Database, monday: date) -> None:
    with database.transaction() as session:
        existing = session.scalars(select(Slot).order_by(Slot.start_at).limit(1)).one()
        clinic_id, practitioner_id, start = existing.clinic_id, existing.practitioner_id, existing.start_at
    shifted = start + timedelta(minutes=10)
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(
            insert(Slot).values(
                clinic_id=clinic_id,
                practitioner_id=practitioner_id,
                start_at=shifted,
                end_at=shifted + timedelta(minutes=20),
                minutes=20,
                source="test",
            )
        )
