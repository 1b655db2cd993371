"""SMS rules that span turns or processes: timeouts, state shared through Redis, remembered language,
opt-out records, keyword lengths, very long input, and the nearest slots when tomorrow is closed."""

from __future__ import annotations

import time as time_module
import uuid
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
import redis
from sqlalchemy import select

from bot.booking.slot_supply import generate_slots
from bot.bootstrap import Services
from bot.db.models import Appointment, Patient
from bot.state.redis_store import RedisStore, redis_client
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from webhooks import create_app

PATIENT = "+15145550136"


class Clock:
    """A clock the test moves forward."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def sms_client(services: Services, clock: Clock, patient: str = PATIENT) -> SignedSmsClient:
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": clock})
    return SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, patient)


def test_after_30_minutes_of_silence_the_request_restarts_politely(services: Services, monday_9am: datetime) -> None:
    clock = Clock(monday_9am)
    client = sms_client(services, clock)
    assert "1) mardi" in client.send("rdv demain matin")[0]
    clock.now += timedelta(minutes=31)
    answer = client.send("2")[0]
    assert "Votre demande précédente a expiré" in answer
    assert "Confirmer" not in answer, "a stale pick must not be confirmed"


def test_within_30_minutes_the_conversation_goes_on(services: Services, monday_9am: datetime) -> None:
    clock = Clock(monday_9am)
    client = sms_client(services, clock)
    client.send("rdv demain matin")
    clock.now += timedelta(minutes=29)
    assert "Confirmer le mardi" in client.send("2")[0]


@pytest.fixture
def redis_services(services: Services, redis_url: str) -> Iterator[Services]:
    """The services with conversation state in Redis, under a key prefix of this test only."""
    prefix = f"rdvbot-test-{uuid.uuid4().hex}:"
    client = redis_client(redis_url)
    services.store = RedisStore(client, prefix=prefix)
    yield services
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)


def test_two_app_processes_share_the_conversation_through_redis(
    redis_services: Services, monday_9am: datetime, redis_url: str
) -> None:
    clock = Clock(monday_9am)
    first_worker, second_worker = sms_client(redis_services, clock), sms_client(redis_services, clock)
    assert "1) mardi" in first_worker.send("rdv demain matin")[0]
    assert "Confirmer le mardi" in second_worker.send("2")[0]
    assert "C'est réservé" in first_worker.send("oui")[0]
    keys = list(redis.Redis.from_url(redis_url).scan_iter(f"{redis_services.store._prefix}*"))  # type: ignore[attr-defined]
    assert keys and all(redis.Redis.from_url(redis_url).ttl(key) > 0 for key in keys), "every key has a TTL"


def test_the_chosen_language_is_remembered_for_the_next_conversation(services: Services, monday_9am: datetime) -> None:
    clock = Clock(monday_9am)
    client = sms_client(services, clock)
    assert "English" in client.send("EN")[0]
    services.store.delete(CLINIC_NUMBER, PATIENT)  # the conversation is gone; the choice must not be
    assert "Available tomorrow morning" in client.send("rdv demain matin")[0]


def test_stop_and_start_are_recorded_in_the_same_request(services: Services, monday_9am: datetime) -> None:
    client = sms_client(services, Clock(monday_9am))

    def opted_out_at() -> datetime | None:
        with services.database.transaction() as session:
            return session.scalar(select(Patient.opted_out_at).where(Patient.phone == PATIENT))

    client.send("Arrêt")
    assert opted_out_at() is not None
    client.send("start")
    assert opted_out_at() is None


def test_keyword_answers_fit_in_one_text(services: Services, monday_9am: datetime) -> None:
    client = sms_client(services, Clock(monday_9am))
    for keyword in ("AIDE", "HELP", "INFO", "STOP", "START"):
        answer = client.send(keyword)[0]
        assert len(answer) <= 160, (keyword, len(answer), answer)


def test_a_2000_character_message_gets_a_short_answer_and_changes_nothing(
    services: Services, monday_9am: datetime
) -> None:
    client = sms_client(services, Clock(monday_9am))
    answer = client.send("bla " * 500)[0]
    assert "RDV" in answer and len(answer) <= 320
    with services.database.transaction() as session:
        assert session.scalars(select(Appointment)).all() == []


def test_when_tomorrow_is_closed_the_nearest_mornings_are_offered_saying_so(
    services: Services, monday_9am: datetime
) -> None:
    clinic = services.clinics.clinics[0]
    generate_slots(services.database, clinic, 14, first_day=monday_9am.date())
    friday = datetime.combine(monday_9am.date() + timedelta(days=4), time(9), clinic.zone)
    answer = sms_client(services, Clock(friday)).send("rdv demain matin svp")[0]
    assert answer.startswith("La clinique est fermée le samedi "), answer
    assert "Les plus proches:" in answer
    assert "1) lundi" in answer and "3) lundi" in answer


def test_with_redis_down_the_webhook_still_answers(services: Services, monday_9am: datetime) -> None:
    services.store = RedisStore(redis_client("redis://127.0.0.1:1/0"))
    client = sms_client(services, Clock(monday_9am))
    started = time_module.monotonic()
    answer = client.send("rdv demain matin")[0]
    assert "1) mardi" in answer, "a fresh start, but an answer"
    assert time_module.monotonic() - started < 2.0
