"""Signed requests with odd values never get a 5xx (issue 12, point 7): each is answered 2xx/4xx with a log line,
on SQLite and on PostgreSQL (which refuses NULs and oversize values that SQLite would keep)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.bootstrap import Services, bootstrap
from bot.db.clinics import sync_clinics
from bot.db.models import CallOutcome
from bot.settings import Settings
from rdvbot.call import CALL_PATH, SignedCallClient
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
        ({"CallStatus": "compl\x00eted", "CallDuration": "42"}, 204, ("unknown", 42)),
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
