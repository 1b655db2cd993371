"""The outsiders' labelled messages: no red flag is ever missed, and no field's accuracy falls below what it last
reached (floors raised as understanding improves; the held-out fifth is never tuned on)."""

from __future__ import annotations

import pytest

from tests.nlu.outsiders import SETS, load, red_flags_missed, score

#: The accuracy each field reached, per set, when the floors were last raised (2026-12-01).
FLOORS = {
    "dev": {"intent": 0.80, "language": 0.95, "urgency": 0.98, "when.days": 0.76, "when.at": 0.89, "when.after": 0.83},
    "heldout": {
        "intent": 0.75,
        "language": 0.97,
        "urgency": 0.99,
        "when.days": 0.76,
        "when.at": 0.77,
        "when.after": 0.76,
    },
}


@pytest.mark.parametrize("name", SETS)
def test_no_red_flag_is_missed(name: str) -> None:
    today, rows = load(SETS[name])
    assert red_flags_missed(today, rows) == []


@pytest.mark.parametrize("name", SETS)
def test_no_field_falls_below_its_floor(name: str) -> None:
    today, rows = load(SETS[name])
    scores = score(today, rows)
    below = {
        field: round(scores[field].accuracy, 3)
        for field, floor in FLOORS[name].items()
        if scores[field].accuracy < floor
    }
    assert not below, f"{name}: below the floors {FLOORS[name]}: {below}"
