"""A turn that cannot finish in time (its database holds it) is answered with the clinic's fallback guidance
within the budget, and does nothing afterwards: no booking the patient was never told about."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime
from datetime import time as clock_time

import pytest
from sqlalchemy import func, make_url, select

from bot.assistant import TURN_BUDGET_S, Assistant, Inbound
from bot.bootstrap import Services, bootstrap
from bot.db.clinics import sync_clinics
from bot.db.models import Appointment
from bot.settings import Settings
from bot.state.store import HeldConversation, StateStore
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from tests.faults import FaultProxy
from tests.helpers import FakeClock
from webhooks import create_app

PATIENT = "+15145550137"
GUIDANCE = ("Notre système de rendez-vous ne répond pas", "514-555-0199", "Santé: 811", "Urgence: 911")


def client_at(services: Services, now: datetime) -> SignedSmsClient:
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: now})
    return SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, PATIENT)


@contextmanager
def database_held(services: Services) -> Iterator[None]:
    """Another process holds SQLite's write lock (as a long migration or a stuck writer would)."""
    path = services.database.engine.url.database
    assert path
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


class WatchedStore:
    """A state store that tells the test when a turn takes up its conversation (`opened`) and when it lets go of it
    (`closed`): the turn's last step, so whatever it was going to do is done by then."""

    def __init__(self, store: StateStore) -> None:
        self._store = store
        self.opened = threading.Event()
        self.closed = threading.Event()

    @contextmanager
    def open(self, clinic: str, patient: str, timeout_s: float = 5.0) -> Iterator[HeldConversation]:
        """The wrapped store's `open`, signalled."""
        self.opened.set()
        try:
            with self._store.open(clinic, patient, timeout_s) as held:
                yield held
        finally:
            self.closed.set()

    def delete(self, clinic: str, patient: str) -> None:
        """The wrapped store's `delete`."""
        self._store.delete(clinic, patient)

    def watch(self) -> None:
        """Forget the turns so far: the events are set again by the next turn."""
        self.opened.clear()
        self.closed.clear()


def appointments(services: Services) -> int:
    with services.database.reading() as session:
        return session.scalar(select(func.count()).select_from(Appointment)) or 0


def test_a_held_database_gets_the_guidance_in_time_and_the_late_turn_books_nothing(
    services: Services, monday_9am: datetime
) -> None:
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: monday_9am})
    wired: Assistant = app.extensions["rdvbot.assistant"]
    store, deadline_clock = WatchedStore(wired.store), FakeClock()
    app.extensions["rdvbot.assistant"] = Assistant(
        services.clinics, services.database, wired.engine, store, wired.clock, monotonic=deadline_clock
    )
    client = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, PATIENT)
    client.send("rdv demain matin")
    assert "Confirmer" in client.send("2")[0]
    before = appointments(services)
    store.watch()
    with database_held(services):
        started = time.monotonic()
        reply = client.send("oui")[0]  # the webhook waits its budget by the real clock, then answers
        assert time.monotonic() - started < TURN_BUDGET_S + 0.5
        assert store.opened.is_set() and not store.closed.is_set(), "the late turn is still waiting for the database"
        deadline_clock.advance(TURN_BUDGET_S)  # and by its own clock, its deadline has passed too
    assert all(part in reply for part in GUIDANCE), reply
    assert "ouverte jusqu'à 17 h" in reply
    assert store.closed.wait(5), "the late turn got the database, saw its deadline passed, and gave up"
    assert appointments(services) == before, "the patient was told the system is down: nothing may be booked"
    # Nothing was lost either: the question is still pending, and answering it again books.
    assert client.send("oui")[0].startswith("C'est réservé")
    assert appointments(services) == before + 1


def fallback_at(services: Services, now: datetime, text: str) -> str:
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: now})
    assistant: Assistant = app.extensions["rdvbot.assistant"]
    clinic = services.clinics.clinics[0]
    turn = assistant.fallback(clinic, Inbound(CLINIC_NUMBER, PATIENT, text))
    return turn.replies[0].text


