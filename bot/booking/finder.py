"""Which free slots to offer a patient for when they want to come: the matching ones, else the nearest others."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.booking.port import BookingBackend
from bot.clinics.config import ClinicConfig
from bot.core.booking import OfferedSlot, SlotSearch
from bot.core.vocabulary import PartOfDay

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


def _closest_to(found: list[OfferedSlot], at: time, zone: ZoneInfo) -> list[OfferedSlot]:
    """The OFFERED slots nearest to the asked local time, earliest days first, then in time order.

    Starts are read in the clinic's zone: a back-end may give them in any zone (a FHIR server gives UTC).
    """

    def distance(local: datetime) -> int:
        return abs((local.hour * 60 + local.minute) - (at.hour * 60 + at.minute))

    def rank(slot: OfferedSlot) -> tuple[bool, date, int]:
        local = slot.start.astimezone(zone)
        return distance(local) > AT_TOLERANCE_MIN, local.date(), distance(local)

    return sorted(sorted(found, key=rank)[:OFFERED], key=lambda s: s.start)


def find_slots(
    scheduler: BookingBackend,
    clinic: ClinicConfig,
    when: dict[str, Any] | None,
    practitioner: str | None,
    now: datetime,
) -> tuple[list[OfferedSlot], str]:
    """Slots to offer and whether they match the request ("exact"), are the nearest others ("nearest"), or
    nothing is free ("none")."""
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
        offered = _closest_to(_distinct_times(found), at, clinic.zone) if at else _distinct_times(found)[:OFFERED]
        return offered, "exact"
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
