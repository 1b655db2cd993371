"""Actions that search, book, list, cancel and move appointments through the clinic's booking back-end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.base import BotAction, appointment_option, channel_of, patient_of, slot_option
from bot.booking.finder import OFFERED, Offer, find_slots
from bot.clinics.config import ClinicConfig
from bot.core.booking import BookingError, BookingRequest, BookingUnavailable, SlotTaken
from bot.core.vocabulary import Channel
from bot.core.wish import Wish
from bot.engine.conversation import WISH_SLOT
from bot.engine.flows import CodeNames
from bot.sms.numbers import can_receive_texts, country_of

NAMES_USED = CodeNames(
    __name__,
    responses=(
        "utter_booked",
        "utter_booking_failed",
        "utter_too_many_bookings",
        "utter_slot_kept",
        "utter_cancelled",
        "utter_cancel_failed",
        "utter_rescheduled",
    ),
)


class ActionSearchSlots(BotAction):
    """Offer up to three free slots for what the patient wishes, or the one they named exactly (chosen at once, to
    confirm), or the nearest ones with why nothing fits."""

    action_name = "action_search_slots"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        clinic = self.clinic_of(tracker)
        wish = Wish.from_json(tracker.get_slot(WISH_SLOT))
        events: list[dict[str, Any]] = []
        if tracker.get_slot("same_practitioner"):
            wish = self._with_the_same_practitioner(tracker, clinic, wish)
            events += [SlotSet("same_practitioner", None), SlotSet(WISH_SLOT, wish.to_json())]
        offer = self._offer(tracker, clinic, wish)
        events += [
            SlotSet("offered", [slot_option(s) for s in offer.slots]),
            SlotSet("search_outcome", offer.outcome),
            SlotSet("unfree", str(offer.why) if offer.why else None),
            SlotSet("unfree_detail", unfree_detail(offer)),
        ]
        if offer.exact:
            events.append(SlotSet("chosen_slot", offer.slots[0].slot_id))
        return events

    def _offer(self, tracker: Tracker, clinic: ClinicConfig, wish: Wish) -> Offer:
        """The offer for the wish; when an appointment is being moved and the wish names no one, its practitioner's
        slots first (a patient moving a visit keeps their doctor), or anyone's when that practitioner has none."""
        scheduler, now = self.booking_for(clinic), self.now_of(tracker)
        moved = _chosen(tracker, "chosen_appointment", "appointments")
        if moved is not None and not wish.says_whom:
            kept = find_slots(scheduler, clinic, wish.amended(Wish(practitioner=moved["practitioner"])), now)
            if kept.outcome == "exact":
                return kept
        return find_slots(scheduler, clinic, wish, now)

    def _with_the_same_practitioner(self, tracker: Tracker, clinic: ClinicConfig, wish: Wish) -> Wish:
        """The wish with the practitioner of the patient's next appointment here ("la même docteure")."""
        held = self.backends_of(clinic).appointments_for(clinic.id, patient_of(tracker), after=self.now_of(tracker))
        return wish.amended(Wish(practitioner=held[0].practitioner_id)) if held else wish


def unfree_detail(offer: Offer) -> dict[str, Any] | None:
    """What a "nothing fits" answer says with its reason: the day, when booking opens, the hours seen."""
    if offer.why is None:
        return None
    return {
        "day": offer.day.isoformat() if offer.day else None,
        "opens_on": offer.opens_on.isoformat() if offer.opens_on else None,
        "hours": [moment.isoformat(timespec="minutes") for moment in offer.hours] if offer.hours else None,
    }


BOOKED: list[dict[str, Any]] = [SlotSet("booking_outcome", "booked")]


def _booking_outcome(
    dispatcher: CollectingDispatcher, attempt: Callable[[], object], success: str
) -> list[dict[str, Any]]:
    """Run a booking or a move: "taken" lets the flow search again, any other refusal sends the patient to the
    clinic, success is announced with `success`."""
    try:
        attempt()
    except SlotTaken:
        return [SlotSet("booking_outcome", "taken")]
    except BookingUnavailable:
        raise  # not a refusal: the engine explains and offers to keep the request
    except BookingError:
        dispatcher.utter_message(response="utter_booking_failed")
        return [SlotSet("booking_outcome", "failed")]
    dispatcher.utter_message(response=success)
    return BOOKED


def _keep_to_confirm(
    action: BotAction, dispatcher: CollectingDispatcher, tracker: Tracker, kind: str, request: dict[str, Any]
) -> list[dict[str, Any]]:
    """A slot offered by a secondary back-end is never booked there: the request waits for the system of record,
    and the patient is told it is to be confirmed."""
    action.keep_for_patient(tracker, kind, request | {"when": tracker.get_slot(WISH_SLOT)})
    dispatcher.utter_message(response="utter_slot_kept")
    return [SlotSet("booking_outcome", "kept")]


def _chosen(tracker: Tracker, slot: str, options: str) -> dict[str, Any] | None:
    return next((o for o in tracker.get_slot(options) or [] if o.get("id") == tracker.get_slot(slot)), None)


