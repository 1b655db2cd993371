"""Wiring: what bootstrap builds is handed to each part, never looked up, so that two assistants in one process
work each on its own database."""

from __future__ import annotations

import shutil
from datetime import datetime, time
from pathlib import Path

from sqlalchemy import func, select

from bot.booking.slot_supply import generate_slots
from bot.bootstrap import Services, bootstrap
from bot.db.clinics import sync_clinics
from bot.db.models import Appointment
from bot.settings import Settings
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from tests.helpers import quiet_monday
from webhooks import create_app

PATIENT = "+15145550146"


def wired_copy(sqlite_template: Path, folder: Path) -> Services:
    """Services on a database of their own, holding the demo clinic and a week of slots."""
    folder.mkdir()
    shutil.copyfile(sqlite_template, folder / "rdvbot.db")
    services = bootstrap(
        Settings(database_url=f"sqlite:///{folder / 'rdvbot.db'}", twilio_auth_token=TOKEN, public_base_url=BASE_URL)
    )
    sync_clinics(services.database, services.clinics)
    generate_slots(
        services.database, services.clinics.clinics[0], 5, first_day=quiet_monday(services.clinics.clinics[0])
    )
    return services


def appointments_in(services: Services) -> int:
    with services.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Appointment)) or 0


def test_two_assistants_in_one_process_do_not_see_each_others_data(sqlite_template: Path, tmp_path: Path) -> None:
    first, second = wired_copy(sqlite_template, tmp_path / "a"), wired_copy(sqlite_template, tmp_path / "b")
    clinic = first.clinics.clinics[0]
    monday_9am = datetime.combine(quiet_monday(clinic), time(9), clinic.zone)
    # Both built before either answers: a service looked up from the process would be the last one wired.
    apps = [create_app({"TESTING": True, "SERVICES": s, "CLOCK": lambda: monday_9am}) for s in (first, second)]
    texting_first, texting_second = (
        SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, PATIENT) for app in apps
    )

    texting_first.send("rdv mardi matin")
    texting_first.send("1")
    assert texting_first.send("oui")[0].startswith("C'est réservé")

    assert appointments_in(first) == 1 and appointments_in(second) == 0
    assert texting_first.send("c'est quand mon rdv?")[0].startswith("Votre rendez-vous: mardi")
    assert "aucun rendez-vous" in texting_second.send("c'est quand mon rdv?")[0]
