"""Actions about the clinic itself and the conversation's language."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.base import LANGUAGE_SLOT, BotAction, clinic_of, now_of
from bot.clinics.calendar import ClinicCalendar


class ActionClinicStatus(BotAction):
    """Say whether the clinic is open now and until when, or when it opens next."""

    def name(self) -> str:
        return "action_clinic_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        status = ClinicCalendar(clinic_of(tracker)).opening_status(now_of(tracker))
        if status:
            response = "utter_clinic_open" if "closes_at" in status else "utter_clinic_closed"
            dispatcher.utter_message(response=response, **status)
        return []


class ActionChangeLanguage(BotAction):
    """Switch to the language the patient asked for (French unless they asked for English)."""

    def name(self) -> str:
        return "action_change_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        wanted = (tracker.latest_message.get("metadata") or {}).get("language_switch")
        return [SlotSet(LANGUAGE_SLOT, "en" if wanted == "en" else "fr")]
