"""Mirror the clinics file into the database so that slots and appointments can refer to clinics."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clinics.config import ClinicConfig, ClinicsFile
from bot.db.models import AppointmentType, Clinic, Practitioner
from bot.db.session import Database


def sync_clinics(database: Database, clinics: ClinicsFile) -> None:
    """Insert or update every clinic, practitioner and appointment type; practitioners no longer listed
    are deactivated (their past appointments keep pointing at them)."""
    with database.transaction() as session:
        for config in clinics.clinics:
            session.merge(
                Clinic(
                    id=config.id,
                    name_fr=config.name.fr,
                    name_en=config.name.en,
                    timezone=config.timezone,
                    sms_number=config.sms_number,
                    voice_number=config.voice_number or config.sms_number,
                    phone=config.phone,
                    address=config.address,
                )
            )
            session.flush()
            _sync_practitioners(session, config)
            _sync_appointment_types(session, config)


def _sync_practitioners(session: Session, config: ClinicConfig) -> None:
    rows = {p.key: p for p in session.scalars(select(Practitioner).where(Practitioner.clinic_id == config.id))}
    for practitioner in config.practitioners:
        row = rows.pop(practitioner.id, None) or Practitioner(clinic_id=config.id, key=practitioner.id)
        row.name_fr, row.name_en = practitioner.name.fr, practitioner.name.en
        row.slot_minutes, row.active = practitioner.slot_minutes, True
        session.add(row)
    for gone in rows.values():
        gone.active = False


def _sync_appointment_types(session: Session, config: ClinicConfig) -> None:
    rows = {t.key: t for t in session.scalars(select(AppointmentType).where(AppointmentType.clinic_id == config.id))}
    for kind in config.appointment_types:
        row = rows.get(kind.id) or AppointmentType(clinic_id=config.id, key=kind.id)
        row.name_fr, row.name_en, row.minutes = kind.name.fr, kind.name.en, kind.minutes
        session.add(row)
