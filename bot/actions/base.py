"""What every rdvbot action shares: rasa-sdk's vocabulary, the conversation's clinic and patient, and the
dependencies each action is built with (nothing is looked up: `bootstrap` or `rdvbot actions` hands them over)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.booking.port import BookingBackend
from bot.booking.smart import NearbySource
from bot.clinics.config import ClinicConfig, ClinicsFile
from bot.core.booking import BookedAppointment, BookingUnavailable, OfferedSlot
from bot.core.clock import Clock, utcnow
from bot.core.vocabulary import Channel
from bot.engine.tracker import CHANNEL_SLOT, CLINIC_SLOT, LANGUAGE_SLOT, NOW_SLOT


class RequestKeeper(Protocol):
    """Puts a request that cannot be done now in the outbox; its id."""

    def __call__(self, clinic_id: str, patient_phone: str, language: str, kind: str, request: dict[str, Any]) -> int:
        """Keep `request` (a `kind` of book, cancel, reschedule or confirm) for the patient, in their language."""
        ...


class ReminderAnswers(Protocol):
    """Where a patient's answer to an appointment's reminders is kept (the built-in scheduler, which plans them)."""

    def answer_reminders(self, appointment_id: str, *, patient_phone: str, confirm: bool, channel: Channel) -> None:
        """Mark the appointment's reminders answered; a yes (`confirm`) confirms it. `AppointmentNotFound` unless
        it is this patient's."""
        ...


@dataclass(frozen=True)
class ActionDependencies:
    """What rdvbot's actions work with: handed to each action when it is built, never looked up."""

    clinics: ClinicsFile
    #: Each clinic's booking back-ends (its chain behind circuit breakers), by clinic id.
    booking: Mapping[str, BookingBackend]
    #: The clinic staff's own message by language while they have online booking switched off; None while it is on.
    booking_switched_off: Callable[[str], Mapping[str, str] | None]
    keep_request: RequestKeeper
    reminders: ReminderAnswers
    #: Each clinic's SMART Scheduling Links publishers of nearby clinics, by clinic id.
    nearby: Mapping[str, Sequence[NearbySource]] = field(default_factory=dict)
    #: The time when the tracker does not say (the engine always does; a Rasa server may not).
    clock: Clock = utcnow
    #: Texts `body` from a clinic's number to a patient's, out of the conversation (a caller's one-time code); True
    #: once handed to the provider. None where nothing can send texts (no Twilio credentials).
    send_text: Callable[[str, str, str], bool] | None = None


class BotAction(Action, ABC):  # type: ignore[misc]  # rasa-sdk ships no type hints
    """A synchronous rasa-sdk action: rasa-sdk awaits `run` only when it returns a coroutine, and our
    back-ends are synchronous, so actions stay plain functions that both the engine and the server call."""

    #: The name flows use in `action:` steps.
    action_name: ClassVar[str]

    def __init__(self, dependencies: ActionDependencies) -> None:
        self.dependencies = dependencies

    def name(self) -> str:
        """The name flows use in `action:` steps (rasa-sdk's way of asking)."""
        return self.action_name

    @abstractmethod
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Do the work; return rasa-sdk events (SlotSet…) and talk through `dispatcher` with response names."""

    def clinic_of(self, tracker: Tracker) -> ClinicConfig:
        """The clinic this conversation is with (the engine sets the clinic_id slot)."""
        clinic = self.dependencies.clinics.by_id(str(tracker.get_slot(CLINIC_SLOT)))
        if clinic is None:
            raise LookupError(f"unknown clinic {tracker.get_slot(CLINIC_SLOT)!r}")
        return clinic

    def backends_of(self, clinic: ClinicConfig) -> BookingBackend:
        """The clinic's chain of back-ends, whatever the staff switch says (patients may still ask about their own)."""
        return self.dependencies.booking[clinic.id]

    def booking_for(self, clinic: ClinicConfig) -> BookingBackend:
        """The clinic's back-ends for booking; `BookingUnavailable` while its staff has online booking switched off."""
        messages = self.dependencies.booking_switched_off(clinic.id)
        if messages is not None:
            raise BookingUnavailable("online booking switched off by the clinic", dict(messages))
        return self.backends_of(clinic)

    def now_of(self, tracker: Tracker) -> datetime:
        """The turn's time, as the engine set it (one clock for the whole turn), or the current time."""
        stamp = tracker.get_slot(NOW_SLOT)
        return datetime.fromisoformat(stamp) if stamp else self.dependencies.clock()

    def keep_for_patient(self, tracker: Tracker, kind: str, request: dict[str, Any]) -> int:
        """Put the request in the outbox for this conversation's clinic and patient, in their language."""
        language = str(tracker.get_slot(LANGUAGE_SLOT) or "fr")
        return self.dependencies.keep_request(self.clinic_of(tracker).id, patient_of(tracker), language, kind, request)


def channel_of(tracker: Tracker) -> Channel:
    """The channel the patient is using (SMS unless the engine says otherwise)."""
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
