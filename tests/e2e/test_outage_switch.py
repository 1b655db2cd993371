"""The staff outage switch, thrown from another process with `rdvbot outage`, reaches a running app at once."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime

from bot.booking.outage import SWITCH_CACHE_S, OutageSwitches
from bot.bootstrap import Services
from bot.outbox.store import waiting
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from tests.helpers import FakeClock
from webhooks import create_app

PATIENT = "+15145550138"
MESSAGE_FR = "Notre système de rendez-vous est en panne depuis ce matin."
MESSAGE_EN = "Our booking system has been down since this morning."


def outage(services: Services, *args: str) -> subprocess.CompletedProcess[str]:
    """`rdvbot outage …` in its own process, on the app's database."""
    env = {"DATABASE_URL": services.settings.database_url, "PATH": ""}
    command = [sys.executable, "-m", "rdvbot", "outage", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_switched_off_booking_answers_with_the_clinics_message_then_comes_back(
    services: Services, monday_9am: datetime
) -> None:
    # The app runs in this process (only `rdvbot outage` runs in its own), so its switches can share a fake clock.
    clock = FakeClock()
    services = replace(services, outages=OutageSwitches(services.database, monotonic=clock))
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: monday_9am})
    client = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, PATIENT)
    assert "1) mardi" in client.send("rdv demain matin")[0]
    assert "Confirmer" in client.send("2")[0]

    switched = outage(
        services, "on", "--clinic", "demo-plateau", "--message-fr", MESSAGE_FR, "--message-en", MESSAGE_EN
    )
    assert switched.returncode == 0, switched.stderr
    clock.advance(SWITCH_CACHE_S)  # what this process read of the switch a moment ago is trusted that long
    reply = client.send("oui")[0]  # even mid-conversation: nothing is booked, the request is dropped
    assert services.scheduler.appointments_for("demo-plateau", PATIENT, after=monday_9am) == []
    assert reply == (
        f"{MESSAGE_FR} Appelez la clinique au 514-555-0199, ouverte jusqu'à 17 h. Santé: 811. Urgence: 911.\n"
        "Voulez-vous qu'on garde votre demande et qu'on vous texte une fois traitée? OUI ou NON"
    )
    assert client.send("non")[0] == "D'accord, rien n'est gardé. Appelez la clinique au 514-555-0199."
    assert waiting(services.database) == []
    newcomer = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, "+15145550139")
    english = newcomer.send("I need an appointment tomorrow morning")[0]
    assert english.startswith(MESSAGE_EN + " Call the clinic at 514-555-0199, open until 5:00 p.m.")
    assert english.endswith("Should we keep your request and text you once it is handled? YES or NO")
    assert newcomer.send("yes")[0] == "Noted: we will text you as soon as your request is handled."
    [kept] = waiting(services.database)
    assert (kept.patient_phone, kept.kind, kept.language) == ("+15145550139", "book", "en")
    assert kept.request["when"]["part_of_day"] == "morning" and kept.request["slot"] is None
    assert "Urgence: 911" in client.send("aide")[0], "help and safety answers do not depend on booking"

    back = outage(services, "off", "--clinic", "demo-plateau")
    assert back.returncode == 0 and "ON" in back.stdout, back.stderr
    clock.advance(SWITCH_CACHE_S)
    assert "1) " in client.send("rdv demain matin")[0]


def test_an_outage_message_too_long_for_two_texts_is_refused(services: Services) -> None:
    refused = outage(services, "on", "--clinic", "demo-plateau", "--message-fr", "x" * 101, "--message-en", "ok")
    assert refused.returncode == 2
    assert "1 to 100 characters" in refused.stderr


def test_an_unknown_clinic_is_refused(services: Services) -> None:
    refused = outage(services, "on", "--clinic", "nowhere", "--message-fr", "x", "--message-en", "y")
    assert refused.returncode == 2
    assert 'no clinic "nowhere"' in refused.stderr
