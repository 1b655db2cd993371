"""The outage switch through the clinic API: bearer token, JSON in and out, and the patient sees the effect."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from flask.testing import FlaskClient

from bot.bootstrap import Services
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from webhooks import create_app

API_TOKEN = "test-api-token"
OUTAGE = "/api/v1/clinics/demo-plateau/outage"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
MESSAGES = {"message_fr": "Système en panne, merci de votre patience.", "message_en": "System down, thank you."}


@pytest.fixture
def api_services(services: Services) -> Services:
    return replace(services, settings=replace(services.settings, api_token=API_TOKEN))


@pytest.fixture
def api(api_services: Services, monday_9am: datetime) -> FlaskClient:
    return create_app({"TESTING": True, "SERVICES": api_services, "CLOCK": lambda: monday_9am}).test_client()


def test_without_an_operator_token_or_clinic_tokens_nothing_opens_the_api(services: Services) -> None:
    client = create_app({"TESTING": True, "SERVICES": services}).test_client()
    answer = client.get(OUTAGE, headers=AUTH)
    assert answer.status_code == 401
    assert answer.json == {"error": "missing or unknown bearer token (Authorization: Bearer <token>)"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": API_TOKEN + "x"}])
def test_a_missing_or_wrong_token_is_refused_and_changes_nothing(api: FlaskClient, headers: dict[str, str]) -> None:
    assert api.put(OUTAGE, json=MESSAGES, headers=headers).status_code == 401
    assert api.get(OUTAGE, headers=AUTH).json == {"clinic": "demo-plateau", "online_booking": "on"}


def test_switch_off_and_on_through_the_api(api: FlaskClient, api_services: Services, monday_9am: datetime) -> None:
    switched = api.put(OUTAGE, json=MESSAGES, headers=AUTH)
    assert switched.status_code == 200
    assert switched.json is not None
    assert switched.json["online_booking"] == "off"
    assert switched.json["message_fr"] == MESSAGES["message_fr"]
    assert datetime.fromisoformat(switched.json["since"]).tzinfo is not None

    app = create_app({"TESTING": True, "SERVICES": api_services, "CLOCK": lambda: monday_9am})
    patient = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, "+15145550140")
    assert patient.send("rdv demain matin")[0].startswith(MESSAGES["message_fr"] + " Appelez la clinique")

    back = api.delete(OUTAGE, headers=AUTH)
    assert back.status_code == 200
    assert back.json == {"clinic": "demo-plateau", "online_booking": "on"}


@pytest.mark.parametrize(
    "body",
    [{}, {"message_fr": "x"}, {"message_fr": "x", "message_en": 3}, {"message_fr": "x" * 101, "message_en": "y"}],
)
def test_a_bad_body_is_refused_with_the_reason(api: FlaskClient, body: dict[str, object]) -> None:
    answer = api.put(OUTAGE, json=body, headers=AUTH)
    assert answer.status_code == 400
    assert answer.json is not None and answer.json["error"]
    assert api.get(OUTAGE, headers=AUTH).json == {"clinic": "demo-plateau", "online_booking": "on"}


def test_an_unknown_clinic_is_a_json_404(api: FlaskClient) -> None:
    answer = api.get("/api/v1/clinics/nowhere/outage", headers=AUTH)
    assert answer.status_code == 404
    assert answer.json == {"error": 'no clinic "nowhere"'}


def test_staff_see_the_requests_kept_during_an_outage(
    api: FlaskClient, api_services: Services, monday_9am: datetime
) -> None:
    assert api.get("/api/v1/clinics/demo-plateau/outbox").status_code == 401
    assert api.get("/api/v1/clinics/demo-plateau/outbox", headers=AUTH).json == {
        "clinic": "demo-plateau",
        "waiting": [],
    }
    # Switched before any turn has read the switch: there is no cached copy to wait out.
    api.put(OUTAGE, json=MESSAGES, headers=AUTH)
    app = create_app({"TESTING": True, "SERVICES": api_services, "CLOCK": lambda: monday_9am})
    patient = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, "+15145550148")
    assert patient.send("rdv jeudi après-midi")[0].endswith("OUI ou NON")
    patient.send("oui")
    [kept] = api.get("/api/v1/clinics/demo-plateau/outbox", headers=AUTH).json["waiting"]
    assert (kept["patient_phone"], kept["kind"], kept["status"]) == ("+15145550148", "book", "pending")
    assert kept["request"]["when"]["part_of_day"] == "afternoon"
    assert api.get("/api/v1/clinics/nowhere/outbox", headers=AUTH).status_code == 404
