"""The built-in SQL scheduler: the default system of record, on SQLite or PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from bot.booking.port import (
    AppointmentNotFound,
    AppointmentNotLive,
    BookedAppointment,
    BookingRequest,
    OfferedSlot,
    SlotNotFound,
    SlotSearch,
    SlotTaken,
    local_windows,
)
from bot.clinics.config import ClinicsFile
from bot.db.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AppointmentType,
    Channel,
    Patient,
    Practitioner,
    Slot,
    is_live,
    utcnow,
)
from bot.db.patients import ensure_patient
from bot.db.session import Database


def _slot_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise SlotNotFound(f"no slot {text!r}") from None


def _appointment_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise AppointmentNotFound(f"no appointment {text!r}") from None


def _view(appointment: Appointment) -> BookedAppointment:
    return BookedAppointment(
        appointment_id=str(appointment.id),
        clinic_id=appointment.clinic_id,
        practitioner_id=appointment.practitioner.key,
        patient_phone=appointment.patient.phone,
        start=appointment.start_at,
        end=appointment.end_at,
        status=appointment.status,
        channel=appointment.channel,
        backend=appointment.backend,
        slot_id=str(appointment.slot_id) if appointment.slot_id is not None else None,
        external_id=appointment.external_id,
    )


def _record(
    session: Session,
    appointment: Appointment,
    action: str,
    before: AppointmentStatus | None,
    channel: Channel,
    related: Appointment | None = None,
) -> None:
    session.add(
        AppointmentEvent(
            appointment_id=appointment.id,
            action=action,
            from_status=before,
            to_status=appointment.status,
            channel=channel,
            related_appointment_id=related.id if related else None,
        )
    )


class SqlScheduler:
    """Slots and appointments in our own database; a partial unique index forbids double-booking."""

    name = "sql"

    def __init__(self, database: Database, clinics: ClinicsFile) -> None:
        self.database = database
        self.clinics = clinics

    def search(self, query: SlotSearch) -> list[OfferedSlot]:
        """Free future slots in the local-day windows of `query`, earliest first."""
        clinic = self.clinics.by_id(query.clinic_id)
        if clinic is None or query.limit <= 0:
            return []
        windows = local_windows(query.first_day, query.last_day, query.part_of_day, clinic.zone)
        not_before = max(query.not_before or utcnow(), utcnow())
        taken = exists().where(Appointment.slot_id == Slot.id, is_live(Appointment.status))
        statement = (
            select(Slot.id, Slot.start_at, Slot.end_at, Practitioner.key)
            .join(Practitioner, Practitioner.id == Slot.practitioner_id)
            .where(
                Slot.clinic_id == clinic.id,
                Slot.start_at >= not_before,
                or_(*(and_(Slot.start_at >= start, Slot.start_at < end) for start, end in windows)),
                Practitioner.active.is_(True),
                ~taken,
            )
            .order_by(Slot.start_at, Practitioner.key)
            .limit(query.limit)
        )
        if query.practitioner_id:
            statement = statement.where(Practitioner.key == query.practitioner_id)
        with self.database.reading() as session:
            if query.appointment_type:
                minutes = session.scalar(
                    select(AppointmentType.minutes).where(
                        AppointmentType.clinic_id == clinic.id, AppointmentType.key == query.appointment_type
                    )
                )
                if minutes is None:
                    return []
                statement = statement.where(Slot.minutes >= minutes)
            rows = session.execute(statement).all()
        return [
            OfferedSlot(
                slot_id=str(row.id),
                clinic_id=clinic.id,
                practitioner_id=row.key,
                start=row.start_at.astimezone(clinic.zone),
                end=row.end_at.astimezone(clinic.zone),
            )
            for row in rows
        ]

    def book(self, request: BookingRequest) -> BookedAppointment:
        """Book the slot for the patient in one transaction; `SlotTaken` if someone holds it."""
        slot_id = _slot_id(request.slot_id)
        try:
            with self.database.transaction() as session:
                appointment = self._book_in(
                    session, slot_id, request.patient_phone, request.channel, request.appointment_type
                )
                _record(session, appointment, "booked", None, request.channel)
                return _view(appointment)
        except IntegrityError:
            # A concurrent booking won the race for the partial unique index on live appointments.
            raise SlotTaken(f"slot {slot_id} was just taken") from None

    def _book_in(
        self, session: Session, slot_id: int, phone: str, channel: Channel, appointment_type: str | None
    ) -> Appointment:
        slot = session.get(Slot, slot_id)
        if slot is None or slot.start_at <= utcnow():
            raise SlotNotFound(f"slot {slot_id} does not exist or has passed")
        held = session.scalar(select(Appointment.id).where(Appointment.slot_id == slot_id, is_live(Appointment.status)))
        if held is not None:
            raise SlotTaken(f"slot {slot_id} is already booked")
        type_id = None
        if appointment_type:
            type_id = session.scalar(
                select(AppointmentType.id).where(
                    AppointmentType.clinic_id == slot.clinic_id, AppointmentType.key == appointment_type
                )
            )
        appointment = Appointment(
            clinic_id=slot.clinic_id,
            practitioner=slot.practitioner,
            slot_id=slot.id,
            appointment_type_id=type_id,
            patient=ensure_patient(session, phone),
            start_at=slot.start_at,
            end_at=slot.end_at,
            status=AppointmentStatus.BOOKED,
            channel=channel,
        )
        session.add(appointment)
        session.flush()
        return appointment

    def _owned(self, session: Session, appointment_id: str, patient_phone: str | None) -> Appointment:
        appointment = session.get(Appointment, _appointment_id(appointment_id), with_for_update=True)
        if appointment is None or (patient_phone is not None and appointment.patient.phone != patient_phone):
            # The same answer whether it does not exist or belongs to someone else: no details leak.
            raise AppointmentNotFound(f"no appointment {appointment_id} for this patient")
        return appointment

    def cancel(self, appointment_id: str, *, channel: Channel, patient_phone: str | None = None) -> BookedAppointment:
        """Cancel the appointment; already cancelled is not an error (retries are safe)."""
        with self.database.transaction() as session:
            appointment = self._owned(session, appointment_id, patient_phone)
            if appointment.status != AppointmentStatus.CANCELLED:
                before = appointment.status
                appointment.status = AppointmentStatus.CANCELLED
                session.flush()
                _record(session, appointment, "cancelled", before, channel)
            return _view(appointment)

    def reschedule(
        self, appointment_id: str, new_slot_id: str, *, channel: Channel, patient_phone: str | None = None
    ) -> BookedAppointment:
        """Move a live appointment to `new_slot_id`: the new one booked and the old one cancelled together."""
        slot_id = _slot_id(new_slot_id)
        try:
            with self.database.transaction() as session:
                old = self._owned(session, appointment_id, patient_phone)
                if old.status not in LIVE_STATUSES:
                    raise AppointmentNotLive(f"appointment {appointment_id} is {old.status}")
                if old.slot_id == slot_id:
                    return _view(old)
                before = old.status
                old.status = AppointmentStatus.CANCELLED
                session.flush()
                new = self._book_in(session, slot_id, old.patient.phone, channel, None)
                new.appointment_type_id = old.appointment_type_id
                _record(session, old, "rescheduled_from", before, channel, related=new)
                _record(session, new, "rescheduled_to", None, channel, related=old)
                return _view(new)
        except IntegrityError:
            raise SlotTaken(f"slot {slot_id} was just taken") from None

    def appointments_for(self, clinic_id: str, patient_phone: str, *, after: datetime) -> list[BookedAppointment]:
        """The patient's live appointments at this clinic that end after `after`."""
        with self.database.reading() as session:
            rows = session.scalars(
                select(Appointment)
                .join(Patient, Patient.id == Appointment.patient_id)
                .where(
                    Appointment.clinic_id == clinic_id,
                    Patient.phone == patient_phone,
                    is_live(Appointment.status),
                    Appointment.end_at > after,
                )
                .order_by(Appointment.start_at)
                .options(joinedload(Appointment.practitioner), joinedload(Appointment.patient))
            ).all()
            return [_view(row) for row in rows]
