"""The local FHIR R4 test server over real HTTP: searches, booking, versioning, faults, and the fixtures' quirks.

The FHIR booking adapter's tests will rely on this server, so each behaviour they will count on is pinned here.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from fakes.fhir_server import (
    BOOK_OPERATION,
    FHIR_JSON,
    FhirTestServer,
    RecordedRequest,
    make_appointment,
    make_patient,
    make_schedule,
    make_slot,
    read_bundle_resources,
    read_ndjson,
    read_resource,
)

# An exception escaping a server thread fails the test instead of being printed and forgotten.
pytestmark = pytest.mark.filterwarnings(
    "error::pytest.PytestUnhandledThreadExceptionWarning", "error::pytest.PytestUnraisableExceptionWarning"
)

SMART = "smart-scheduling-links"
TIMEOUT = 3.0  # far above any normal answer on loopback; only the fault tests expect timeouts, with their own


def server_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("FhirTestServer")]


@pytest.fixture
def server() -> Iterator[FhirTestServer]:
    """A running server with an empty store; afterwards it must have had no internal error and left no thread."""
    with FhirTestServer() as running:
        yield running
    assert running.errors == []
    assert server_threads() == []


@pytest.fixture
def smart(server: FhirTestServer) -> FhirTestServer:
    """The server holding the SMART Scheduling Links schedules (10-19) and the W09 (20-89) and W10 (90-159) slots."""
    for name in ("schedules.ndjson", "slots-2021-W09.ndjson", "slots-2021-W10.ndjson"):
        server.load_ndjson(f"{SMART}/{name}")
    return server


def get(server: FhirTestServer, path: str, params: Any = None, timeout: float = TIMEOUT) -> requests.Response:
    return requests.get(f"{server.base_url}/{path}", params=params, headers={"Accept": FHIR_JSON}, timeout=timeout)


def send(
    method: str, server: FhirTestServer, path: str, resource: dict[str, Any], headers: dict[str, str] | None = None
) -> requests.Response:
    headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, **(headers or {})}
    return requests.request(method, f"{server.base_url}/{path}", json=resource, headers=headers, timeout=TIMEOUT)


def book(server: FhirTestServer, slot_id: str, patient: str = "Patient/p1") -> requests.Response:
    slot = server.get("Slot", slot_id)
    assert slot is not None
    return send("POST", server, "Appointment", make_appointment([slot], patient))


def ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def assert_outcome(response: requests.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(FHIR_JSON)
    outcome: dict[str, Any] = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "error"
    if code is not None:
        assert outcome["issue"][0]["code"] == code
    return outcome


def slot_status(server: FhirTestServer, slot_id: str) -> str:
    response = get(server, f"Slot/{slot_id}")
    assert response.status_code == 200
    status: str = response.json()["status"]
    return status


# ----- metadata -----


def test_metadata_declares_book_only_while_enabled(server: FhirTestServer) -> None:
    def appointment_capability() -> dict[str, Any]:
        response = get(server, "metadata")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith(FHIR_JSON)
        capability = response.json()
        assert capability["resourceType"] == "CapabilityStatement"
        assert capability["fhirVersion"] == "4.0.1"
        resources = capability["rest"][0]["resource"]
        return next(resource for resource in resources if resource["type"] == "Appointment")

    without = appointment_capability()
    assert "operation" not in without
    assert {"create", "update", "search-type"} <= {i["code"] for i in without["interaction"]}

    server.book_operation = True
    assert appointment_capability()["operation"] == [{"name": "book", "definition": BOOK_OPERATION}]


# ----- searches -----


def test_slot_search_by_schedules_and_window_returns_the_expected_ids_in_start_order(smart: FhirTestServer) -> None:
    busy = smart.get("Slot", "72")
    assert busy is not None
    smart.add({**busy, "status": "busy"})
    # 13:00Z, before that day's 14:00Z slots, although as text it sorts after them: _sort must compare instants.
    smart.add(make_slot("early", "12", "2021-03-06T15:00:00+02:00", "2021-03-06T16:00:00+02:00"))
    query = [
        ("schedule", "Schedule/10,Schedule/12"),
        ("status", "free"),
        ("start", "ge2021-03-05T09:00:00-05:00"),  # 14:00Z: slots 60 and 62 start exactly then and are in
        ("start", "lt2021-03-09T09:00:00-05:00"),  # 14:00Z: slots 100 and 102 start exactly then and are out
    ]

    response = get(smart, "Slot", [*query, ("_sort", "start")])

    assert response.status_code == 200
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "searchset"
    # W09 and W10 both contribute; 72 is busy; equal starts keep the store's (file) order.
    assert ids(bundle) == ["60", "62", "early", "70", "80", "82", "90", "92"]
    assert bundle["total"] == 8
    assert {entry["search"]["mode"] for entry in bundle["entry"]} == {"match"}
    assert all(entry["fullUrl"] == f"{smart.base_url}/Slot/{entry['resource']['id']}" for entry in bundle["entry"])
    assert ids(get(smart, "Slot", query).json())[-1] == "early"  # without _sort: insertion order


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # 2021-03-03T10:00:00-04:00 is 14:00Z, the exact start of slot 40.
        ("eq2021-03-03T10:00:00-04:00", ["40"]),
        ("2021-03-03T10:00:00-04:00", ["40"]),
        ("ne2021-03-03T10:00:00-04:00", ["20", "30", "50", "60", "70", "80"]),
        ("ge2021-03-03T10:00:00-04:00", ["40", "50", "60", "70", "80"]),
        ("gt2021-03-03T10:00:00-04:00", ["50", "60", "70", "80"]),
        ("sa2021-03-03T10:00:00-04:00", ["50", "60", "70", "80"]),
        ("le2021-03-03T10:00:00-04:00", ["20", "30", "40"]),
        ("lt2021-03-03T10:00:00-04:00", ["20", "30"]),
        ("eb2021-03-03T10:00:00-04:00", ["20", "30"]),
        ("eq2021-03-03", ["40"]),  # a day (UTC) contains its instants
        ("eq2021-03", ["20", "30", "40", "50", "60", "70", "80"]),
        ("ge2021-03-03T14:00:00.001Z", ["50", "60", "70", "80"]),  # a millisecond after 40 starts
    ],
)
def test_slot_start_prefixes_compare_instants_at_the_precision_given(
    smart: FhirTestServer, start: str, expected: list[str]
) -> None:
    query = [("schedule", "Schedule/10"), ("start", "lt2021-03-08"), ("start", start), ("_sort", "start")]
    response = get(smart, "Slot", query)
    assert response.status_code == 200
    assert ids(response.json()) == expected


def test_slot_search_pages_with_count_and_next_links(smart: FhirTestServer) -> None:
    response = get(smart, "Slot", {"schedule": "10", "start": ["ge2021-03-01", "lt2021-03-08"], "_count": "3"})
    pages = []
    while True:
        assert response.status_code == 200
        bundle = response.json()
        assert bundle["total"] == 7
        pages.append(ids(bundle))
        following = [link["url"] for link in bundle.get("link", []) if link["relation"] == "next"]
        if not following:
            break
        response = requests.get(following[0], timeout=TIMEOUT)
    assert pages == [["20", "30", "40"], ["50", "60", "70"], ["80"]]


@pytest.mark.parametrize(
    ("query", "hint"),
    [
        ("foo=bar", "foo"),
        ("schedule:missing=true", "schedule:missing"),
        ("start=ge2021-03-05T09:00:00+05:00", "%2B"),  # an unencoded '+' arrives as a space
        ("start=ap2021-03-05", "ap2021-03-05"),
        ("_sort=end", "_sort"),
        ("_count=-1", "_count"),
        ("actor=Practitioner/x", "actor"),  # a Schedule parameter, not a Slot one
    ],
)
def test_slot_search_rejects_what_it_does_not_support(smart: FhirTestServer, query: str, hint: str) -> None:
    response = requests.get(f"{smart.base_url}/Slot?{query}", timeout=TIMEOUT)
    assert hint in assert_outcome(response, 400)["issue"][0]["diagnostics"]


def test_schedule_search_by_actor_and_reads(smart: FhirTestServer) -> None:
    smart.load_json("argonaut-scheduling/Schedule-2017-08-28-derm.json")
    smart.add(make_schedule("mine", "Practitioner/dr-z", "Location/3"))

    assert ids(get(smart, "Schedule", {"actor": "Practitioner/dr-y"}).json()) == ["2017-08-28-derm"]
    assert ids(get(smart, "Schedule", {"actor": "Location/3"}).json()) == ["13", "mine"]
    assert ids(get(smart, "Schedule", {"actor": "Practitioner/nobody"}).json()) == []

    read = get(smart, "Schedule/13")
    assert read.status_code == 200
    assert read.json() == read_ndjson(f"{SMART}/schedules.ndjson")[3]
    assert_outcome(get(smart, "Schedule/unknown"), 404, "not-found")


# ----- booking -----


def test_booking_a_free_slot_answers_201_with_location_and_makes_the_slot_busy(smart: FhirTestServer) -> None:
    assert slot_status(smart, "60") == "free"

    response = book(smart, "60")

    assert response.status_code == 201, response.text
    match = re.fullmatch(
        rf"{re.escape(smart.base_url)}/Appointment/([A-Za-z0-9.-]+)/_history/1", response.headers["Location"]
    )
    assert match is not None
    created = response.json()
    assert created["id"] == match[1]
    assert created["meta"]["versionId"] == "1"
    assert response.headers["ETag"] == 'W/"1"'
    assert slot_status(smart, "60") == "busy"
    assert get(smart, f"Appointment/{match[1]}").json()["slot"] == [{"reference": "Slot/60"}]
    assert get(smart, f"Appointment/{match[1]}/_history/1").json() == created


def test_booking_a_busy_slot_answers_409_with_an_outcome(smart: FhirTestServer) -> None:
    assert book(smart, "60").status_code == 201

    assert "Slot/60" in assert_outcome(book(smart, "60", "Patient/p2"), 409, "conflict")["issue"][0]["diagnostics"]
    assert len(smart.resources("Appointment")) == 1


def test_concurrent_bookings_of_one_slot_give_one_201_and_409s(smart: FhirTestServer) -> None:
    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda n: book(smart, "61", f"Patient/p{n}").status_code, range(8)))
    assert statuses == [201] + [409] * 7


def test_cancelling_with_put_frees_the_slot_for_another_booking(smart: FhirTestServer) -> None:
    created = book(smart, "60").json()

    response = send(
        "PUT", smart, f"Appointment/{created['id']}", {**created, "status": "cancelled"}, {"If-Match": 'W/"1"'}
    )

    assert response.status_code == 200, response.text
    assert response.json()["meta"]["versionId"] == "2"
    assert response.headers["ETag"] == 'W/"2"'
    assert slot_status(smart, "60") == "free"
    assert book(smart, "60", "Patient/p2").status_code == 201


def test_put_with_a_stale_if_match_answers_412_and_changes_nothing(smart: FhirTestServer) -> None:
    created = book(smart, "60").json()
    path = f"Appointment/{created['id']}"
    updated = send("PUT", smart, path, {**created, "comment": "wheelchair"}, {"If-Match": 'W/"1"'})
    assert updated.status_code == 200

    stale = send("PUT", smart, path, {**created, "status": "cancelled"}, {"If-Match": 'W/"1"'})

    assert_outcome(stale, 412)
    current = get(smart, path).json()
    assert (current["status"], current["meta"]["versionId"], current["comment"]) == ("booked", "2", "wheelchair")
    assert slot_status(smart, "60") == "busy"


def test_appointment_search_by_patient_date_and_status(smart: FhirTestServer) -> None:
    appointment_ids = {
        slot: book(smart, slot, patient).json()["id"]
        for slot, patient in [("40", "Patient/p1"), ("60", "Patient/p1"), ("70", "Patient/p2"), ("80", "Patient/p1")]
    }
    cancelled = smart.get("Appointment", appointment_ids["80"])
    assert cancelled is not None
    assert send("PUT", smart, f"Appointment/{cancelled['id']}", {**cancelled, "status": "cancelled"}).status_code == 200

    query = {"patient": "Patient/p1", "date": "ge2021-03-04T00:00:00-05:00", "status": "booked"}
    response = get(smart, "Appointment", query)

    assert response.status_code == 200
    assert ids(response.json()) == [appointment_ids["60"]]  # 40 is too early, 70 is p2's, 80 is cancelled


def test_book_operation_books_the_appt_resource_only_while_enabled(smart: FhirTestServer) -> None:
    slot = smart.get("Slot", "60")
    assert slot is not None
    appointment = make_appointment([slot], "Patient/p1", status="proposed")
    parameters = {"resourceType": "Parameters", "parameter": [{"name": "appt-resource", "resource": appointment}]}

    assert_outcome(send("POST", smart, "Appointment/$book", parameters), 404)
    assert slot_status(smart, "60") == "free"

    smart.book_operation = True
    response = send("POST", smart, "Appointment/$book", parameters)

    assert response.status_code == 200, response.text
    booked = [entry["resource"] for entry in response.json()["entry"]]
    assert [(a["resourceType"], a["status"]) for a in booked] == [("Appointment", "booked")]
    assert smart.get("Appointment", booked[0]["id"]) == booked[0]
    assert slot_status(smart, "60") == "busy"
    assert_outcome(send("POST", smart, "Appointment/$book", parameters), 409, "conflict")


def test_every_request_is_recorded(smart: FhirTestServer) -> None:
    smart.add(make_patient("p1", "Tremblay", "Marie", "+15145550123"))
    assert get(smart, "Patient/p1").json()["name"][0]["family"] == "Tremblay"
    assert get(smart, "Slot", {"schedule": "Schedule/10", "start": "ge2021-03-07"}).status_code == 200
    assert book(smart, "80").status_code == 201

    recorded = smart.requests

    assert [(r.method, r.path) for r in recorded] == [
        ("GET", "/r4/Patient/p1"),
        ("GET", "/r4/Slot"),
        ("POST", "/r4/Appointment"),
    ]
    assert recorded[1].query == {"schedule": ["Schedule/10"], "start": ["ge2021-03-07"]}
    assert recorded[2].json()["slot"] == [{"reference": "Slot/80"}]
    assert recorded[2].headers["content-type"] == FHIR_JSON
    assert all(r.fault is None for r in recorded)


# ----- fixtures served as they are -----


def test_hl7_stu3_slot_is_served_unchanged(server: FhirTestServer) -> None:
    original = read_resource("hl7-fhir/slot-example.json")
    server.load_json("hl7-fhir/slot-example.json")

    read = get(server, "Slot/example").json()
    searched = [entry["resource"] for entry in get(server, "Slot", {"schedule": "Schedule/example"}).json()["entry"]]

    assert read == original
    assert searched == [original]
    assert isinstance(read["serviceCategory"], dict)  # STU3 shape kept: R4 would make it a list
    assert read["appointmentType"]["coding"][0]["code"] == "walkin"


def test_argonaut_zero_length_slots_keep_their_odd_offsets(server: FhirTestServer) -> None:
    originals = [
        r
        for r in read_bundle_resources("argonaut-scheduling/Bundle-slot-bundle-example.json")
        if r["resourceType"] == "Slot"
    ]
    server.load_bundle("argonaut-scheduling/Bundle-slot-bundle-example.json")

    # 08:00+08:00, 08:15+08:15, ... all are 2017-08-28T00:00:00Z: compared as instants, every slot is that instant.
    response = get(server, "Slot", {"start": "eq2017-08-28T00:00:00Z"})

    assert [entry["resource"] for entry in response.json()["entry"]] == originals
    assert len(originals) == 8
    assert originals[1]["start"] == "2017-08-28T08:15:00+08:15"


# ----- faults -----


def test_fail_next_500_gives_a_plain_500_then_normal_answers(server: FhirTestServer) -> None:
    server.fail_next(1, "500")

    failed = get(server, "metadata")

    assert failed.status_code == 500
    assert failed.headers["Content-Type"].startswith("text/plain")
    assert get(server, "metadata").json()["resourceType"] == "CapabilityStatement"
    assert [r.fault for r in server.requests] == ["500", None]


def test_503_carries_retry_after(server: FhirTestServer) -> None:
    server.fail_next(2, "503", retry_after_s=7)

    answers = [get(server, "metadata") for _ in range(3)]

    assert [a.status_code for a in answers] == [503, 503, 200]
    assert [a.headers.get("Retry-After") for a in answers[:2]] == ["7", "7"]


def test_outcome_fault_answers_an_operation_outcome_with_the_status_asked(server: FhirTestServer) -> None:
    server.fail_next(1, "outcome", status=422)
    server.fail_next(1, "outcome")

    assert_outcome(get(server, "metadata"), 422, "processing")
    assert_outcome(get(server, "metadata"), 500, "exception")
    assert get(server, "metadata").status_code == 200


def test_409_fault_answers_a_conflict_and_leaves_the_store_untouched(smart: FhirTestServer) -> None:
    smart.fail_next(1, "409")

    assert_outcome(book(smart, "60"), 409, "conflict")

    assert slot_status(smart, "60") == "free"
    assert smart.resources("Appointment") == []


def test_malformed_fault_answers_200_with_truncated_json_until_cleared(server: FhirTestServer) -> None:
    server.set_fault("malformed")

    for _ in range(2):
        response = get(server, "metadata")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith(FHIR_JSON)
        with pytest.raises(requests.JSONDecodeError):
            response.json()
    server.clear_fault()
    assert get(server, "metadata").json()["resourceType"] == "CapabilityStatement"


def test_slow_fault_answers_after_the_delay(server: FhirTestServer) -> None:
    server.set_fault("slow", delay_s=0.3)

    with pytest.raises(requests.ReadTimeout):
        get(server, "metadata", timeout=0.1)
    started = time.monotonic()
    response = get(server, "metadata")

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_hang_times_out_the_client_and_stop_still_returns_quickly(server: FhirTestServer) -> None:
    with requests.Session() as session:
        assert session.get(f"{server.base_url}/metadata", timeout=TIMEOUT).status_code == 200  # an idle keep-alive
        server.set_fault("hang")

        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout):
            requests.get(f"{server.base_url}/metadata", timeout=0.5)
        assert time.monotonic() - started < 1.5

        started = time.monotonic()
        server.stop()  # the hung request and the idle connection are both still open
        assert time.monotonic() - started < 1.0
        assert server_threads() == []


def test_hang_is_released_by_clear_fault(server: FhirTestServer) -> None:
    arrived = threading.Event()

    def hang_and_signal(request: RecordedRequest) -> bool:
        arrived.set()
        return True

    server.set_fault("hang", when=hang_and_signal)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(get, server, "metadata")
        assert arrived.wait(TIMEOUT)
        assert not pending.done()
        server.clear_fault()
        assert pending.result(TIMEOUT).status_code == 200


def test_reset_fault_closes_the_connection_with_a_rst(server: FhirTestServer) -> None:
    server.fail_next(1, "reset")

    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as raw:
        raw.sendall(b"GET /r4/metadata HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            raw.recv(4096)
    assert get(server, "metadata").status_code == 200


def test_reset_after_processing_books_but_loses_the_answer(smart: FhirTestServer) -> None:
    smart.fail_next(1, "reset", after_processing=True, when=lambda request: request.method == "POST")

    assert get(smart, "metadata").status_code == 200  # not a POST: the queued fault waits
    with pytest.raises(requests.ConnectionError):
        book(smart, "60")

    assert slot_status(smart, "60") == "busy"
    assert len(smart.resources("Appointment")) == 1
    assert [r.fault for r in smart.requests][:2] == [None, "reset"]
