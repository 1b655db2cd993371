"""A conversation's state: the flow stack, the slots and the language.

Slots are plain data but for the patient's wish (`when`: a typed `Wish`), which becomes JSON only at the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.wish import Wish

#: The slot holding what the patient wants (days, hours, whom), typed in the conversation.
WISH_SLOT = "when"
#: Whether this call proved it holds its number (a text always does); kept while the call lasts.
CALLER_VERIFIED_SLOT = "caller_verified"


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
    #: After red-flag or crisis wording ("911" or "988"): the next answers repeat the safety line until the patient
    #: moves on to something else.
    safety: str | None = None
    #: A call was just answered: the caller's first words choose English when they are clearly English.
    first_words: bool = False

    @property
    def active(self) -> Frame | None:
        """The flow on top of the stack, if any."""
        return self.stack[-1] if self.stack else None

    def forget_request(self) -> None:
        """Drop the current request (flows and slots); the language stays, and so does a caller's proof that the
        number is theirs (it holds for the whole call)."""
        verified = self.slots.get(CALLER_VERIFIED_SLOT)
        self.stack.clear()
        self.slots.clear()
        if verified:
            self.slots[CALLER_VERIFIED_SLOT] = verified
        self.reprompts = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict for the state store; it shares `slots` with the conversation, so encode it at once.

        Not `dataclasses.asdict`: its deep copy of the slots cost more than the rest of saving a turn.
        """
        return {
            "language": self.language,
            "stack": [{"flow": frame.flow, "step": frame.step, "called": frame.called} for frame in self.stack],
            "slots": json_slots(self.slots),
            "reprompts": self.reprompts,
            "updated_at": self.updated_at,
            "safety": self.safety,
            "first_words": self.first_words,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        """Rebuild from `to_dict` output."""
        frames = [Frame(**frame) for frame in data.get("stack", [])]
        return cls(
            language=data.get("language", "fr"),
            stack=frames,
            slots=typed_slots(data.get("slots", {})),
            reprompts=int(data.get("reprompts", 0)),
            updated_at=float(data.get("updated_at", 0.0)),
            safety=data.get("safety"),
            first_words=bool(data.get("first_words")),
        )


def json_slots(slots: dict[str, Any]) -> dict[str, Any]:
    """The slots as JSON-able data (shared with `slots` but for the wish, which is written out)."""
    wish = slots.get(WISH_SLOT)
    return slots if not isinstance(wish, Wish) else {**slots, WISH_SLOT: wish.to_json()}


def typed_slots(data: dict[str, Any]) -> dict[str, Any]:
    """Slots read from JSON, the wish typed again."""
    slots = dict(data)
    if isinstance(slots.get(WISH_SLOT), dict):
        slots[WISH_SLOT] = Wish.from_json(slots[WISH_SLOT])
    return slots
