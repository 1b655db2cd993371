"""Keeping a request that cannot be done now: it waits in the outbox and the patient is texted once it is handled.

A request is worth keeping when it says what to do without the patient: a booking (for when they want to come,
or the very slot they picked), or the cancellation or move of an appointment they already chose.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.base import BotAction
from bot.engine.conversation import WISH_SLOT
from bot.engine.flows import CodeNames
from bot.engine.tracker import DROPPED_SLOT

NAMES_USED = CodeNames(
    __name__,
    responses=("utter_request_kept", "utter_request_not_kept"),
    flows=("book_appointment", "cancel_appointment", "reschedule_appointment"),
)


def _chosen(slots: dict[str, Any], slot: str, options: str) -> dict[str, Any] | None:
    return next((o for o in slots.get(options) or [] if o.get("id") == slots.get(slot)), None)


def kept_request(flow: str, slots: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(kind, request) to keep for a request of `flow` with these slots, or None when it cannot wait for the
    patient's absence (nothing chosen to cancel or move)."""
    slot = _chosen(slots, "chosen_slot", "offered")
    wanted = {"when": slots.get(WISH_SLOT), "slot": slot}
    appointment = _chosen(slots, "chosen_appointment", "appointments")
    if flow == "book_appointment":
        return "book", wanted
    if flow == "cancel_appointment" and appointment is not None:
        return "cancel", {"appointment": appointment}
    if flow == "reschedule_appointment" and appointment is not None:
        return "reschedule", {"appointment": appointment, **wanted}
    return None


class ActionKeepRequest(BotAction):
    """The patient said yes: keep the request that booking could not do, and say they will be texted."""

    action_name = "action_keep_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        dropped = tracker.get_slot(DROPPED_SLOT) or {}
        kept = kept_request(str(dropped.get("flow")), dropped.get("slots") or {})
        if kept is None:  # the flow offers this only for keepable requests; say so rather than pretend
            dispatcher.utter_message(response="utter_request_not_kept")
            return [SlotSet(DROPPED_SLOT, None)]
        self.keep_for_patient(tracker, *kept)
        dispatcher.utter_message(response="utter_request_kept")
        return [SlotSet(DROPPED_SLOT, None)]