class ActionBookSlot(BotAction):
    """Book the picked slot for the patient's number; if someone was faster, say so and search again."""

    action_name = "action_book_slot"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        chosen = _chosen(tracker, "chosen_slot", "offered")
        if chosen is None:
            dispatcher.utter_message(response="utter_booking_failed")
            return [SlotSet("booking_outcome", "failed")]
        if chosen.get("to_confirm"):
            return _keep_to_confirm(self, dispatcher, tracker, "book", {"slot": chosen})
        clinic = self.clinic_of(tracker)
        request = BookingRequest(chosen["id"], patient_of(tracker), channel_of(tracker))
        scheduler = self.booking_for(clinic)
        held = scheduler.appointments_for(clinic.id, request.patient_phone, after=self.now_of(tracker))
        if len(held) >= clinic.limits.live_bookings_per_number:
            # One number holding many slots keeps them from other patients: the clinic books any more itself.
            dispatcher.utter_message(response="utter_too_many_bookings")
            return [SlotSet("booking_outcome", "failed")]
        events = _booking_outcome(dispatcher, lambda: scheduler.book(request), "utter_booked")
        if request.channel is Channel.VOICE and events == BOOKED and may_confirm_by_text(clinic, tracker):
            # A caller has nothing written: the confirmation follows by text (the outbox sends it, within texting
            # hours and never to a number that opted out).
            self.keep_for_patient(tracker, "confirm", {"slot": chosen})
        return events


def may_confirm_by_text(clinic: ClinicConfig, tracker: Tracker) -> bool:
    """Whether a confirmation may be texted to this conversation's number: one that may be a mobile, in the clinic's
    allowed countries (never a text to a number a caller only claimed abroad or on a landline)."""
    number = patient_of(tracker)
    return can_receive_texts(number) and country_of(number) in clinic.allowed_countries


class ActionListAppointments(BotAction):
    """The patient's upcoming appointments at this clinic; one is chosen at once when it is the only one, or the
    only one on the day the patient named ("annule celui de jeudi")."""

    action_name = "action_list_appointments"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        clinic = self.clinic_of(tracker)
        found = self.backends_of(clinic).appointments_for(clinic.id, patient_of(tracker), after=self.now_of(tracker))
        # At most OFFERED, earliest first: a longer list would not fit in two SMS segments.
        shown = found[:OFFERED]
        options = [appointment_option(a) for a in shown]
        outcome = {0: "none", 1: "one"}.get(len(options), "several")
        # Told from what the clinic's system last said, because it does not answer now: the patient is told so.
        from_mirror = any(a.as_of is not None for a in found)
        events = [
            SlotSet("appointments", options),
            SlotSet("appointments_found", outcome),
            SlotSet("appointments_as_of", from_mirror),
        ]
        wish = Wish.from_json(tracker.get_slot(WISH_SLOT))
        named_day = [a for a in shown if _on_the_days_of(a.start.astimezone(clinic.zone).date(), wish)]
        chosen = shown[0] if len(shown) == 1 else named_day[0] if len(named_day) == 1 else None
        if chosen is not None:
            events.append(SlotSet("chosen_appointment", chosen.appointment_id))
            held_at = chosen.start.astimezone(clinic.zone)
            moved_to = _the_other_day(held_at.date(), wish) or wish
            if tracker.get_slot("same_time"):  # "pour jeudi, même heure": at the time of the appointment moved
                moved_to = moved_to.amended(Wish(at=held_at.time()))
            if moved_to != wish:  # "déplace celui de jeudi à vendredi": the wish is for Friday
                events.append(SlotSet(WISH_SLOT, moved_to.to_json()))
        return events


def _on_the_days_of(day: date, wish: Wish) -> bool:
    return wish.first_day is not None and wish.first_day <= day <= (wish.last_day or wish.first_day)


def _the_other_day(day: date, wish: Wish) -> Wish | None:
    """A wish naming two days, one of them the appointment's: the wish for the other one."""
    if wish.first_day is None or wish.last_day is None or wish.first_day == wish.last_day:
        return None
    if day == wish.first_day:
        return replace(wish, first_day=wish.last_day)
    if day == wish.last_day:
        return replace(wish, last_day=wish.first_day)
    return None


class ActionCancelAppointment(BotAction):
    """Cancel the chosen appointment, only if it belongs to this number."""

    action_name = "action_cancel_appointment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        clinic = self.clinic_of(tracker)
        scheduler = self.booking_for(clinic)
        try:
            scheduler.cancel(
                str(tracker.get_slot("chosen_appointment")),
                channel=channel_of(tracker),
                patient_phone=patient_of(tracker),
            )
        except BookingUnavailable:
            raise  # not a refusal: the engine explains and offers to keep the request
        except BookingError:
            dispatcher.utter_message(response="utter_cancel_failed")
            return []
        dispatcher.utter_message(response="utter_cancelled")
        chosen = _chosen(tracker, "chosen_appointment", "appointments")
        if channel_of(tracker) is Channel.VOICE and chosen is not None and may_confirm_by_text(clinic, tracker):
            # Cancelled by phone: the number that booked hears of it in writing too (a call may not be theirs).
            self.keep_for_patient(tracker, "confirm_cancel", {"appointment": chosen})
        return []


class ActionRescheduleAppointment(BotAction):
    """Move the chosen appointment to the picked slot in one transaction."""

    action_name = "action_reschedule_appointment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        chosen = _chosen(tracker, "chosen_slot", "offered")
        if chosen is not None and chosen.get("to_confirm"):
            appointment = _chosen(tracker, "chosen_appointment", "appointments")
            return _keep_to_confirm(
                self, dispatcher, tracker, "reschedule", {"slot": chosen, "appointment": appointment}
            )
        scheduler = self.booking_for(self.clinic_of(tracker))
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
