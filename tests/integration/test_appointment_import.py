"""Clinics' appointments loaded for their reminders (issue 13, point 1): row-level report, good rows kept,
idempotent on (clinic, external_id), a changed time re-plans the reminders, a cancelled row withdraws them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.booking.appointment_import import ImportReport, import_csv
from bot.bootstrap import Services
from bot.core.vocabulary import AppointmentStatus
from bot.db.models import Appointment, Reminder
from tests.e2e.test_cli import rdvbot

MONTREAL = ZoneInfo("America/Toronto")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=MONTREAL).astimezone(UTC)  # a Monday morning
HEADER = "clinic,external_id,patient_phone,practitioner,start,minutes,language\n"


def load(services: Services, rows: str, now: datetime = NOW) -> ImportReport:
    return import_csv(services.database, services.clinics, HEADER + rows, now)


def reminders(services: Services, external_id: str) -> list[tuple[int, str, datetime]]:
    """(hours before, status, due in Montréal time) of the appointment's reminders, oldest plan first."""
    with services.database.reading() as session:
        found = session.scalars(
            select(Reminder)
            .join(Appointment, Appointment.id == Reminder.appointment_id)
            .where(Appointment.external_id == f"demo-plateau:{external_id}")
            .order_by(Reminder.id)
        )
        return [(r.hours_before, str(r.status), r.due_at.astimezone(MONTREAL).replace(tzinfo=None)) for r in found]


def test_good_rows_are_kept_and_each_bad_one_is_reported_with_its_line(services: Services) -> None:
    report = load(
        services,
        "demo-plateau,A-1,514 555-0191,tremblay,2026-12-11T14:00,20,fr\n"
        "demo-plateau,A-2,555-0192,tremblay,2026-12-11T14:20,20,fr\n"
        "demo-plateau,A-3,514-555-0193,dr-nobody,2026-12-11T14:40,20,fr\n"
        "somewhere,A-4,514-555-0194,tremblay,2026-12-11T15:00,20,fr\n"
        "demo-plateau,A-5,514-555-0195,tremblay,le 11 décembre,20,fr\n"
        "demo-plateau,A-6,514-555-0196,tremblay,2026-12-01T09:00,20,fr\n"
        "demo-plateau,A-7,514-555-0197,tremblay,2026-12-11T15:20,20,de\n"
        "demo-plateau,A-8,514-555-0198,tremblay,2026-12-11T15:40,20,en\n",
    )
    assert (report.added, report.changed, report.cancelled) == (2, 0, 0)
    reasons = dict(report.errors)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert "patient_phone" in reasons[3] and "unknown practitioner" in reasons[4]
    assert "unknown clinic" in reasons[5] and "not a date and time" in reasons[6]
    assert "in the past" in reasons[7] and "language" in reasons[8]
    assert reminders(services, "A-1") == [
        (72, "planned", datetime(2026, 12, 8, 14, 0)),
        (24, "planned", datetime(2026, 12, 10, 14, 0)),
    ]


def test_loading_again_changes_nothing_and_a_new_time_replans_the_reminders(services: Services) -> None:
    row = "demo-plateau,B-1,514-555-0191,tremblay,{start},20,en\n"
    assert load(services, row.format(start="2026-12-11T14:00")).added == 1
    assert load(services, row.format(start="2026-12-11T14:00")).unchanged == 1
    assert load(services, row.format(start="2026-12-14T10:00")).changed == 1
    assert reminders(services, "B-1") == [
        (72, "withdrawn", datetime(2026, 12, 8, 14, 0)),
        (24, "withdrawn", datetime(2026, 12, 10, 14, 0)),
        (72, "planned", datetime(2026, 12, 11, 10, 0)),
        (24, "planned", datetime(2026, 12, 13, 10, 0)),  # Sunday 10:00: the weekend window opens then
    ]


@pytest.mark.parametrize("cancelling", ["{start},0,fr", "{start},20,fr,cancelled"])
def test_a_cancelled_row_cancels_the_appointment_and_withdraws_its_reminders(
    services: Services, cancelling: str
) -> None:
    start = "2026-12-11T14:00"
    assert load(services, f"demo-plateau,C-1,514-555-0191,tremblay,{start},20,fr\n").added == 1
    header = HEADER.strip() + ",status\n"
    cancelled = import_csv(
        services.database,
        services.clinics,
        header + "demo-plateau,C-1,514-555-0191,tremblay," + cancelling.format(start=start) + "\n",
        NOW,
    )
    assert cancelled.cancelled == 1 and cancelled.errors == []
    assert {status for _, status, _ in reminders(services, "C-1")} == {"withdrawn"}
    with services.database.reading() as session:
        status = session.scalar(select(Appointment.status).where(Appointment.external_id == "demo-plateau:C-1"))
    assert status is AppointmentStatus.CANCELLED


def test_a_moment_already_past_is_sent_late_only_while_the_visit_is_more_than_12_hours_away(
    services: Services,
) -> None:
    # 30 h ahead: the 72 h moment passed and goes late (due now); the 24 h one stands.
    load(services, "demo-plateau,D-1,514-555-0191,tremblay,2026-12-08T15:00,20,fr\n")
    [(_, late, due_late), (_, next_one, _)] = reminders(services, "D-1")
    assert (late, next_one) == ("planned", "planned") and due_late < NOW.astimezone(MONTREAL).replace(tzinfo=None)
    # 8 h ahead: both moments passed, the visit is too close: skipped.
    load(services, "demo-plateau,D-2,514-555-0192,tremblay,2026-12-07T17:00,20,fr\n")
    assert [status for _, status, _ in reminders(services, "D-2")] == ["skipped", "skipped"]
    # 60 h ahead: of the moments past, only the latest would go; here only 72 h passed, and it goes.
    load(services, "demo-plateau,D-3,514-555-0193,tremblay,2026-12-09T21:00,20,fr\n")
    assert [status for _, status, _ in reminders(services, "D-3")] == ["planned", "planned"]


def test_remind_import_reports_file_line_reason_and_exits_1_when_a_row_was_refused(tmp_path: Path) -> None:
    soon = (datetime.now(MONTREAL) + timedelta(days=5)).replace(hour=14, minute=0, second=0, microsecond=0)
    csv_file = tmp_path / "today.csv"
    csv_file.write_text(
        HEADER
        + f"demo-plateau,E-1,514-555-0191,tremblay,{soon:%Y-%m-%dT%H:%M},20,fr\n"
        + f"demo-plateau,E-2,not a number,tremblay,{soon:%Y-%m-%dT%H:%M},20,fr\n",
        encoding="utf-8",
    )
    done = rdvbot(tmp_path, "remind", "import", str(csv_file))
    assert done.returncode == 1
    assert done.stderr.strip() == f'{csv_file}:3: patient_phone "not a number" is not a phone number'
    assert "1 appointments added" in done.stdout
    again = rdvbot(tmp_path, "remind", "import", str(csv_file))
    assert "0 appointments added, 0 changed, 0 cancelled, 1 unchanged, 1 rows refused" in again.stdout
