"""The built-in SQL scheduler: the default system of record, on SQLite or PostgreSQL.

Core statements built once, in one transaction per change: SMS turns run these, and ORM objects (loading,
identity map, flush) cost several times the SQL itself.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, TypeAlias

from sqlalchemy import Connection, Row, Select, and_, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.booking.port import local_windows
from bot.clinics.config import ClinicsFile
from bot.core.booking import (
    AppointmentNotFound,
    AppointmentNotLive,
    BackendFailure,
    BookedAppointment,
    BookingRequest,
    OfferedSlot,
    SlotNotFound,
    SlotSearch,
    SlotTaken,
)
from bot.core.clock import Clock, utcnow
from bot.core.vocabulary import LIVE_STATUSES, AppointmentStatus, Channel
from bot.db.models import (
    Appointment,
    AppointmentEvent,
    AppointmentType,
    Patient,
    Practitioner,
    Reminder,
    Slot,
    is_live,
)
from bot.db.patients import patient_id, patient_language
from bot.db.reminders import AWAITING_ANSWER, AwaitedAnswer, mark_answered, plan_reminders, withdraw_reminders
from bot.db.session import Database, DatabaseUnavailable

#: A row of any shape: these rows are read by column name.
AnyRow: TypeAlias = Row[*tuple[Any, ...]]

_SLOT = select(Slot.id, Slot.clinic_id, Slot.practitioner_id, Slot.start_at, Slot.end_at).where(
    Slot.id == bindparam("slot")
)
_LIVE_ON_SLOT = select(Appointment.id).where(Appointment.slot_id == bindparam("slot"), is_live(Appointment.status))
_TYPE_ID = select(AppointmentType.id).where(
    AppointmentType.clinic_id == bindparam("clinic"), AppointmentType.key == bindparam("type")
)
_TYPE_MINUTES = select(AppointmentType.minutes).where(
    AppointmentType.clinic_id == bindparam("clinic"), AppointmentType.key == bindparam("type")
)
_NEW_APPOINTMENT = insert(Appointment).returning(Appointment.id)
_NEW_EVENT = insert(AppointmentEvent)
_SET_STATUS = update(Appointment).where(Appointment.id == bindparam("appointment")).values(status=bindparam("status"))
#: What a back-end reports of an appointment, joined with what names it (practitioner key, patient number).
_VIEW = (
    select(
        Appointment.id,
        Appointment.clinic_id,
        Practitioner.key,
        Patient.phone,
        Appointment.start_at,
        Appointment.end_at,
        Appointment.status,
        Appointment.channel,
        Appointment.backend,
        Appointment.slot_id,
        Appointment.external_id,
        Appointment.appointment_type_id,
    )
    .join(Practitioner, Practitioner.id == Appointment.practitioner_id)
    .join(Patient, Patient.id == Appointment.patient_id)
)
_BY_ID = _VIEW.where(Appointment.id == bindparam("appointment"))
# Locks the row a change is about to decide on; PostgreSQL locks only the appointment, not the joined rows.
_BY_ID_FOR_UPDATE = _BY_ID.with_for_update(of=Appointment.__table__)
_UPCOMING = _VIEW.where(
    Appointment.clinic_id == bindparam("clinic"),
    Patient.phone == bindparam("phone"),
    is_live(Appointment.status),
    Appointment.end_at > bindparam("after"),
).order_by(Appointment.start_at)


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


def _view(row: AnyRow) -> BookedAppointment:
    return BookedAppointment(
        appointment_id=str(row.id),
        clinic_id=row.clinic_id,
        practitioner_id=row.key,
        patient_phone=row.phone,
        start=row.start_at,
        end=row.end_at,
        status=row.status,
        channel=row.channel,
        backend=row.backend,
        slot_id=str(row.slot_id) if row.slot_id is not None else None,
        external_id=row.external_id,
    )


#: The patient's live appointments at a clinic, still ahead, whose reminder for their time was texted and awaits an
#: answer; the latest texted first, with when.
_AWAITING_ANSWER = (
    # One language for an appointment's reminders (the patient's): max() only picks it out of the group.
    _VIEW.add_columns(func.max(Reminder.sent_at).label("asked_at"), func.max(Reminder.language).label("language"))
    .join(Reminder, and_(Reminder.appointment_id == Appointment.id, Reminder.visit_at == Appointment.start_at))
    .where(
        Appointment.clinic_id == bindparam("clinic"),
        Patient.phone == bindparam("phone"),
        is_live(Appointment.status),
        Appointment.start_at > bindparam("now"),
        Reminder.status.in_(AWAITING_ANSWER),
    )
    .group_by(*_VIEW.selected_columns)
    .order_by(func.max(Reminder.sent_at).desc(), Appointment.start_at)
)


def _record(
    connection: Connection,
    appointment_id: int,
    action: str,
    before: AppointmentStatus | None,
    after: AppointmentStatus,
    channel: Channel,
    related_id: int | None = None,
) -> None:
    connection.execute(
        _NEW_EVENT,
        {
            "appointment_id": appointment_id,
            "action": action,
            "from_status": before,
            "to_status": after,
            "channel": channel,
            "related_appointment_id": related_id,
        },
    )


@lru_cache(maxsize=256)
def _search_statement(windows: int, by_practitioner: bool, by_minutes: bool) -> Select[int, datetime, datetime, str]:
    """The free-slot query for one shape of search, built once: every SMS turn that offers times runs it, and
    building and keying a statement costs more than SQLite takes to answer it."""
    taken = exists().where(Appointment.slot_id == Slot.id, is_live(Appointment.status))
    in_windows = (
        and_(Slot.start_at >= bindparam(f"start_{index}"), Slot.start_at < bindparam(f"end_{index}"))
        for index in range(windows)
    )
    statement = (
        select(Slot.id, Slot.start_at, Slot.end_at, Practitioner.key)
        .join(Practitioner, Practitioner.id == Slot.practitioner_id)
        .where(
            Slot.clinic_id == bindparam("clinic"),
            Slot.start_at >= bindparam("not_before"),
            or_(*in_windows),
            Practitioner.active.is_(True),
            ~taken,
        )
        # In the slots index's own order, so the database stops at the limit instead of sorting every free slot.
        .order_by(Slot.start_at, Slot.practitioner_id)
        .limit(bindparam("limit"))
    )
    if by_practitioner:
        statement = statement.where(Practitioner.key == bindparam("practitioner"))
    if by_minutes:
        statement = statement.where(Slot.minutes >= bindparam("minutes"))
    return statement


def _free_slot(connection: Connection, slot_id: int) -> AnyRow:
    """The slot, if it exists, is still ahead and holds no live appointment."""
    slot = connection.execute(_SLOT, {"slot": slot_id}).first()
    if slot is None or slot.start_at <= utcnow():
        raise SlotNotFound(f"slot {slot_id} does not exist or has passed")
    if connection.scalar(_LIVE_ON_SLOT, {"slot": slot_id}) is not None:
        raise SlotTaken(f"slot {slot_id} is already booked")
    return slot


def _insert_appointment(
    connection: Connection, slot: AnyRow, phone: str, channel: Channel, type_id: int | None
) -> AnyRow:
    """A live appointment on `slot`, as `_VIEW` shows it; the caller records the event."""
    appointment_id = connection.scalar(
        _NEW_APPOINTMENT,
        {
            "clinic_id": slot.clinic_id,
            "practitioner_id": slot.practitioner_id,
            "slot_id": slot.id,
            "appointment_type_id": type_id,
            "patient_id": patient_id(connection, phone),
            "start_at": slot.start_at,
            "end_at": slot.end_at,
            "status": AppointmentStatus.BOOKED,
            "channel": channel,
        },
    )
    return connection.execute(_BY_ID, {"appointment": appointment_id}).one()


def _set_status(connection: Connection, appointment_id: int, status: AppointmentStatus) -> None:
    connection.execute(_SET_STATUS, {"appointment": appointment_id, "status": status})


def _owned(connection: Connection, appointment_id: str, patient_phone: str | None) -> AnyRow:
    row = connection.execute(_BY_ID_FOR_UPDATE, {"appointment": _appointment_id(appointment_id)}).first()
    if row is None or (patient_phone is not None and row.phone != patient_phone):
        # The same answer whether it does not exist or belongs to someone else: no details leak.
        raise AppointmentNotFound(f"no appointment {appointment_id} for this patient")
    return row


class SqlScheduler:
    """Slots and appointments in our own database; a partial unique index forbids double-booking."""

    name = "sql"

    def __init__(self, database: Database, clinics: ClinicsFile, clock: Clock = utcnow) -> None:
        """`clock` tells which of a new appointment's reminders are already past."""
        self.database = database
        self.clinics = clinics
        self.clock = clock

    def probe(self) -> None:
        """Raise `BackendFailure` unless the database answers."""
        try:
            self.database.check()
        except DatabaseUnavailable as error:
            raise BackendFailure(str(error)) from error

    def search(self, query: SlotSearch) -> list[OfferedSlot]:
        """Free future slots in the local-day windows of `query`, earliest first."""
        clinic = self.clinics.by_id(query.clinic_id)
        if clinic is None or query.limit <= 0:
            return []
        windows = local_windows(query, clinic.zone)
        parameters: dict[str, object] = {
            "clinic": clinic.id,
            "not_before": max(query.not_before or utcnow(), utcnow()),
            "practitioner": query.practitioner_id,
            "limit": query.limit,
        }
        for index, (start, end) in enumerate(windows):
            parameters[f"start_{index}"], parameters[f"end_{index}"] = start, end
        with self.database.autocommit.connect() as connection:
            if query.appointment_type:
                parameters["minutes"] = connection.scalar(
                    _TYPE_MINUTES, {"clinic": clinic.id, "type": query.appointment_type}
                )
                if parameters["minutes"] is None:
                    return []
            statement = _search_statement(len(windows), bool(query.practitioner_id), bool(query.appointment_type))
            rows = connection.execute(statement, parameters).all()
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
            with self.database.engine.begin() as connection:
                slot = _free_slot(connection, slot_id)
                type_id = None
                if request.appointment_type:
                    type_id = connection.scalar(_TYPE_ID, {"clinic": slot.clinic_id, "type": request.appointment_type})
                booked = _insert_appointment(connection, slot, request.patient_phone, request.channel, type_id)
                _record(connection, booked.id, "booked", None, booked.status, request.channel)
                self._plan_reminders(connection, booked)
                return _view(booked)
        except IntegrityError:
            # A concurrent booking won the race for the partial unique index on live appointments.
            raise SlotTaken(f"slot {slot_id} was just taken") from None

    def cancel(self, appointment_id: str, *, channel: Channel, patient_phone: str | None = None) -> BookedAppointment:
        """Cancel the appointment; already cancelled is not an error (retries are safe)."""
        with self.database.engine.begin() as connection:
            appointment = _owned(connection, appointment_id, patient_phone)
            if appointment.status == AppointmentStatus.CANCELLED:
                return _view(appointment)
            _set_status(connection, appointment.id, AppointmentStatus.CANCELLED)
            withdraw_reminders(connection, appointment.id)
            _record(connection, appointment.id, "cancelled", appointment.status, AppointmentStatus.CANCELLED, channel)
            return _view(connection.execute(_BY_ID, {"appointment": appointment.id}).one())

    def reschedule(
        self, appointment_id: str, new_slot_id: str, *, channel: Channel, patient_phone: str | None = None
    ) -> BookedAppointment:
        """Move a live appointment to `new_slot_id`: the new one booked and the old one cancelled together."""
        slot_id = _slot_id(new_slot_id)
        try:
            with self.database.engine.begin() as connection:
                old = _owned(connection, appointment_id, patient_phone)
                if old.status not in LIVE_STATUSES:
                    raise AppointmentNotLive(f"appointment {appointment_id} is {old.status}")
                if old.slot_id == slot_id:
                    return _view(old)
                _set_status(connection, old.id, AppointmentStatus.CANCELLED)
                withdraw_reminders(connection, old.id)
                new = _insert_appointment(
                    connection, _free_slot(connection, slot_id), old.phone, channel, old.appointment_type_id
                )
                self._plan_reminders(connection, new)
                cancelled = AppointmentStatus.CANCELLED
                _record(connection, old.id, "rescheduled_from", old.status, cancelled, channel, related_id=new.id)
                _record(connection, new.id, "rescheduled_to", None, new.status, channel, related_id=old.id)
                return _view(new)
        except IntegrityError:
            raise SlotTaken(f"slot {slot_id} was just taken") from None

    def awaiting_answer(self, clinic_id: str, patient_phone: str, *, now: datetime) -> AwaitedAnswer | None:
        """The patient's appointments here, still ahead, whose reminder was texted and not answered yet, the latest
        reminded first; None when no reminder awaits an answer."""
        with self.database.autocommit.connect() as connection:
            rows = connection.execute(_AWAITING_ANSWER, {"clinic": clinic_id, "phone": patient_phone, "now": now}).all()
        if not rows:
            return None
        return AwaitedAnswer([_view(row) for row in rows], rows[0].asked_at, rows[0].language)

    def answer_reminders(self, appointment_id: str, *, patient_phone: str, confirm: bool, channel: Channel) -> None:
        """The patient answered the appointment's reminders: they are marked answered, and a yes confirms it
        (booked → confirmed, in its audit trail). `AppointmentNotFound` unless it is this patient's."""
        with self.database.engine.begin() as connection:
            appointment = _owned(connection, appointment_id, patient_phone)
            mark_answered(connection, appointment.id)
            if confirm and appointment.status == AppointmentStatus.BOOKED:
                _set_status(connection, appointment.id, AppointmentStatus.CONFIRMED)
                _record(
                    connection, appointment.id, "confirmed", appointment.status, AppointmentStatus.CONFIRMED, channel
                )

    def _plan_reminders(self, connection: Connection, booked: AnyRow) -> None:
        """The new appointment's reminders, in the patient's language, in its booking's transaction."""
        clinic = self.clinics.by_id(booked.clinic_id)
        if clinic is not None:
            language = patient_language(connection, booked.phone) or "fr"
            plan_reminders(connection, booked.id, booked.start_at, clinic, language, self.clock())

    def appointments_for(self, clinic_id: str, patient_phone: str, *, after: datetime) -> list[BookedAppointment]:
        """The patient's live appointments at this clinic that end after `after`."""
        with self.database.autocommit.connect() as connection:
            rows = connection.execute(_UPCOMING, {"clinic": clinic_id, "phone": patient_phone, "after": after})
            return [_view(row) for row in rows]
