"""What the processes that run for days log: a drain every 10 s that has nothing to do says nothing, and a request
that cannot go on is reported once, not at every retry."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import redis
from rq import Queue

from bot.booking.port import BookingBackend
from bot.bootstrap import Services, bootstrap, build_assistant, build_reminder_sender, build_replayer
from bot.core.booking import BookingUnavailable, OfferedSlot, SlotSearch
from bot.outbox import store
from bot.outbox.pace import LocalTokenBucket, Pace
from bot.outbox.replay import SEND_RETRY, Replayer
from bot.outbox.worker import DRAIN_JOB_ID, QUEUE_NAME, DependenciesWorker, JobDependencies, drain_outbox
from bot.settings import Settings
from webhooks import create_app

PATIENT = "+15145550161"


@dataclass
class Clock:
    """The replayer's 'now', moved on by the test."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monday_9am: datetime) -> Clock:
    return Clock(monday_9am + timedelta(hours=1))  # within the demo clinic's texting hours, with room to move on


@pytest.fixture
def replayer(services: Services, clock: Clock) -> Replayer:
    """The outbox's replayer as `rdvbot serve` builds it without Twilio credentials: texts cannot go out. Its
    pace follows the test's clock, so that a pass never sleeps."""
    replayer = build_replayer(services, build_assistant(services, clock))
    assert replayer.sender is None

    def pace_at(rate_per_s: float) -> Pace:
        return LocalTokenBucket(rate_per_s, clock=lambda: clock.now.timestamp())

    replayer.pace_at = pace_at
    return replayer


def keep_a_booking(services: Services, clock: Clock) -> int:
    request = {"when": {"first_day": (clock.now + timedelta(days=1)).date().isoformat()}, "practitioner": None}
    return store.keep(services.database, "demo-plateau", PATIENT, "fr", "book", request | {"slot": None})


def passes(replayer: Replayer, clock: Clock, count: int, every: timedelta = SEND_RETRY) -> list[int]:
    """Drain `count` times, `every` apart (past the retry delay, so that each pass takes the request again)."""
    handled = []
    for _ in range(count):
        handled.append(replayer.drain())
        clock.now += every + timedelta(seconds=1)
    return handled


def ours(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What rdvbot and RQ logged."""
    return [record.getMessage() for record in caplog.records if record.name.startswith(("bot", "rq"))]


def test_an_idle_drain_logs_nothing(replayer: Replayer, clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    assert passes(replayer, clock, 3, every=timedelta(seconds=10)) == [0, 0, 0]
    assert ours(caplog) == []


def test_a_request_that_cannot_be_texted_is_warned_about_once(
    services: Services, replayer: Replayer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    kept = keep_a_booking(services, clock)
    caplog.set_level(logging.INFO, logger="bot")
    assert passes(replayer, clock, 4) == [1, 1, 1, 1], "each pass takes the request again and puts it off"
    assert ours(caplog) == [f"outbox: request {kept} handled, but no Twilio credentials to text the patient"]
    [waiting] = store.waiting(services.database)
    assert waiting.status == "notifying"


@dataclass
class Down:
    """The clinic's back-end, not answering while `down`."""

    chain: BookingBackend
    down: bool = True
    name: str = "down"

    def search(self, query: SlotSearch) -> list[OfferedSlot]:
        if self.down:
            raise BookingUnavailable("not answering")
        return self.chain.search(query)


def test_a_backend_still_down_is_reported_once_until_it_answers_again(
    services: Services, replayer: Replayer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    kept = keep_a_booking(services, clock)
    backend = Down(services.booking["demo-plateau"])
    replayer.booking = {"demo-plateau": backend}  # a request without a slot is only searched for
    caplog.set_level(logging.INFO, logger="bot")
    assert passes(replayer, clock, 3, every=timedelta(seconds=10)) == [0, 0, 0]
    assert ours(caplog) == ["outbox: demo-plateau unavailable (not answering); its requests wait until it answers"]
    caplog.clear()
    backend.down = False
    assert passes(replayer, clock, 2) == [1, 1]
    assert ours(caplog) == [
        "outbox: demo-plateau answers again",
        f"outbox: request {kept} handled, but no Twilio credentials to text the patient",
    ]


@pytest.fixture
def queue(redis_url: str) -> Iterator[Queue]:
    """A queue of this test's own on the test Redis; RQ's keys of this test are deleted afterwards."""
    connection = redis.Redis.from_url(redis_url)
    yield Queue(f"rdvbot-test-{uuid.uuid4().hex}", connection=connection)
    for key in connection.scan_iter("rq:*"):  # its jobs, registries, and the drain the job scheduled next
        connection.delete(key)


@pytest.mark.redis
def test_the_rq_worker_says_nothing_about_a_drain_that_had_nothing_to_do(
    services: Services, replayer: Replayer, queue: Queue, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.INFO, logger="rq.worker")  # RQ's own default, restored afterwards
    queue.enqueue(drain_outbox, job_id=DRAIN_JOB_ID)
    reminders = build_reminder_sender(services, build_assistant(services))
    worker = DependenciesWorker([queue], JobDependencies(replayer, queue.connection, reminders, purge=dict))
    assert worker.work(burst=True)
    next_drain = Queue(QUEUE_NAME, connection=queue.connection).scheduled_job_registry
    assert next_drain.get_job_ids() == [DRAIN_JOB_ID], "the drain ran, and scheduled the next one"
    assert ours(caplog) == []


def test_the_app_warns_about_a_missing_token_unless_told_it_was_said(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    services = bootstrap(Settings(database_url=sqlite_url))
    create_app({"SERVICES": services})  # as `gunicorn 'webhooks:create_app()'` builds it in each worker
    assert [record.getMessage() for record in caplog.records] == [
        "TWILIO_AUTH_TOKEN is not set: Twilio signatures are NOT checked"
    ]
    caplog.clear()
    create_app({"SERVICES": services, "WARN_WITHOUT_TOKEN": False})  # as `rdvbot serve` builds it
    assert caplog.records == []
