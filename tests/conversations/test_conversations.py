"""Conversation tests written as YAML turns (tests/conversations/*.yml), run through the signed SMS webhook.

Each turn sends `user` and checks the bot's whole answer: `expect` (substrings that must all appear),
`expect_any` (at least one must appear), `expect_not` (must not appear), and always at most 2 SMS segments.
Conversations run at 9:00 on a Monday ("demain" is a Tuesday) of a week full of demo slots.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.sms.segments import MAX_SEGMENTS, segment_count
from rdvbot.chat import SignedSmsClient

HERE = Path(__file__).parent


def load_cases() -> list[Any]:
    cases = []
    for path in sorted(HERE.glob("*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            cases.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return cases


@pytest.mark.parametrize("case", load_cases())
def test_conversation(case: dict[str, Any], texting: Callable[[str], SignedSmsClient]) -> None:
    client = texting(case.get("patient", "+15145550131"))
    for number, turn in enumerate(case["turns"], start=1):
        answer = "\n".join(client.send(str(turn["user"])))
        where = f"turn {number} ({turn['user']!r}) got:\n{answer}"
        for expected in turn.get("expect", []):
            assert expected in answer, f"missing {expected!r} in {where}"
        if turn.get("expect_any"):
            assert any(option in answer for option in turn["expect_any"]), f"none of {turn['expect_any']} in {where}"
        for unwanted in turn.get("expect_not", []):
            assert unwanted not in answer, f"unexpected {unwanted!r} in {where}"
        assert segment_count(answer) <= MAX_SEGMENTS, f"more than {MAX_SEGMENTS} segments in {where}"
