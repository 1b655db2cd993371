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

from bot.actions.base import LANGUAGE_SLOT, BotAction, clinic_of, patient_of
from bot.actions.context import services
from bot.outbox.store import keep

#: The slot where the engine puts the request it dropped because booking was unavailable: its flow and slots.
DROPPED_SLOT = "dropped_request"


def _chosen(slots: dict[str, Any], slot: str, options: str) -> dict[str, Any] | None:
    return next((o for o in slots.get(options) or [] if o.get("id") == slots.get(slot)), None)


def kept_request(flow: str, slots: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(kind, request) to keep for a request of `flow` with these slots, or None when it cannot wait for the
    patient's absence (nothing chosen to cancel or move)."""
    slot = _chosen(slots, "chosen_slot", "offered")
    wanted = {"when": slots.get("when"), "practitioner": slots.get("practitioner"), "slot": slot}
    appointment = _chosen(slots, "chosen_appointment", "appointments")
    if flow == "book_appointment":
        return "book", wanted
    if flow == "cancel_appointment" and appointment is not None:
        return "cancel", {"appointment": appointment}
    if flow == "reschedule_appointment" and appointment is not None:
        return "reschedule", {"appointment": appointment, **wanted}
    return None


def keep_for_patient(tracker: Tracker, kind: str, request: dict[str, Any]) -> int:
    """Put the request in the outbox for this conversation's clinic and patient, in their language."""
    language = str(tracker.get_slot(LANGUAGE_SLOT) or "fr")
    return keep(services().database, clinic_of(tracker).id, patient_of(tracker), language, kind, request)


class ActionKeepRequest(BotAction):
    """The patient said yes: keep the request that booking could not do, and say they will be texted."""

    def name(self) -> str:
        return "action_keep_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        dropped = tracker.get_slot(DROPPED_SLOT) or {}
        kept = kept_request(str(dropped.get("flow")), dropped.get("slots") or {})
        if kept is None:  # the flow offers this only for keepable requests; say so rather than pretend
            dispatcher.utter_message(response="utter_request_not_kept")
            return [SlotSet(DROPPED_SLOT, None)]
        keep_for_patient(tracker, *kept)
        dispatcher.utter_message(response="utter_request_kept")
        return [SlotSet(DROPPED_SLOT, None)]
