"""Appointments booked through rdvbot get their reminders without any import (issue 13, points 1 and 2): planned in
the booking's transaction, in the patient's language; a cancellation or a move withdraws them in its own."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.booking.slot_supply import generate_slots
from bot.booking.sql import SqlScheduler
from bot.clinics.config import ClinicsFile
from bot.core.booking import BookingRequest, SlotSearch, SlotTaken
from bot.core.vocabulary import Channel
from bot.db.models import Reminder
from bot.db.patients import remember_language
from bot.db.session import Database
from tests.helpers import quiet_monday

PATIENT = "+15145550186"


def reminders(database: Database) -> list[tuple[int, int, str, str]]:
    """(appointment, hours before, status, language) of every reminder, in the order planned."""
    with database.reading() as session:
        return [
            (r.appointment_id, r.hours_before, str(r.status), r.language)
            for r in session.scalars(select(Reminder).order_by(Reminder.id))
        ]


@pytest.fixture
def week(database: Database, demo_clinics: ClinicsFile) -> tuple[SqlScheduler, date]:
    clinic = demo_clinics.clinics[0]
    monday = quiet_monday(clinic, at_least_days_ahead=7)
    generate_slots(database, clinic, 5, first_day=monday)
    return SqlScheduler(database, demo_clinics), monday


def test_a_booking_plans_its_reminders_in_the_patients_language(
    database: Database, week: tuple[SqlScheduler, date]
) -> None:
    scheduler, monday = week
    with database.autocommit.begin() as connection:
        remember_language(connection, PATIENT, "en")
    thursday = monday + timedelta(days=3)
    slot = scheduler.search(SlotSearch("demo-plateau", thursday, thursday, limit=1))[0]
    booked = scheduler.book(BookingRequest(slot.slot_id, PATIENT, Channel.SMS))
    appointment = int(booked.appointment_id)
    assert reminders(database) == [(appointment, 72, "planned", "en"), (appointment, 24, "planned", "en")]


def test_a_cancellation_or_a_move_withdraws_what_was_not_sent_and_a_move_plans_anew(
    database: Database, week: tuple[SqlScheduler, date]
) -> None:
    scheduler, monday = week
    thursday, friday = monday + timedelta(days=3), monday + timedelta(days=4)
    first = scheduler.search(SlotSearch("demo-plateau", thursday, thursday, limit=1))[0]
    later = scheduler.search(SlotSearch("demo-plateau", friday, friday, limit=1))[0]
    booked = scheduler.book(BookingRequest(first.slot_id, PATIENT, Channel.SMS))
    moved = scheduler.reschedule(booked.appointment_id, later.slot_id, channel=Channel.SMS, patient_phone=PATIENT)
    old, new = int(booked.appointment_id), int(moved.appointment_id)
    assert reminders(database) == [
        (old, 72, "withdrawn", "fr"),
        (old, 24, "withdrawn", "fr"),
        (new, 72, "planned", "fr"),
        (new, 24, "planned", "fr"),
    ]
    scheduler.cancel(moved.appointment_id, channel=Channel.SMS, patient_phone=PATIENT)
    assert {status for _, _, status, _ in reminders(database)} == {"withdrawn"}


def test_a_booking_that_loses_the_race_leaves_no_reminder(database: Database, week: tuple[SqlScheduler, date]) -> None:
    scheduler, monday = week
    thursday = monday + timedelta(days=3)
    slot = scheduler.search(SlotSearch("demo-plateau", thursday, thursday, limit=1))[0]
    scheduler.book(BookingRequest(slot.slot_id, PATIENT, Channel.SMS))
    with pytest.raises(SlotTaken):
        scheduler.book(BookingRequest(slot.slot_id, "+15145550187", Channel.SMS))
    assert len(reminders(database)) == 2


def test_the_clock_says_which_moments_are_past(database: Database, week: tuple[SqlScheduler, date]) -> None:
    scheduler, monday = week
    clinic = scheduler.clinics.clinics[0]
    thursday = monday + timedelta(days=3)
    slot = scheduler.search(SlotSearch("demo-plateau", thursday, thursday, limit=1))[0]
    # Booked at midnight before Wednesday for Thursday 08:00: both moments (Sunday 17:59 and Tuesday 20:59, quiet
    # hours) are past and the visit is 32 h away, so the later one goes at once and the earlier is skipped.
    scheduler.clock = lambda: datetime.combine(monday + timedelta(days=2), datetime.min.time(), clinic.zone)
    booked = scheduler.book(BookingRequest(slot.slot_id, PATIENT, Channel.SMS))
    assert booked.start.astimezone(clinic.zone).hour == 8
    assert [status for _, _, status, _ in reminders(database)] == ["skipped", "planned"]
