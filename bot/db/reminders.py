"""An appointment's reminder texts as rows: planned from the clinic's policy when the appointment is made or moved,
withdrawn (never deleted) when it is moved or cancelled, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection, select, update

from bot.clinics.config import ClinicConfig
from bot.clinics.reminders import reminder_times
from bot.core.booking import BookedAppointment
from bot.db.inserts import insert_ignoring_conflicts
from bot.db.models import Appointment, Patient, Practitioner, Reminder, ReminderStatus
from bot.db.patients import set_opted_out
from bot.db.session import Database

#: A reminder whose moment passed while nothing ran is still sent late while the visit is further away than this.
LATE_REMINDER_MARGIN = timedelta(hours=12)


def plan_reminders(
    connection: Connection, appointment_id: int, visit_at: datetime, clinic: ClinicConfig, language: str, now: datetime
) -> None:
    """Plan the reminders of the appointment for its visit at `visit_at`. Of the moments already past, only the
    latest is kept, to go at once, and only while the visit is more than `LATE_REMINDER_MARGIN` away; the others are
    skipped. A moment planned before for this very time (withdrawn by a move there and back) is planned again."""
    planned = reminder_times(clinic, visit_at)
    missed = [reminder for reminder in planned if reminder.due_at <= now]
    late = missed[-1] if missed and visit_at - now > LATE_REMINDER_MARGIN else None
    rows = [
        {
            "appointment_id": appointment_id,
            "hours_before": reminder.hours_before,
            "visit_at": visit_at,
            "due_at": reminder.due_at,
            "language": language,
            "status": ReminderStatus.SKIPPED
            if reminder.due_at <= now and reminder is not late
            else ReminderStatus.PLANNED,
        }
        for reminder in planned
    ]
    if insert_ignoring_conflicts(connection, Reminder, rows) == len(rows):
        return
    for row in rows:  # some were planned before for this time: those withdrawn since come back
        connection.execute(
            update(Reminder)
            .where(
                Reminder.appointment_id == appointment_id,
                Reminder.hours_before == row["hours_before"],
                Reminder.visit_at == visit_at,
                Reminder.status == ReminderStatus.WITHDRAWN,
            )
            .values(status=row["status"], due_at=row["due_at"], language=language)
        )


def withdraw_reminders(connection: Connection, appointment_id: int) -> int:
    """Withdraw the appointment's reminders not sent yet; how many."""
    result = connection.execute(
        update(Reminder)
        .where(Reminder.appointment_id == appointment_id, Reminder.status == ReminderStatus.PLANNED)
        .values(status=ReminderStatus.WITHDRAWN)
    )
    return int(result.rowcount)


#: A reminder texted (and maybe delivered) that the patient has not answered yet.
AWAITING_ANSWER = (ReminderStatus.SENT, ReminderStatus.DELIVERED)


def mark_answered(connection: Connection, appointment_id: int) -> None:
    """The patient answered the appointment's reminders: each texted one is answered (a later one asks again)."""
    connection.execute(
        update(Reminder)
        .where(Reminder.appointment_id == appointment_id, Reminder.status.in_(AWAITING_ANSWER))
        .values(status=ReminderStatus.ANSWERED)
    )


@dataclass(frozen=True)
class AwaitedAnswer:
    """The appointments whose reminders await the patient's answer, the latest reminded first, and when and in which
    language the latest reminder went: the question the patient's next text answers."""

    appointments: list[BookedAppointment]
    asked_at: datetime
    language: str


@dataclass(frozen=True)
class ReminderView:
    """One reminder as the clinic sees it."""

    hours_before: int
    due_at: datetime
    status: ReminderStatus
    error_code: int | None


@dataclass(frozen=True)
class AppointmentView:
    """One appointment of a day as the clinic sees it, with its reminders for its current time."""

    external_id: str | None
    status: str
    start_at: datetime
    minutes: int
    practitioner: str
    patient_phone: str
    reminders: list[ReminderView]


