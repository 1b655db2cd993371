"""A conversation's state: the flow stack, the slots and the language; plain data that fits a JSON store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Frame:
    """A running flow and the index of its current step; `called` when a call step started it."""

    flow: str
    step: int = 0
    called: bool = False


@dataclass
class Conversation:
    """Everything the engine remembers between two messages of one patient to one clinic."""

    language: str = "fr"
    stack: list[Frame] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    reprompts: int = 0
    updated_at: float = 0.0

    @property
    def active(self) -> Frame | None:
        """The flow on top of the stack, if any."""
        return self.stack[-1] if self.stack else None

    def forget_request(self) -> None:
        """Drop the current request (flows and slots); the language stays."""
        self.stack.clear()
        self.slots.clear()
        self.reprompts = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict for the state store; it shares `slots` with the conversation, so encode it at once.

        Not `dataclasses.asdict`: its deep copy of the slots cost more than the rest of saving a turn.
        """
        return {
            "language": self.language,
            "stack": [{"flow": frame.flow, "step": frame.step, "called": frame.called} for frame in self.stack],
            "slots": self.slots,
            "reprompts": self.reprompts,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        """Rebuild from `to_dict` output."""
        frames = [Frame(**frame) for frame in data.get("stack", [])]
        return cls(
            language=data.get("language", "fr"),
            stack=frames,
            slots=dict(data.get("slots", {})),
            reprompts=int(data.get("reprompts", 0)),
            updated_at=float(data.get("updated_at", 0.0)),
        )
