"""When reminders go out (issue 13, point 2): the policy's moments on the clinic's clock, moved back into texting
hours, never after the visit, across both DST changes (2026-11-01 and 2027-03-14 in Montréal)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.clinics.config import ClinicConfig, ReminderPolicy, load_clinics
from bot.clinics.reminders import reminder_times
from bot.clinics.texting import last_texting_moment, may_text_at
from bot.settings import demo_clinics_file

MONTREAL = ZoneInfo("America/Toronto")


def clinic(before_hours: list[int] | None = None) -> ClinicConfig:
    demo = load_clinics(demo_clinics_file()).clinics[0]
    policy = ReminderPolicy(before_hours=before_hours or [72, 24])
    return demo.model_copy(update={"reminders": policy})


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=MONTREAL)  # type: ignore[misc]


def due(visit: datetime, before_hours: list[int] | None = None) -> list[tuple[int, datetime]]:
    return [(r.hours_before, r.due_at.astimezone(MONTREAL)) for r in reminder_times(clinic(before_hours), visit)]


def test_a_weekday_visit_gets_its_reminders_at_the_same_time_three_days_and_one_day_before() -> None:
    assert due(local(2026, 12, 10, 14, 30)) == [(72, local(2026, 12, 7, 14, 30)), (24, local(2026, 12, 9, 14, 30))]


@pytest.mark.parametrize(
    ("visit", "expected"),
    [
        # 24 h before 08:00 Thursday is 08:00 Wednesday, before texting opens: 20:59 Tuesday.
        (local(2026, 12, 10, 8, 0), local(2026, 12, 8, 20, 59)),
        # 24 h before 21:30 Thursday is 21:30 Wednesday, after it closes: 20:59 that Wednesday.
        (local(2026, 12, 10, 21, 30), local(2026, 12, 9, 20, 59)),
        # 24 h before 09:30 Monday is 09:30 Sunday, before the weekend's 10:00: 17:59 Saturday.
        (local(2026, 12, 14, 9, 30), local(2026, 12, 12, 17, 59)),
    ],
)
def test_a_moment_in_quiet_hours_moves_back_to_the_last_minute_texting_is_allowed(
    visit: datetime, expected: datetime
) -> None:
    assert due(visit, [24]) == [(24, expected)]


def test_across_the_fall_dst_change_the_clock_time_is_kept() -> None:
    # Clocks went back on 2026-11-01 at 02:00: 24 h before 10:00 EST on the 2nd is 10:00 EST on the 1st (25 h).
    assert due(local(2026, 11, 2, 10, 0)) == [(72, local(2026, 10, 30, 10, 0)), (24, local(2026, 11, 1, 10, 0))]
    assert due(local(2026, 11, 2, 10, 0))[0][1].utcoffset() != due(local(2026, 11, 2, 10, 0))[1][1].utcoffset()


def test_across_the_spring_dst_change_the_clock_time_is_kept_and_quiet_hours_hold() -> None:
    # Clocks go forward on 2027-03-14 (a Sunday) at 02:00. 24 h before 11:00 Monday is 11:00 Sunday (23 h).
    assert due(local(2027, 3, 15, 11, 0), [24]) == [(24, local(2027, 3, 14, 11, 0))]
    # 24 h before 02:30 Monday is 02:30 Sunday, a time that does not exist that night: quiet hours, 17:59 Saturday.
    assert due(local(2027, 3, 15, 2, 30), [24]) == [(24, local(2027, 3, 13, 17, 59))]


def test_every_reminder_is_within_texting_hours_and_before_its_visit() -> None:
    config = clinic([72, 48, 24, 2])
    for day in range(1, 29):
        for hour in range(0, 24):
            visit = local(2027, 3, day, hour, 15)
            for reminder in reminder_times(config, visit):
                assert reminder.due_at < visit
                assert may_text_at(config, reminder.due_at), (visit, reminder)


def test_a_short_notice_reminder_in_the_night_goes_the_evening_before() -> None:
    # A 2 h reminder of a 09:30 Saturday visit would go at 07:30, quiet hours: 20:59 Friday.
    assert due(local(2026, 12, 12, 9, 30), [2]) == [(2, local(2026, 12, 11, 20, 59))]
    assert last_texting_moment(clinic(), local(2026, 12, 9, 12, 0)) == local(2026, 12, 9, 12, 0)
