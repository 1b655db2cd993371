"""Words of the domain: how a patient reached us, where an appointment stands, which part of the day they mean."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Literal


class Channel(StrEnum):
    """How a request reached rdvbot."""

    SMS = "sms"
    VOICE = "voice"
    API = "api"
    STAFF = "staff"
    SYSTEM = "system"


class AppointmentStatus(StrEnum):
    """Where an appointment stands."""

    BOOKED = "booked"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


#: Statuses that hold a slot: at most one appointment in such a status per slot.
LIVE_STATUSES: tuple[AppointmentStatus, ...] = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


class PartOfDay(StrEnum):
    """The part of the day a patient asks for ("demain matin", "en pm", "tonight")."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


#: Local start times that count as each part of the day: [from, until).
PART_OF_DAY_BOUNDS: dict[PartOfDay, tuple[time, time | None]] = {
    PartOfDay.MORNING: (time(0), time(12)),
    PartOfDay.AFTERNOON: (time(12), time(17)),
    PartOfDay.EVENING: (time(17), None),
}


#: The kind of practitioner a patient may ask for ("une médecin", "the nurse").
Role = Literal["doctor", "nurse"]
Gender = Literal["f", "m"]
