"""A turn's deadline: the webhook answers within its budget, and a turn that overran it changes nothing after.

The turn runs in a worker thread while the webhook waits; when the budget is spent the webhook answers with the
fallback guidance and the late turn, whenever it wakes up, stops before its next action (a booking the patient
was never told about would be worse than none).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from bot.core.clock import Monotonic


@dataclass(frozen=True)
class _Deadline:
    """When the turn running in this context must stop, by the clock it was set with."""

    at: float
    monotonic: Monotonic

    def left(self) -> float:
        return self.at - self.monotonic()


_deadline: ContextVar[_Deadline | None] = ContextVar("rdvbot_turn_deadline", default=None)


class TurnExpired(Exception):
    """The turn ran past its deadline: the patient already got the fallback answer."""


@contextmanager
def turn_deadline(seconds: float, monotonic: Monotonic = time.monotonic) -> Iterator[None]:
    """Give the turn running in this thread `seconds` from now, by `monotonic` (tests pass one that they move)."""
    token = _deadline.set(_Deadline(monotonic() + seconds, monotonic))
    try:
        yield
    finally:
        _deadline.reset(token)


@contextmanager
def share_of_turn(fraction: float) -> Iterator[None]:
    """Narrow this thread's deadline to `fraction` of what is left of the turn (no deadline: no change).

    A back-end that hangs must leave the next one in the chain time to answer within the same turn.
    """
    deadline = _deadline.get()
    if deadline is None:
        yield
        return
    now = deadline.monotonic()
    token = _deadline.set(_Deadline(now + max(0.0, deadline.at - now) * fraction, deadline.monotonic))
    try:
        yield
    finally:
        _deadline.reset(token)


def check_deadline() -> None:
    """Raise `TurnExpired` when this thread's turn is past its deadline (no deadline: never)."""
    deadline = _deadline.get()
    if deadline is not None and deadline.left() < 0:
        raise TurnExpired


def remaining_s(default: float) -> float:
    """Seconds left in this thread's turn, never more than `default` (no deadline: `default`); 0 when spent.

    Remote calls take their timeout from here, so a hung back-end costs at most what is left of the turn.
    """
    deadline = _deadline.get()
    if deadline is None:
        return default
    return max(0.0, min(default, deadline.left()))
