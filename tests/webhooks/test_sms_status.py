"""Delivery status of reminder texts (issue 13, point 6, first step): POST /twilio/sms/status (signed) moves a
reminder forward only; 21610 opts the number out for good, 30003/30005 earn one retry later, others are kept with
their code for the clinic."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.booking.appointment_import import import_csv
from bot.bootstrap import Services, build_assistant, build_reminder_sender
from bot.db.models import Patient, Reminder
from fakes.twilio_recorder import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, TwilioRecorder
from rdvbot.chat import SignedWebhooks
from tests.conftest import BASE_URL
from tests.integration.test_reminder_sending import NoWait
from webhooks import create_app

MONTREAL = ZoneInfo("America/Toronto")
LOADED = datetime(2026, 12, 7, 8, 0, tzinfo=MONTREAL)
TUESDAY = datetime(2026, 12, 8, 14, 5, tzinfo=MONTREAL)  # just after the 72 h moment of a Friday 14:00 visit
PATIENT = "+15145550191"


def send_reminders(services: Services, moment: datetime) -> int:
    sender = build_reminder_sender(services, build_assistant(services, lambda: moment))
    return dataclasses.replace(sender, pace_at=lambda rate: NoWait()).send_due()


@pytest.fixture
def texted(twilio_services: Services, recorder: TwilioRecorder) -> str:
    """A reminder texted to PATIENT; its MessageSid."""
    header = "clinic,external_id,patient_phone,practitioner,start,minutes\n"
    row = f"demo-plateau,S-1,{PATIENT},tremblay,2026-12-11T14:00,20\n"
    assert (
        import_csv(twilio_services.database, twilio_services.clinics, header + row, LOADED.astimezone(UTC)).added == 1
    )
    assert send_reminders(twilio_services, TUESDAY) == 1
    return recorder.wait_for(1, timeout_s=2)[0].sid


def callback(services: Services, fields: dict[str, str]) -> int:
    app: FlaskClient = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: TUESDAY}).test_client()
    form = {"AccountSid": FAKE_ACCOUNT_SID, "From": "+15145550100", "To": PATIENT} | fields
    return SignedWebhooks(app, FAKE_AUTH_TOKEN, BASE_URL).post("/twilio/sms/status", form).status


def first_reminder(services: Services) -> Reminder:
    with services.database.reading() as session:
        found = session.scalars(select(Reminder).order_by(Reminder.id)).first()
        assert found is not None
        return found


def test_the_text_asks_for_its_delivery_status(texted: str, recorder: TwilioRecorder) -> None:
    assert recorder.messages[0].status_callback == f"{BASE_URL}/twilio/sms/status"


def test_a_status_never_moves_backwards(twilio_services: Services, texted: str) -> None:
    for status in ("sent", "delivered", "sent", "queued", "undelivered"):
        assert callback(twilio_services, {"MessageSid": texted, "MessageStatus": status}) == 204
    reminder = first_reminder(twilio_services)
    assert str(reminder.status) == "delivered" and reminder.error_code is None


def test_an_opt_out_at_the_carrier_is_kept_and_never_retried(
    twilio_services: Services, texted: str, recorder: TwilioRecorder
) -> None:
    assert (
        callback(twilio_services, {"MessageSid": texted, "MessageStatus": "undelivered", "ErrorCode": "21610"}) == 204
    )
    reminder = first_reminder(twilio_services)
    assert (str(reminder.status), reminder.error_code) == ("failed", 21610)
    with twilio_services.database.reading() as session:
        assert session.scalar(select(Patient.opted_out_at).where(Patient.phone == PATIENT)) is not None
    send_reminders(twilio_services, TUESDAY + timedelta(hours=1))
    assert len(recorder.messages) == 1


def test_a_temporary_refusal_is_retried_once_later(
    twilio_services: Services, texted: str, recorder: TwilioRecorder
) -> None:
    failed = {"MessageSid": texted, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert callback(twilio_services, failed) == 204
    assert str(first_reminder(twilio_services).status) == "planned"
    assert send_reminders(twilio_services, TUESDAY + timedelta(minutes=10)) == 0, "not before its retry time"
    assert send_reminders(twilio_services, TUESDAY + timedelta(minutes=40)) == 1
    second = recorder.wait_for(2, timeout_s=2)[1].sid
    assert callback(twilio_services, failed | {"MessageSid": second}) == 204
    reminder = first_reminder(twilio_services)
    assert (str(reminder.status), reminder.error_code, reminder.attempts) == ("failed", 30003, 2)


def test_any_other_failure_is_kept_with_its_code_for_the_clinic(twilio_services: Services, texted: str) -> None:
    assert callback(twilio_services, {"MessageSid": texted, "MessageStatus": "failed", "ErrorCode": "30007"}) == 204
    reminder = first_reminder(twilio_services)
    assert (str(reminder.status), reminder.error_code) == ("failed", 30007)


@pytest.mark.parametrize(
    ("fields", "answered"),
    [
        ({"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}, 204),  # no reminder was texted so
        ({"MessageSid": "SM" + "x" * 500, "MessageStatus": "delivered"}, 400),
        ({"MessageSid": "", "MessageStatus": "delivered"}, 400),
        ({"MessageSid": "SM" + "0" * 32, "MessageStatus": "deli\x00vered" + "x" * 5000}, 204),
        ({"MessageSid": "SM" + "0" * 32, "MessageStatus": "failed", "ErrorCode": "99999999999999999999"}, 204),
    ],
    ids=repr,
)
def test_odd_callbacks_are_answered_never_a_5xx(
    twilio_services: Services, fields: dict[str, str], answered: int
) -> None:
    assert callback(twilio_services, fields) == answered
