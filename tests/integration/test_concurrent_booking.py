"""Fifty patients race for one slot: exactly one gets it, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bot.booking.slot_supply import generate_slots
from bot.booking.sql import SqlScheduler
from bot.clinics.config import ClinicsFile
from bot.core.booking import BookedAppointment, BookingRequest, SlotSearch, SlotTaken
from bot.core.vocabulary import Channel
from bot.db.models import Appointment, is_live
from bot.db.session import Database
from tests.helpers import quiet_monday

RACERS = 50


def test_fifty_concurrent_bookings_of_one_slot(
    database_url: str, database: Database, demo_clinics: ClinicsFile
) -> None:
    clinic = demo_clinics.clinics[0]
    monday = quiet_monday(clinic)
    generate_slots(database, clinic, 1, first_day=monday)
    # A pool as large as the crowd, so that every racer holds its own connection at the same moment.
    crowd = Database(database_url, pool_size=RACERS, max_overflow=0)
    scheduler = SqlScheduler(crowd, demo_clinics)
    slot = scheduler.search(SlotSearch(clinic.id, monday, monday, limit=1))[0]
    start = threading.Barrier(RACERS)

    def race(index: int) -> BookedAppointment | SlotTaken:
        phone = f"+15145550{100 + index:03d}"
        start.wait()
        try:
            return scheduler.book(BookingRequest(slot.slot_id, phone, Channel.SMS))
        except SlotTaken as taken:
            return taken

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(race, range(RACERS)))
    crowd.dispose()

    winners = [o for o in outcomes if isinstance(o, BookedAppointment)]
    assert len(winners) == 1
    assert sum(isinstance(o, SlotTaken) for o in outcomes) == RACERS - 1
    with database.transaction() as session:
        live = session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.slot_id == int(slot.slot_id), is_live(Appointment.status))
        )
    assert live == 1
