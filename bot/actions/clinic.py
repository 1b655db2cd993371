"""Actions about the clinic itself and the conversation's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.base import LANGUAGE_SLOT, BotAction, clinic_of, now_of
from bot.clinics.calendar import ClinicCalendar

#: How far ahead to look for the next opening (long holiday closures included).
OPENING_LOOKAHEAD_DAYS = 14


def next_opening(calendar: ClinicCalendar, after: datetime) -> datetime | None:
    """The start of the next opening window after `after`, in the clinic's zone."""
    zone = calendar.clinic.zone
    local = after.astimezone(zone)
    for offset in range(OPENING_LOOKAHEAD_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        for window in calendar.opening_windows(day):
            start = datetime.combine(day, window.start, zone)
            if start > local:
                return start
    return None


def closing_time(calendar: ClinicCalendar, moment: datetime) -> datetime | None:
    """When the opening window containing `moment` ends."""
    zone = calendar.clinic.zone
    local = moment.astimezone(zone)
    for window in calendar.opening_windows(local.date()):
        if window.start <= local.time() < window.end:
            return datetime.combine(local.date(), window.end, zone)
    return None


class ActionClinicStatus(BotAction):
    """Say whether the clinic is open now and until when, or when it opens next."""

    def name(self) -> str:
        return "action_clinic_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        calendar = ClinicCalendar(clinic_of(tracker))
        now = now_of(tracker)
        closes = closing_time(calendar, now)
        if closes is not None:
            dispatcher.utter_message(response="utter_clinic_open", closes_at=closes.isoformat())
            return []
        opens = next_opening(calendar, now)
        if opens is not None:
            dispatcher.utter_message(response="utter_clinic_closed", opens_at=opens.isoformat())
        return []


class ActionChangeLanguage(BotAction):
    """Switch to the language the patient asked for (French unless they asked for English)."""

    def name(self) -> str:
        return "action_change_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        wanted = (tracker.latest_message.get("metadata") or {}).get("language_switch")
        return [SlotSet(LANGUAGE_SLOT, "en" if wanted == "en" else "fr")]
