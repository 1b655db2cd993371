"""Appointments a clinic's own system holds, loaded for their reminders (`rdvbot remind import`, the clinic API):
idempotent on (clinic, external_id); a changed time re-plans the reminders, a cancelled row withdraws them, in the
same transaction. Refused rows are reported with their reason; the good ones are kept."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.slot_supply import parse_local_time
from bot.clinics.config import ClinicConfig, ClinicsFile, to_e164
from bot.core.vocabulary import AppointmentStatus, Channel
from bot.db.models import Appointment, Practitioner
from bot.db.patients import patient_id
from bot.db.reminders import plan_reminders, withdraw_reminders
from bot.db.session import Database

#: The columns a row must have; `language` (fr by default) and `status` (booked or cancelled) are optional.
COLUMNS = ("clinic", "external_id", "patient_phone", "practitioner", "start", "minutes")
#: The back-end name of imported appointments; their external id is kept as "clinic:external_id".
IMPORTED = "import"
MAX_MINUTES = 480
_CANCELLED_WORDS = frozenset({"cancelled", "canceled", "annulé", "annule", "annulee", "annulée"})


@dataclass
class ImportReport:
    """What an import did; `errors` holds (line or position, reason) of each refused row."""

    added: int = 0
    changed: int = 0
    cancelled: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class AppointmentRow:
    """One row, checked: the clinic's appointment as it should be now."""

    clinic: ClinicConfig
    external_id: str
    patient_phone: str
    practitioner: str
    start: datetime
    minutes: int
    language: str
    cancelled: bool


def read_row(fields: Mapping[str, object], clinics: ClinicsFile, now: datetime) -> AppointmentRow:
    """Check one row; ValueError says what is wrong with it."""

    def text(name: str) -> str:
        value = fields.get(name)
        return "" if value is None else str(value).strip()

    clinic = clinics.by_id(text("clinic"))
    if clinic is None:
        raise ValueError(f'unknown clinic "{text("clinic")}"')
    external_id = text("external_id")
    if not external_id or len(external_id) > 60 or not external_id.isprintable():
        raise ValueError(f'external_id "{external_id[:60]}" must be 1 to 60 printable characters')
    if clinic.practitioner(text("practitioner")) is None:
        raise ValueError(f'unknown practitioner "{text("practitioner")}" at clinic {clinic.id}')
    minutes_text = text("minutes")
    if not minutes_text.isdigit() or int(minutes_text) > MAX_MINUTES:
        raise ValueError(f'minutes "{minutes_text}" must be a whole number from 0 (cancelled) to {MAX_MINUTES}')
    status = text("status").lower()
    if status and status not in _CANCELLED_WORDS and status not in {"booked", "confirmed"}:
        raise ValueError(f'status "{status}" must be booked, confirmed or cancelled')
    language = text("language").lower() or "fr"
    if language not in clinic.languages:
        raise ValueError(f'language "{language}" is not one the clinic offers ({", ".join(clinic.languages)})')
    start = parse_local_time(text("start"), clinic.zone)
    cancelled = int(minutes_text) == 0 or status in _CANCELLED_WORDS
    if start <= now and not cancelled:
        raise ValueError(f'start "{text("start")}" is in the past')
    return AppointmentRow(
        clinic,
        external_id,
        _phone(text("patient_phone")),
        text("practitioner"),
        start,
        int(minutes_text),
        language,
        cancelled,
    )


def _phone(raw: str) -> str:
    try:
        return to_e164(raw)
    except ValueError:
        raise ValueError(f'patient_phone "{raw[:30]}" is not a phone number') from None


def import_appointments(
    database: Database,
    clinics: ClinicsFile,
    rows: Iterable[tuple[int, Mapping[str, object]]],
    now: datetime,
    progress: Callable[[], None] = lambda: None,
) -> ImportReport:
    """Load (position, fields) rows in one transaction, each row on its own savepoint; `progress` after each."""
    report = ImportReport()
    with database.transaction() as session:
        practitioners: dict[tuple[str, str], int] = {}
        for position, fields in rows:
            try:
                row = read_row(fields, clinics, now)
                with session.begin_nested():
                    _store(session, row, _practitioner_id(session, practitioners, row), now, report)
            except ValueError as problem:
                report.errors.append((position, str(problem)))
            progress()
    return report


def import_csv(
    database: Database, clinics: ClinicsFile, csv_text: str, now: datetime, progress: Callable[[], None] = lambda: None
) -> ImportReport:
    """`import_appointments` over CSV text with a header line; a missing column refuses the whole file (line 1)."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        report = ImportReport()
        report.errors.append((1, f"missing column(s): {', '.join(missing)} (expected {','.join(COLUMNS)})"))
        return report
    return import_appointments(database, clinics, ((reader.line_num, row) for row in reader), now, progress)


def _practitioner_id(session: Session, known: dict[tuple[str, str], int], row: AppointmentRow) -> int:
    key = (row.clinic.id, row.practitioner)
    if key not in known:
        found = session.scalar(
            select(Practitioner.id).where(Practitioner.clinic_id == row.clinic.id, Practitioner.key == row.practitioner)
        )
        if found is None:
            raise ValueError(f'practitioner "{row.practitioner}" is not in the database yet (run `rdvbot db upgrade`)')
        known[key] = found
    return known[key]


def _store(session: Session, row: AppointmentRow, practitioner_id: int, now: datetime, report: ImportReport) -> None:
    key = f"{row.clinic.id}:{row.external_id}"
    existing = session.scalar(
        select(Appointment).where(Appointment.backend == IMPORTED, Appointment.external_id == key).with_for_update()
    )
    end = row.start + timedelta(minutes=row.minutes)
    patient = patient_id(session.connection(), row.patient_phone)
    if existing is None:
        if row.cancelled:
            report.unchanged += 1  # nothing to cancel: never seen
            return
        appointment = Appointment(
            clinic_id=row.clinic.id,
            practitioner_id=practitioner_id,
            patient_id=patient,
            start_at=row.start,
            end_at=end,
            status=AppointmentStatus.BOOKED,
            channel=Channel.STAFF,
            backend=IMPORTED,
            external_id=key,
        )
        session.add(appointment)
        session.flush()
        plan_reminders(session.connection(), appointment.id, row.start, row.clinic, row.language, now)
        report.added += 1
        return
    if row.cancelled:
        if existing.status is AppointmentStatus.CANCELLED:
            report.unchanged += 1
            return
        existing.status = AppointmentStatus.CANCELLED
        withdraw_reminders(session.connection(), existing.id)
        report.cancelled += 1
        return
    same = (existing.start_at, existing.end_at, existing.practitioner_id, existing.patient_id) == (
        row.start,
        end,
        practitioner_id,
        patient,
    )
    if same and existing.status is not AppointmentStatus.CANCELLED:
        report.unchanged += 1
        return
    withdraw_reminders(session.connection(), existing.id)
    existing.start_at, existing.end_at, existing.practitioner_id, existing.patient_id = (
        row.start,
        end,
        practitioner_id,
        patient,
    )
    if existing.status is AppointmentStatus.CANCELLED:
        existing.status = AppointmentStatus.BOOKED
    session.flush()
    plan_reminders(session.connection(), existing.id, row.start, row.clinic, row.language, now)
    report.changed += 1
