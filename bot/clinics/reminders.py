"""When a visit's reminders go out: the clinic's moments before it (`reminders.before_hours`), on the local clock,
moved back into texting hours, never after the visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.clinics.config import ClinicConfig
from bot.clinics.texting import last_texting_moment


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder of a visit: which moment of the policy it is, and when it is due (UTC)."""

    hours_before: int
    due_at: datetime


def reminder_times(clinic: ClinicConfig, start: datetime) -> list[PlannedReminder]:
    """The reminders of a visit at `start`, earliest first.

    "24 h before" a 10:00 visit is 10:00 the day before on the clinic's clock, whatever a DST change did in between
    (patients count days, not hours); a moment in quiet hours moves back to the last minute texting is allowed before
    it, so never after the visit.
    """
    local = start.astimezone(clinic.zone).replace(tzinfo=None)
    planned = []
    for hours in clinic.reminders.before_hours:  # largest first: the validator sorts them so
        days, rest = divmod(hours, 24)
        nominal = (local - timedelta(days=days, hours=rest)).replace(tzinfo=clinic.zone)
        planned.append(PlannedReminder(hours, last_texting_moment(clinic, nominal).astimezone(UTC)))
    return planned
