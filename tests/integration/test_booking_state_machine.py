"""Hypothesis drives random book / cancel / reschedule / add-slot sequences across practitioners and checks,
after every step, that the database never holds two live appointments on one slot nor overlapping ones for
one practitioner, and that every outcome matches a simple model."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from bot.booking.slot_supply import generate_slots
from bot.booking.sql import SqlScheduler
from bot.clinics.config import ClinicsFile
from bot.core.booking import AppointmentNotLive, BookedAppointment, BookingRequest, SlotSearch, SlotTaken
from bot.core.vocabulary import Channel
from bot.db.models import Appointment, AppointmentEvent, Patient, Practitioner, Reminder, Slot, is_live
from bot.db.session import Database
from tests.helpers import quiet_monday

PATIENTS = ("+15145550142", "+15145550143", "+15145550144")
SLOTS_PER_PRACTITIONER = 4


def live_violations(database: Database) -> tuple[int, int]:
    """(slots with two live appointments, pairs of overlapping live appointments of one practitioner)."""
    other = aliased(Appointment)
    live = is_live(Appointment.status)
    with database.transaction() as session:
        doubled = session.scalar(
            select(func.count()).select_from(
                select(Appointment.slot_id)
                .where(live)
                .group_by(Appointment.slot_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        overlapping = session.scalar(
            select(func.count())
            .select_from(Appointment)
            .join(
                other,
                and_(
                    other.practitioner_id == Appointment.practitioner_id,
                    other.id > Appointment.id,
                    other.start_at < Appointment.end_at,
                    Appointment.start_at < other.end_at,
                ),
            )
            .where(live, is_live(other.status))
        )
    return doubled or 0, overlapping or 0


def make_machine(database: Database, clinics: ClinicsFile, monday: date) -> type[RuleBasedStateMachine]:
    """A state machine class bound to one migrated database holding a day of demo slots."""
    scheduler = SqlScheduler(database, clinics)
    clinic = clinics.clinics[0]
    with database.transaction() as session:
        practitioner_ids_by_key = dict(
            session.execute(select(Practitioner.key, Practitioner.id).where(Practitioner.clinic_id == clinic.id)).all()
        )
    base_slots = []
    for practitioner in clinic.practitioners:
        base_slots += scheduler.search(
            SlotSearch(clinic.id, monday, monday, practitioner_id=practitioner.id, limit=SLOTS_PER_PRACTITIONER)
        )
    day_start = base_slots[0].start

    class BookingMachine(RuleBasedStateMachine):
        slots = Bundle("slots")
        appointments = Bundle("appointments")

        def __init__(self) -> None:
            super().__init__()
            self.holder: dict[str, str] = {}  # slot id -> live appointment id
            self.live: dict[str, str] = {}  # live appointment id -> slot id
            self.intervals: dict[int, list[tuple[datetime, datetime]]] = {}

        @initialize(target=slots)
        def reset(self) -> object:
            with database.transaction() as session:
                session.execute(delete(AppointmentEvent))
                session.execute(delete(Reminder))
                session.execute(delete(Appointment))
                session.execute(delete(Patient))
                session.execute(delete(Slot).where(Slot.source == "test"))
                rows = session.execute(select(Slot.practitioner_id, Slot.start_at, Slot.end_at)).all()
            for row in rows:
                self.intervals.setdefault(row.practitioner_id, []).append((row.start_at, row.end_at))
            return multiple(*(slot.slot_id for slot in base_slots))

        @rule(target=appointments, slot=slots, patient=st.sampled_from(PATIENTS))
        def book(self, slot: str, patient: str) -> object:
            try:
                booked = scheduler.book(BookingRequest(slot, patient, Channel.SMS))
            except SlotTaken:
                assert slot in self.holder, "refused a free slot"
                return multiple()
            assert slot not in self.holder, "double-booked a slot"
            self._hold(booked)
            return booked.appointment_id

        @rule(appointment=appointments)
        def cancel(self, appointment: str) -> None:
            cancelled = scheduler.cancel(appointment, channel=Channel.SMS)
            assert not cancelled.is_live
            slot = self.live.pop(appointment, None)
            if slot:
                del self.holder[slot]

        @rule(target=appointments, appointment=appointments, slot=slots)
        def reschedule(self, appointment: str, slot: str) -> object:
            was_live = appointment in self.live
            try:
                moved = scheduler.reschedule(appointment, slot, channel=Channel.SMS)
            except AppointmentNotLive:
                assert not was_live
                return multiple()
            except SlotTaken:
                assert was_live and self.holder.get(slot) not in (None, appointment)
                return multiple()
            assert was_live
            if moved.appointment_id != appointment:
                assert slot not in self.holder
                del self.holder[self.live.pop(appointment)]
                self._hold(moved)
            return moved.appointment_id

        @rule(
            target=slots,
            practitioner=st.sampled_from([p.id for p in clinic.practitioners]),
            offset=st.integers(0, 18).map(lambda n: n * 5),
            minutes=st.sampled_from([5, 10, 20, 30]),
        )
        def add_slot(self, practitioner: str, offset: int, minutes: int) -> object:
            """Insert a slot straight into the table: the database alone must refuse overlaps."""
            practitioner_id = practitioner_ids_by_key[practitioner]
            start = day_start + timedelta(minutes=offset)
            end = start + timedelta(minutes=minutes)
            clash = any(a < end and start < b for a, b in self.intervals.get(practitioner_id, []))
            try:
                with database.transaction() as session:
                    new_id = session.execute(
                        insert(Slot)
                        .values(
                            clinic_id=clinic.id,
                            practitioner_id=practitioner_id,
                            start_at=start,
                            end_at=end,
                            minutes=minutes,
                            source="test",
                        )
                        .returning(Slot.id)
                    ).scalar_one()
            except IntegrityError:
                assert clash, "refused a slot that overlaps nothing"
                return multiple()
            assert not clash, "accepted an overlapping slot"
            self.intervals.setdefault(practitioner_id, []).append((start, end))
            return str(new_id)

        def _hold(self, booked: BookedAppointment) -> None:
            assert booked.slot_id is not None
            self.holder[booked.slot_id] = booked.appointment_id
            self.live[booked.appointment_id] = booked.slot_id

        @invariant()
        def database_agrees_and_never_double_books(self) -> None:
            assert live_violations(database) == (0, 0)
            with database.transaction() as session:
                rows = session.execute(
                    select(Appointment.id, Appointment.slot_id).where(is_live(Appointment.status))
                ).all()
            assert {str(row.id): str(row.slot_id) for row in rows} == self.live

    return BookingMachine


def test_no_double_booking_under_random_operations(database: Database, demo_clinics: ClinicsFile) -> None:
    clinic = demo_clinics.clinics[0]
    monday = quiet_monday(clinic)
    generate_slots(database, clinic, 1, first_day=monday)
    machine = make_machine(database, demo_clinics, monday)
    run_state_machine_as_test(machine, settings=hypothesis_settings(stateful_step_count=25))
