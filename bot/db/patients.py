"""Patients are identified by their E.164 number; rows are created on first contact."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.inserts import insert_ignoring_conflicts
from bot.db.models import Patient


def ensure_patient(session: Session, phone: str) -> Patient:
    """The patient with this number, created if new; safe when two requests create it at once."""
    patient = session.scalar(select(Patient).where(Patient.phone == phone))
    if patient is None:
        insert_ignoring_conflicts(session, Patient, [{"phone": phone, "language": "fr"}])
        patient = session.scalars(select(Patient).where(Patient.phone == phone)).one()
    return patient
