"""The tiny condition language of flows: `slots.NAME`, `not slots.NAME`, `slots.NAME == "v"`, `slots.NAME != "v"`.

Deliberately small: flows are read by clinic staff and reviewers, and every condition is checked at load time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_PATTERN = re.compile(
    r'^(?P<negate>not\s+)?slots\.(?P<slot>[a-z_][a-z0-9_]*)(?:\s*(?P<op>==|!=)\s*(?P<value>"[^"]*"|null|true|false))?$'
)
_LITERALS: dict[str, Any] = {"null": None, "true": True, "false": False}


@dataclass(frozen=True)
class Condition:
    """A parsed condition on one slot."""

    slot: str
    negate: bool = False
    operator: str | None = None
    value: Any = None

    @classmethod
    def parse(cls, text: str) -> Condition:
        """Parse a condition; ValueError says what is wrong."""
        match = _PATTERN.match(text.strip())
        if not match or (match["negate"] and match["op"]):
            raise ValueError(f'cannot read condition "{text}" (use slots.x, not slots.x, slots.x == "v")')
        raw = match["value"]
        value = None if raw is None else _LITERALS[raw] if raw in _LITERALS else raw[1:-1]
        return cls(slot=match["slot"], negate=bool(match["negate"]), operator=match["op"], value=value)

    def holds(self, slots: Mapping[str, Any]) -> bool:
        """Evaluate against the conversation's slots (a missing slot is null)."""
        current = slots.get(self.slot)
        if self.operator == "==":
            return bool(current == self.value)
        if self.operator == "!=":
            return bool(current != self.value)
        return not current if self.negate else bool(current)
