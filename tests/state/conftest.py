"""Fixtures of the state store tests: a fake clock, a Redis client with its own key prefix, a realistic state."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.state.in_process import InProcessStore
from bot.state.redis_store import RedisStore
from tests.helpers import FakeClock
from tests.state.support import StoreCase


@pytest.fixture
def clock() -> FakeClock:
    """A clock for the in-process store that moves only when a test says so."""
    return FakeClock()


@pytest.fixture(params=["in_process", pytest.param("redis", marks=pytest.mark.redis)])
def case(request: pytest.FixtureRequest, clock: FakeClock) -> StoreCase:
    """Each contract test runs on the in-process store (fake time) and on Redis (real time)."""
    if request.param == "in_process":
        return StoreCase(InProcessStore(clock=clock), clock.advance)
    store = RedisStore(request.getfixturevalue("client"), request.getfixturevalue("prefix"))
    # Redis expires keys by its own clock, which no client can move: for it, time has to really pass.
    return StoreCase(store, time.sleep)


@pytest.fixture
def conversation() -> dict[str, Any]:
    """A realistic conversation: two flow frames, eight slots, three offered times, the language."""
    offered = [
        {
            "slot_id": f"sql:{4812 + i}",
            "start": f"2026-03-12T{start}:00-04:00",
            "end": f"2026-03-12T{end}:00-04:00",
            "practitioner_id": "tremblay",
            "to_confirm": False,
        }
        for i, (start, end) in enumerate([("08:20", "08:40"), ("09:00", "09:20"), ("10:40", "11:00")])
    ]
    return {
        "language": "fr",
        "flow_stack": [
            {"flow": "book_appointment", "step": "offer_slots", "started_at": "2026-03-10T14:02:11-04:00"},
            {"flow": "pattern_correction", "step": "ask_correction", "started_at": "2026-03-10T14:03:40-04:00"},
        ],
        "slots": {
            "intent": "book",
            "day": "2026-03-12",
            "part_of_day": "morning",
            "time": None,
            "practitioner_id": "tremblay",
            "patient_name": "Éloïse Côté-Gagnon",
            "confirmed": False,
            "retries": 1,
        },
        "offered": offered,
        "last_turn_at": "2026-03-10T14:03:40-04:00",
    }
