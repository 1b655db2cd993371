"""Running the outbox drain: as an RQ job that schedules its own next run (`rdvbot worker`, with Redis), or as a
thread of the web process (`rdvbot serve` on one laptop, without Redis)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from redis import Redis
from rq import Queue

from bot.outbox.replay import Replayer

log = logging.getLogger(__name__)

#: How often the outbox is looked at: a kept request waits at most about this long once its back-end is back.
DRAIN_INTERVAL_S = 10.0
QUEUE_NAME = "rdvbot"
#: One id for the periodic drain job, so that however many workers start, one drain is scheduled at a time.
DRAIN_JOB_ID = "rdvbot-drain-outbox"

_replayer: Replayer | None = None


def use_replayer(replayer: Replayer) -> None:
    """Set the replayer the drain job of this process uses (built once: flows, clinics, connections)."""
    global _replayer
    _replayer = replayer


def drain_outbox() -> int:
    """RQ job: drain the outbox, then schedule the next drain; how many requests were handled."""
    if _replayer is None:
        raise RuntimeError("no replayer in this worker: `rdvbot worker` sets it up")
    try:
        return _replayer.drain()
    finally:
        redis = _replayer.services.redis
        if redis is not None:
            schedule_drain(redis)


def schedule_drain(redis: Redis, delay_s: float = DRAIN_INTERVAL_S) -> None:
    """Schedule the drain job `delay_s` from now (again: the same job id replaces any earlier schedule)."""
    queue = Queue(QUEUE_NAME, connection=redis)
    queue.enqueue_in(timedelta(seconds=delay_s), drain_outbox, job_id=DRAIN_JOB_ID, result_ttl=60, failure_ttl=3600)


class DrainLoop(threading.Thread):
    """Drains the outbox every `interval_s` in this process until `stop()`: the jobs of a process without Redis."""

    def __init__(self, replayer: Replayer, interval_s: float = DRAIN_INTERVAL_S) -> None:
        super().__init__(name="rdvbot-outbox-drain", daemon=True)
        self.replayer = replayer
        self.interval_s = interval_s
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.replayer.drain(stop=self._stopping)
            except Exception:  # a database that is down now may be back at the next round
                log.exception("outbox drain failed; trying again in %.0f s", self.interval_s)
            self._stopping.wait(self.interval_s)

    def stop(self) -> None:
        """Stop after the request in hand."""
        self._stopping.set()