def test_guidance_at_night_says_when_the_clinic_opens(services: Services) -> None:
    zone = services.clinics.clinics[0].zone
    tuesday_night = datetime.combine(date(2026, 12, 1), clock_time(22, 30), zone)
    reply = fallback_at(services, tuesday_night, "rdv demain svp")
    assert all(part in reply for part in GUIDANCE), reply
    assert "est fermée; elle ouvre demain à 8 h" in reply


def test_guidance_on_a_holiday_in_english(services: Services) -> None:
    zone = services.clinics.clinics[0].zone
    christmas_morning = datetime.combine(date(2026, 12, 25), clock_time(10), zone)  # a Friday, statutory holiday
    reply = fallback_at(services, christmas_morning, "I need an appointment tomorrow")
    assert reply.startswith("Our booking system is not responding."), reply
    assert "The clinic (514-555-0199) is closed; it opens Monday, December 28 at 8:00 a.m." in reply
    assert "Health: 811. Emergency: 911." in reply


def test_guidance_while_open_on_a_weekday(services: Services) -> None:
    zone = services.clinics.clinics[0].zone
    thursday_noon = datetime.combine(date(2026, 12, 3), clock_time(12), zone)
    reply = fallback_at(services, thursday_noon, "annuler")
    assert "Appelez la clinique au 514-555-0199, ouverte jusqu'à 20 h." in reply


@pytest.fixture
def postgres_behind_proxy(postgres_url: str) -> Iterator[tuple[Services, FaultProxy]]:
    """The demo clinic on PostgreSQL, reached through a proxy the test can make hang."""
    url = make_url(postgres_url)
    with FaultProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        wired = bootstrap(Settings(database_url=proxied, twilio_auth_token=TOKEN, public_base_url=BASE_URL))
        sync_clinics(wired.database, wired.clinics)
        yield wired, proxy
        proxy.set_mode("pass")
        wired.database.dispose()


@pytest.mark.postgres
def test_postgresql_that_stops_answering_gets_the_guidance_in_time(
    postgres_behind_proxy: tuple[Services, FaultProxy],
) -> None:
    services, proxy = postgres_behind_proxy
    zone = services.clinics.clinics[0].zone
    client = client_at(services, datetime.combine(date(2026, 12, 3), clock_time(12), zone))
    assert client.send("bonjour")[0].startswith("Bonjour!")  # the pool holds a live connection now
    proxy.set_mode("hang")
    started = time.monotonic()
    reply = client.send("rdv demain matin")[0]
    assert time.monotonic() - started < 2.0, "SPEC §5: fallback TwiML within 2 s when PostgreSQL is down"
    assert all(part in reply for part in GUIDANCE), reply


def test_when_every_turn_worker_is_held_the_next_message_is_answered_at_once(
    services: Services, monday_9am: datetime
) -> None:
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: monday_9am})
    wired: Assistant = app.extensions["rdvbot.assistant"]
    store = WatchedStore(wired.store)
    app.extensions["rdvbot.assistant"] = Assistant(
        services.clinics, services.database, wired.engine, store, wired.clock, max_turns=1
    )
    first = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, PATIENT)
    second = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, "+15145550142")
    first.send("rdv demain matin")
    assert "Confirmer" in first.send("2")[0]
    store.watch()
    with database_held(services), ThreadPoolExecutor(max_workers=1) as other_webhook:
        held = other_webhook.submit(first.send, "oui")  # its turn waits for the write lock in the only worker
        assert store.opened.wait(5), "the held turn never started"
        shed = second.send("rdv demain matin")[0]
        # Shed at once (SPEC §6), not once the held webhook has given up on its turn after TURN_BUDGET_S.
        assert not held.done(), "the second message waited for the held turn"
        assert all(part in shed for part in GUIDANCE), shed
        assert all(part in held.result(timeout=5)[0] for part in GUIDANCE)
