"""What the engine hands to the actions it runs: the tracker slots it fills, and the action interface it calls.

Actions are rasa-sdk actions; the engine talks to them only through a Tracker, a CollectingDispatcher and the
events they return, so that the same actions also run in rasa-sdk's own action server.
"""

from __future__ import annotations

from typing import Any, Protocol

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

#: Slots the engine puts in every tracker besides the flow slots: the conversation's clinic, language, channel,
#: and the turn's time (one clock for the whole turn).
CLINIC_SLOT, LANGUAGE_SLOT, CHANNEL_SLOT, NOW_SLOT = "clinic_id", "language", "channel", "now"
#: The slot through which flows and actions ask the phone to put the caller through or to hang up.
HANDOFF_SLOT = "handoff"
#: Where the engine puts the request it dropped because booking was unavailable: its flow and slots.
DROPPED_SLOT = "dropped_request"


class FlowAction(Protocol):
    """An `action:` step's code: rasa-sdk's Action interface, with a synchronous `run`."""

    def name(self) -> str:
        """The name flows use in `action:` steps."""
        ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Do the work; return rasa-sdk events (SlotSet…) and talk through `dispatcher` with response names."""
        ...
