"""The resilience wrapper around every booking adapter, and the failover chain of a clinic's back-ends.

A back-end that hangs or fails must cost a patient at most what is left of the turn, once: after a few failures its
circuit breaker opens, for every process at once (its state lives in Redis), and patients get the fallback
guidance at once instead of waiting on it. A cheap probe of the back-end, not a patient's booking, is the trial
that closes the breaker again. Reads are retried once with jitter; writes never are (a lost answer to a booking
may hide a booking that was made).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Protocol, TypeVar, cast

import pybreaker
import redis
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from bot.booking.mirror import AppointmentMirror
from bot.booking.port import BookingBackend
from bot.clinics.config import BackendConfig
from bot.core.booking import (
    BackendFailure,
    BookedAppointment,
    BookingRequest,
    BookingUnavailable,
    OfferedSlot,
    SlotSearch,
)
from bot.core.clock import Monotonic
from bot.core.deadline import remaining_s, share_of_turn
from bot.core.vocabulary import Channel

Result = TypeVar("Result")
log = logging.getLogger(__name__)

#: How long a process trusts what it last read of a breaker's shared state: a breaker opened by another
#: process is seen within this, and a steady turn costs no Redis round trip for it.
STATE_CACHE_S = 0.5
#: Every breaker key expires after this long without a change (SPEC §5: every Redis key has a TTL).
KEY_TTL_S = 24 * 3600
#: Attempts of a read (the first included), and the most a retry waits (with full jitter).
READ_ATTEMPTS, RETRY_WAIT_MAX_S = 2, 0.2
#: A retry is not worth starting with less than this left in the turn.
RETRY_MIN_LEFT_S = 0.1
#: The share of what is left of the turn that a back-end with others behind it may use for a read.
FAILOVER_SHARE = 0.5
#: The share of what is left of the turn any back-end call may use: the rest is for the patient's answer (the
#: guidance and the offer to keep the request) to be composed within the webhook's budget.
BACKEND_SHARE = 0.8


class Probed(BookingBackend, Protocol):
    """A back-end that can be asked, cheaply, whether it answers."""

    def probe(self) -> None:
        """Return when the back-end answers; raise `BackendFailure` otherwise."""
        ...


class SharedBreakerStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker's state for one back-end in one Redis hash with a TTL, shared by every process.

    pybreaker's own `CircuitRedisStorage` keeps keys without a TTL and costs two or three round trips per call;
    here reads come from a copy refreshed every STATE_CACHE_S, and a success writes only when it changes
    something. When Redis fails, the breaker goes on with this process's own copy.
    """

    def __init__(
        self, client: redis.Redis | None, name: str, prefix: str = "rdvbot:", *, monotonic: Monotonic = time.monotonic
    ) -> None:
        """`monotonic`: the clock that ages this process's copy (tests pass one that they move)."""
        super().__init__("shared")
        self._redis = client
        self._monotonic = monotonic
        self._key = f"{prefix}breaker:{name}"
        self._lock = threading.Lock()
        self._fields: dict[str, str] = {}
        self._read_at = float("-inf")

    def _get(self, field: str) -> str | None:
        with self._lock:
            fresh = self._monotonic() - self._read_at < STATE_CACHE_S
        if not fresh and self._redis is not None:
            try:
                raw = self._redis.hgetall(self._key)
            except redis.RedisError:
                log.warning("breaker %s: Redis unavailable, this process keeps its own state", self._key)
                raw = None
            with self._lock:
                if raw is not None:
                    self._fields = {k.decode(): v.decode() for k, v in raw.items()}  # type: ignore[union-attr]
                # Even after a failure: a down Redis is asked again only once per period, not on every call.
                self._read_at = self._monotonic()
        with self._lock:
            return self._fields.get(field)

    def _set(self, field: str, value: str, *, increment: bool = False) -> None:
        with self._lock:
            if increment:
                value = str(int(self._fields.get(field, "0")) + int(value))
            self._fields[field] = value
        if self._redis is None:
            return
        try:
            pipe = self._redis.pipeline(transaction=False)
            if increment:
                pipe.hincrby(self._key, field, 1)
            else:
                pipe.hset(self._key, field, value)
            pipe.expire(self._key, KEY_TTL_S)
            shared = pipe.execute()[0]
        except redis.RedisError:
            log.warning("breaker %s: Redis unavailable, this process keeps its own state", self._key)
            return
        if increment:
            with self._lock:
                self._fields[field] = str(shared)  # other processes' failures count too

    @property
    def state(self) -> str:
        """closed, open or half-open; closed when nothing was ever recorded."""
        return self._get("state") or pybreaker.STATE_CLOSED

    @state.setter
    def state(self, state: str) -> None:
        self._set("state", state)

    def increment_counter(self) -> None:
        """One more consecutive failure, counted across processes."""
        self._set("failures", "1", increment=True)

    def reset_counter(self) -> None:
        """No consecutive failure; written only when there were some (this runs after every success)."""
        if self.counter:
            self._set("failures", "0")

    def increment_success_counter(self) -> None:
        """One more success of a trial."""
        self._set("successes", "1", increment=True)

    def reset_success_counter(self) -> None:
        """No success of a trial yet."""
        if self.success_counter:
            self._set("successes", "0")

    @property
    def counter(self) -> int:
        """Consecutive failures."""
        return int(self._get("failures") or 0)

    @property
    def success_counter(self) -> int:
        """Successes of trials since the breaker half-opened."""
        return int(self._get("successes") or 0)

    @property
    def opened_at(self) -> datetime | None:
        """When the breaker last opened."""
        stamp = self._get("opened_at")
        return datetime.fromtimestamp(float(stamp), UTC) if stamp else None

    @opened_at.setter
    def opened_at(self, moment: datetime) -> None:
        self._set("opened_at", str(moment.timestamp()))


