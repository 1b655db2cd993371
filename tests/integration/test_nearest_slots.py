"""The nearest slots offered when nothing fits, on the demo clinic's real database: they keep the rest of the wish
and come from either side of the asked day."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from bot.booking.finder import Unfree, find_slots
from bot.bootstrap import Services, bootstrap
from bot.clinics.calendar import ClinicCalendar
from bot.core.wish import Wish
from bot.settings import Settings
from tests.dialogue.runner import Moment, the_week


@pytest.fixture(scope="module")
def moment() -> Iterator[Moment]:
    with the_week() as week:
        yield week


@pytest.fixture
def services(moment: Moment, tmp_path: Path) -> Iterator[Services]:
    shutil.copyfile(moment.template, tmp_path / "rdvbot.db")
    built = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'rdvbot.db'}", clinics_file=moment.clinics_file))
    yield built
    built.database.dispose()


def test_a_closed_day_with_nothing_after_it_offers_the_last_open_day_before(services: Services, moment: Moment) -> None:
    clinic = services.clinics.clinics[0]
    # The third Saturday: Sunday is closed and the Monday after is the horizon's end, where no slot is open yet.
    saturday = moment.monday + timedelta(days=19)
    now = datetime.combine(moment.monday, time(9), clinic.zone)
    offer = find_slots(services.scheduler, clinic, Wish(first_day=saturday, last_day=saturday), now)
    assert (offer.outcome, offer.why) == ("nearest", Unfree.CLOSED)
    last_open = saturday - timedelta(days=1)
    while not ClinicCalendar(clinic).opening_windows(last_open):  # the week's Friday, unless a holiday or closure
        last_open -= timedelta(days=1)
    assert {slot.start.astimezone(clinic.zone).date() for slot in offer.slots} == {last_open}


def test_the_slots_before_keep_the_part_of_the_day(services: Services, moment: Moment) -> None:
    clinic = services.clinics.clinics[0]
    saturday = moment.monday + timedelta(days=19)
    now = datetime.combine(moment.monday, time(9), clinic.zone)
    wish = Wish(first_day=saturday, last_day=saturday, after=time(14))
    offer = find_slots(services.scheduler, clinic, wish, now)
    assert offer.slots and all(slot.start.astimezone(clinic.zone).time() >= time(14) for slot in offer.slots)
