"""Shared fixtures: real SQLite and PostgreSQL databases, each test with its own, migrated by Alembic.

A service that is missing skips the tests that need it, loudly, on a laptop; under CI it fails them.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, time
from pathlib import Path

import psycopg
import pytest
import redis
from hypothesis import settings as hypothesis_settings

from bot.booking.slot_supply import generate_slots
from bot.booking.sql import SqlScheduler
from bot.bootstrap import Services, bootstrap
from bot.clinics.config import ClinicsFile, load_clinics
from bot.db.clinics import sync_clinics
from bot.db.migrate import upgrade
from bot.db.session import Database
from bot.settings import Settings, demo_clinics_file
from bot.state.redis_store import redis_client
from fakes.twilio_recorder import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, TwilioRecorder
from rdvbot.chat import SignedSmsClient
from tests.helpers import quiet_monday
from webhooks import create_app

IN_CI = bool(os.environ.get("CI"))
POSTGRES_ADMIN_URL = os.environ.get("RDVBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("RDVBOT_TEST_REDIS", "redis://127.0.0.1:6379/9")
DATA = Path(__file__).parent / "data"

hypothesis_settings.register_profile("ci", max_examples=200, deadline=None)
hypothesis_settings.register_profile("dev", max_examples=50, deadline=None)
hypothesis_settings.load_profile("ci" if IN_CI else "dev")


def service_missing(name: str, reason: str) -> None:
    """Skip with a loud reason on a laptop; fail under CI, where every service must be up."""
    message = f"{name} is not available ({reason})"
    if IN_CI:
        pytest.fail(f"{message}: CI must provide it", pytrace=False)
    pytest.skip(f"!!! SKIPPED: {message}")


def _postgres_admin() -> psycopg.Connection:
    try:
        return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        service_missing("PostgreSQL", str(error).strip().splitlines()[0])
        raise


def _url_for(database_name: str) -> str:
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{database_name}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis URL that answers, with its own database number for this run."""
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        service_missing("Redis", str(error))
    return REDIS_TEST_URL


@pytest.fixture(scope="session", autouse=True)
def product_keys_cleared() -> Iterator[None]:
    """What the product itself keeps in the test Redis under its own prefix (rate-limit counters, conversations of
    the processes end-to-end tests start) is cleared before and after the run: a day's counters must not carry over."""

    def clear() -> None:
        try:
            client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
            for key in client.scan_iter(match="rdvbot:*"):
                client.delete(key)
        except redis.RedisError:
            return  # no Redis here: the tests that need it skip (or fail under CI) on their own

    clear()
    yield
    clear()


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    """The production client configuration, on the test Redis."""
    client = redis_client(redis_url)
    yield client
    client.close()


@pytest.fixture
def recorder() -> Iterator[TwilioRecorder]:
    """A local server that answers as Twilio's REST API and records every message sent to it."""
    with TwilioRecorder() as running:
        yield running


@pytest.fixture
def twilio_services(services: Services, recorder: TwilioRecorder) -> Services:
    """The services with Twilio credentials whose REST API is the local recorder: texts can be sent and read back.
    The auth token is also the webhooks' signature key."""
    settings = dataclasses.replace(
        services.settings,
        twilio_account_sid=FAKE_ACCOUNT_SID,
        twilio_auth_token=FAKE_AUTH_TOKEN,
        twilio_api_url=recorder.base_url,
    )
    return dataclasses.replace(services, settings=settings)


@pytest.fixture
def prefix(client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"rdvbot-test-{uuid.uuid4().hex}:"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="session")
def demo_clinics() -> ClinicsFile:
    """The demo clinics file shipped with the package."""
    return load_clinics(demo_clinics_file())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()  # closing the last connection checkpoints the WAL into the file we copy
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database used as the template of each test's own database."""
    admin = _postgres_admin()
    name = f"rdvbot_tpl_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    database = Database(_url_for(name))
    try:
        upgrade(database)
        database.dispose()
        yield name
    finally:
        database.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test, dropped afterwards."""
    admin = _postgres_admin()
    name = f"rdvbot_t_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    try:
        yield _url_for(name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite file for one test."""
    path = tmp_path / "rdvbot.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each integration test runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def database(database_url: str, demo_clinics: ClinicsFile) -> Iterator[Database]:
    """A migrated database holding the demo clinic."""
    database = Database(database_url)
    sync_clinics(database, demo_clinics)
    yield database
    database.dispose()


@pytest.fixture
def scheduler(database: Database, demo_clinics: ClinicsFile) -> SqlScheduler:
    """The built-in scheduler over the test database."""
    return SqlScheduler(database, demo_clinics)


# ----- the SMS webhook with a fixed clock (conversation and webhook tests) -----

TOKEN = "test-auth-token"
BASE_URL = "https://rdv.example.org"
CLINIC_NUMBER = "+15145550100"


@pytest.fixture
def services(sqlite_url: str) -> Services:
    """Wired services on a fresh SQLite database holding the demo clinic."""
    wired = bootstrap(Settings(database_url=sqlite_url, twilio_auth_token=TOKEN, public_base_url=BASE_URL))
    sync_clinics(wired.database, wired.clinics)
    return wired


@pytest.fixture
def monday_9am(services: Services) -> datetime:
    """'Now' for the conversation: 9:00 on a Monday of an open week whose five days have slots."""
    clinic = services.clinics.clinics[0]
    monday = quiet_monday(clinic)
    generate_slots(services.database, clinic, 5, first_day=monday)
    return datetime.combine(monday, time(9), clinic.zone)


@pytest.fixture
def texting(services: Services, monday_9am: datetime) -> Callable[[str], SignedSmsClient]:
    """`texting(patient_number)` gives a client that texts the demo clinic as that patient."""
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: monday_9am})

    def client_for(patient: str) -> SignedSmsClient:
        return SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, patient)

    return client_for