class _TurnNearlySpent(stop_base):
    """Stop retrying when the turn has too little time left for another attempt to be of use."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        return remaining_s(1.0) < RETRY_MIN_LEFT_S


def _is_not_a_fault(error: BaseException) -> bool:
    """Answers about the request (slot taken, not found…) say the back-end works: they close, not open."""
    return not isinstance(error, BackendFailure)


def breaker_for(
    config: BackendConfig, client: redis.Redis | None, prefix: str = "rdvbot:", *, monotonic: Monotonic = time.monotonic
) -> pybreaker.CircuitBreaker:
    """The circuit breaker of one back-end, its state shared through Redis when there is one; `monotonic` ages this
    process's copy of that state (pybreaker itself times the reset by the wall clock and the stored `opened_at`)."""
    return pybreaker.CircuitBreaker(
        fail_max=config.fail_max,
        reset_timeout=config.reset_s,
        exclude=[_is_not_a_fault],
        state_storage=SharedBreakerStorage(client, config.key, prefix, monotonic=monotonic),
        name=config.key,
    )


class GuardedBackend:
    """One back-end behind its breaker: faults become `BookingUnavailable`, reads are retried once."""

    def __init__(
        self, backend: Probed, breaker: pybreaker.CircuitBreaker, faults: tuple[type[Exception], ...] = ()
    ) -> None:
        """`faults`: the adapter's own exceptions that mean it is failing (it raises `BackendFailure` otherwise)."""
        self.backend = backend
        self.breaker = breaker
        self.name = backend.name
        self._faults = faults
        self._probing = threading.Lock()

    def read(self, operation: Callable[[], Result]) -> Result:
        """Run a read, retried once after a fault when the turn has time left."""
        retrying = Retrying(
            retry=retry_if_exception_type(BackendFailure),
            stop=stop_after_attempt(READ_ATTEMPTS) | _TurnNearlySpent(),
            wait=wait_random_exponential(multiplier=0.05, max=RETRY_WAIT_MAX_S),
            reraise=True,
        )
        return self.call(lambda: retrying(operation))

    def call(self, operation: Callable[[], Result]) -> Result:
        """Run an operation once through the breaker; `BookingUnavailable` when it is open or the call faults."""
        self._close_if_recovered()
        try:
            # The closed state's own `call`, not the breaker's: the breaker holds a lock for the whole call, which
            # would let one hung request hold every other turn of the process behind it.
            with share_of_turn(BACKEND_SHARE):
                return cast(Result, self.breaker.state.call(self._faulting, operation))
        except pybreaker.CircuitBreakerError as error:
            raise BookingUnavailable(f"{self.name}: circuit open") from error
        except BackendFailure as error:
            raise BookingUnavailable(f"{self.name}: {error}") from error

    def _faulting(self, operation: Callable[[], Result]) -> Result:
        """Run `operation`, its adapter's own fault exceptions turned into `BackendFailure`."""
        try:
            return operation()
        except self._faults as error:
            raise BackendFailure(f"{type(error).__name__}: {error}") from error

    def _close_if_recovered(self) -> None:
        """While the breaker is open: once its reset time has passed, one turn per process probes the back-end;
        the probe's success closes the breaker, its failure keeps it open for another period."""
        if self.breaker.current_state == pybreaker.STATE_CLOSED:
            return
        if not self._probing.acquire(blocking=False):
            raise BookingUnavailable(f"{self.name}: being probed")
        try:
            self.breaker.call(self.backend.probe)  # pybreaker raises CircuitBreakerError before the reset time
        except (pybreaker.CircuitBreakerError, BackendFailure) as error:
            raise BookingUnavailable(f"{self.name}: circuit open") from error
        finally:
            self._probing.release()

    def probe(self) -> bool:
        """Probe the back-end now, whatever its breaker says: True (and the breaker closed) when it answers."""
        try:
            self.backend.probe()
        except BackendFailure:
            if self.breaker.current_state != pybreaker.STATE_CLOSED:
                self.breaker.open()
            return False
        self.breaker.close()
        return True


