"""Slots from weekly availability (idempotent) and from a clinic's CSV file (bad rows reported by line)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import func, select

from bot.booking.slot_supply import generate_slots, import_slots
from bot.clinics.config import ClinicsFile
from bot.db.clinics import sync_clinics
from bot.db.models import Slot
from bot.db.session import Database
from tests.helpers import one_practitioner_clinic, quiet_monday


def slot_count(database: Database, **where: object) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Slot).filter_by(**where)) or 0


def test_generation_is_idempotent(database: Database, demo_clinics: ClinicsFile) -> None:
    clinic = demo_clinics.clinics[0]
    monday = quiet_monday(clinic)
    first = generate_slots(database, clinic, 7, first_day=monday)
    second = generate_slots(database, clinic, 7, first_day=monday)
    assert (first.added, first.unchanged) == (5 * 27 * 3, 0)
    assert (second.added, second.unchanged) == (0, 5 * 27 * 3)
    assert slot_count(database) == 5 * 27 * 3


def test_generation_skips_closures_and_holidays(database: Database, demo_clinics: ClinicsFile) -> None:
    clinic = demo_clinics.clinics[0]
    # The week of 2026-12-21: Thursday 24 is the clinic's closure and Friday 25 is Christmas.
    report = generate_slots(database, clinic, 5, first_day=date(2026, 12, 21))
    if datetime.now(clinic.zone).date() < date(2026, 12, 21):
        assert report.added == 3 * 27 * 3
    with database.transaction() as session:
        days = {s.astimezone(clinic.zone).date() for s in session.scalars(select(Slot.start_at))}
    assert date(2026, 12, 24) not in days and date(2026, 12, 25) not in days


def csv_for(monday: date, rows: list[str]) -> str:
    header = "clinic,practitioner,start,minutes"
    return "\n".join([header, *(row.replace("MONDAY", monday.isoformat()) for row in rows)]) + "\n"


def test_import_keeps_good_rows_and_reports_bad_ones_by_line(database: Database, demo_clinics: ClinicsFile) -> None:
    monday = quiet_monday(demo_clinics.clinics[0])
    text = csv_for(
        monday,
        [
            "demo-plateau,tremblay,MONDAYT18:00,30",  # line 2: good (evening, outside availability is fine)
            "demo-plateau,tremblay,MONDAYT18:10,20",  # line 3: overlaps line 2
            "nowhere,tremblay,MONDAYT18:00,30",  # line 4: unknown clinic
            "demo-plateau,house,MONDAYT18:00,30",  # line 5: unknown practitioner
            "demo-plateau,gagnon,MONDAY at six,30",  # line 6: bad time
            "demo-plateau,gagnon,MONDAYT18:00,zero",  # line 7: bad minutes
            "demo-plateau,gagnon,2020-01-06T09:00,20",  # line 8: past
            "demo-plateau,gagnon,MONDAYT18:00-05:00,20",  # line 9: good, with an offset
            "demo-plateau,roy,MONDAYT19:00,500",  # line 10: too long
            "demo-plateau,tremblay,MONDAYT18:00,30",  # line 11: same as line 2: already there
        ],
    )
    report = import_slots(database, demo_clinics, text)
    assert (report.added, report.unchanged) == (2, 1)
    assert [line for line, _ in report.errors] == [3, 4, 5, 6, 7, 8, 10]
    messages = dict(report.errors)
    assert "overlaps the slot at" in messages[3] and "18:00" in messages[3]
    assert 'unknown clinic "nowhere"' in messages[4]
    assert 'unknown practitioner "house"' in messages[5]
    assert "in the past" in messages[8]
    assert slot_count(database, source="import") == 2


def test_import_then_generate_never_overlaps(database: Database, demo_clinics: ClinicsFile) -> None:
    clinic = demo_clinics.clinics[0]
    monday = quiet_monday(clinic)
    report = import_slots(database, demo_clinics, csv_for(monday, ["demo-plateau,roy,MONDAYT09:10,30"]))
    assert report.added == 1 and not report.errors
    generated = generate_slots(database, clinic, 1, first_day=monday)
    assert generated.added == 27 * 3 - 2, "09:00 and 09:20 of roy would overlap 09:10-09:40"
    with database.transaction() as session:
        starts = [
            s.astimezone(clinic.zone).time()
            for s in session.scalars(
                select(Slot.start_at)
                .join(Slot.practitioner)
                .where(Slot.practitioner.has(key="roy"))
                .order_by(Slot.start_at)
            )
        ]
    assert starts[:4] == [time(8), time(8, 20), time(8, 40), time(9, 10)]
    assert starts[4] == time(9, 40)


def test_import_without_the_columns_says_which_are_missing(database: Database, demo_clinics: ClinicsFile) -> None:
    report = import_slots(database, demo_clinics, "clinic,start\ndemo-plateau,2030-01-07T09:00\n")
    assert report.added == 0
    assert report.errors == [
        (1, "missing column(s): practitioner, minutes (expected clinic,practitioner,start,minutes)")
    ]


def test_dst_days_are_stored_with_their_real_times(database: Database) -> None:
    """A night availability across both 2027 DST changes, stored and read back in UTC on each database."""
    night = one_practitioner_clinic({"sun": ["01:00-04:00"]})
    sync_clinics(database, night)
    clinic = night.clinics[0]
    spring = generate_slots(database, clinic, 1, first_day=date(2027, 3, 14))
    autumn = generate_slots(database, clinic, 1, first_day=date(2027, 11, 7))
    assert (spring.added, autumn.added) == (6, 12)
    with database.transaction() as session:
        starts = session.scalars(select(Slot.start_at).where(Slot.clinic_id == "night").order_by(Slot.start_at)).all()
    local = [s.astimezone(clinic.zone).strftime("%m-%d %H:%M %z") for s in starts]
    assert local[:6] == [
        "03-14 01:00 -0500",
        "03-14 01:20 -0500",
        "03-14 01:40 -0500",
        "03-14 03:00 -0400",
        "03-14 03:20 -0400",
        "03-14 03:40 -0400",
    ]
    assert local[6:9] == ["11-07 01:00 -0400", "11-07 01:20 -0400", "11-07 01:40 -0400"]
    assert local[9:12] == ["11-07 01:00 -0500", "11-07 01:20 -0500", "11-07 01:40 -0500"]
