"""Running the outbox drain: as an RQ job that schedules its own next run (`rdvbot worker`, with Redis), or as a
thread of the web process (`rdvbot serve` on one laptop, without Redis).

An RQ job is only data in Redis (a function's name and its arguments); what the drain works with (the replayer,
its connections) is handed to the job by the worker that performs it, so that no job looks up a service.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from redis import Redis
from rq import Queue, SimpleWorker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.job import Job

from bot.outbox.reminders import ReminderSender
from bot.outbox.replay import Replayer

log = logging.getLogger(__name__)

#: How often the outbox is looked at: a kept request waits at most about this long once its back-end is back.
DRAIN_INTERVAL_S = 10.0
QUEUE_NAME = "rdvbot"
#: One id for the periodic drain job, so that however many workers start, one drain is scheduled at a time.
DRAIN_JOB_ID = "rdvbot-drain-outbox"
#: RQ's own logging in `rdvbot worker`: what went wrong, not every job that went right.
QUIET_LOGGING_LEVEL = "WARNING"


#: Once a day, old conversation data is deleted; one id, so that one purge is scheduled however many workers run.
PURGE_JOB_ID = "rdvbot-purge"
PURGE_INTERVAL = timedelta(days=1)


@dataclass(frozen=True)
class JobDependencies:
    """What rdvbot's jobs work with, handed to each job by the worker that performs it."""

    replayer: Replayer
    redis: Redis
    #: Sends the reminders that are due.
    reminders: ReminderSender
    #: Deletes conversation data past its retention; how many rows and files went, by place.
    purge: Callable[[], dict[str, int]]


class JobWithDependencies(Job):
    """An RQ job whose function is called with the performing worker's `JobDependencies` first."""

    dependencies: JobDependencies | None = None  # set by `DependenciesWorker` just before it performs the job

    def perform(self) -> Any:
        """Call the job's function with the worker's dependencies, then the job's own arguments."""
        if self.dependencies is None:
            raise RuntimeError(f"job {self.id} needs a worker that hands it dependencies (`rdvbot worker`)")
        return self.func(self.dependencies, *self.args, **self.kwargs)


class DependenciesWorker(SimpleWorker):
    """An RQ worker that performs jobs in its own process (built once: flows, clinics, connections), handing each
    the dependencies it was built with.

    RQ logs every job it performs at INFO: with a drain every 10 s, four lines of nothing new each time. This worker
    keeps RQ's warnings and errors only (a job that failed, Redis lost) unless told another level.
    """

    def __init__(self, queues: list[Queue], dependencies: JobDependencies) -> None:
        super().__init__(queues, connection=dependencies.redis, job_class=JobWithDependencies)
        self.dependencies = dependencies

    def bootstrap(
        self,
        logging_level: str | None = None,
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        """Start as RQ does, RQ's logging at WARNING unless `work(logging_level=…)` says otherwise (its scheduler
        follows the same level)."""
        super().bootstrap(logging_level or QUIET_LOGGING_LEVEL, date_format, log_format)

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Perform `job` with this worker's dependencies."""
        if isinstance(job, JobWithDependencies):
            job.dependencies = self.dependencies
        super().execute_job(job, queue)


def drain_outbox(dependencies: JobDependencies) -> int:
    """RQ job: drain the outbox and send the reminders that are due, then schedule the next run; how many requests
    and reminders were handled."""
    try:
        return dependencies.replayer.drain() + dependencies.reminders.send_due()
    finally:
        schedule_drain(dependencies.redis)


def schedule_drain(redis: Redis, delay_s: float = DRAIN_INTERVAL_S) -> None:
    """Schedule the drain job `delay_s` from now (again: the same job id replaces any earlier schedule)."""
    queue = Queue(QUEUE_NAME, connection=redis)
    queue.enqueue_in(timedelta(seconds=delay_s), drain_outbox, job_id=DRAIN_JOB_ID, result_ttl=60, failure_ttl=3600)


def purge_old_data(dependencies: JobDependencies) -> dict[str, int]:
    """RQ job: delete conversation data past its retention, then schedule tomorrow's purge."""
    try:
        purged = dependencies.purge()
        log.info("purged old conversation data: %s", purged)
        return purged
    finally:
        schedule_purge(dependencies.redis)


def schedule_purge(redis: Redis, delay: timedelta = PURGE_INTERVAL) -> None:
    """Schedule the purge job `delay` from now (the same job id replaces any earlier schedule)."""
    queue = Queue(QUEUE_NAME, connection=redis)
    queue.enqueue_in(delay, purge_old_data, job_id=PURGE_JOB_ID, result_ttl=86400, failure_ttl=86400)


class DrainLoop(threading.Thread):
    """Drains the outbox and sends due reminders every `interval_s` in this process until `stop()`: the jobs of a
    process without Redis."""

    def __init__(self, replayer: Replayer, reminders: ReminderSender, interval_s: float = DRAIN_INTERVAL_S) -> None:
        super().__init__(name="rdvbot-outbox-drain", daemon=True)
        self.replayer = replayer
        self.reminders = reminders
        self.interval_s = interval_s
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.replayer.drain(stop=self._stopping)
                self.reminders.send_due(stop=self._stopping)
            except Exception:  # a database that is down now may be back at the next round
                log.exception("outbox drain failed; trying again in %.0f s", self.interval_s)
            self._stopping.wait(self.interval_s)

    def stop(self) -> None:
        """Stop after the request in hand."""
        self._stopping.set()
