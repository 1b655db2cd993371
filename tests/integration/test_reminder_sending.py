"""Sending due reminders (issue 13, points 3 and 4, first step): the text, exactly one per reminder even with two
senders at once, twilio_services hours, never late when the visit is near, never to a number that opted out."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.booking.appointment_import import import_csv
from bot.bootstrap import Services, build_assistant, build_reminder_sender
from bot.clinics.config import ClinicsFile
from bot.db.models import Reminder
from bot.db.patients import set_opted_out
from bot.outbox.pace import LocalTokenBucket
from bot.outbox.reminders import ReminderSender
from bot.sms.segments import segment_count
from fakes.twilio_recorder import TwilioRecorder
from tests.helpers import FakeClock

MONTREAL = ZoneInfo("America/Toronto")
LOADED = datetime(2026, 12, 7, 8, 0, tzinfo=MONTREAL)  # a Monday, when the clinic loads its week
HEADER = "clinic,external_id,patient_phone,practitioner,start,minutes,language\n"


def load(services: Services, rows: list[str]) -> None:
    report = import_csv(services.database, services.clinics, HEADER + "".join(rows), LOADED.astimezone(UTC))
    assert report.errors == [], report.errors


class NoWait:
    """A pace that never makes anyone wait (the token buckets have tests of their own)."""

    def take(self, key: str) -> float:
        return 0.0


def sender_at(services: Services, moment: datetime, worker: str = "test") -> ReminderSender:
    sender = build_reminder_sender(services, build_assistant(services, lambda: moment))
    return dataclasses.replace(sender, pace_at=lambda rate: NoWait(), worker=worker)


def statuses(services: Services) -> list[str]:
    with services.database.reading() as session:
        return [str(r.status) for r in session.scalars(select(Reminder).order_by(Reminder.id))]


def test_a_due_reminder_is_texted_once_with_what_the_patient_needs(
    twilio_services: Services, recorder: TwilioRecorder
) -> None:
    load(twilio_services, ["demo-plateau,G-1,514-555-0191,tremblay,2026-12-11T14:00,20,fr\n"])
    tuesday = datetime(2026, 12, 8, 14, 5, tzinfo=MONTREAL)  # the 72 h moment just passed
    assert sender_at(twilio_services, tuesday).send_due() == 1
    [text] = recorder.wait_for(1, timeout_s=2)
    assert (text.to, text.from_) == ("+15145550191", "+15145550100")
    for part in (
        "Clinique Démo Plateau",
        "vendredi 11 décembre à 14 h",
        "Dre Isabelle Tremblay",
        "OUI (1)",
        "ANNULER (2)",
        "DÉPLACER (3)",
        "place libérée",
    ):
        assert part in text.body, (part, text.body)
    assert segment_count(text.body) <= 2
    assert sender_at(twilio_services, tuesday).send_due() == 0 and len(recorder.messages) == 1
    assert statuses(twilio_services) == ["sent", "planned"]


def test_the_reminder_is_in_the_patients_language(twilio_services: Services, recorder: TwilioRecorder) -> None:
    load(twilio_services, ["demo-plateau,G-2,514-555-0192,tremblay,2026-12-11T14:00,20,en\n"])
    sender_at(twilio_services, datetime(2026, 12, 8, 14, 5, tzinfo=MONTREAL)).send_due()
    [text] = recorder.wait_for(1, timeout_s=2)
    assert "Reply YES (1) to confirm, CANCEL (2) to cancel, MOVE (3)" in text.body and segment_count(text.body) <= 2


def test_two_senders_at_once_send_exactly_one_text_per_reminder(
    twilio_services: Services, recorder: TwilioRecorder
) -> None:
    load(
        twilio_services,
        [
            f"demo-plateau,H-{n},514-555-01{n:02d},tremblay,2026-12-11T{8 + n // 3:02d}:{20 * (n % 3):02d},20,fr\n"
            for n in range(24)
        ],
    )
    tuesday = datetime(2026, 12, 8, 18, 0, tzinfo=MONTREAL)
    senders = [sender_at(twilio_services, tuesday, worker=f"w{n}") for n in range(2)]
    threads = [threading.Thread(target=sender.send_due) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    sent = recorder.wait_for(24, timeout_s=5)
    assert sorted(message.to for message in sent) == sorted(f"+151455501{n:02d}" for n in range(24))
    assert statuses(twilio_services).count("sent") == 24


def test_outside_texting_hours_a_due_reminder_waits_for_the_morning(
    twilio_services: Services, recorder: TwilioRecorder
) -> None:
    load(twilio_services, ["demo-plateau,J-1,514-555-0191,tremblay,2026-12-11T14:00,20,fr\n"])
    late_evening = datetime(2026, 12, 8, 22, 30, tzinfo=MONTREAL)  # the 72 h moment (14:00) went by unsent
    assert sender_at(twilio_services, late_evening).send_due() == 1
    assert recorder.messages == []
    with twilio_services.database.reading() as session:
        first = session.scalars(select(Reminder).order_by(Reminder.id)).first()
        assert first is not None and str(first.status) == "planned"
        assert first.due_at.astimezone(MONTREAL) == datetime(2026, 12, 9, 9, 0, tzinfo=MONTREAL)


def test_a_reminder_whose_moment_passed_is_skipped_when_the_visit_is_near(
    twilio_services: Services, recorder: TwilioRecorder
) -> None:
    load(twilio_services, ["demo-plateau,K-1,514-555-0191,tremblay,2026-12-11T14:00,20,fr\n"])
    friday_morning = datetime(2026, 12, 11, 9, 0, tzinfo=MONTREAL)  # nothing ran since Monday
    sender_at(twilio_services, friday_morning).send_due()
    assert recorder.messages == [] and statuses(twilio_services) == ["skipped", "skipped"]


def test_a_number_that_opted_out_gets_no_reminder(twilio_services: Services, recorder: TwilioRecorder) -> None:
    load(twilio_services, ["demo-plateau,L-1,514-555-0191,tremblay,2026-12-11T14:00,20,fr\n"])
    with twilio_services.database.autocommit.begin() as connection:
        set_opted_out(connection, "+15145550191", True)
    sender_at(twilio_services, datetime(2026, 12, 8, 14, 5, tzinfo=MONTREAL)).send_due()
    assert recorder.messages == [] and statuses(twilio_services)[0] == "skipped"


def test_each_clinic_number_sends_at_its_segments_per_second(
    twilio_services: Services, recorder: TwilioRecorder
) -> None:
    load(
        twilio_services,
        [f"demo-plateau,P-{n},514-555-01{n:02d},tremblay,2026-12-11T{9 + n:02d}:00,20,fr\n" for n in range(5)],
    )
    clinic = twilio_services.clinics.clinics[0]
    fast = clinic.model_copy(update={"reminders": clinic.reminders.model_copy(update={"sender_mps": 2.0})})
    services = dataclasses.replace(twilio_services, clinics=ClinicsFile(clinics=[fast]))
    clock = FakeClock()
    sender = build_reminder_sender(
        services, build_assistant(services, lambda: datetime(2026, 12, 8, 18, tzinfo=MONTREAL))
    )
    paced = dataclasses.replace(sender, pace_at=lambda rate: LocalTokenBucket(rate, clock=clock), sleep=clock.advance)
    started = clock.now
    assert paced.send_due() == 5
    sent = recorder.wait_for(5, timeout_s=2)
    segments = sum(segment_count(message.body) for message in sent)
    # The first segment goes at once; each further one waits half a second at 2 segments a second.
    assert clock.now - started == pytest.approx((segments - 1) / 2.0)
