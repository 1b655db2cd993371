"""The booking port: what the bot asks of any scheduling back-end (its values are in `bot.core.booking`)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.booking import BookedAppointment, BookingRequest, OfferedSlot, SlotSearch
from bot.core.vocabulary import PART_OF_DAY_BOUNDS, Channel


def local_windows(query: SlotSearch, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The [start, end) intervals, in UTC, of the query's local days, limited each day to its part of the day and
    its clock times (a slot starts inside one).

    Built day by day from wall-clock times so that DST days get their real length (in UTC, because Python
    subtracts two times of one zone as wall-clock times).
    """
    begin, until = PART_OF_DAY_BOUNDS[query.part_of_day] if query.part_of_day else (time(0), None)
    if query.starting_from is not None:
        begin = max(begin, query.starting_from)
    if query.starting_before is not None:
        until = min(until, query.starting_before) if until else query.starting_before
    if until is not None and until <= begin:
        return []
    windows: list[tuple[datetime, datetime]] = []
    day = query.first_day
    while day <= query.last_day:
        start = datetime.combine(day, begin, zone).astimezone(UTC)
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
        end = datetime.combine(day, until, zone).astimezone(UTC) if until else next_midnight
        if windows and windows[-1][1] == start:
            windows[-1] = (windows[-1][0], end)  # whole days join up: one range keeps the query simple
        else:
            windows.append((start, end))
        day += timedelta(days=1)
    return windows


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
