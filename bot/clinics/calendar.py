"""When a clinic is open: weekly hours, its own closures and Québec statutory holidays."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import holidays

from bot.clinics.config import WEEKDAYS, ClinicConfig, TimeRange

#: How far ahead to look for the next opening (long holiday closures included).
OPENING_LOOKAHEAD_DAYS = 14


@cache
def _quebec_holidays() -> holidays.HolidayBase:
    """Québec's statutory holidays, computed once per year asked and kept: they are data, and working them out
    costs more than the rest of a search that asks why a day is free of slots."""
    return holidays.country_holidays("CA", subdiv="QC")


def warm_up(today: date) -> None:
    """Work out this year's and next year's holidays (about 0.1 s), so that the first patient does not wait."""
    _quebec_holidays().get(today)
    _quebec_holidays().get(today.replace(year=today.year + 1, month=1, day=1))


class ClinicCalendar:
    """Answers "is the clinic open?" for a day or a moment, in the clinic's own time zone."""

    def __init__(self, clinic: ClinicConfig) -> None:
        self.clinic = clinic
        self._holidays: holidays.HolidayBase | dict[date, str] = _quebec_holidays() if clinic.statutory_holidays else {}

    def closure_reason(self, day: date) -> str | None:
        """Why the clinic is closed all day (a closure or a statutory holiday), or None on an ordinary day."""
        if day in self.clinic.closures:
            return "closure"
        holiday = self._holidays.get(day)
        return str(holiday) if holiday else None

    def holiday_name(self, day: date, language: str) -> str | None:
        """The statutory holiday that `day` is, named in `language` ("Jour de Noël", "Christmas Day"), or None."""
        if not self.clinic.statutory_holidays or day not in self._holidays:
            return None
        named = holidays.country_holidays(
            "CA", subdiv="QC", years=day.year, language="fr" if language == "fr" else "en_CA"
        )
        return str(named.get(day)) if day in named else None

    def is_closed_on(self, day: date) -> bool:
        """True on closures and statutory holidays (weekly hours aside)."""
        return self.closure_reason(day) is not None

    def opening_windows(self, day: date) -> list[TimeRange]:
        """The clinic's opening windows that day; empty when it is closed."""
        if self.is_closed_on(day):
            return []
        return list(self.clinic.hours.get(WEEKDAYS[day.weekday()], []))

    def is_open_at(self, moment: datetime) -> bool:
        """True when `moment` (timezone-aware) falls within the clinic's opening hours."""
        local = moment.astimezone(self.clinic.zone)
        now = local.time()
        return any(window.start <= now < window.end for window in self.opening_windows(local.date()))

    def closing_time(self, moment: datetime) -> datetime | None:
        """When the opening window containing `moment` ends, in the clinic's zone; None when it is closed."""
        zone = self.clinic.zone
        local = moment.astimezone(zone)
        for window in self.opening_windows(local.date()):
            if window.start <= local.time() < window.end:
                return datetime.combine(local.date(), window.end, zone)
        return None

    def next_opening(self, after: datetime) -> datetime | None:
        """The start of the next opening window after `after`, in the clinic's zone."""
        zone = self.clinic.zone
        local = after.astimezone(zone)
        for offset in range(OPENING_LOOKAHEAD_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            for window in self.opening_windows(day):
                start = datetime.combine(day, window.start, zone)
                if start > local:
                    return start
        return None

    def opening_status(self, moment: datetime) -> dict[str, str]:
        """{"closes_at": ISO time} while open, {"opens_at": ISO time} when closed, {} when no opening is near:
        the values responses about the clinic's hours are rendered with."""
        closes = self.closing_time(moment)
        if closes is not None:
            return {"closes_at": closes.isoformat()}
        opens = self.next_opening(moment)
        return {"opens_at": opens.isoformat()} if opens is not None else {}
