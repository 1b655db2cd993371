"""What the engine answers: plain data each channel renders (SMS text, spoken prompts, TwiML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Expect(StrEnum):
    """What kind of answer the bot waits for after this turn (voice uses it for hints and keypad)."""

    NOTHING = "nothing"
    WHEN = "when"
    PICK = "pick"
    YES_NO = "yes_no"
    #: A one-time code: the keypad takes all its digits at once.
    CODE = "code"


class Handoff(StrEnum):
    """What happens to the conversation after this turn's replies (the phone acts on it; a text has no line)."""

    NONE = "none"
    TRANSFER = "transfer"  # put the caller through to the clinic
    HANG_UP = "hang_up"  # the call ends: an emergency (call 911), or nothing more can be done here


@dataclass(frozen=True)
class Reply:
    """One thing to say, with numbered options when the patient must pick one, and the response it was made from."""

    text: str
    options: tuple[str, ...] = ()
    response: str | None = None


class Happening(StrEnum):
    """What the engine did in a turn, as Rasa's tracker would record it."""

    FLOW_STARTED = "flow_started"
    FLOW_COMPLETED = "flow_completed"
    SLOT_SET = "slot_was_set"


@dataclass(frozen=True)
class TurnEvent:
    """One thing the engine did in a turn: a flow started or completed, a slot set (and to what)."""

    happening: Happening
    name: str
    value: Any = None


@dataclass(frozen=True)
class BotTurn:
    """The bot's whole answer to one inbound message."""

    replies: list[Reply] = field(default_factory=list)
    expects: Expect = Expect.NOTHING
    handoff: Handoff = Handoff.NONE
    language: str = "fr"  # the language of the replies (the phone speaks and listens in it)
    #: What the engine did to get there (not kept with a recorded answer: a retry replays only the replies).
    events: tuple[TurnEvent, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, kept so that a retried webhook gets the same answer."""
        return {
            "replies": [{"text": reply.text, "options": list(reply.options)} for reply in self.replies],
            "expects": self.expects.value,
            "handoff": self.handoff.value,
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BotTurn:
        """Rebuild from `to_dict` output."""
        replies = [Reply(text=r["text"], options=tuple(r.get("options", ()))) for r in data.get("replies", [])]
        return cls(
            replies=replies,
            expects=Expect(data.get("expects", "nothing")),
            handoff=Handoff(data.get("handoff", "none")),
            language=data.get("language", "fr"),
        )
