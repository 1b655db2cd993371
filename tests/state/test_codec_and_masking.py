"""The serialised form of a conversation (compact, ≤ 2 KB) and masked phone numbers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.state.codec import decode_state, encode_state
from bot.state.masking import mask_number


def test_a_realistic_conversation_fits_in_2_kb(conversation: dict[str, Any]) -> None:
    encoded = encode_state(conversation).encode()
    assert len(encoded) <= 2048  # SPEC §6: one conversation's state ≤ 2 KB in Redis
    assert decode_state(encoded) == conversation


def test_the_encoding_is_compact_and_keeps_accents_readable() -> None:
    assert encode_state({"name": "Éloïse", "offered": [1, 2]}) == '{"name":"Éloïse","offered":[1,2]}'


@pytest.mark.parametrize(
    ("number", "masked"),
    [("+15145550142", "+1514555****"), ("+33612345678", "+3361234****"), ("+1", "****"), ("", "****")],
)
def test_mask_number(number: str, masked: str) -> None:
    assert mask_number(number) == masked
