"""Patients are identified by their E.164 number; rows are created on first contact.

Core statements on a connection: these run inside SMS turns, where an ORM unit of work costs more than the SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, or_, select

from bot.core.clock import utcnow
from bot.db.inserts import insert_ignoring_conflicts, upsert_into
from bot.db.models import Appointment, MirroredAppointment, Patient

_PATIENT_ID = select(Patient.id).where(Patient.phone == bindparam("phone"))
_LANGUAGE = select(Patient.language).where(Patient.phone == bindparam("phone"))


def patient_id(connection: Connection, phone: str) -> int:
    """The id of the patient with this number, created if new; safe when two requests create it at once."""
    found: int | None = connection.scalar(_PATIENT_ID, {"phone": phone})
    if found is None:
        insert_ignoring_conflicts(connection, Patient, [{"phone": phone, "language": "fr"}])
        found = connection.execute(_PATIENT_ID, {"phone": phone}).scalar_one()
    return found


def ever_booked(connection: Connection, clinic_id: str, phone: str) -> bool:
    """Whether this number ever held an appointment at the clinic, booked here or seen in its system of record."""
    booked_here = (
        select(Appointment.id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(Appointment.clinic_id == clinic_id, Patient.phone == phone)
    )
    mirrored = select(MirroredAppointment.appointment_id).where(
        MirroredAppointment.clinic_id == clinic_id, MirroredAppointment.patient_phone == phone
    )
    return bool(connection.scalar(select(or_(booked_here.exists(), mirrored.exists()))))


def is_opted_out(connection: Connection, phone: str) -> bool:
    """Whether this number opted out of texts (STOP, or its carrier said so)."""
    return connection.scalar(select(Patient.opted_out_at).where(Patient.phone == phone)) is not None


def patient_language(connection: Connection, phone: str) -> str | None:
    """The language this number chose before, if any."""
    return connection.scalar(_LANGUAGE, {"phone": phone})


def remember_language(connection: Connection, phone: str, language: str) -> None:
    """Keep the patient's language for their next conversations."""
    _upsert(connection, phone, language=language)


def set_opted_out(connection: Connection, phone: str, opted_out: bool) -> None:
    """Record STOP (no more texts from us) or START (texts allowed again) for this number."""
    _upsert(connection, phone, opted_out_at=utcnow() if opted_out else None)


def _upsert(connection: Connection, phone: str, **changes: Any) -> None:
    """Set `changes` on the patient with this number, creating them first when new: one atomic statement."""
    insert = upsert_into(connection, Patient).values(phone=phone, **changes)
    connection.execute(insert.on_conflict_do_update(index_elements=[Patient.phone], set_=changes))
