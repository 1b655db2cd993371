"""The outsiders' labelled messages: no red flag is ever missed, and no field's accuracy falls below what it last
reached (floors raised as understanding improves; the held-out fifth is never tuned on)."""

from __future__ import annotations

import pytest

from tests.nlu.outsiders import SETS, load, red_flags_missed, score

#: The accuracy each field reached, per set, when the floors were last raised (2026-12-02). Days named by their name
#: ("la veille de Noël") are read even in a question about the hours, which the writers labelled with no day: three
#: days floors were lowered by a point for it. The tune set's intents
#: are learnt by the model, so its intent floor only guards the rules and readers around it.
FLOORS = {
    "dev": {"intent": 0.99, "language": 0.95, "urgency": 0.99, "whom": 0.86, "when.days": 0.86, "when.at": 0.95},
    "tune": {"intent": 0.97, "language": 0.97, "urgency": 0.99, "whom": 0.78, "when.days": 0.79, "when.at": 0.90},
    "more": {"intent": 0.96, "language": 0.96, "urgency": 0.99, "whom": 0.84, "when.days": 0.80, "when.at": 0.83},
    "extra": {"intent": 0.96, "language": 0.97, "urgency": 0.99, "whom": 0.75, "when.days": 0.83, "when.at": 0.73},
    "stories": {"intent": 0.97, "language": 0.97, "urgency": 0.99, "whom": 0.81, "when.days": 0.66, "when.at": 0.70},
    "spoken": {"intent": 0.98, "language": 0.98, "urgency": 0.99, "whom": 0.86, "when.days": 0.46, "when.at": 0.73},
    "everyday": {"intent": 0.98, "language": 0.99, "urgency": 0.99, "whom": 0.82, "when.days": 0.66, "when.at": 0.78},
    "bilingual": {"intent": 0.98, "language": 0.96, "urgency": 0.99, "whom": 0.88, "when.days": 0.80, "when.at": 0.87},
    "dates": {"intent": 0.99, "language": 0.98, "urgency": 0.99, "whom": 0.83, "when.days": 0.78, "when.at": 0.72},
    "calls": {"intent": 0.98, "language": 0.98, "urgency": 0.99, "whom": 0.89, "when.days": 0.78, "when.at": 0.71},
    "heldout": {"intent": 0.95, "language": 0.97, "urgency": 0.99, "whom": 0.86, "when.days": 0.87, "when.at": 0.77},
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
