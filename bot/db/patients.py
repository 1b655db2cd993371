"""Patients are identified by their E.164 number; rows are created on first contact."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.inserts import insert_ignoring_conflicts
from bot.db.models import Patient, utcnow


def ensure_patient(session: Session, phone: str) -> Patient:
    """The patient with this number, created if new; safe when two requests create it at once."""
    patient = session.scalar(select(Patient).where(Patient.phone == phone))
    if patient is None:
        insert_ignoring_conflicts(session, Patient, [{"phone": phone, "language": "fr"}])
        patient = session.scalars(select(Patient).where(Patient.phone == phone)).one()
    return patient


def patient_language(session: Session, phone: str) -> str | None:
    """The language this number chose before, if any."""
    return session.scalar(select(Patient.language).where(Patient.phone == phone))


def remember_language(session: Session, phone: str, language: str) -> None:
    """Keep the patient's language for their next conversations."""
    ensure_patient(session, phone).language = language


def set_opted_out(session: Session, phone: str, opted_out: bool) -> None:
    """Record STOP (no more texts from us) or START (texts allowed again) for this number."""
    ensure_patient(session, phone).opted_out_at = utcnow() if opted_out else None
