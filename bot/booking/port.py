"""The booking port: what the bot asks of any scheduling back-end, in plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.db.models import AppointmentStatus, Channel


class PartOfDay(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


#: Local start times that count as each part of the day: [from, until).
PART_OF_DAY_BOUNDS: dict[PartOfDay, tuple[time, time | None]] = {
    PartOfDay.MORNING: (time(0), time(12)),
    PartOfDay.AFTERNOON: (time(12), time(17)),
    PartOfDay.EVENING: (time(17), None),
}


def local_windows(
    first_day: date, last_day: date, part: PartOfDay | None, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The [start, end) intervals, in UTC, of local days `first_day`..`last_day`, limited to `part` of each day.

    Built day by day from wall-clock times so that DST days get their real length (in UTC, because Python
    subtracts two times of one zone as wall-clock times).
    """
    windows: list[tuple[datetime, datetime]] = []
    begin, until = PART_OF_DAY_BOUNDS[part] if part else (time(0), None)
    day = first_day
    while day <= last_day:
        start = datetime.combine(day, begin, zone).astimezone(UTC)
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
        end = datetime.combine(day, until, zone).astimezone(UTC) if until else next_midnight
        if windows and windows[-1][1] == start:
            windows[-1] = (windows[-1][0], end)  # whole days join up: one range keeps the query simple
        else:
            windows.append((start, end))
        day += timedelta(days=1)
    return windows


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


@dataclass(frozen=True)
class OfferedSlot:
    """A free slot as a back-end offers it."""

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


class BookingBackend(Protocol):
    """Search, book, cancel, reschedule and list appointments on one scheduling system."""

    name: str

    def search(self, query: SlotSearch) -> list[OfferedSlot]:
        """Free slots matching `query`, earliest first, at most `query.limit`."""
        ...

    def book(self, request: BookingRequest) -> BookedAppointment:
        """Book atomically; raise `SlotTaken` when the slot is no longer free."""
        ...

    def cancel(self, appointment_id: str, *, channel: Channel, patient_phone: str | None = None) -> BookedAppointment:
        """Cancel; cancelling a cancelled appointment returns it unchanged."""
        ...

    def reschedule(
        self, appointment_id: str, new_slot_id: str, *, channel: Channel, patient_phone: str | None = None
    ) -> BookedAppointment:
        """Book `new_slot_id` and cancel the old appointment together; on failure nothing changes."""
        ...

    def appointments_for(self, clinic_id: str, patient_phone: str, *, after: datetime) -> list[BookedAppointment]:
        """The patient's live appointments at this clinic ending after `after`, earliest first."""
        ...
