"""Clinic API tokens (issue 12, point 6): one per clinic, kept hashed, `Bearer` only, 401 vs 403, failed attempts
limited, and a JSON answer (never a 500) for every bad body or path."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.bootstrap import Services, bootstrap
from bot.clinics.config import ClinicsFile
from bot.db.api_tokens import create_token
from bot.db.clinics import sync_clinics
from bot.db.models import ApiToken
from bot.settings import Settings
from tests.e2e.test_cli import rdvbot
from webhooks import create_app

OPERATOR = "operator-token-for-every-clinic"
HOME, OTHER = "demo-plateau", "demo-two"


@pytest.fixture
def two_clinics(services: Services) -> Services:
    """The demo clinic and a second one, an operator token configured."""
    demo = services.clinics.clinics[0]
    second = demo.model_copy(update={"id": OTHER, "sms_number": "+15145550110", "voice_number": "+15145550110"})
    clinics = ClinicsFile(clinics=[demo, second])
    sync_clinics(services.database, clinics)
    settings = dataclasses.replace(services.settings, api_token=OPERATOR)
    return dataclasses.replace(services, clinics=clinics, settings=settings)


@pytest.fixture
def api(two_clinics: Services, monday_9am: datetime) -> FlaskClient:
    return create_app({"TESTING": True, "SERVICES": two_clinics, "CLOCK": lambda: monday_9am}).test_client()


def outage(clinic: str) -> str:
    return f"/api/v1/clinics/{clinic}/outage"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_clinic_token_opens_its_clinic_only(api: FlaskClient, two_clinics: Services) -> None:
    token = create_token(two_clinics.database, HOME)
    assert api.get(outage(HOME), headers=bearer(token)).status_code == 200
    refused = api.get(outage(OTHER), headers=bearer(token))
    assert refused.status_code == 403 and refused.json == {"error": "this token is for another clinic"}
    assert api.get(f"/api/v1/clinics/{OTHER}/outbox", headers=bearer(token)).status_code == 403
    assert api.get(outage(OTHER), headers=bearer(OPERATOR)).status_code == 200, "the operator's opens every clinic"


def test_tokens_are_kept_hashed(two_clinics: Services) -> None:
    token = create_token(two_clinics.database, HOME)
    with two_clinics.database.transaction() as session:
        stored = session.scalars(select(ApiToken.token_sha256)).all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


@pytest.mark.parametrize(
    "authorization",
    ["{token}", "Basic {token}", "Token {token}", "Bearer", "Bearer ", "Bearer {token}x", "Bearer rdvbot_guess"],
)
def test_anything_but_bearer_and_a_known_token_is_401(
    api: FlaskClient, two_clinics: Services, authorization: str
) -> None:
    token = create_token(two_clinics.database, HOME)
    answer = api.get(outage(HOME), headers={"Authorization": authorization.format(token=token)})
    assert answer.status_code == 401 and answer.is_json


def test_an_address_that_keeps_failing_is_refused_even_with_a_good_token(
    api: FlaskClient, two_clinics: Services
) -> None:
    token = create_token(two_clinics.database, HOME)
    assert [api.get(outage(HOME), headers=bearer(f"rdvbot_guess{n}")).status_code for n in range(10)] == [401] * 10
    limited = api.get(outage(HOME), headers=bearer(token))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    other_address = api.get(outage(HOME), headers=bearer(token), environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other_address.status_code == 200


BAD_BODIES: dict[str, dict[str, object]] = {
    "a list": {"json": [MESSAGE := "Système en panne"]},
    "a string": {"json": MESSAGE},
    "null": {"json": None},
    "a number": {"json": 42},
    "not JSON": {"data": b"{message_fr: oops", "content_type": "application/json"},
    "a form": {"data": {"message_fr": "x", "message_en": "y"}},
    "no body": {},
    "binary": {"data": b"\x00\xff\xfe" * 100, "content_type": "application/json"},
    "nested": {"json": {"message_fr": {"a": [1, 2]}, "message_en": ["x"]}},
    "NUL in text": {"json": {"message_fr": "en\x00panne", "message_en": "down"}},
    "deep nesting": {"data": b"[" * 5000 + b"]" * 5000, "content_type": "application/json"},
}


@pytest.mark.parametrize("body", list(BAD_BODIES))
def test_every_bad_body_gets_a_json_error_never_a_500(api: FlaskClient, body: str) -> None:
    answer = api.put(outage(HOME), headers=bearer(OPERATOR), **BAD_BODIES[body])  # type: ignore[arg-type]
    assert 400 <= answer.status_code < 500 and answer.is_json and answer.json["error"]  # type: ignore[index]
    assert api.get(outage(HOME), headers=bearer(OPERATOR)).json == {"clinic": HOME, "online_booking": "on"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "/api/v1/nothing-here", 404), ("post", outage(HOME), 405), ("get", "/api/v1/clinics/", 404)],
)
def test_a_wrong_path_or_method_is_a_json_error(api: FlaskClient, method: str, path: str, status: int) -> None:
    answer = getattr(api, method)(path, headers=bearer(OPERATOR))
    assert answer.status_code == status and answer.is_json


def test_api_token_create_shows_the_token_once_and_it_opens_the_api(tmp_path: Path) -> None:
    done = rdvbot(tmp_path, "api-token", "create", "--clinic", HOME)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token.startswith("rdvbot_") and "shown only now" in done.stderr
    assert token.encode() not in (tmp_path / "rdvbot.db").read_bytes()
    services = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'rdvbot.db'}"))
    client = create_app({"TESTING": True, "SERVICES": services}).test_client()
    assert client.get(outage(HOME), headers=bearer(token)).status_code == 200
    refused = rdvbot(tmp_path, "api-token", "create", "--clinic", "nowhere")
    assert refused.returncode == 2 and 'no clinic "nowhere"' in refused.stderr
