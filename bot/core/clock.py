"""Time as rdvbot reads it: every component takes one of these clocks, so that tests can set the time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

#: The wall clock: the current time, timezone-aware.
Clock = Callable[[], datetime]
#: A monotonic clock in seconds, for durations and caches (never for dates).
Monotonic = Callable[[], float]


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)
