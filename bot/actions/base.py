"""What every rdvbot action shares: rasa-sdk's vocabulary plus the conversation's clinic and patient."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.context import services
from bot.booking.resilience import BackendChain
from bot.clinics.config import ClinicConfig
from bot.core.booking import BookedAppointment, BookingUnavailable, OfferedSlot
from bot.core.clock import utcnow
from bot.core.vocabulary import Channel

#: Slots the host puts in every tracker besides the flow slots.
CLINIC_SLOT, LANGUAGE_SLOT, CHANNEL_SLOT, NOW_SLOT = "clinic_id", "language", "channel", "now"


class BotAction(Action, ABC):  # type: ignore[misc]  # rasa-sdk ships no type hints
    """A synchronous rasa-sdk action: rasa-sdk awaits `run` only when it returns a coroutine, and our
    back-ends are synchronous, so actions stay plain functions that both the engine and the server call."""

    @abstractmethod
    def name(self) -> str:
        """The name flows use in `action:` steps."""

    @abstractmethod
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Do the work; return rasa-sdk events (SlotSet…) and talk through `dispatcher` with response names."""


def clinic_of(tracker: Tracker) -> ClinicConfig:
    """The clinic this conversation is with (the host sets the clinic_id slot)."""
    clinic = services().clinics.by_id(str(tracker.get_slot(CLINIC_SLOT)))
    if clinic is None:
        raise LookupError(f"unknown clinic {tracker.get_slot(CLINIC_SLOT)!r}")
    return clinic


def backends_of(clinic: ClinicConfig) -> BackendChain:
    """The clinic's chain of back-ends, whatever the staff switch says (patients may still ask about their own)."""
    return services().booking[clinic.id]


def booking_for(clinic: ClinicConfig) -> BackendChain:
    """The clinic's back-ends for booking; `BookingUnavailable` while its staff has online booking switched off."""
    messages = services().outages.messages(clinic.id)
    if messages is not None:
        raise BookingUnavailable("online booking switched off by the clinic", messages)
    return backends_of(clinic)


def now_of(tracker: Tracker) -> datetime:
    """The turn's time, as the host set it (one clock for the whole turn), or the current time."""
    stamp = tracker.get_slot(NOW_SLOT)
    return datetime.fromisoformat(stamp) if stamp else utcnow()


def channel_of(tracker: Tracker) -> Channel:
    """The channel the patient is using (SMS unless the host says otherwise)."""
    return Channel(tracker.get_slot(CHANNEL_SLOT) or Channel.SMS)


def patient_of(tracker: Tracker) -> str:
    """The patient's E.164 number: the conversation's sender, their identity for their own appointments."""
    return str(tracker.sender_id)


def slot_option(slot: OfferedSlot) -> dict[str, Any]:
    """An offered slot as stored in the conversation (JSON-able, language-neutral); one a secondary back-end
    offered while the system of record was down carries `to_confirm`."""
    option = {"id": slot.slot_id, "start": slot.start.isoformat(), "practitioner": slot.practitioner_id}
    return option | {"to_confirm": True} if slot.to_confirm else option


def appointment_option(appointment: BookedAppointment) -> dict[str, Any]:
    """An appointment as stored in the conversation; never its reason for visit."""
    return {
        "id": appointment.appointment_id,
        "start": appointment.start.isoformat(),
        "practitioner": appointment.practitioner_id,
    }
