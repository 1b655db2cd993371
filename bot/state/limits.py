"""Rate limits with the `limits` package: on Redis when there is one (every worker and host counts together),
in-process otherwise. A store that fails lets messages through: limits protect the service, never block a patient
because Redis is down."""

from __future__ import annotations

import logging
from enum import StrEnum
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import SlidingWindowCounterRateLimiter
from redis import Redis
from redis.exceptions import RedisError

from bot.clinics.config import ClinicConfig
from bot.state.keys import UNCONFIGURED_SECRET, NumberKeys

log = logging.getLogger(__name__)


#: Failed clinic API attempts one address may make before it is refused for a while.
API_FAILURES = parse("10/minute")


class Allowance(StrEnum):
    """What a sender's next message gets."""

    FULL = "full"
    #: Just past the limit: one short notice, once per window.
    NOTICE = "notice"
    #: Still past it after the notice: nothing at all (empty TwiML).
    SILENT = "silent"


@lru_cache(maxsize=64)
def rate(text: str) -> RateLimitItem:
    """A rate as the clinics file writes it ("20/10 minutes")."""
    return parse(text)


def storage_for(redis: Redis | None, prefix: str = "rdvbot:") -> Storage:
    """Counters shared through Redis (its connection pool), or kept in this process."""
    if redis is None:
        return MemoryStorage()
    return RedisStorage(
        "redis://", connection_pool=redis.connection_pool, key_prefix=f"{prefix}limits", wrap_exceptions=True
    )


class RateLimits:
    """Per-sender and per-clinic-number limits on the turns the assistant takes, and the daily cap on texts sent
    unprompted to numbers that never booked."""

    def __init__(self, storage: Storage, keys: NumberKeys) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._keys = keys
        self._store_down = False

    @classmethod
    def in_process(cls) -> RateLimits:
        """Limits counted in this process only (one process, no Redis)."""
        return cls(MemoryStorage(), NumberKeys(UNCONFIGURED_SECRET))

    def for_sender(self, clinic: ClinicConfig, patient: str) -> Allowance:
        """Whether this message from `patient` to `clinic` is within the clinic's per-sender limit."""
        limit = rate(clinic.limits.per_sender)
        who = self._keys.of(patient)
        if self._hit(limit, "sender", clinic.id, who):
            return Allowance.FULL
        # One notice per window: the same window's length, a single hit.
        notice = rate(f"1/{limit.multiples} {limit.GRANULARITY.name}")
        return Allowance.NOTICE if self._hit(notice, "notice", clinic.id, who) else Allowance.SILENT

    def for_clinic_number(self, clinic: ClinicConfig) -> bool:
        """Whether the clinic's number still takes full turns (a flood from many senders gets the guidance)."""
        return self._hit(rate(clinic.limits.per_clinic_number), "clinic", clinic.id)

    def for_text_to_unbooked(self, clinic: ClinicConfig, number: str) -> bool:
        """Whether the clinic may text `number`, which never booked here, once more today."""
        per_day = clinic.limits.texts_to_unbooked_per_day
        return per_day > 0 and self._hit(rate(f"{per_day}/day"), "unbooked", clinic.id, self._keys.of(number))

    def api_attempt_allowed(self, address: str) -> bool:
        """Whether `address` may try the clinic API now: not after `API_FAILURES` failed attempts recently."""
        try:
            return self._limiter.test(API_FAILURES, "api-failures", address)
        except (StorageError, RedisError):
            return True

    def api_attempt_failed(self, address: str) -> None:
        """Count a failed attempt of `address` (a missing or unknown token)."""
        self._hit(API_FAILURES, "api-failures", address)

    def _hit(self, limit: RateLimitItem, *identifiers: str) -> bool:
        try:
            allowed = self._limiter.hit(limit, *identifiers)
        except (StorageError, RedisError):
            if not self._store_down:  # said once, not for every message while it lasts
                log.warning("rate-limit store unavailable: messages are let through until it answers")
            self._store_down = True
            return True
        self._store_down = False
        return allowed
