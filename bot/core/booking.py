"""The booking port's values: what the bot asks any scheduling back-end, and what it answers, in plain data.

Every datetime here is timezone-aware. A back-end may give its starts in any zone (the SQL scheduler gives the
clinic's, a FHIR server UTC): compare them as instants, and read clock times and dates in the clinic's zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from bot.core.vocabulary import AppointmentStatus, Channel, PartOfDay


@dataclass(frozen=True)
class SlotSearch:
    """Free slots of a clinic on local days `first_day`..`last_day`, earliest first."""

    clinic_id: str
    first_day: date
    last_day: date
    part_of_day: PartOfDay | None = None
    practitioner_id: str | None = None
    appointment_type: str | None = None
    not_before: datetime | None = None
    limit: int = 3
    #: Local clock times each day a slot's start must be within (with `part_of_day`): at `starting_from` or later,
    #: before `starting_before`.
    starting_from: time | None = None
    starting_before: time | None = None


@dataclass(frozen=True)
class OfferedSlot:
    """A free slot as a back-end offers it; `start` and `end` are timezone-aware, in whatever zone the back-end gave
    (the clinic's for the SQL scheduler, UTC for a FHIR server): read clock times in the clinic's zone."""

    slot_id: str
    clinic_id: str
    practitioner_id: str
    start: datetime
    end: datetime
    #: Offered by a secondary back-end while the system of record did not answer: it must be confirmed there.
    to_confirm: bool = False


@dataclass(frozen=True)
class BookingRequest:
    """Book `slot_id` for the patient at `patient_phone` (E.164)."""

    slot_id: str
    patient_phone: str
    channel: Channel
    appointment_type: str | None = None


@dataclass(frozen=True)
class BookedAppointment:
    """An appointment as a back-end knows it."""

    appointment_id: str
    clinic_id: str
    practitioner_id: str
    patient_phone: str
    start: datetime
    end: datetime
    status: AppointmentStatus
    channel: Channel
    backend: str = "sql"
    slot_id: str | None = None
    external_id: str | None = field(default=None, compare=False)
    #: Set when this is what the back-end last said, at that time, because it does not answer now.
    as_of: datetime | None = field(default=None, compare=False)

    @property
    def is_live(self) -> bool:
        """Booked or confirmed: it still holds its slot."""
        return self.status in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


class BookingError(Exception):
    """A booking operation that cannot be done as asked; the message says why."""


class BookingUnavailable(BookingError):
    """Online booking cannot be done now (switched off by staff, or the system does not answer).

    `messages` holds the clinic's own explanation by language, when staff gave one.
    """

    def __init__(self, reason: str, messages: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.messages = messages or {}


class BackendFailure(Exception):
    """The back-end did not answer usably (refused, timed out, 5xx, malformed): a fault of the system, not of the
    request, so its circuit breaker counts it and the chain may read from the next back-end."""


class SlotTaken(BookingError):
    """Somebody else has that slot now."""


class SlotNotFound(BookingError):
    """No such slot (or it is in the past)."""


class AppointmentNotFound(BookingError):
    """No such appointment for this patient."""


class AppointmentNotLive(BookingError):
    """The appointment is cancelled or past its no-show mark, so it cannot be moved."""
