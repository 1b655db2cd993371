"""When a clinic may text patients on its own initiative: its quiet hours (`reminders.quiet_hours`), weekdays and
weekends apart, in its own time zone, across both DST changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.clinics.config import ClinicConfig

#: A text planned at the very end of the window goes a minute before it closes, not at its closing time.
_LAST_MINUTE = timedelta(minutes=1)


def texting_window(clinic: ClinicConfig, day: date) -> tuple[datetime, datetime]:
    """When the clinic may text on `day`, as aware local datetimes: [start, end)."""
    hours = clinic.reminders.quiet_hours
    allowed = hours.weekends if day.weekday() >= 5 else hours.weekdays
    return datetime.combine(day, allowed.start, clinic.zone), datetime.combine(day, allowed.end, clinic.zone)


def may_text_at(clinic: ClinicConfig, moment: datetime) -> bool:
    """Whether `moment` is within the clinic's texting hours."""
    start, end = texting_window(clinic, moment.astimezone(clinic.zone).date())
    return start <= moment < end


def next_texting_start(clinic: ClinicConfig, moment: datetime) -> datetime:
    """The next time the clinic may text after `moment` (which is outside its texting hours)."""
    today = moment.astimezone(clinic.zone).date()
    start, _ = texting_window(clinic, today)
    return start if moment < start else texting_window(clinic, today + timedelta(days=1))[0]


def last_texting_moment(clinic: ClinicConfig, moment: datetime) -> datetime:
    """`moment` itself within texting hours, else the last minute the clinic may text before it."""
    if may_text_at(clinic, moment):
        return moment
    day = moment.astimezone(clinic.zone).date()
    start, end = texting_window(clinic, day)
    if moment >= end:
        return end - _LAST_MINUTE
    return texting_window(clinic, day - timedelta(days=1))[1] - _LAST_MINUTE
