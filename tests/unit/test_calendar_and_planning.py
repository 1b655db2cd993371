"""Opening hours, closures, Québec holidays, and slot planning on ordinary and DST days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.booking.port import local_windows
from bot.booking.slot_supply import parse_local_time, planned_slots
from bot.clinics.calendar import ClinicCalendar
from bot.clinics.config import ClinicConfig, ClinicsFile
from bot.core.booking import SlotSearch
from bot.core.vocabulary import PartOfDay
from tests.helpers import one_practitioner_clinic

MONTREAL = ZoneInfo("America/Toronto")


def clinic_with(availability: dict[str, list[str]], hours: dict[str, str] | None = None) -> ClinicConfig:
    """A one-practitioner clinic open every day unless `hours` says otherwise."""
    return one_practitioner_clinic(availability, hours).clinics[0]


def test_holidays_closures_and_weekends_close_the_clinic(demo_clinics: ClinicsFile) -> None:
    calendar = ClinicCalendar(demo_clinics.clinics[0])
    assert calendar.closure_reason(date(2026, 12, 25)) == "Christmas Day"
    assert calendar.closure_reason(date(2026, 6, 24)) is not None, "Fête nationale"
    assert calendar.closure_reason(date(2026, 12, 24)) == "closure"
    assert calendar.opening_windows(date(2026, 11, 28)) == [], "Saturday"
    assert calendar.opening_windows(date(2026, 11, 24))[0].end == time(20), "Tuesday evening hours"


def test_open_now_uses_local_time(demo_clinics: ClinicsFile) -> None:
    calendar = ClinicCalendar(demo_clinics.clinics[0])
    # Tuesday 2026-11-24 19:30 in Montréal is 00:30 UTC on Wednesday.
    assert calendar.is_open_at(datetime(2026, 11, 25, 0, 30, tzinfo=UTC))
    assert not calendar.is_open_at(datetime(2026, 11, 25, 1, 30, tzinfo=UTC)), "20:30 local"
    assert not calendar.is_open_at(datetime(2026, 12, 25, 15, 0, tzinfo=UTC)), "Christmas"


def test_ordinary_day_slots_follow_availability(demo_clinics: ClinicsFile) -> None:
    clinic = demo_clinics.clinics[0]
    slots = list(planned_slots(clinic, clinic.practitioners[0], date(2026, 11, 23), 7))
    days = {start.astimezone(MONTREAL).date() for start, _ in slots}
    assert days == {date(2026, 11, d) for d in (23, 24, 25, 26, 27)}, "weekdays only"
    assert len(slots) == 5 * 27, "08:00-17:00 every 20 minutes"
    assert slots[0][0] == datetime(2026, 11, 23, 8, 0, tzinfo=MONTREAL)
    assert slots[-1][1] == datetime(2026, 11, 27, 17, 0, tzinfo=MONTREAL)


def test_spring_forward_skips_the_missing_hour() -> None:
    clinic = clinic_with({"sun": ["01:00-04:00"]})
    slots = list(planned_slots(clinic, clinic.practitioners[0], date(2026, 3, 8), 1))
    local = [start.astimezone(MONTREAL).strftime("%H:%M") for start, _ in slots]
    assert local == ["01:00", "01:20", "01:40", "03:00", "03:20", "03:40"]
    assert all(end - start == timedelta(minutes=20) for start, end in slots)


def test_fall_back_works_the_repeated_hour_twice() -> None:
    clinic = clinic_with({"sun": ["01:00-04:00"]})
    slots = list(planned_slots(clinic, clinic.practitioners[0], date(2026, 11, 1), 1))
    assert len(slots) == 12, "four real hours between 01:00 EDT and 04:00 EST"
    assert len({start for start, _ in slots}) == 12
    offsets = [start.astimezone(MONTREAL).utcoffset() for start, _ in slots]
    assert offsets.count(timedelta(hours=-4)) == 3 and offsets.count(timedelta(hours=-5)) == 9


def test_daytime_slots_on_dst_days_keep_local_times() -> None:
    clinic = clinic_with({"sun": ["08:00-09:00"]})
    for day, utc_hour in ((date(2026, 3, 8), 12), (date(2026, 11, 1), 13)):
        starts = [s for s, _ in planned_slots(clinic, clinic.practitioners[0], day, 1)]
        assert starts[0] == datetime(day.year, day.month, day.day, utc_hour, 0, tzinfo=UTC)
        assert [s.astimezone(MONTREAL).strftime("%H:%M") for s in starts] == ["08:00", "08:20", "08:40"]


def test_closed_days_get_no_slots() -> None:
    clinic = clinic_with(
        {"thu": ["08:00-10:00"], "fri": ["08:00-10:00"]}, hours={"thu": "08:00-17:00", "fri": "closed"}
    )
    # Thursday 2026-12-24 is a closure, Friday 2026-12-25 is Christmas and closed anyway, Thursday 12-31 is open.
    days = {
        s.astimezone(MONTREAL).date() for s, _ in planned_slots(clinic, clinic.practitioners[0], date(2026, 12, 24), 8)
    }
    assert days == {date(2026, 12, 31)}


def _days(first: date, last: date, part: PartOfDay | None = None, **times: time) -> SlotSearch:
    return SlotSearch("demo", first, last, part, **times)


def test_part_of_day_windows_on_a_dst_day() -> None:
    [(start, end)] = local_windows(_days(date(2026, 3, 8), date(2026, 3, 8), PartOfDay.MORNING), MONTREAL)
    assert end - start == timedelta(hours=11), "the morning of spring-forward day is an hour short"
    [(start, end)] = local_windows(_days(date(2026, 3, 1), date(2026, 3, 14)), MONTREAL)
    assert end - start == timedelta(days=14) - timedelta(hours=1), "whole days make one range, DST hour included"
    assert len(local_windows(_days(date(2026, 3, 1), date(2026, 3, 7), PartOfDay.MORNING), MONTREAL)) == 7


def test_clock_times_narrow_each_day_within_its_part() -> None:
    afternoon_from_four = _days(date(2026, 12, 8), date(2026, 12, 9), PartOfDay.AFTERNOON, starting_from=time(16))
    windows = local_windows(afternoon_from_four, MONTREAL)
    assert [(s.astimezone(MONTREAL).time(), e.astimezone(MONTREAL).time()) for s, e in windows] == [
        (time(16), time(17))
    ] * 2
    morning_before_ten = _days(date(2026, 12, 8), date(2026, 12, 8), PartOfDay.MORNING, starting_before=time(10))
    [(start, end)] = local_windows(morning_before_ten, MONTREAL)
    assert end.astimezone(MONTREAL).time() == time(10)
    morning_from_one = _days(date(2026, 12, 8), date(2026, 12, 8), PartOfDay.MORNING, starting_from=time(13))
    assert local_windows(morning_from_one, MONTREAL) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T09:00", datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
        ("2026-12-01 09:00", datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
        ("2026-11-01T01:30-04:00", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    ],
)
def test_csv_times_are_local_unless_offset(text: str, expected: datetime) -> None:
    assert parse_local_time(text, MONTREAL) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [("2026-03-08T02:30", "does not exist"), ("2026-11-01T01:30", "happens twice"), ("demain", "not a date")],
)
def test_impossible_csv_times_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_local_time(text, MONTREAL)
