"""Demo data (SPEC §3): a few appointments booked by fictional 555-01xx patients."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.booking.sql import SqlScheduler
from bot.core.booking import BookingRequest, SlotSearch, SlotTaken
from bot.core.clock import utcnow
from bot.core.vocabulary import Channel
from bot.db.models import Appointment, Clinic
from bot.db.session import Database

DEMO_PATIENTS = ("+15145550142", "+15145550143", "+15145550144")


def clinics_in_database(database: Database) -> int:
    """How many clinics the database holds (0 on a fresh one)."""
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(Clinic)) or 0


def book_demo_appointments(scheduler: SqlScheduler) -> int:
    """Book one appointment per demo patient, spread over the coming days, in each clinic that has none.

    Returns how many were booked; running it again books nothing more.
    """
    booked = 0
    for clinic in scheduler.clinics.clinics:
        with scheduler.database.transaction() as session:
            if session.scalar(select(func.count()).where(Appointment.clinic_id == clinic.id)):
                continue
        today = utcnow().astimezone(clinic.zone).date()
        offered = scheduler.search(
            SlotSearch(clinic.id, today + timedelta(days=1), today + timedelta(days=14), limit=60)
        )
        for patient, slot in zip(DEMO_PATIENTS, offered[5::20], strict=False):
            try:
                scheduler.book(BookingRequest(slot.slot_id, patient, Channel.SYSTEM))
                booked += 1
            except SlotTaken:
                continue
    return booked
