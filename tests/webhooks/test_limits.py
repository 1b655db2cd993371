"""Rate limits (issue 12, point 5): per sender and per clinic number, on Redis or in process; safety answers and
STOP/START are never limited; a webhook answer is never a 429 or a 5xx."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import redis
from sqlalchemy import select

from bot.bootstrap import Services
from bot.clinics.config import ClinicsFile, UsageLimits
from bot.core.booking import BookingRequest, SlotSearch
from bot.core.vocabulary import Channel
from bot.db.models import Patient
from bot.state.keys import NumberKeys
from bot.state.limits import RateLimits, storage_for
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from webhooks import create_app

PATIENT, OTHER = "+15145550161", "+15145550162"


def with_limits(services: Services, limits: UsageLimits, turn_limits: RateLimits | None = None) -> Services:
    """The services with the demo clinic's limits replaced (and the counters, if given)."""
    clinic = services.clinics.clinics[0].model_copy(update={"limits": limits})
    changed = dataclasses.replace(services, clinics=ClinicsFile(clinics=[clinic]))
    return dataclasses.replace(changed, limits=turn_limits) if turn_limits else changed


def texter(services: Services, now: datetime) -> Callable[[str], SignedSmsClient]:
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: now})
    return lambda patient: SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, patient)


def test_twenty_texts_get_full_answers_then_one_notice_then_silence(
    texting: Callable[[str], SignedSmsClient],
) -> None:
    patient = texting(PATIENT)
    answers = [patient.send(f"c'est quand mon rdv? {n}") for n in range(20)]
    assert all(answer and "Vous avez envoyé beaucoup" not in answer[0] for answer in answers)
    notice = patient.send("allo?")
    assert len(notice) == 1 and "Vous avez envoyé beaucoup de messages" in notice[0] and "514-555-0199" in notice[0]
    assert patient.send("allo??") == [] and patient.send("rdv demain") == []
    assert texting(OTHER).send("c'est quand mon rdv?"), "another sender is not limited"


def test_safety_and_stop_start_are_never_limited(texting: Callable[[str], SignedSmsClient], services: Services) -> None:
    patient = texting(PATIENT)
    for n in range(22):
        patient.send(f"bonjour {n}")
    assert patient.send("rdv demain") == []
    assert "911" in " ".join(patient.send("douleur à la poitrine"))
    assert "9-8-8" in " ".join(patient.send("je veux mourir"))
    assert patient.send("STOP")
    with services.database.transaction() as session:
        assert session.scalar(select(Patient.opted_out_at).where(Patient.phone == PATIENT)) is not None
    assert patient.send("START")


def test_a_flooded_clinic_number_answers_with_its_phone_811_and_911(services: Services, monday_9am: datetime) -> None:
    texting = texter(with_limits(services, UsageLimits(per_clinic_number="3/minute")), monday_9am)
    for n in range(3):
        assert "Vous avez envoyé" not in " ".join(texting(f"+1514555017{n}").send("c'est quand mon rdv?"))
    shed = " ".join(texting("+15145550179").send("rdv demain matin"))
    assert "514-555-0199" in shed and "811" in shed and "911" in shed
    assert "911" in " ".join(texting("+15145550178").send("douleur à la poitrine")), "safety is never shed"


@pytest.mark.redis
def test_on_redis_every_process_counts_together_under_hashed_keys_with_ttls(
    services: Services, monday_9am: datetime, client: redis.Redis, prefix: str
) -> None:
    limits = UsageLimits(per_sender="4/10 minutes")
    apps = [
        texter(with_limits(services, limits, RateLimits(storage_for(client, prefix), NumberKeys("k"))), monday_9am)
        for _ in range(2)
    ]
    for n in range(4):
        assert "Vous avez envoyé" not in " ".join(apps[n % 2](PATIENT).send(f"bonjour {n}"))
    assert "Vous avez envoyé beaucoup" in apps[0](PATIENT).send("encore")[0]
    assert apps[1](PATIENT).send("encore") == []
    keys = [key.decode() for key in client.scan_iter(match=f"{prefix}*")]
    assert keys and all(client.ttl(key) > 0 for key in keys)
    assert not any("5145550161" in key for key in keys)


def test_a_rate_limit_store_that_is_down_lets_messages_through(services: Services, monday_9am: datetime) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    limits = RateLimits(storage_for(dead), NumberKeys("k"))
    texting = texter(with_limits(services, UsageLimits(per_sender="1/10 minutes"), limits), monday_9am)
    patient = texting(PATIENT)
    assert all("Vous avez envoyé" not in " ".join(patient.send(f"bonjour {n}")) for n in range(3))


@pytest.mark.parametrize("rate", ["vingt par minute", "20", "20/fortnight", ""])
def test_a_clinics_file_with_a_bad_rate_is_refused(rate: str) -> None:
    with pytest.raises(ValueError, match="is not a rate"):
        UsageLimits(per_sender=rate)


def test_a_number_holding_three_upcoming_appointments_is_sent_to_the_clinic_for_a_fourth(
    texting: Callable[[str], SignedSmsClient], services: Services, monday_9am: datetime
) -> None:
    clinic = services.clinics.clinics[0]
    later = monday_9am.date() + timedelta(days=2)
    for slot in services.scheduler.search(SlotSearch(clinic.id, later, later, limit=3)):
        services.scheduler.book(BookingRequest(slot.slot_id, PATIENT, Channel.SMS))
    patient = texting(PATIENT)
    answer = " ".join(patient.send("rdv demain matin svp") + patient.send("1") + patient.send("oui"))
    assert "déjà plusieurs rendez-vous à venir" in answer and "514-555-0199" in answer
    assert len(services.scheduler.appointments_for(clinic.id, PATIENT, after=monday_9am)) == 3
    other = texting(OTHER)
    assert "C'est réservé" in " ".join(other.send("rdv demain matin svp") + other.send("1") + other.send("oui"))
