"""Our own dependencies failing mid-conversation (SPEC §5): a Redis server killed, a PostgreSQL cluster stopped.
Each time the webhook still answers in time, and once the service is back the conversations go on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from bot.booking.slot_supply import generate_slots
from bot.bootstrap import Services, bootstrap, prepare_database
from bot.db.models import Patient
from bot.settings import Settings
from bot.state.redis_store import RedisStore, redis_client
from fakes.twilio_recorder import FAKE_ACCOUNT_SID, TwilioRecorder
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from tests.helpers import quiet_monday
from tests.owned_services import OwnedPostgres, OwnedRedis
from webhooks import create_app

PATIENT = "+15145550141"


def client_for(services: Services, now: datetime) -> SignedSmsClient:
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: now})
    return SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, PATIENT)


def timed(client: SignedSmsClient, text: str) -> tuple[str, float]:
    started = time.monotonic()
    reply = client.send(text)[0]
    return reply, time.monotonic() - started


@pytest.fixture
def owned_redis() -> Iterator[OwnedRedis]:
    server = OwnedRedis()
    server.start()
    yield server
    server.kill()


@pytest.mark.redis
def test_redis_killed_mid_conversation_then_back(
    services: Services, monday_9am: datetime, owned_redis: OwnedRedis
) -> None:
    client_redis = redis_client(owned_redis.url)
    services = replace(services, redis=client_redis, store=RedisStore(client_redis))
    client = client_for(services, monday_9am)
    assert "1) mardi" in client.send("rdv demain matin")[0]

    owned_redis.kill()
    reply, seconds = timed(client, "2")
    assert seconds < 2.0, "SPEC §5: Redis down, the webhook still answers at once"
    assert "ne répond pas" not in reply, "a fresh start, not the outage guidance: the database is fine"

    owned_redis.start()  # empty: what it held is gone, the conversation starts afresh and is kept again
    assert "1) mardi" in client.send("rdv demain matin")[0]
    assert "Confirmer" in client.send("2")[0], "the state is kept in Redis again"
    assert redis.Redis.from_url(owned_redis.url).keys("rdvbot:conv:*")


@pytest.fixture
def owned_postgres() -> Iterator[OwnedPostgres]:
    cluster = OwnedPostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.mark.postgres
def test_postgresql_stopped_mid_conversation_then_back(owned_postgres: OwnedPostgres) -> None:
    settings = Settings(database_url=owned_postgres.url, twilio_auth_token=TOKEN, public_base_url=BASE_URL)
    services = bootstrap(settings)
    prepare_database(services)
    clinic = services.clinics.clinics[0]
    monday = quiet_monday(clinic)
    generate_slots(services.database, clinic, 5, first_day=monday)
    client = client_for(services, datetime.combine(monday, clock_time(9), clinic.zone))
    assert "1) mardi" in client.send("rdv demain matin")[0]

    owned_postgres.stop()
    reply, seconds = timed(client, "2")
    assert seconds < 2.0, "SPEC §5: PostgreSQL down, fallback TwiML within 2 s"
    assert "Notre système de rendez-vous ne répond pas" in reply and "514-555-0199" in reply, reply

    owned_postgres.start()
    assert "Confirmer" in client.send("2")[0], "the conversation goes on where it was"
    owned_postgres.stop()  # a restart between two turns: the pool still holds connections to the old server,
    owned_postgres.start()  # and they must not fail the patient's next turn
    assert client.send("oui")[0].startswith("C'est réservé")
    services.database.dispose()


def test_messages_a_stopped_postgresql_missed_are_spooled_and_replayed_once_it_is_back(
    owned_postgres: OwnedPostgres, tmp_path: Path
) -> None:
    with TwilioRecorder(account_sid=FAKE_ACCOUNT_SID, auth_token=TOKEN) as recorder:
        settings = Settings(
            database_url=owned_postgres.url,
            twilio_account_sid=FAKE_ACCOUNT_SID,
            twilio_auth_token=TOKEN,
            twilio_api_url=recorder.base_url,
            public_base_url=BASE_URL,
            spool_dir=tmp_path / "spool",
        )
        services = bootstrap(settings)
        prepare_database(services)
        clinic = services.clinics.clinics[0]
        monday = quiet_monday(clinic)
        generate_slots(services.database, clinic, 5, first_day=monday)
        ticks = iter(range(100_000))
        nine = datetime.combine(monday, clock_time(9), clinic.zone)
        app = create_app(
            {"TESTING": True, "SERVICES": services, "CLOCK": lambda: nine + timedelta(seconds=next(ticks))}
        )

        def patient(number: str) -> SignedSmsClient:
            return SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, number)

        going_on, newcomer, leaving = patient(PATIENT), patient("+15145550142"), patient("+15145550143")
        assert "1) mardi" in going_on.send("rdv demain matin")[0]

        owned_postgres.stop()
        for client, text in ((newcomer, "rdv demain matin"), (leaving, "STOP"), (going_on, "2")):
            reply, seconds = timed(client, text)
            assert seconds < 2.0 and "ne répond pas" in reply, reply
        assert len(list((tmp_path / "spool").glob("*.json"))) == 3

        owned_postgres.start()
        assert "Confirmer" in going_on.send("2")[0]  # the patient wrote again: their spooled "2" is moot
        texts = recorder.wait_for(2, timeout_s=30)
        for replay in [thread for thread in threading.enumerate() if thread.name == "rdvbot-spool-replay"]:
            replay.join(10)  # once the replay has gone through the spool, nothing more may come
    assert sorted(m.to for m in recorder.messages) == ["+15145550142", "+15145550143"]
    offer = next(m.body for m in texts if m.to == "+15145550142")
    assert "1) mardi" in offer, "the newcomer's request is answered as if it had just arrived"
    with services.database.reading() as session:
        opted_out = session.scalar(select(Patient.opted_out_at).where(Patient.phone == "+15145550143"))
    assert opted_out is not None, "a STOP sent while the database was down is obeyed"
    assert list((tmp_path / "spool").iterdir()) == []
    services.database.dispose()
