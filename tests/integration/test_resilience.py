"""The resilience wrapper over real sockets: a breaker per back-end shared by processes through Redis, bounded
read retries, the probe that closes the breaker, and the failover chain whose secondary only ever serves reads."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pybreaker
import pytest
import redis

from bot.booking.fhir import FhirScheduler
from bot.booking.resilience import STATE_CACHE_S, BackendChain, GuardedBackend, SharedBreakerStorage
from bot.booking.sql import SqlScheduler
from bot.bootstrap import booking_chains
from bot.clinics.config import ClinicsFile
from bot.core.booking import BookingRequest, BookingUnavailable, SlotSearch
from bot.core.deadline import turn_deadline
from bot.core.vocabulary import Channel
from bot.db.clinics import sync_clinics
from bot.db.session import Database
from bot.state.redis_store import redis_client
from fakes.fhir_server import FhirTestServer, RecordedRequest, make_schedule, make_slot
from tests.helpers import FakeClock, fhir_clinic

pytestmark = [pytest.mark.redis, pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")]

PATIENT = "+15145550123"
DAY = date.today() + timedelta(days=7)
START = datetime(DAY.year, DAY.month, DAY.day, 14, tzinfo=UTC)
QUERY = SlotSearch("night", DAY, DAY, limit=5)


def stocked(server: FhirTestServer, prefix: str) -> FhirTestServer:
    """Schedules for owl and lark, each with two free slots on DAY (ids start with `prefix`)."""
    for practitioner in ("owl", "lark"):
        server.add(make_schedule(f"{practitioner}-sched", f"Practitioner/{practitioner}"))
        for n, minutes in enumerate((0, 20)):
            start = START + timedelta(minutes=minutes + (60 if practitioner == "lark" else 0))
            server.add(
                make_slot(f"{prefix}{practitioner}-{n}", f"{practitioner}-sched", start, start + timedelta(minutes=20))
            )
    return server


@pytest.fixture
def primary() -> Iterator[FhirTestServer]:
    with FhirTestServer() as server:
        yield stocked(server, "p-")


@pytest.fixture
def secondary() -> Iterator[FhirTestServer]:
    with FhirTestServer() as server:
        yield stocked(server, "s-")


SCHEDULES = {"owl": "owl-sched", "lark": "lark-sched"}


ChainFor = Callable[[ClinicsFile], BackendChain]


@pytest.fixture
def clock() -> FakeClock:
    """The clock that ages the breakers' copies of their shared state: it moves only when a test says so."""
    return FakeClock()


@pytest.fixture
def chain_for(redis_url: str, prefix: str, sqlite_url: str, clock: FakeClock) -> ChainFor:
    """Clinic "night"'s chain for a clinics file, its breakers in Redis under `prefix` (their copies aged by
    `clock`), its mirror in SQLite."""
    database = Database(sqlite_url)
    sync_clinics(database, fhir_clinic("http://127.0.0.1:9/r4", SCHEDULES))

    def chain(clinics: ClinicsFile) -> BackendChain:
        scheduler = SqlScheduler(database, clinics)
        return booking_chains(clinics, scheduler, redis_client(redis_url), prefix, monotonic=clock)["night"]

    return chain


def fhir_calls(server: FhirTestServer, path_part: str = "/Slot") -> int:
    return sum(1 for r in server.requests if path_part in r.path)


def unavailable_after(chain: BackendChain, times: int) -> None:
    for _ in range(times):
        with pytest.raises(BookingUnavailable):
            chain.search(QUERY)


def reset_time_passes(breaker: pybreaker.CircuitBreaker) -> None:
    """As if the breaker's reset time had passed since it opened. pybreaker times the reset by the wall clock
    against `opened_at`, which it reads from the storage (ours, shared through Redis): that moves back instead."""
    storage = breaker._state_storage  # pybreaker offers no public handle on the storage it was given
    opened_at = storage.opened_at
    assert opened_at is not None, "the breaker never opened"
    storage.opened_at = opened_at - timedelta(seconds=breaker.reset_timeout)


def test_the_breaker_opens_after_fail_max_faults_then_answers_at_once_without_calling(
    primary: FhirTestServer, chain_for: ChainFor
) -> None:
    chain = chain_for(fhir_clinic(primary.base_url, SCHEDULES))
    primary.set_fault("500")
    unavailable_after(chain, 3)  # fail_max = 3 (each read tried twice)
    calls = fhir_calls(primary)
    assert calls == 6
    assert chain.record.breaker.current_state == pybreaker.STATE_OPEN
    began = time.monotonic()
    unavailable_after(chain, 20)
    assert fhir_calls(primary) == calls, "an open breaker must not call the back-end"
    assert time.monotonic() - began < 0.5  # 20 answers: each without waiting on the back-end


