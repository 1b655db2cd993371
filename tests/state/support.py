"""Helpers of the state store tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.state.store import StateStore

CLINIC = "+15145550100"
PATIENT = "+15145550142"
OTHER_CLINIC = "+14185550100"
OTHER_PATIENT = "+15145550143"


@dataclass
class FakeClock:
    """A monotonic clock that moves only when told to."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class StoreCase:
    """A store under test and how to let time pass for it."""

    store: StateStore
    wait: Callable[[float], None]
