"""The action that takes a patient's answer to a reminder text."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.base import BotAction, channel_of, patient_of
from bot.core.booking import AppointmentNotFound
from bot.engine.flows import CodeNames

NAMES_USED = CodeNames(__name__, responses=("utter_reminded_appointment_gone",))


class ActionAnswerReminder(BotAction):
    """Mark the reminders of the chosen appointment answered; a yes confirms the appointment. One that is no longer
    the patient's (cancelled and gone meanwhile) is said so, and the answer set to "gone"."""

    action_name = "action_answer_reminder"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        try:
            self.dependencies.reminders.answer_reminders(
                str(tracker.get_slot("chosen_appointment")),
                patient_phone=patient_of(tracker),
                confirm=tracker.get_slot("reminder_answer") == "yes",
                channel=channel_of(tracker),
            )
        except AppointmentNotFound:
            dispatcher.utter_message(response="utter_reminded_appointment_gone")
            return [SlotSet("reminder_answer", "gone")]
        return []