def appointments_on(database: Database, clinic: ClinicConfig, day: date) -> list[AppointmentView]:
    """The clinic's appointments starting on `day` (its local date), earliest first, cancelled ones included."""
    start = datetime.combine(day, time(0), clinic.zone)
    end = datetime.combine(day + timedelta(days=1), time(0), clinic.zone)
    with database.reading() as session:
        rows = session.execute(
            select(Appointment, Practitioner.key, Patient.phone)
            .join(Practitioner, Practitioner.id == Appointment.practitioner_id)
            .join(Patient, Patient.id == Appointment.patient_id)
            .where(Appointment.clinic_id == clinic.id, Appointment.start_at >= start, Appointment.start_at < end)
            .order_by(Appointment.start_at, Appointment.id)
        ).all()
        ids = [appointment.id for appointment, _, _ in rows]
        by_appointment: dict[int, list[ReminderView]] = {}
        for reminder in session.scalars(
            select(Reminder).where(Reminder.appointment_id.in_(ids)).order_by(Reminder.due_at)
        ):
            by_appointment.setdefault(reminder.appointment_id, []).append(
                ReminderView(reminder.hours_before, reminder.due_at, reminder.status, reminder.error_code)
            )
        return [
            AppointmentView(
                external_id=_clinic_external_id(appointment.external_id, clinic.id),
                status=str(appointment.status),
                start_at=appointment.start_at,
                minutes=int((appointment.end_at - appointment.start_at).total_seconds() // 60),
                practitioner=key,
                patient_phone=phone,
                reminders=[
                    r for r in by_appointment.get(appointment.id, []) if r.status is not ReminderStatus.WITHDRAWN
                ],
            )
            for appointment, key, phone in rows
        ]


def _clinic_external_id(stored: str | None, clinic_id: str) -> str | None:
    """The clinic's own id of an imported appointment ("A-17"), stored as "clinic:A-17"."""
    return stored.removeprefix(f"{clinic_id}:") if stored else None


@dataclass(frozen=True)
class DueReminder:
    """A reminder claimed for sending, with what its text needs."""

    id: int
    hours_before: int
    language: str
    clinic_id: str
    patient_phone: str
    practitioner: str
    visit_at: datetime
    due_at: datetime


_CLAIMED_COLUMNS = (
    Reminder.id,
    Reminder.hours_before,
    Reminder.language,
    Appointment.clinic_id,
    Patient.phone,
    Practitioner.key,
    Reminder.visit_at,
    Reminder.due_at,
)


def has_due_reminder(database: Database, now: datetime) -> bool:
    """Whether any planned reminder is due."""
    due = select(Reminder.id).where(Reminder.status == ReminderStatus.PLANNED, Reminder.due_at <= now).limit(1)
    with database.autocommit.connect() as connection:
        return connection.scalar(due) is not None


def claim_due_reminder(database: Database, worker: str, now: datetime) -> DueReminder | None:
    """Claim the earliest planned reminder that is due, for `worker` alone (committed before its text goes, so that
    no other sender takes it); None when none is due."""
    due = select(Reminder.id).where(Reminder.status == ReminderStatus.PLANNED, Reminder.due_at <= now)
    earliest = due.order_by(Reminder.due_at, Reminder.id).limit(1)
    if database.engine.dialect.name == "postgresql":
        earliest = earliest.with_for_update(skip_locked=True)  # concurrent senders skip the row being claimed
    claim = (
        update(Reminder)
        .where(Reminder.id == earliest.scalar_subquery(), Reminder.status == ReminderStatus.PLANNED)
        .values(status=ReminderStatus.SENDING, claimed_by=worker, claimed_at=now)
        .returning(Reminder.id)
    )
    with database.engine.begin() as connection:
        claimed = connection.scalar(claim)
        if claimed is None:
            return None
        row = connection.execute(
            select(*_CLAIMED_COLUMNS)
            .join(Appointment, Appointment.id == Reminder.appointment_id)
            .join(Patient, Patient.id == Appointment.patient_id)
            .join(Practitioner, Practitioner.id == Appointment.practitioner_id)
            .where(Reminder.id == claimed)
        ).one()
    return DueReminder(*row)


def settle_reminder(
    database: Database,
    reminder_id: int,
    worker: str,
    status: ReminderStatus,
    *,
    message_sid: str | None = None,
    error_code: int | None = None,
    due_at: datetime | None = None,
    now: datetime,
) -> None:
    """Record how a claimed reminder ended (sent with its sid, failed with its code, skipped), or give it back
    (planned, due again at `due_at` when given) when it cannot go now."""
    values: dict[str, object] = {"status": status, "claimed_by": None}
    if due_at is not None:
        values["due_at"] = due_at
    if status is ReminderStatus.SENT:
        values |= {"message_sid": message_sid, "sent_at": now, "attempts": Reminder.attempts + 1}
    if error_code is not None:
        values["error_code"] = error_code
    with database.engine.begin() as connection:
        connection.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id, Reminder.claimed_by == worker, Reminder.status == ReminderStatus.SENDING)
            .values(**values)
        )


