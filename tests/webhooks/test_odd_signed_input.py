"""Signed requests with odd values never get a 5xx (issue 12, point 7): each is answered 2xx/4xx with a log line,
on SQLite and on PostgreSQL (which refuses NULs and oversize values that SQLite would keep)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import Services, bootstrap
from bot.core.vocabulary import Channel
from bot.db.clinics import sync_clinics
from bot.db.models import CallOutcome, ProcessedWebhook
from bot.settings import Settings
from bot.spool import FAILED_DIR, InboundSpool, SpooledMessage, SpoolReplay
from rdvbot.call import CALL_PATH, SignedCallClient
from rdvbot.chat import SignedWebhooks
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from webhooks import create_app

CALLER = "+15145550172"


@pytest.fixture
def any_services(database_url: str) -> Iterator[Services]:
    wired = bootstrap(Settings(database_url=database_url, twilio_auth_token=TOKEN, public_base_url=BASE_URL))
    sync_clinics(wired.database, wired.clinics)
    yield wired
    wired.database.dispose()


def status_of(services: Services, fields: dict[str, str]) -> int:
    call = SignedCallClient(
        create_app({"TESTING": True, "SERVICES": services}).test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, CALLER
    )
    return call._send(CALL_PATH + "/status", call._form(fields)).status


@pytest.mark.parametrize(
    ("fields", "answered", "kept"),
    [
        ({"CallStatus": "completed", "CallDuration": "42"}, 204, ("completed", 42)),
        ({"CallStatus": "compl\x00eted", "CallDuration": "42"}, 204, ("completed", 42)),  # NULs are dropped
        ({"CallStatus": "x" * 5000, "CallDuration": "1"}, 204, ("unknown", 1)),
        ({"CallStatus": "completed", "CallDuration": "99999999999999"}, 204, ("completed", None)),
        ({"CallStatus": "completed", "CallDuration": "-5"}, 204, ("completed", None)),
        ({"CallStatus": "completed", "CallDuration": "4\x002"}, 204, ("completed", None)),
        ({"CallStatus": "completed", "CallSid": "CA" + "f" * 500}, 400, None),
        ({"CallStatus": "completed", "CallSid": "CA\x00" + "0" * 31}, 400, None),
    ],
)
def test_odd_status_callbacks_are_answered_and_logged_never_a_5xx(
    any_services: Services,
    fields: dict[str, str],
    answered: int,
    kept: tuple[str, int | None] | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert status_of(any_services, fields) == answered
    with any_services.database.reading() as session:
        outcomes = [(o.status, o.duration_s) for o in session.scalars(select(CallOutcome))]
    assert outcomes == ([kept] if kept else [])
    if answered >= 400:
        assert "malformed CallSid" in caplog.text


def test_a_database_that_fails_is_logged_and_answered(any_services: Services, caplog: pytest.LogCaptureFixture) -> None:
    any_services.database.dispose()
    any_services.database.engine.dispose()
    with any_services.database.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE call_outcomes")
    assert status_of(any_services, {"CallStatus": "completed", "CallDuration": "3"}) == 204
    assert "could not record a call's status" in caplog.text


def sms(services: Services, fields: dict[str, str]) -> tuple[int, bytes]:
    """POST signed SMS fields (a usual text from CALLER unless overridden); the status and the body."""
    form = {"MessageSid": "SM" + "5" * 32, "From": CALLER, "To": CLINIC_NUMBER, "Body": "bonjour"} | fields
    form = {name: value for name, value in form.items() if value is not None}
    webhooks = SignedWebhooks(create_app({"TESTING": True, "SERVICES": services}).test_client(), TOKEN, BASE_URL)
    answer = webhooks.post("/twilio/sms", form)
    return answer.status, answer.data


@pytest.mark.parametrize(
    ("fields", "answered"),
    [
        ({"Body": "rdv\x00 demain\x00"}, 200),
        ({"Body": "\x00" * 50}, 200),
        ({"Body": "é" * 30_000}, 200),
        ({"From": "+1514555\x000172"}, 200),
        ({"From": "+1" + "5" * 5000}, 200),
        ({"To": "+1514555\x000100"}, 200),
        ({"To": "x" * 5000}, 200),
        ({"MessageSid": "SM" + "f" * 500}, 400),
        ({"MessageSid": "SM\x00" + "0" * 31}, 400),
        ({"MessageSid": "'; DROP TABLE patients; --"}, 400),
    ],
    ids=repr,
)
def test_odd_sms_fields_are_answered_never_a_5xx(
    any_services: Services, fields: dict[str, str], answered: int, caplog: pytest.LogCaptureFixture
) -> None:
    status, body = sms(any_services, fields)
    assert status == answered
    if status == 200:
        assert body.startswith(b"<?xml") and b"Service momentan" not in body
    else:
        assert "malformed MessageSid" in caplog.text


@pytest.mark.postgres
def test_a_spooled_message_the_database_refuses_is_set_aside_and_the_rest_replayed(
    postgres_url: str, tmp_path: Path
) -> None:
    services = bootstrap(Settings(database_url=postgres_url, twilio_auth_token=TOKEN, spool_dir=tmp_path))
    sync_clinics(services.database, services.clinics)
    assistant = create_app({"TESTING": True, "SERVICES": services}).extensions["rdvbot.assistant"]
    spool = InboundSpool(tmp_path)
    received = datetime.now(UTC)
    # Spooled by an older release, or by hand: a number PostgreSQL cannot store, ahead of a good message.
    spool.keep(SpooledMessage(CLINIC_NUMBER, "+1514555\x000172", "rdv", Channel.SMS, "SM" + "1" * 32, received))
    spool.keep(SpooledMessage(CLINIC_NUMBER, CALLER, "bonjour", Channel.SMS, "SM" + "2" * 32, received))
    assert SpoolReplay(spool, assistant.replay, None).run() == 1
    assert not spool.has_pending()
    assert len(list((tmp_path / FAILED_DIR).iterdir())) == 1
    with services.database.reading() as session:
        assert session.scalar(select(ProcessedWebhook.sid).where(ProcessedWebhook.sid == "SM" + "2" * 32))
    services.database.dispose()
