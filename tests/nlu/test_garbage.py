"""Bad input (empty, emoji, markup, SQL, 2,000 characters...) never crashes and never reads as a request."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu import Intent, understand
from bot.nlu.model import LAST_PICK

TODAY = date(2026, 12, 7)
LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore "
    "magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo. "
)
# Consonants only, so that no random draw spells a real word ("ok", "avc").
RANDOM_LETTERS = "".join(random.Random(7).choice("bcdfghjklmnpqrstvwxz   ") for _ in range(2000))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n\t",
        "😀😀😀",
        "🙂" * 500,
        "x" * 2000,
        RANDOM_LETTERS,
        (LOREM * 10)[:2000],
        "https://example.com/rdv?id=2&heure=14h30",
        "www.example.com/promo",
        "<script>alert(1)</script>",
        "'; DROP TABLE slots; --",
        "SELECT * FROM slots WHERE id = 1; --",
        "{{7*7}} ${7*7} %s%n",
        "../../etc/passwd",
        "\x00\x01\x02",
        "qwhjk asdlk zxcmn",
    ],
)
def test_garbage_changes_nothing(text: str) -> None:
    understanding = understand(text, today=TODAY)
    assert understanding.intent in (Intent.NONE, Intent.OUT_OF_SCOPE)
    assert understanding.urgency is None
    assert understanding.keyword is None
    assert understanding.pick is None
    assert understanding.pick_time is None
    assert understanding.when is None


def test_a_2000_character_request_returns() -> None:
    assert understand("je voudrais un rdv demain matin " * 63, today=TODAY).intent is Intent.BOOK


@settings(deadline=None)
@given(st.text(max_size=600))
def test_any_text_is_understood_without_error(text: str) -> None:
    understanding = understand(text, today=TODAY)
    assert understanding.pick is None or understanding.pick == LAST_PICK or 1 <= understanding.pick <= 9
    assert understanding == understand(text, today=TODAY)
