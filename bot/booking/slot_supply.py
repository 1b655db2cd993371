"""Where the built-in scheduler's slots come from: weekly availability, or a CSV file from the clinic."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clinics.calendar import ClinicCalendar
from bot.clinics.config import WEEKDAYS, ClinicConfig, ClinicsFile, PractitionerConfig
from bot.core.clock import utcnow
from bot.db.inserts import insert_ignoring_conflicts
from bot.db.models import Practitioner, Slot
from bot.db.session import Database

MAX_SLOT_MINUTES = 240
CSV_COLUMNS = ("clinic", "practitioner", "start", "minutes")

Interval = tuple[datetime, datetime]


@dataclass
class SupplyReport:
    """What a generation or an import did; `errors` holds (line number, message) for refused CSV rows."""

    added: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, zone).astimezone(UTC)


def planned_slots(
    clinic: ClinicConfig, practitioner: PractitionerConfig, first_day: date, days: int
) -> Iterator[Interval]:
    """UTC (start, end) of the practitioner's slots on open days, stepping in real time so DST days are right."""
    calendar = ClinicCalendar(clinic)
    step = timedelta(minutes=practitioner.slot_minutes)
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if not calendar.opening_windows(day):
            continue
        for window in practitioner.availability.get(WEEKDAYS[day.weekday()], []):
            start, end = _at(day, window.start, clinic.zone), _at(day, window.end, clinic.zone)
            while start + step <= end:
                yield start, start + step
                start += step


def _existing(session: Session, practitioner_id: int, start: datetime, end: datetime) -> list[Interval]:
    """Slots of the practitioner that could overlap [start, end)."""
    rows = session.execute(
        select(Slot.start_at, Slot.end_at).where(
            Slot.practitioner_id == practitioner_id,
            Slot.start_at > start - timedelta(minutes=MAX_SLOT_MINUTES),
            Slot.start_at < end,
        )
    ).all()
    return [(row.start_at, row.end_at) for row in rows]


def _overlaps(candidate: Interval, others: list[Interval]) -> Interval | None:
    return next((other for other in others if other[0] < candidate[1] and candidate[0] < other[1]), None)


def _practitioner_ids(session: Session, clinic_id: str) -> dict[str, int]:
    rows = session.execute(select(Practitioner.key, Practitioner.id).where(Practitioner.clinic_id == clinic_id))
    return {row.key: row.id for row in rows}


def generate_slots(database: Database, clinic: ClinicConfig, days: int, first_day: date | None = None) -> SupplyReport:
    """Create the slots of the next `days` days from weekly availability; running it again adds nothing.

    Days when the clinic is closed (weekly hours, its closures, Québec holidays) get no slots, and a
    generated slot never overlaps one imported by the clinic.
    """
    now = utcnow()
    first_day = first_day or now.astimezone(clinic.zone).date()
    report = SupplyReport()
    with database.transaction() as session:
        ids = _practitioner_ids(session, clinic.id)
        for practitioner in clinic.practitioners:
            planned = [s for s in planned_slots(clinic, practitioner, first_day, days) if s[0] > now]
            if not planned:
                continue
            existing = _existing(session, ids[practitioner.id], planned[0][0], planned[-1][1])
            starts = {start for start, _ in existing}
            fresh = [s for s in planned if s[0] not in starts and not _overlaps(s, existing)]
            report.unchanged += len(planned) - len(fresh)
            report.added += insert_ignoring_conflicts(
                session.connection(),
                Slot,
                [
                    {
                        "clinic_id": clinic.id,
                        "practitioner_id": ids[practitioner.id],
                        "start_at": start,
                        "end_at": end,
                        "minutes": practitioner.slot_minutes,
                        "source": "generated",
                    }
                    for start, end in fresh
                ],
            )
    return report


def parse_local_time(text: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date-time; without an offset it is the clinic's local time, which must exist and be unambiguous."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f'start "{text}" is not a date and time like 2026-12-01T09:00') from None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        raise ValueError(f'start "{text}" does not exist on this DST day')
    if first.utcoffset() != second.utcoffset():
        raise ValueError(f'start "{text}" happens twice on this DST day; add the UTC offset (-04:00 or -05:00)')
    return first.astimezone(UTC)


def import_slots(database: Database, clinics: ClinicsFile, csv_text: str) -> SupplyReport:
    """Add slots from CSV (`clinic,practitioner,start,minutes`); refused rows are reported by line, good rows kept."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    missing = [name for name in CSV_COLUMNS if name not in (reader.fieldnames or [])]
    report = SupplyReport()
    if missing:
        report.errors.append((1, f"missing column(s): {', '.join(missing)} (expected {','.join(CSV_COLUMNS)})"))
        return report
    with database.transaction() as session:
        known: dict[str, dict[str, int]] = {}
        for row in reader:
            line = reader.line_num
            try:
                slot, zone = _slot_row(row, clinics, known, session)
            except ValueError as problem:
                report.errors.append((line, str(problem)))
                continue
            existing = _existing(session, slot.practitioner_id, slot.start_at, slot.end_at)
            if (slot.start_at, slot.end_at) in existing:
                report.unchanged += 1
                continue
            clash = _overlaps((slot.start_at, slot.end_at), existing)
            if clash:
                local = clash[0].astimezone(zone)
                report.errors.append((line, f"overlaps the slot at {local:%Y-%m-%d %H:%M} of this practitioner"))
                continue
            try:
                with session.begin_nested():
                    session.add(slot)
            except IntegrityError:
                # Another process added a slot there since we looked; the database refused the overlap.
                report.errors.append((line, "overlaps another slot of this practitioner"))
                continue
            report.added += 1
    return report


def _slot_row(
    row: dict[str, str | None], clinics: ClinicsFile, known: dict[str, dict[str, int]], session: Session
) -> tuple[Slot, ZoneInfo]:
    """Validate one CSV row into a new Slot (and its clinic's zone), or raise ValueError saying what is wrong."""
    clinic_id = (row.get("clinic") or "").strip()
    clinic = clinics.by_id(clinic_id)
    if clinic is None:
        raise ValueError(f'unknown clinic "{clinic_id}"')
    if clinic_id not in known:
        known[clinic_id] = _practitioner_ids(session, clinic_id)
    practitioner_key = (row.get("practitioner") or "").strip()
    if practitioner_key not in known[clinic_id] or clinic.practitioner(practitioner_key) is None:
        raise ValueError(f'unknown practitioner "{practitioner_key}" at clinic {clinic_id}')
    start = parse_local_time(row.get("start") or "", clinic.zone)
    minutes_text = (row.get("minutes") or "").strip()
    if not minutes_text.isdigit() or not 1 <= int(minutes_text) <= MAX_SLOT_MINUTES:
        raise ValueError(f'minutes "{minutes_text}" must be a whole number from 1 to {MAX_SLOT_MINUTES}')
    if start <= utcnow():
        raise ValueError(f"start {row.get('start')} is in the past")
    minutes = int(minutes_text)
    slot = Slot(
        clinic_id=clinic_id,
        practitioner_id=known[clinic_id][practitioner_key],
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        minutes=minutes,
        source="import",
    )
    return slot, clinic.zone