#: How far each status has come: a delivery callback never moves a reminder back (Twilio's arrive out of order).
_PROGRESS = {
    ReminderStatus.SENT: 1,
    ReminderStatus.FAILED: 2,
    ReminderStatus.DELIVERED: 3,
    ReminderStatus.ANSWERED: 4,
}
#: Twilio's MessageStatus values, as a reminder's status ("queued", "sending", "accepted": still sent).
_TWILIO_STATUS = {
    "sent": ReminderStatus.SENT,
    "delivered": ReminderStatus.DELIVERED,
    "read": ReminderStatus.DELIVERED,
    "undelivered": ReminderStatus.FAILED,
    "failed": ReminderStatus.FAILED,
}
#: The number opted out with its carrier (Twilio error 21610): never text it again.
OPTED_OUT_CODE = 21610
#: The carrier could not take it now (unreachable, unknown destination): tried once more, later.
TEMPORARY_CODES = frozenset({30003, 30005})
RETRY_AFTER = timedelta(minutes=30)
MAX_ATTEMPTS = 2


def record_delivery(
    database: Database, message_sid: str, twilio_status: str, error_code: int | None, now: datetime
) -> ReminderStatus | None:
    """Apply a delivery callback to the reminder texted as `message_sid`: its new status (None when no reminder was
    texted so, or when the callback says nothing new)."""
    reported = _TWILIO_STATUS.get(twilio_status)
    if reported is None:
        return None
    with database.engine.begin() as connection:
        row = connection.execute(
            select(Reminder.id, Reminder.status, Reminder.attempts, Reminder.appointment_id, Reminder.visit_at)
            .where(Reminder.message_sid == message_sid)
            .with_for_update()
        ).first()
        if row is None or _PROGRESS.get(row.status, 0) >= _PROGRESS[reported]:
            return None
        values: dict[str, object] = {"status": reported}
        if reported is ReminderStatus.FAILED:
            values["error_code"] = error_code
            if error_code == OPTED_OUT_CODE:
                phone = connection.scalar(
                    select(Patient.phone)
                    .join(Appointment, Appointment.patient_id == Patient.id)
                    .where(Appointment.id == row.appointment_id)
                )
                if phone is not None:
                    set_opted_out(connection, phone, True)
            elif error_code in TEMPORARY_CODES and row.attempts < MAX_ATTEMPTS and row.visit_at - now > RETRY_AFTER:
                values |= {"status": ReminderStatus.PLANNED, "due_at": now + RETRY_AFTER, "message_sid": None}
        connection.execute(update(Reminder).where(Reminder.id == row.id).values(**values))
        return ReminderStatus(str(values["status"]))
