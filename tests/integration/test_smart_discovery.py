"""SmartDirectory over real HTTP against a local publisher serving the SMART Scheduling Links example files.

The data: 10 Locations ("0"-"9", all in Massachusetts), Schedules "10"-"19" (Schedule/1N -> Location/N), and one free
14:00Z-23:00Z slot per location per day for 2021-03-01..14 (slot 20+N is location N on March 1, its deep link ends in
`slot=10000NN`). Every phone is the placeholder 000-000-0000. The manifest also lists W11-W13, which are not there.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from bot.booking.smart import DiscoveryUnavailable, NearbyOffer, SmartDirectory
from bot.core.deadline import turn_deadline
from fakes.smart_publisher import MANIFEST, SmartPublisher
from tests.helpers import FakeClock

W09, W10 = "slots-2021-W09.ndjson", "slots-2021-W10.ndjson"
MISSING_WEEKS = ("slots-2021-W11.ndjson", "slots-2021-W12.ndjson", "slots-2021-W13.ndjson")
MARCH_1 = datetime(2021, 3, 1, tzinfo=UTC)
MARCH_1_OPEN = datetime(2021, 3, 1, 14, tzinfo=UTC)
MARCH_8 = datetime(2021, 3, 8, tzinfo=UTC)
ALL_SLOTS = 140  # W09 + W10, all free, each at one location


@pytest.fixture
def publisher() -> Iterator[SmartPublisher]:
    with SmartPublisher() as started:
        yield started


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as opened:
        yield opened


def directory_for(
    publisher: SmartPublisher, session: requests.Session, clock: FakeClock, *, timeout_s: float = 2.0
) -> SmartDirectory:
    return SmartDirectory(publisher.manifest_url, session=session, timeout_s=timeout_s, max_age_s=300.0, clock=clock)


@pytest.fixture
def directory(publisher: SmartPublisher, session: requests.Session, clock: FakeClock) -> SmartDirectory:
    return directory_for(publisher, session, clock)


def slot_line(publisher: SmartPublisher, slot_id: str) -> str:
    return next(line for line in publisher.text(W09).split("\n") if json.loads(line)["id"] == slot_id)


def ids(offers: list[NearbyOffer]) -> list[str]:
    return [offer.location_id for offer in offers]


# ----- what the example data gives -----


def test_loads_every_location_schedule_and_slot(directory: SmartDirectory, publisher: SmartPublisher) -> None:
    directory.refresh()

    snapshot = directory.snapshot
    assert snapshot is not None
    assert sorted(snapshot.locations) == [str(n) for n in range(10)]
    assert snapshot.schedule_locations == {str(10 + n): (str(n),) for n in range(10)}
    assert len(snapshot.openings) == ALL_SLOTS
    assert snapshot.transaction_time == datetime(2021, 4, 13, 18, 50, 51, 388000, tzinfo=UTC)
    assert (snapshot.skipped_lines, snapshot.unresolved_slots) == (0, 0)


def test_earliest_offers_are_three_locations_at_the_first_opening_with_their_deep_links(
    directory: SmartDirectory, publisher: SmartPublisher
) -> None:
    offers = directory.earliest(MARCH_1)

    assert ids(offers) == ["0", "1", "2"]
    assert offers[0] == NearbyOffer(
        location_id="0",
        location_name="SMART Vaccine Clinic Boston",
        address="123 Summer St, Boston, MA 02114",
        phone=None,  # 000-000-0000 is a placeholder, on the location and under booking-hhone alike
        start=MARCH_1_OPEN,
        end=datetime(2021, 3, 1, 23, tzinfo=UTC),
        booking_link="https://ehr-portal.example.org/bookings?slot=1000000",
        booking_phone=None,
        source=publisher.manifest_url,
    )
    assert [offer.booking_link for offer in offers[1:]] == [
        "https://ehr-portal.example.org/bookings?slot=1000001",
        "https://ehr-portal.example.org/bookings?slot=1000002",
    ]
    assert all(offer.start == MARCH_1_OPEN and offer.start.utcoffset() == UTC.utcoffset(None) for offer in offers)


def test_one_offer_per_location_and_only_slots_starting_at_or_after(directory: SmartDirectory) -> None:
    every_location = directory.earliest(MARCH_1, limit=50)
    assert sorted(ids(every_location)) == [str(n) for n in range(10)]  # 10 locations, not 140 slots

    # The March 1 slots are still open at 14:00:01 but started before it: the next ones are March 2's.
    later = directory.earliest(datetime(2021, 3, 1, 14, 0, 1, tzinfo=UTC))
    assert {offer.start for offer in later} == {datetime(2021, 3, 2, 14, tzinfo=UTC)}
    assert later[0].booking_link == "https://ehr-portal.example.org/bookings?slot=1000010"


def test_busy_slots_are_not_offered(directory: SmartDirectory, publisher: SmartPublisher) -> None:
    line = slot_line(publisher, "20")  # location 0, March 1
    publisher.replace_in(W09, line, line.replace('"status":"free"', '"status":"busy"'))

    offers = directory.earliest(MARCH_1, limit=10)

    assert offers[-1].location_id == "0"
    assert offers[-1].start == datetime(2021, 3, 2, 14, tzinfo=UTC)
    assert offers[-1].booking_link == "https://ehr-portal.example.org/bookings?slot=1000010"


def test_week_10_comes_from_its_own_file_and_the_missing_weeks_are_reported(
    directory: SmartDirectory, publisher: SmartPublisher
) -> None:
    offers = directory.earliest(MARCH_8)

    assert [offer.start for offer in offers] == [datetime(2021, 3, 8, 14, tzinfo=UTC)] * 3
    assert offers[0].booking_link == "https://ehr-portal.example.org/bookings?slot=1000070"
    assert directory.snapshot is not None
    assert set(directory.snapshot.failed_outputs) == {publisher.url(name) for name in MISSING_WEEKS}
    assert all("HTTP 404" in reason for reason in directory.snapshot.failed_outputs.values())
    assert directory.earliest(datetime(2021, 3, 14, 14, 0, 1, tzinfo=UTC)) == []  # nothing after W10's last


# ----- booking phone and location phone -----


@pytest.mark.parametrize("extension", ["booking-hhone", "booking-phone"])
def test_a_real_booking_phone_comes_through_under_either_spelling(
    directory: SmartDirectory, publisher: SmartPublisher, extension: str
) -> None:
    line = slot_line(publisher, "20")  # location 0, March 1
    slot = json.loads(line)
    slot["extension"][1] = {
        "url": f"http://fhir-registry.smarthealthit.org/StructureDefinition/{extension}",
        "valueString": "514-555-0142",
    }
    publisher.replace_in(W09, line, json.dumps(slot))

    first, second = directory.earliest(MARCH_1, limit=2)

    assert (first.location_id, first.booking_phone, first.phone) == ("0", "514-555-0142", None)
    assert second.booking_phone is None  # location 1 still has only the placeholder


def test_the_location_phone_stands_in_for_a_missing_booking_phone(
    directory: SmartDirectory, publisher: SmartPublisher
) -> None:
    publisher.replace_in(
        "locations.ndjson",
        '"SMART Vaccine Clinic Worcester","telecom":[{"system":"phone","value":"000-000-0000"}]',
        '"SMART Vaccine Clinic Worcester","telecom":[{"system":"phone","value":"508-555-0199"}]',
    )

    offers = directory.earliest(MARCH_1, limit=2)

    assert (offers[1].location_id, offers[1].phone, offers[1].booking_phone) == ("1", "508-555-0199", "508-555-0199")
    assert (offers[0].phone, offers[0].booking_phone) == (None, None)


# ----- near -----


@pytest.mark.parametrize(
    ("near", "expected"),
    [
        (["Boston"], ["0"]),
        (["BOSTON"], ["0"]),
        (["021"], ["0", "3"]),  # 02114 Boston and 02139 Cambridge; Quincy is 02269, Brockton 02301
        (["0 21"], ["0", "3"]),
        (["Cambridge", "01602"], ["1", "3"]),  # a city and a full postal code (Worcester)
        (["New-Bedford"], ["6"]),
        (["Montreal"], []),
        ([""], []),  # a blank entry keeps nothing; it must not widen the search to everything
    ],
)
def test_near_keeps_locations_by_postal_prefix_or_city(
    directory: SmartDirectory, near: list[str], expected: list[str]
) -> None:
    assert sorted(ids(directory.earliest(MARCH_1, limit=10, near=near))) == expected


@pytest.mark.parametrize("near", ["Montréal", "montreal", "MONTRÉAL", "h2j", "H2J 1A1", "h2j1a1"])
def test_near_ignores_accents_case_and_spaces(directory: SmartDirectory, publisher: SmartPublisher, near: str) -> None:
    publisher.replace_in(
        "locations.ndjson",
        '"city":"Lowell","state":"MA","postalCode":"01851"',
        '"city":"Montréal","state":"QC","postalCode":"H2J 1A1"',
    )

    offers = directory.earliest(MARCH_1, limit=10, near=[near])

    assert ids(offers) == ["4"]
    assert offers[0].address == "123 Peach St, Montréal, QC H2J 1A1"


# ----- bad data and failing files -----


def test_malformed_lines_are_skipped_and_counted(directory: SmartDirectory, publisher: SmartPublisher) -> None:
    publisher.append_lines(
        W09,
        "",  # blank lines are allowed and not counted
        "this is not json",
        '{"resourceType": "Slot", "id": "900"',  # truncated
        '{"resourceType": "Slot", "id": "901", "status": "free"}',  # no schedule, start or end
        '{"resourceType": "Location", "id": "902", "name": "not a slot"}',  # valid, but not in a Slot file
        "   ",
    )

    directory.refresh()

    assert directory.snapshot is not None
    assert directory.snapshot.skipped_lines == 4
    assert len(directory.snapshot.openings) == ALL_SLOTS
    assert "902" not in directory.snapshot.locations


def test_a_file_answering_500_is_left_out_and_the_others_kept(
    directory: SmartDirectory, publisher: SmartPublisher
) -> None:
    publisher.fail(W10, 500)

    assert ids(directory.earliest(MARCH_1)) == ["0", "1", "2"]  # W09 still there

    snapshot = directory.snapshot
    assert snapshot is not None
    assert snapshot.failed_outputs[publisher.url(W10)].endswith("HTTP 500")
    assert len(snapshot.openings) == ALL_SLOTS // 2
    assert directory.earliest(MARCH_8) == []


def test_slots_of_unpublished_schedules_are_counted_not_offered(
    directory: SmartDirectory, publisher: SmartPublisher
) -> None:
    publisher.fail("schedules.ndjson", 503)

    directory.refresh()

    assert directory.snapshot is not None
    assert len(directory.snapshot.locations) == 10
    assert directory.snapshot.unresolved_slots == ALL_SLOTS
    assert directory.earliest(MARCH_1) == []


@pytest.mark.parametrize("manifest", ["<html>oops</html>", '{"transactionTime": "2021-04-13T18:50:51.388Z"}', "[]"])
def test_an_unreadable_manifest_raises_and_keeps_the_loaded_snapshot(
    directory: SmartDirectory, publisher: SmartPublisher, manifest: str
) -> None:
    directory.refresh()
    loaded = directory.snapshot
    publisher.set_file(MANIFEST, manifest)

    with pytest.raises(DiscoveryUnavailable, match="not a bulk-publish manifest"):
        directory.refresh()

    assert directory.snapshot is loaded


def test_no_snapshot_and_no_publisher_raises(directory: SmartDirectory, publisher: SmartPublisher) -> None:
    publisher.fail(MANIFEST, 502)

    with pytest.raises(DiscoveryUnavailable, match="HTTP 502"):
        directory.earliest(MARCH_1)


def test_after_must_be_aware(directory: SmartDirectory) -> None:
    with pytest.raises(ValueError, match="aware"):
        directory.earliest(datetime(2021, 3, 1))


# ----- time limits -----


def test_a_hanging_manifest_raises_within_the_timeout_and_the_snapshot_still_answers(
    publisher: SmartPublisher, session: requests.Session, clock: FakeClock
) -> None:
    directory = directory_for(publisher, session, clock, timeout_s=0.3)
    directory.refresh()
    loaded = directory.snapshot
    publisher.hang(MANIFEST, 10)

    began = time.monotonic()
    with pytest.raises(DiscoveryUnavailable):
        directory.refresh()
    assert time.monotonic() - began < 0.6

    assert directory.snapshot is loaded
    assert ids(directory.earliest(MARCH_1)) == ["0", "1", "2"]


def test_the_turn_deadline_bounds_a_hanging_publisher(directory: SmartDirectory, publisher: SmartPublisher) -> None:
    publisher.hang(MANIFEST, 10)  # the directory's own timeout is 2 s: the turn's 0.3 s must win

    began = time.monotonic()
    with turn_deadline(0.3), pytest.raises(DiscoveryUnavailable):
        directory.earliest(MARCH_1)
    assert time.monotonic() - began < 0.3 + 0.3


def test_a_turn_that_runs_out_during_the_files_keeps_the_complete_snapshot(
    directory: SmartDirectory, publisher: SmartPublisher
) -> None:
    directory.refresh()
    loaded = directory.snapshot
    publisher.hang(W09, 10)

    began = time.monotonic()
    with turn_deadline(0.3), pytest.raises(DiscoveryUnavailable):
        directory.refresh()
    assert time.monotonic() - began < 0.3 + 0.3

    # Not a new snapshot missing W09 and everything after it: the whole refresh was given up.
    assert directory.snapshot is loaded


def test_no_time_left_means_no_request(directory: SmartDirectory, publisher: SmartPublisher) -> None:
    with turn_deadline(0), pytest.raises(DiscoveryUnavailable, match="no time left"):
        directory.refresh()

    assert publisher.count() == 0


def test_a_file_dripping_bytes_is_cut_off_at_the_timeout(
    publisher: SmartPublisher, session: requests.Session, clock: FakeClock
) -> None:
    directory = directory_for(publisher, session, clock, timeout_s=0.3)
    publisher.drip("schedules.ndjson", 0.002)  # 6599 bytes: over 13 s, each read well within the timeout

    began = time.monotonic()
    directory.refresh()
    assert time.monotonic() - began < 0.6 + 0.5  # the drip's 0.3 s to 0.6 s, and the other files

    assert directory.snapshot is not None
    assert "not received within" in directory.snapshot.failed_outputs[publisher.url("schedules.ndjson")]


# ----- snapshot age -----


def test_the_snapshot_is_reused_within_max_age_and_reloaded_after(
    directory: SmartDirectory, publisher: SmartPublisher, clock: FakeClock
) -> None:
    directory.earliest(MARCH_1)
    asked = publisher.count()
    assert publisher.count(MANIFEST) == 1

    clock.now += 299
    directory.earliest(MARCH_8, near=["Boston"])
    assert publisher.count() == asked

    publisher.replace_in(W09, "bookings?slot=1000000", "bookings?slot=changed")
    clock.now += 1
    offers = directory.earliest(MARCH_1)
    assert publisher.count(MANIFEST) == 2
    assert publisher.count(W09) == 2
    assert offers[0].booking_link == "https://ehr-portal.example.org/bookings?slot=changed"


def test_an_unchanged_complete_manifest_is_not_downloaded_again(
    directory: SmartDirectory, publisher: SmartPublisher, clock: FakeClock
) -> None:
    manifest = json.loads(publisher.text(MANIFEST))
    manifest["output"] = [output for output in manifest["output"] if not output["url"].endswith(MISSING_WEEKS)]
    publisher.set_file(MANIFEST, json.dumps(manifest))
    directory.refresh()
    loaded = directory.snapshot
    assert loaded is not None and not loaded.failed_outputs

    clock.now += 300
    directory.earliest(MARCH_1)

    assert "If-None-Match" in publisher.requests[-1].headers
    assert publisher.count(MANIFEST) == 2 and publisher.count(W09) == 1  # answered 304: the files were not asked
    assert directory.snapshot is loaded


def test_after_a_partial_load_the_manifest_is_asked_for_unconditionally(
    directory: SmartDirectory, publisher: SmartPublisher, clock: FakeClock
) -> None:
    directory.refresh()  # W11-W13 are missing: a partial load

    clock.now += 300
    directory.earliest(MARCH_1)

    manifests = [request for request in publisher.requests if request.name == MANIFEST]
    assert len(manifests) == 2 and "If-None-Match" not in manifests[1].headers
    assert publisher.count(W09) == 2


def test_a_failed_refresh_answers_from_the_older_snapshot_and_waits_max_age_to_retry(
    directory: SmartDirectory, publisher: SmartPublisher, clock: FakeClock
) -> None:
    directory.refresh()
    publisher.fail(MANIFEST, 500)

    clock.now += 300
    assert ids(directory.earliest(MARCH_1)) == ["0", "1", "2"]
    assert publisher.count(MANIFEST) == 2

    clock.now += 299  # the failed attempt counts: no new request until max_age after it
    assert ids(directory.earliest(MARCH_1)) == ["0", "1", "2"]
    assert publisher.count(MANIFEST) == 2

    publisher.clear_faults()
    clock.now += 1
    directory.earliest(MARCH_1)
    assert publisher.count(MANIFEST) == 3


def test_a_turn_does_not_queue_behind_another_turns_refresh(
    publisher: SmartPublisher, session: requests.Session, clock: FakeClock
) -> None:
    directory = directory_for(publisher, session, clock, timeout_s=0.5)
    directory.refresh()
    clock.now += 300
    publisher.hang(MANIFEST, 10)
    first_turn = threading.Thread(target=directory.earliest, args=(MARCH_1,))
    first_turn.start()
    publisher.wait_for(MANIFEST, 2)  # the first turn is now refreshing, stuck on the manifest

    began = time.monotonic()
    offers = directory.earliest(MARCH_1)
    assert time.monotonic() - began < 0.2
    assert ids(offers) == ["0", "1", "2"]

    first_turn.join(5)
    assert not first_turn.is_alive()
    assert publisher.count(MANIFEST) == 2
