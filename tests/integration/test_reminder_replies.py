"""Replies to reminder texts (issue 13, point 5): the reminder is the question just asked, even days later; a yes
confirms, a cancel asks once then cancels and frees the slot, a move goes to the reschedule flow with the appointment
known; two reminded appointments → which one. Through the signed SMS webhook, in both languages, after a real
reminder was texted to the local Twilio recorder."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.booking.appointment_import import import_csv
from bot.booking.slot_supply import generate_slots
from bot.bootstrap import Services, build_assistant, build_reminder_sender
from bot.db.models import Appointment, Reminder
from fakes.twilio_recorder import FAKE_AUTH_TOKEN, TwilioRecorder
from rdvbot.chat import SignedSmsClient
from tests.helpers import quiet_monday
from webhooks import create_app

PATIENT = "+15145550161"
CLINIC_NUMBER = "+15145550100"
HEADER = "clinic,external_id,patient_phone,practitioner,start,minutes,language\n"


class Moment:
    """The app's clock: moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at.astimezone(UTC)


class NoWait:
    def take(self, key: str) -> float:
        return 0.0


class Clinic:
    """The demo clinic a week ahead with slots, its appointments imported on the Monday at 8:00, reminders sent by a
    real sender, and a patient texting the signed webhook, all on one clock."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.zone = services.clinics.clinics[0].zone
        self.monday = quiet_monday(services.clinics.clinics[0], at_least_days_ahead=3)
        generate_slots(services.database, services.clinics.clinics[0], 5, first_day=self.monday)
        self.clock = Moment(self.at(0, time(8)))
        app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": self.clock})
        self.patient = SignedSmsClient(
            app.test_client(), FAKE_AUTH_TOKEN, "https://rdv.example.org", CLINIC_NUMBER, PATIENT
        )

    def at(self, day: int, moment: time) -> datetime:
        return datetime.combine(self.monday + timedelta(days=day), moment, self.zone)

    def day(self, day: int) -> date:
        return self.monday + timedelta(days=day)

    def load(self, *rows: tuple[str, int, str, str]) -> None:
        """(external id, day of the week, HH:MM, language) appointments of PATIENT with Dre Tremblay."""
        lines = [
            f"demo-plateau,{key},{PATIENT},tremblay,{self.day(day)}T{hhmm},20,{language}\n"
            for key, day, hhmm, language in rows
        ]
        report = import_csv(self.services.database, self.services.clinics, HEADER + "".join(lines), self.clock())
        assert report.errors == [], report.errors

    def remind(self, day: int, moment: time) -> int:
        """Send what is due at that moment; how many were handled."""
        self.clock.at = self.at(day, moment)
        sender = build_reminder_sender(self.services, build_assistant(self.services, self.clock))
        return dataclasses.replace(sender, pace_at=lambda rate: NoWait()).send_due()

    def text(self, body: str, day: int | None = None, moment: time | None = None) -> str:
        if day is not None and moment is not None:
            self.clock.at = self.at(day, moment)
        else:
            self.clock.at += timedelta(minutes=1)
        return "\n".join(self.patient.send(body))

    def appointments(self) -> list[tuple[str | None, str]]:
        with self.services.database.reading() as session:
            return [
                (a.external_id, str(a.status)) for a in session.scalars(select(Appointment).order_by(Appointment.id))
            ]

    def reminders(self, external_id: str) -> list[tuple[int, str]]:
        with self.services.database.reading() as session:
            rows = session.execute(
                select(Reminder.hours_before, Reminder.status)
                .join(Appointment, Appointment.id == Reminder.appointment_id)
                .where(Appointment.external_id == f"demo-plateau:{external_id}")
                .order_by(Reminder.hours_before.desc())
            ).all()
            return [(hours, str(status)) for hours, status in rows]


@pytest.fixture
def clinic(twilio_services: Services, recorder: TwilioRecorder) -> Clinic:
    """The clinic with one appointment on Thursday 10:00 whose 72 h reminder (Monday 10:00) was just texted."""
    clinic = Clinic(twilio_services)
    clinic.load(("R-1", 3, "10:00", "fr"))
    assert clinic.remind(0, time(10, 1)) == 1
    recorder.wait_for(1, timeout_s=2)
    return clinic


def english(clinic: Clinic, recorder: TwilioRecorder) -> None:
    """The same appointment, in English: loaded again with `en`, its reminder texted again."""
    clinic.load(("E-1", 3, "11:00", "en"))
    assert clinic.remind(0, time(11, 2)) == 1
    recorder.wait_for(1, timeout_s=2)


@pytest.mark.parametrize("reply", ["OUI", "oui je serai la", "1", "Confirmé merci", "ok"])
def test_a_yes_confirms_the_appointment_with_one_short_thank_you(clinic: Clinic, reply: str) -> None:
    answer = clinic.text(reply)
    assert "confirmé" in answer and "jeudi" in answer and "10 h" in answer, answer
    assert clinic.appointments() == [("demo-plateau:R-1", "confirmed")]
    assert clinic.reminders("R-1") == [(72, "answered"), (24, "planned")]  # the 24 h one still goes


@pytest.mark.parametrize("reply", ["YES", "yes I'll be there", "1"])
def test_a_yes_in_english_confirms(twilio_services: Services, recorder: TwilioRecorder, reply: str) -> None:
    clinic = Clinic(twilio_services)
    english(clinic, recorder)
    answer = clinic.text(reply)
    assert "Thank you, your appointment on Thursday" in answer and "is confirmed" in answer, answer
    assert clinic.appointments() == [("demo-plateau:E-1", "confirmed")]


@pytest.mark.parametrize("reply", ["ANNULER", "2", "annule svp", "je peux pas y aller", "non"])
def test_a_cancel_asks_once_then_cancels_and_frees_the_slot(clinic: Clinic, reply: str) -> None:
    question = clinic.text(reply)
    assert "Annuler votre rendez-vous du jeudi" in question, question
    assert clinic.appointments() == [("demo-plateau:R-1", "booked")]  # nothing before the yes
    done = clinic.text("oui")
    assert "est annulé" in done, done
    assert clinic.appointments() == [("demo-plateau:R-1", "cancelled")]
    assert clinic.reminders("R-1") == [(72, "answered"), (24, "withdrawn")]  # no reminder for a cancelled visit


@pytest.mark.parametrize("reply", ["CANCEL", "2"])
def test_a_cancel_in_english(twilio_services: Services, recorder: TwilioRecorder, reply: str) -> None:
    clinic = Clinic(twilio_services)
    english(clinic, recorder)
    assert "Cancel your appointment on Thursday" in clinic.text(reply)
    assert "is cancelled" in clinic.text("yes")
    assert clinic.appointments() == [("demo-plateau:E-1", "cancelled")]


def test_a_cancel_then_no_keeps_the_appointment(clinic: Clinic) -> None:
    clinic.text("ANNULER")
    kept = clinic.text("non")
    assert "annulé" not in kept.replace("pas annulé", ""), kept
    assert clinic.appointments() == [("demo-plateau:R-1", "booked")]
    assert clinic.reminders("R-1") == [(72, "answered"), (24, "planned")]


@pytest.mark.parametrize("reply", ["DÉPLACER", "3", "deplacer svp"])
def test_a_move_goes_to_the_reschedule_flow_with_the_appointment_known(clinic: Clinic, reply: str) -> None:
    asked = clinic.text(reply)
    assert "Quel rendez-vous" not in asked, asked  # the reminded one is known
    offers = clinic.text("vendredi matin")
    assert "1)" in offers and "vendredi" in offers, offers
    clinic.text("1")
    moved = clinic.text("oui")
    assert "maintenant le vendredi" in moved, moved
    [(old, old_status), (_, new_status)] = clinic.appointments()
    assert (old, old_status, new_status) == ("demo-plateau:R-1", "cancelled", "booked")
    assert clinic.reminders("R-1") == [(72, "answered"), (24, "withdrawn")]


def test_a_move_naming_the_day_offers_that_day_at_once(clinic: Clinic) -> None:
    offers = clinic.text("peux-tu le changer pour vendredi?")
    assert "1)" in offers and "vendredi" in offers, offers


def test_a_move_in_english(twilio_services: Services, recorder: TwilioRecorder) -> None:
    clinic = Clinic(twilio_services)
    english(clinic, recorder)
    offers = clinic.text("MOVE it to friday morning please")
    assert "1)" in offers and "Friday" in offers, offers


def test_a_reply_days_later_still_answers_the_latest_reminder(clinic: Clinic) -> None:
    info = clinic.text("c'est quoi votre adresse?", day=0, moment=time(11))
    assert "confirmé" not in info
    answer = clinic.text("oui", day=2, moment=time(8, 30))  # Wednesday morning, the 24 h reminder not gone yet
    assert "confirmé" in answer, answer
    assert clinic.appointments() == [("demo-plateau:R-1", "confirmed")]


def test_a_reminder_texted_during_a_conversation_is_what_the_next_reply_answers(
    clinic: Clinic, recorder: TwilioRecorder
) -> None:
    clinic.text("oui")  # the 72 h reminder answered
    asked = clinic.text("je veux un rdv", day=2, moment=time(9, 55))
    assert "Quand" in asked or "quand" in asked, asked
    assert clinic.remind(2, time(10, 1)) == 1  # the 24 h reminder goes while the booking question is pending
    recorder.wait_for(2, timeout_s=2)
    answer = clinic.text("ANNULER", day=2, moment=time(10, 5))
    assert "Annuler votre rendez-vous du jeudi" in answer, answer


def test_two_reminded_appointments_make_the_patient_say_which_one(clinic: Clinic, recorder: TwilioRecorder) -> None:
    clinic.load(("R-2", 4, "14:00", "fr"))  # Friday 14:00: its 72 h moment is Tuesday 14:00
    assert clinic.remind(1, time(14, 1)) == 1
    recorder.wait_for(2, timeout_s=2)
    which = clinic.text("OUI")
    assert "Lequel" in which and "1)" in which and "2)" in which, which
    confirmed = clinic.text("2")
    assert "confirmé" in confirmed, confirmed
    statuses = dict(clinic.appointments())
    assert sorted(statuses.values()) == ["booked", "confirmed"]


def test_a_day_alone_days_later_still_starts_a_booking(clinic: Clinic) -> None:
    clinic.text("c'est quoi votre adresse?", day=0, moment=time(11))
    offers = clinic.text("vendredi", day=1, moment=time(9))
    assert "1)" in offers and "vendredi" in offers, offers
    assert clinic.appointments() == [("demo-plateau:R-1", "booked")]


def test_once_answered_a_yes_is_no_longer_read_as_a_confirmation(clinic: Clinic) -> None:
    clinic.text("oui")
    again = clinic.text("ok merci", day=0, moment=time(12))
    assert "confirmé" not in again, again


def test_a_planned_reminder_not_texted_yet_asks_nothing(twilio_services: Services) -> None:
    clinic = Clinic(twilio_services)
    clinic.load(("P-1", 3, "10:00", "fr"))
    answer = clinic.text("ANNULER")
    assert "Annuler votre rendez-vous du jeudi" in answer  # the cancel flow finds it itself
    assert clinic.reminders("P-1") == [(72, "planned"), (24, "planned")]