def test_a_hanging_back_end_costs_the_turn_budget_until_the_breaker_opens(
    primary: FhirTestServer, chain_for: ChainFor
) -> None:
    chain = chain_for(fhir_clinic(primary.base_url, SCHEDULES))
    primary.set_fault("hang")
    for _ in range(3):
        began = time.monotonic()
        with turn_deadline(0.4), pytest.raises(BookingUnavailable):
            chain.search(QUERY)
        assert time.monotonic() - began < 0.9  # what was left of the turn, not the adapter's own 2 s
    began = time.monotonic()
    with turn_deadline(0.4), pytest.raises(BookingUnavailable):
        chain.search(QUERY)
    assert time.monotonic() - began < 0.1
    primary.clear_fault()


def test_the_state_is_shared_with_another_process_through_redis_with_a_ttl(
    primary: FhirTestServer, redis_url: str, prefix: str, chain_for: ChainFor, clock: FakeClock
) -> None:
    chain = chain_for(fhir_clinic(primary.base_url, SCHEDULES))
    assert [s.slot_id for s in chain.search(QUERY)][:1] == ["p-owl-0"]
    name = chain.record.name
    opener = (
        "import redis, pybreaker, sys\n"
        "from bot.booking.resilience import SharedBreakerStorage\n"
        "storage = SharedBreakerStorage(redis.Redis.from_url(sys.argv[1]), sys.argv[2], sys.argv[3])\n"
        "pybreaker.CircuitBreaker(fail_max=3, reset_timeout=30, state_storage=storage).open()\n"
    )
    subprocess.run([sys.executable, "-c", opener, redis_url, name, prefix], check=True, timeout=60)
    assert chain.search(QUERY), "this process trusts its copy of the state for STATE_CACHE_S"
    clock.advance(STATE_CACHE_S)
    calls = fhir_calls(primary)
    with pytest.raises(BookingUnavailable):
        chain.search(QUERY)
    assert fhir_calls(primary) == calls
    client = redis.Redis.from_url(redis_url)
    [key] = list(client.scan_iter(f"{prefix}breaker:*"))
    assert 0 < client.ttl(key) <= 24 * 3600


def test_the_probe_half_opens_and_closes_the_breaker_once_the_back_end_answers(
    primary: FhirTestServer, chain_for: ChainFor
) -> None:
    chain = chain_for(fhir_clinic(primary.base_url, SCHEDULES))  # reset_s: 30 s, never waited out here
    breaker = chain.record.breaker
    primary.set_fault("503")
    unavailable_after(chain, 3)
    reset_time_passes(breaker)
    primary.clear_requests()
    unavailable_after(chain, 1)  # still down: the probe fails and the breaker opens for another period
    assert [r.path.rsplit("/", 1)[-1] for r in primary.requests] == ["metadata"]  # the probe, not a search
    assert breaker.current_state == pybreaker.STATE_OPEN
    primary.clear_fault()
    unavailable_after(chain, 1)  # within the new period: no call at all
    assert [r.path.rsplit("/", 1)[-1] for r in primary.requests] == ["metadata"]
    reset_time_passes(breaker)
    assert [s.slot_id for s in chain.search(QUERY)][:1] == ["p-owl-0"]  # probe passed → closed → searched
    assert breaker.current_state == pybreaker.STATE_CLOSED
    assert [r.path.rsplit("/", 1)[-1].split("?")[0] for r in primary.requests][-2:] == ["metadata", "Slot"]


def test_reads_are_retried_once_and_writes_never(primary: FhirTestServer, chain_for: ChainFor) -> None:
    chain = chain_for(fhir_clinic(primary.base_url, SCHEDULES))
    primary.fail_next(1, "reset", when=lambda r: "/Slot?" in r.path or r.path.endswith("/Slot"))
    assert chain.search(QUERY)  # the retry answered
    assert chain.record.breaker.fail_counter == 0

    def is_booking(request: RecordedRequest) -> bool:
        return request.method == "POST" and "/Appointment" in request.path

    primary.fail_next(1, "503", when=is_booking)
    with pytest.raises(BookingUnavailable):
        chain.book(BookingRequest("p-owl-0", PATIENT, Channel.SMS))
    assert sum(1 for r in primary.requests if is_booking(r)) == 1


