"""Small helpers shared by tests."""

from __future__ import annotations

from datetime import date, timedelta

from bot.clinics.calendar import ClinicCalendar
from bot.clinics.config import ClinicConfig
from bot.db.models import utcnow


def quiet_monday(clinic: ClinicConfig, at_least_days_ahead: int = 2) -> date:
    """The first Monday far enough ahead whose whole week (Mon-Fri) is open: tests can rely on five days of slots."""
    calendar = ClinicCalendar(clinic)
    day = utcnow().astimezone(clinic.zone).date() + timedelta(days=at_least_days_ahead)
    while True:
        day += timedelta(days=(7 - day.weekday()) % 7)
        if all(calendar.opening_windows(day + timedelta(days=i)) for i in range(5)):
            return day
        day += timedelta(days=1)
