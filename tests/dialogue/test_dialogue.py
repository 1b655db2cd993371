"""The outsiders' conversations, judged black-box: the share that goes right never falls below what it last reached
(floors raised as the dialogue improves; the held-out fifth is never tuned on)."""

from __future__ import annotations

import pytest

from tests.dialogue.report import SETS
from tests.dialogue.runner import HERE, Verdict, judge_reply, load_cases, run_all

#: The share of whole conversations that went right, per set, when the floors were last raised (2026-12-02).
FLOORS = {"dev": 0.99, "heldout": 0.95}


@pytest.mark.parametrize("name", SETS)
def test_conversations_go_right_at_least_as_often_as_before(name: str) -> None:
    verdicts: list[Verdict] = run_all(load_cases(HERE / f"{name}.yml"))
    passed = sum(verdict.passed for verdict in verdicts) / len(verdicts)
    assert passed >= FLOORS[name], f"{name}: {passed:.1%} of conversations went right, below {FLOORS[name]:.0%}"


def test_the_judge_compares_facts_not_wording() -> None:
    reply = "Disponible le jeudi 10 décembre:\n1) jeudi 10 déc. 14 h, Dre Isabelle Tremblay"
    assert judge_reply({"language": "fr", "includes": ["JEUDI", "14h"], "options": True}, reply) is None
    assert judge_reply({"options": False}, reply) == "no numbered choices expected"
    assert judge_reply({"includes_any": ["911", "811"]}, reply) == "none of ['911', '811']"
    assert judge_reply({"language": "en"}, reply) == "not in en"
