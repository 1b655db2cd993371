"""The one serialised form of a conversation state, shared by every store so that they all behave alike."""

from __future__ import annotations

import json
from typing import Any


def encode_state(state: dict[str, Any]) -> str:
    """Compact JSON of `state` (raises TypeError when it is not JSON-able, in every store alike)."""
    # ensure_ascii=False: "é" takes 2 bytes of UTF-8 instead of 6 for "\u00e9" (SPEC §6: ≤ 2 KB a conversation).
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False)


def decode_state(raw: str | bytes) -> dict[str, Any]:
    """The state that `encode_state` serialised."""
    state: dict[str, Any] = json.loads(raw)
    return state
