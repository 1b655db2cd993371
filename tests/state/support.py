"""Helpers of the state store tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.state.store import StateStore

CLINIC = "+15145550100"
PATIENT = "+15145550142"
OTHER_CLINIC = "+14185550100"
OTHER_PATIENT = "+15145550143"


@dataclass
class StoreCase:
    """A store under test and how to let time pass for it."""

    store: StateStore
    wait: Callable[[float], None]


def save(store: StateStore, clinic: str, patient: str, state: dict[str, Any], ttl_s: int) -> None:
    """One turn that only keeps `state`."""
    with store.open(clinic, patient) as held:
        held.keep(state, ttl_s)


def load(store: StateStore, clinic: str, patient: str) -> dict[str, Any] | None:
    """One turn that only reads the state."""
    with store.open(clinic, patient) as held:
        return held.state