class BackendChain:
    """A clinic's back-ends in order: the first is its system of record.

    Reads fall over to the next back-ends, whose slots are then offered as to be confirmed; writes go only to the
    system of record, never to a secondary, which would book the same time twice.
    """

    def __init__(self, backends: list[GuardedBackend], mirror: AppointmentMirror | None = None) -> None:
        """`mirror`: where a remote system of record's answers about appointments are kept for when it is down
        (none for the built-in scheduler, whose database is the one that would be down)."""
        if not backends:
            raise ValueError("a chain needs at least one back-end")
        self.backends = backends
        self.name = backends[0].name
        self.mirror = mirror

    @property
    def record(self) -> GuardedBackend:
        """The system of record."""
        return self.backends[0]

    def search(self, query: SlotSearch) -> list[OfferedSlot]:
        """Free slots from the first back-end that answers; a secondary's are marked to be confirmed."""
        reasons = []
        for index, backend in enumerate(self.backends):
            last = index == len(self.backends) - 1
            try:
                with nullcontext() if last else share_of_turn(FAILOVER_SHARE):
                    found = backend.read(partial(backend.backend.search, query))
            except BookingUnavailable as unavailable:
                reasons.append(str(unavailable))
                continue
            return [replace(slot, to_confirm=True) for slot in found] if index else found
        raise BookingUnavailable("; ".join(reasons))

    def book(self, request: BookingRequest) -> BookedAppointment:
        """Book on the system of record."""
        return self._mirrored(self.record.call(lambda: self.record.backend.book(request)))

    def cancel(self, appointment_id: str, *, channel: Channel, patient_phone: str | None = None) -> BookedAppointment:
        """Cancel on the system of record."""
        return self._mirrored(
            self.record.call(
                lambda: self.record.backend.cancel(appointment_id, channel=channel, patient_phone=patient_phone)
            )
        )

    def reschedule(
        self, appointment_id: str, new_slot_id: str, *, channel: Channel, patient_phone: str | None = None
    ) -> BookedAppointment:
        """Move an appointment on the system of record."""
        moved = self.record.call(
            lambda: self.record.backend.reschedule(
                appointment_id, new_slot_id, channel=channel, patient_phone=patient_phone
            )
        )
        if self.mirror is not None:
            self.mirror.remember([moved])
            self.mirror.cancelled(self.name, appointment_id)
        return moved

    def appointments_for(self, clinic_id: str, patient_phone: str, *, after: datetime) -> list[BookedAppointment]:
        """The patient's appointments from the system of record (only it knows them); while it does not answer,
        what it last said, each marked `as_of`, when it ever said anything of this patient."""
        try:
            # With a mirror to fall back on, the system of record gets part of the turn: the rest is for the mirror.
            with share_of_turn(FAILOVER_SHARE) if self.mirror else nullcontext():
                found = self.record.read(
                    lambda: self.record.backend.appointments_for(clinic_id, patient_phone, after=after)
                )
        except BookingUnavailable:
            known = self.mirror.last_known(self.name, clinic_id, patient_phone, after) if self.mirror else None
            if known is None:
                raise
            return known
        if self.mirror is not None:
            self.mirror.refresh(self.name, clinic_id, patient_phone, after, found)
        return found

    def _mirrored(self, appointment: BookedAppointment) -> BookedAppointment:
        if self.mirror is not None:
            self.mirror.remember([appointment])
        return appointment