def test_a_steady_back_end_costs_no_redis_writes(primary: FhirTestServer, redis_url: str, chain_for: ChainFor) -> None:
    chain = chain_for(fhir_clinic(primary.base_url, SCHEDULES))
    client = redis.Redis.from_url(redis_url)

    def writes() -> int:
        stats = client.info("commandstats")
        return sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("hset", "hincrby", "expire"))

    before = writes()
    for _ in range(10):
        chain.search(QUERY)
    assert writes() == before


def test_one_hung_call_does_not_hold_the_other_turns_of_the_process(
    primary: FhirTestServer, chain_for: ChainFor
) -> None:
    chain = chain_for(fhir_clinic(primary.base_url, SCHEDULES))
    hanging = threading.Event()

    def owl_search(request: RecordedRequest) -> bool:
        """The fault's filter: owl's searches hang, and the test learns that one has reached the server."""
        if "owl-sched" in request.raw_query and "lark" not in request.raw_query:
            hanging.set()
            return True
        return False

    primary.set_fault("hang", when=owl_search)
    outcome: list[BaseException] = []

    def hung_turn() -> None:
        with turn_deadline(1.0):
            try:
                chain.search(SlotSearch("night", DAY, DAY, practitioner_id="owl"))
            except BookingUnavailable as unavailable:
                outcome.append(unavailable)

    hung = threading.Thread(target=hung_turn)
    hung.start()
    assert hanging.wait(5), "owl's search never reached the server"
    assert chain.search(SlotSearch("night", DAY, DAY, practitioner_id="lark"))
    assert hung.is_alive() and not outcome, "a breaker-wide lock would have made this wait for the hung call"
    hung.join(5)
    assert outcome, "the hung call ends at its turn's deadline"
    primary.clear_fault()


def test_reads_fall_over_to_the_secondary_as_to_be_confirmed_and_writes_never_go_there(
    primary: FhirTestServer, secondary: FhirTestServer, chain_for: ChainFor
) -> None:
    second = {"kind": "fhir", "base_url": secondary.base_url, "schedules": SCHEDULES}
    chain = chain_for(fhir_clinic(primary.base_url, SCHEDULES, second))
    assert not any(s.to_confirm for s in chain.search(QUERY))
    primary.set_fault("hang")
    with turn_deadline(1.0):
        offered = chain.search(QUERY)
    assert offered and all(s.to_confirm and s.slot_id.startswith("s-") for s in offered)
    with turn_deadline(1.0), pytest.raises(BookingUnavailable):
        chain.book(BookingRequest(offered[0].slot_id, PATIENT, Channel.SMS))
    assert not [r for r in secondary.requests if r.method != "GET"], "a secondary must never be written to"
    primary.clear_fault()


def test_the_built_in_scheduler_s_database_faults_open_its_breaker(
    demo_clinics: ClinicsFile, redis_url: str, prefix: str
) -> None:
    down = Database("postgresql://postgres@127.0.0.1:9/nothing?connect_timeout=1")  # nothing listens on port 9
    chain = booking_chains(demo_clinics, SqlScheduler(down, demo_clinics), redis.Redis.from_url(redis_url), prefix)
    backends = chain["demo-plateau"]
    query = SlotSearch("demo-plateau", DAY, DAY)
    for _ in range(3):
        with pytest.raises(BookingUnavailable):
            backends.search(query)
    assert backends.record.breaker.current_state == pybreaker.STATE_OPEN


def test_without_redis_each_process_keeps_its_own_breaker(primary: FhirTestServer, prefix: str) -> None:
    dead = redis_client("redis://127.0.0.1:9/0")  # nothing listens on port 9
    storage = SharedBreakerStorage(dead, "fhir:x", prefix)
    breaker = pybreaker.CircuitBreaker(fail_max=2, state_storage=storage)
    clinic = fhir_clinic(primary.base_url, SCHEDULES).clinics[0]
    guarded = GuardedBackend(FhirScheduler(clinic, clinic.backends[0]), breaker)
    primary.set_fault("reset")
    for _ in range(2):
        with pytest.raises(BookingUnavailable):
            guarded.call(lambda: guarded.backend.search(QUERY))
    assert breaker.current_state == pybreaker.STATE_OPEN
    primary.clear_fault()
