"""When a clinic cannot book and the patient would rather not wait, nearby clinics' earliest open slots from a
SMART Scheduling Links publisher (the public examples, served over real HTTP) are offered with their booking link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
import yaml

from bot.booking.outage import start_outage
from bot.booking.slot_supply import generate_slots
from bot.bootstrap import Services, bootstrap
from bot.db.clinics import sync_clinics
from bot.settings import Settings, demo_clinics_file
from fakes.smart_publisher import SMART_FIXTURES, SmartPublisher
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from tests.helpers import quiet_monday
from webhooks import create_app

PATIENT = "+15145550166"


@pytest.fixture
def publisher() -> Iterator[SmartPublisher]:
    if not SMART_FIXTURES.is_dir():
        pytest.skip(f"!!! SKIPPED: no SMART fixtures in {SMART_FIXTURES}")
    with SmartPublisher() as running:
        yield running


def with_publisher(tmp_path: Path, sqlite_url: str, manifest_url: str, near: list[str]) -> Services:
    """The demo clinic, with the publisher as a `smart` back-end."""
    clinics = yaml.safe_load(demo_clinics_file().read_text(encoding="utf-8"))
    clinics["clinics"][0]["backends"] = [{"kind": "sql"}, {"kind": "smart", "base_url": manifest_url, "near": near}]
    path = tmp_path / "clinics.yaml"
    path.write_text(yaml.safe_dump(clinics, allow_unicode=True), encoding="utf-8")
    settings = Settings(database_url=sqlite_url, twilio_auth_token=TOKEN, public_base_url=BASE_URL, clinics_file=path)
    services = bootstrap(settings)
    sync_clinics(services.database, services.clinics)
    return services


def move_week_to(publisher: SmartPublisher, first_day: date) -> None:
    """The examples' week of 2021-03-01 becomes the week of `first_day`, so that its slots are ahead."""
    text = publisher.text("slots-2021-W09.ndjson")
    for offset in range(7):
        old, new = date(2021, 3, 1) + timedelta(days=offset), first_day + timedelta(days=offset)
        text = text.replace(old.isoformat(), new.isoformat())
    publisher.set_file("slots-2021-W09.ndjson", text)


def test_a_patient_who_would_rather_not_wait_gets_the_earliest_slots_nearby(
    tmp_path: Path, sqlite_url: str, publisher: SmartPublisher
) -> None:
    services = with_publisher(tmp_path, sqlite_url, publisher.manifest_url, ["Boston", "Worcester"])
    clinic = services.clinics.clinics[0]
    monday = quiet_monday(clinic)
    generate_slots(services.database, clinic, 5, first_day=monday)
    move_week_to(publisher, monday + timedelta(days=1))
    # Switched before any turn has read the switch: there is no cached copy to wait out.
    start_outage(services.database, clinic.id, "Système en panne.", "System down.")
    now = datetime.combine(monday, clock_time(9), clinic.zone)
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: now})
    patient = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, PATIENT)

    assert patient.send("rdv demain")[0].endswith("OUI ou NON")
    reply = patient.send("non")[0]
    lines = reply.split("\n")
    assert lines[0] == "D'accord, rien n'est gardé. Ailleurs, les premières places:"
    assert lines[1].startswith("1) SMART Vaccine Clinic Boston, mardi ")
    assert lines[1].endswith(": https://ehr-portal.example.org/bookings?slot=1000000")
    assert lines[2].startswith("2) SMART Vaccine Clinic Worcester, mardi ")
    assert len(lines) == 3


def test_without_anything_published_nearby_the_patient_is_sent_to_the_clinic(
    tmp_path: Path, sqlite_url: str, publisher: SmartPublisher
) -> None:
    services = with_publisher(tmp_path, sqlite_url, publisher.manifest_url, ["H2J"])  # no published place there
    clinic = services.clinics.clinics[0]
    monday = quiet_monday(clinic)
    # Switched before any turn has read the switch: there is no cached copy to wait out.
    start_outage(services.database, clinic.id, "Système en panne.", "System down.")
    now = datetime.combine(monday, clock_time(9), clinic.zone)
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: now})
    patient = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, PATIENT)
    patient.send("rdv demain")
    assert patient.send("non")[0] == "D'accord, rien n'est gardé. Appelez la clinique au 514-555-0199."
