"""When a clinic is open: weekly hours, its own closures and Québec statutory holidays."""

from __future__ import annotations

from datetime import date, datetime

import holidays

from bot.clinics.config import WEEKDAYS, ClinicConfig, TimeRange


class ClinicCalendar:
    """Answers "is the clinic open?" for a day or a moment, in the clinic's own time zone."""

    def __init__(self, clinic: ClinicConfig) -> None:
        self.clinic = clinic
        self._holidays: holidays.HolidayBase | dict[date, str] = (
            holidays.country_holidays("CA", subdiv="QC") if clinic.statutory_holidays else {}
        )

    def closure_reason(self, day: date) -> str | None:
        """Why the clinic is closed all day (a closure or a statutory holiday), or None on an ordinary day."""
        if day in self.clinic.closures:
            return "closure"
        holiday = self._holidays.get(day)
        return str(holiday) if holiday else None

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
