"""The clinic API's appointments (issue 13, point 1): a JSON list in with per-row errors out, and a day's
appointments with their status and reminders."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient

from bot.bootstrap import Services
from webhooks import create_app

TOKEN = "operator-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PATH = "/api/v1/clinics/demo-plateau/appointments"


@pytest.fixture
def api(services: Services, monday_9am: datetime) -> FlaskClient:
    settings = dataclasses.replace(services.settings, api_token=TOKEN)
    app = create_app({"TESTING": True, "SERVICES": dataclasses.replace(services, settings=settings)})
    return app.test_client()


def row(external_id: str, start: datetime, **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "external_id": external_id,
        "patient_phone": "514-555-0191",
        "practitioner": "tremblay",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "minutes": 20,
    }
    return fields | changes


def test_a_list_is_loaded_and_each_bad_row_answered_by_its_index(api: FlaskClient, monday_9am: datetime) -> None:
    thursday = (monday_9am + timedelta(days=10)).replace(hour=14)
    answer = api.post(
        PATH,
        json=[
            row("F-1", thursday),
            row("F-2", thursday, patient_phone="nope"),
            "not an object",
            row("F-3", thursday, clinic="another-clinic"),
            row("F-4", thursday, practitioner="nobody", language="en"),
            row("F-5", thursday, minutes="twenty"),
        ],
        headers=AUTH,
    )
    assert answer.status_code == 200 and answer.json is not None
    assert answer.json["added"] == 1
    errors = {e["index"]: e["error"] for e in answer.json["errors"]}
    assert sorted(errors) == [1, 2, 3, 4, 5]
    assert "patient_phone" in errors[1] and "clinic must be demo-plateau" in errors[3]
    assert "unknown practitioner" in errors[4] and "minutes" in errors[5]

    day = api.get(f"{PATH}?date={thursday.date().isoformat()}", headers=AUTH)
    assert day.status_code == 200 and day.json is not None
    [listed] = [a for a in day.json["appointments"] if a["external_id"] == "F-1"]
    assert listed["status"] == "booked" and listed["minutes"] == 20 and listed["practitioner"] == "tremblay"
    assert [(r["hours_before"], r["status"]) for r in listed["reminders"]] == [(72, "planned"), (24, "planned")]

    api.post(PATH, json=[row("F-1", thursday, minutes=0)], headers=AUTH)
    cancelled = api.get(f"{PATH}?date={thursday.date().isoformat()}", headers=AUTH).json
    assert cancelled is not None
    [listed] = [a for a in cancelled["appointments"] if a["external_id"] == "F-1"]
    assert listed["status"] == "cancelled" and listed["reminders"] == []


@pytest.mark.parametrize("body", [{"external_id": "x"}, "x", None, [{}] * 5001])
def test_a_body_that_is_not_a_list_of_rows_is_refused(api: FlaskClient, body: object) -> None:
    answer = api.post(PATH, json=body, headers=AUTH)
    assert answer.status_code == 400 and answer.is_json


@pytest.mark.parametrize("query", ["", "?date=", "?date=tomorrow", "?date=2026-13-01"])
def test_a_day_is_required_to_list_appointments(api: FlaskClient, query: str) -> None:
    answer = api.get(PATH + query, headers=AUTH)
    assert answer.status_code == 400 and answer.is_json
