"""Small helpers shared by tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.clinics.calendar import ClinicCalendar
from bot.clinics.config import ClinicConfig, ClinicsFile
from bot.core.clock import utcnow
from fakes.fhir_server import fhir_clinic_data


@dataclass
class FakeClock:
    """A monotonic clock that moves only when told to."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def quiet_monday(clinic: ClinicConfig, at_least_days_ahead: int = 2) -> date:
    """The first Monday far enough ahead whose whole week (Mon-Fri) is open: tests can rely on five days of slots."""
    calendar = ClinicCalendar(clinic)
    day = utcnow().astimezone(clinic.zone).date() + timedelta(days=at_least_days_ahead)
    while True:
        day += timedelta(days=(7 - day.weekday()) % 7)
        if all(calendar.opening_windows(day + timedelta(days=i)) for i in range(5)):
            return day
        day += timedelta(days=1)


def one_practitioner_clinic(availability: dict[str, list[str]], hours: dict[str, str] | None = None) -> ClinicsFile:
    """A clinic "night" with one practitioner "owl", open every day around the clock unless `hours` says otherwise."""
    every_day = {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    return ClinicsFile.model_validate({"clinics": [{
        "id": "night", "name": {"fr": "Nuit", "en": "Night"}, "sms_number": "+15145550101", "phone": "+15145550102",
        "address": "1, rue Test", "hours": hours or every_day, "closures": ["2026-12-24"],
        "practitioners": [{"id": "owl", "name": {"fr": "Hibou", "en": "Owl"}, "availability": availability}],
    }]})  # fmt: skip


def fhir_clinic(
    base_url: str, schedules: dict[str, str], *more_backends: dict[str, object], **options: object
) -> ClinicsFile:
    """Clinic "night" (open around the clock) with practitioners "owl" and "lark" booked on a FHIR server (see
    `fakes.fhir_server.fhir_clinic_data`)."""
    return ClinicsFile.model_validate(fhir_clinic_data(base_url, schedules, *more_backends, **options))
