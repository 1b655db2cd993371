"""Actions that search, book, list, cancel and move appointments through the clinic's booking back-end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.base import (
    BotAction,
    appointment_option,
    backends_of,
    booking_for,
    channel_of,
    clinic_of,
    now_of,
    patient_of,
    slot_option,
)
from bot.booking.port import BookingError, BookingRequest, OfferedSlot, PartOfDay, SlotSearch, SlotTaken
from bot.clinics.config import ClinicConfig

OFFERED = 3
#: Slots fetched to choose the offered ones near an asked clock time from: a whole busy day.
CANDIDATES_AROUND_A_TIME = 400
#: How far ahead a search without dates looks, and how far past the asked days the "nearest" search goes.
HORIZON_DAYS, NEAREST_DAYS = 21, 14
#: With a clock time asked, slots within this many minutes of it count as matching.
AT_TOLERANCE_MIN = 60


def _distinct_times(found: list[OfferedSlot]) -> list[OfferedSlot]:
    """One slot per start time: three practitioners free at 8:00 are one choice for a patient, not three."""
    return list({slot.start: slot for slot in reversed(found)}.values())[::-1]


def _closest_to(found: list[OfferedSlot], at: time) -> list[OfferedSlot]:
    """The OFFERED slots nearest to the asked time, earliest days first, then in time order."""

    def distance(slot: OfferedSlot) -> int:
        local = slot.start.time()
        return abs((local.hour * 60 + local.minute) - (at.hour * 60 + at.minute))

    ranked = sorted(found, key=lambda s: (distance(s) > AT_TOLERANCE_MIN, s.start.date(), distance(s)))
    return sorted(ranked[:OFFERED], key=lambda s: s.start)


def find_slots(
    clinic: ClinicConfig, when: dict[str, Any] | None, practitioner: str | None, now: datetime
) -> tuple[list[OfferedSlot], str]:
    """Slots to offer and whether they match the request ("exact"), are the nearest others ("nearest"), or
    nothing is free ("none")."""
    scheduler = booking_for(clinic)
    when = when or {}
    today = now.astimezone(clinic.zone).date()
    first = date.fromisoformat(when["first_day"]) if when.get("first_day") else today
    last = (
        date.fromisoformat(when["last_day"])
        if when.get("last_day")
        else (first if when.get("first_day") else today + timedelta(days=HORIZON_DAYS))
    )
    part = PartOfDay(when["part_of_day"]) if when.get("part_of_day") else None
    at = time.fromisoformat(when["at"]) if when.get("at") else None
    # A practitioner has one slot at a time, so this many slots hold OFFERED distinct times when there are that
    # many; with a clock time asked, a whole day (or more) of candidates is needed to find the nearest ones.
    candidates = OFFERED * (1 if practitioner else max(1, len(clinic.practitioners)))
    limit = CANDIDATES_AROUND_A_TIME if at else candidates
    found = scheduler.search(SlotSearch(clinic.id, first, last, part, practitioner, not_before=now, limit=limit))
    if found:
        return (_closest_to(_distinct_times(found), at) if at else _distinct_times(found)[:OFFERED]), "exact"
    for nearest_part in dict.fromkeys([part, None]):
        nearest = SlotSearch(
            clinic.id,
            max(last + timedelta(days=1), today),
            last + timedelta(days=NEAREST_DAYS),
            nearest_part,
            practitioner,
            not_before=now,
            limit=candidates,
        )
        found = scheduler.search(nearest)
        if found:
            return _distinct_times(found)[:OFFERED], "nearest"
    return [], "none"


class ActionSearchSlots(BotAction):
    """Offer up to three free slots for when the patient wants to come, or the nearest ones, saying so."""

    def name(self) -> str:
        return "action_search_slots"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        found, outcome = find_slots(
            clinic_of(tracker), tracker.get_slot("when"), tracker.get_slot("practitioner"), now_of(tracker)
        )
        return [SlotSet("offered", [slot_option(s) for s in found]), SlotSet("search_outcome", outcome)]


def _booking_outcome(
    dispatcher: CollectingDispatcher, attempt: Callable[[], object], success: str
) -> list[dict[str, Any]]:
    """Run a booking or a move: "taken" lets the flow search again, any other refusal sends the patient to the
    clinic, success is announced with `success`."""
    try:
        attempt()
    except SlotTaken:
        return [SlotSet("booking_outcome", "taken")]
    except BookingError:
        dispatcher.utter_message(response="utter_booking_failed")
        return [SlotSet("booking_outcome", "failed")]
    dispatcher.utter_message(response=success)
    return [SlotSet("booking_outcome", "booked")]


def _chosen(tracker: Tracker, slot: str, options: str) -> dict[str, Any] | None:
    return next((o for o in tracker.get_slot(options) or [] if o.get("id") == tracker.get_slot(slot)), None)


class ActionBookSlot(BotAction):
    """Book the picked slot for the patient's number; if someone was faster, say so and search again."""

    def name(self) -> str:
        return "action_book_slot"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        chosen = _chosen(tracker, "chosen_slot", "offered")
        if chosen is None:
            dispatcher.utter_message(response="utter_booking_failed")
            return [SlotSet("booking_outcome", "failed")]
        request = BookingRequest(chosen["id"], patient_of(tracker), channel_of(tracker))
        scheduler = booking_for(clinic_of(tracker))
        return _booking_outcome(dispatcher, lambda: scheduler.book(request), "utter_booked")


class ActionListAppointments(BotAction):
    """The patient's upcoming appointments at this clinic; one is chosen at once when it is the only one."""

    def name(self) -> str:
        return "action_list_appointments"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        clinic = clinic_of(tracker)
        found = backends_of(clinic).appointments_for(clinic.id, patient_of(tracker), after=now_of(tracker))
        # At most OFFERED, earliest first: a longer list would not fit in two SMS segments.
        options = [appointment_option(a) for a in found[:OFFERED]]
        outcome = {0: "none", 1: "one"}.get(len(options), "several")
        events = [SlotSet("appointments", options), SlotSet("appointments_found", outcome)]
        if len(options) == 1:
            events.append(SlotSet("chosen_appointment", options[0]["id"]))
        return events


class ActionCancelAppointment(BotAction):
    """Cancel the chosen appointment, only if it belongs to this number."""

    def name(self) -> str:
        return "action_cancel_appointment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        scheduler = booking_for(clinic_of(tracker))
        try:
            scheduler.cancel(
                str(tracker.get_slot("chosen_appointment")),
                channel=channel_of(tracker),
                patient_phone=patient_of(tracker),
            )
        except BookingError:
            dispatcher.utter_message(response="utter_cancel_failed")
            return []
        dispatcher.utter_message(response="utter_cancelled")
        return []


class ActionRescheduleAppointment(BotAction):
    """Move the chosen appointment to the picked slot in one transaction."""

    def name(self) -> str:
        return "action_reschedule_appointment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        scheduler = booking_for(clinic_of(tracker))
        return _booking_outcome(
            dispatcher,
            lambda: scheduler.reschedule(
                str(tracker.get_slot("chosen_appointment")),
                str(tracker.get_slot("chosen_slot")),
                channel=channel_of(tracker),
                patient_phone=patient_of(tracker),
            ),
            "utter_rescheduled",
        )
