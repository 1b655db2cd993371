"""Actions about the clinic itself and the conversation's language."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.base import BotAction, channel_of
from bot.actions.outbox import kept_request
from bot.clinics.calendar import ClinicCalendar
from bot.core.vocabulary import Channel
from bot.engine.flows import CodeNames
from bot.engine.tracker import DROPPED_SLOT, HANDOFF_SLOT, LANGUAGE_SLOT

#: What `unavailable_response` may answer.
UNAVAILABLE_RESPONSES = ("utter_unavailable_open", "utter_unavailable_closed", "utter_unavailable")
NAMES_USED = CodeNames(__name__, responses=(*UNAVAILABLE_RESPONSES, "utter_clinic_open", "utter_clinic_closed"))


def unavailable_response(opening_status: dict[str, str]) -> str:
    """The response that says booking cannot be done now, for the clinic's `opening_status`."""
    if "closes_at" in opening_status:
        return "utter_unavailable_open"
    if "opens_at" in opening_status:
        return "utter_unavailable_closed"
    return "utter_unavailable"


class ActionClinicStatus(BotAction):
    """Say whether the clinic is open now and until when, or when it opens next."""

    action_name = "action_clinic_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        status = ClinicCalendar(self.clinic_of(tracker)).opening_status(self.now_of(tracker))
        if status:
            response = "utter_clinic_open" if "closes_at" in status else "utter_clinic_closed"
            dispatcher.utter_message(response=response, **status)
        return []


class ActionHandOff(BotAction):
    """On the phone while the clinic is open, put the caller through (`handoff: transfer`); otherwise nothing, and
    the flow gives the clinic's number and hours."""

    action_name = "action_hand_off"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        open_now = "closes_at" in ClinicCalendar(self.clinic_of(tracker)).opening_status(self.now_of(tracker))
        if channel_of(tracker) is Channel.VOICE and open_now:
            return [SlotSet(HANDOFF_SLOT, "transfer")]
        return []


class ActionExplainUnavailable(BotAction):
    """Booking cannot be done now: the clinic's phone, whether it is open (and until or from when), 811, 911;
    and whether the dropped request could be kept for later (`can_keep`)."""

    action_name = "action_explain_unavailable"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        status = ClinicCalendar(self.clinic_of(tracker)).opening_status(self.now_of(tracker))
        dispatcher.utter_message(response=unavailable_response(status), **status)
        dropped = tracker.get_slot(DROPPED_SLOT) or {}
        keepable = kept_request(str(dropped.get("flow")), dropped.get("slots") or {}) is not None
        return [SlotSet("can_keep", keepable)]


class ActionChangeLanguage(BotAction):
    """Switch to the language the patient asked for (French unless they asked for English)."""

    action_name = "action_change_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        wanted = (tracker.latest_message.get("metadata") or {}).get("language_switch")
        return [SlotSet(LANGUAGE_SLOT, "en" if wanted == "en" else "fr")]
