"""A local FHIR R4 server for tests: real HTTP on 127.0.0.1, an in-memory store, and faults on demand.

The FHIR booking adapter's tests talk to it as they would to a clinic's EHR, so what they exercise is the adapter's
real HTTP stack (timeouts, keep-alive, retries, JSON parsing), not a mock of it.

What it serves, under `base_url` (`http://127.0.0.1:PORT/r4`), always as `application/fhir+json`:

- `GET metadata`: a CapabilityStatement; it declares `Appointment/$book` only while `book_operation` is true.
- `GET <Type>/<id>` (and `_history/<vid>` for the versions this server made), `GET <Type>?...` searches with the
  parameters of `SEARCH_PARAMETERS` plus `_id`, `_count`, `_offset` (used by `next` links), `_sort` and `_format`.
  Any other parameter or modifier answers 400: this server is strict, so a misspelt parameter fails a test instead
  of silently widening a search. A `+` in a date must be sent as `%2B` (a bare `+` decodes to a space).
- `POST Appointment`, `POST Patient` and, while `book_operation` is true, `POST Appointment/$book`;
  `PUT Appointment/<id>`.

Resources are stored and served as given: the STU3-shaped HL7 and Argonaut fixtures keep their quirks, because the
adapter must cope with what real servers send. Only booking changes a stored Slot, and only its `status`.
"""

from __future__ import annotations

import copy
import json
import re
import selectors
import socket
import struct
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from typing import Any, Literal, cast, get_args
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

Resource = dict[str, Any]
FaultKind = Literal["500", "503", "outcome", "malformed", "slow", "hang", "reset", "409"]

#: Public FHIR scheduling example files, copied into the repository (their origins: `fixtures/README.md`).
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
BOOK_OPERATION = "http://fhir.org/guides/argonaut-scheduling/OperationDefinition/appointment-book"
# An Appointment in one of these statuses holds its Slots busy; any other status (cancelled, proposed, ...) frees them.
HOLDING_STATUSES = frozenset({"pending", "booked", "arrived", "fulfilled", "checked-in"})

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")
_DATE = re.compile(
    r"(?P<prefix>eq|ne|gt|lt|ge|le|sa|eb)?"
    r"(?P<value>\d{4}(?:-\d{2}(?:-\d{2}"
    r"(?P<time>T\d{2}:\d{2}(?P<seconds>:\d{2}(?:\.(?P<fraction>\d{1,6}))?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?)"
)
_JSON_FORMATS = frozenset({"json", "application/json", FHIR_JSON})
_TRUNCATED_JSON = b'{"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": [{"resource": {"resou'


# ----- fixtures and R4 builders -----


def fixture_path(relative: str | Path) -> Path:
    """The path of a fixture file under `FIXTURES_DIR` (an absolute path is taken as is); it must exist."""
    path = Path(relative)
    path = path if path.is_absolute() else FIXTURES_DIR / path
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such fixture in fakes/fixtures")
    return path


def read_resource(relative: str | Path) -> Resource:
    """One JSON fixture file (a resource or a Bundle), exactly as written."""
    resource = json.loads(fixture_path(relative).read_text("utf-8"))
    if not isinstance(resource, dict):
        raise ValueError(f"{relative}: not a JSON object")
    return resource


def read_ndjson(relative: str | Path) -> list[Resource]:
    """The resources of an NDJSON fixture (one per non-empty line), exactly as written."""
    lines = fixture_path(relative).read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def read_bundle_resources(relative: str | Path) -> list[Resource]:
    """The `entry[].resource` of a Bundle fixture, OperationOutcome entries included, exactly as written."""
    bundle = read_resource(relative)
    return [entry["resource"] for entry in bundle.get("entry", []) if isinstance(entry.get("resource"), dict)]


def _instant(value: datetime | str) -> str:
    """FHIR instant text; a string is kept as is so that tests can use odd offsets or precisions."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError(f"{value!r}: a FHIR instant needs a time zone")
    text = value.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def make_slot(
    slot_id: str, schedule_id: str, start: datetime | str, end: datetime | str, status: str = "free"
) -> Resource:
    """An R4 Slot of `Schedule/<schedule_id>`."""
    return {
        "resourceType": "Slot",
        "id": slot_id,
        "schedule": {"reference": f"Schedule/{schedule_id}"},
        "status": status,
        "start": _instant(start),
        "end": _instant(end),
    }


def make_schedule(schedule_id: str, *actors: str) -> Resource:
    """An R4 Schedule whose actors are references such as `Practitioner/x` or `Location/y`."""
    return {
        "resourceType": "Schedule",
        "id": schedule_id,
        "active": True,
        "actor": [{"reference": actor} for actor in actors],
    }


def make_patient(patient_id: str, family: str, given: str, phone: str | None = None) -> Resource:
    """An R4 Patient with one official name and, optionally, a mobile phone."""
    patient: Resource = {
        "resourceType": "Patient",
        "id": patient_id,
        "name": [{"use": "official", "family": family, "given": [given]}],
    }
    if phone is not None:
        patient["telecom"] = [{"system": "phone", "value": phone, "use": "mobile"}]
    return patient


def make_appointment(
    slots: Iterable[Resource],
    patient: str,
    status: str = "booked",
    *,
    appointment_id: str | None = None,
    actors: Iterable[str] = (),
) -> Resource:
    """An R4 Appointment of `patient` (a reference such as `Patient/x`) over `slots`, spanning their start to end.

    Without `appointment_id` it is ready to POST (the server assigns the id).
    """
    slots = list(slots)
    if not slots:
        raise ValueError("an appointment needs at least one slot")
    participants = [{"actor": {"reference": reference}, "status": "accepted"} for reference in (patient, *actors)]
    first = min(slots, key=lambda slot: _parse_instant(slot["start"]) or datetime.max.replace(tzinfo=UTC))
    last = max(slots, key=lambda slot: _parse_instant(slot["end"]) or datetime.min.replace(tzinfo=UTC))
    appointment: Resource = {
        "resourceType": "Appointment",
        "status": status,
        "start": first["start"],
        "end": last["end"],
        "slot": [{"reference": f"Slot/{slot['id']}"} for slot in slots],
        "participant": participants,
    }
    if appointment_id is not None:
        appointment["id"] = appointment_id
    return appointment


# ----- what tests can inspect and switch -----


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it; `fault` names the fault it got, if any."""

    method: str
    path: str  # percent-decoded, without the query: "/r4/Appointment/$book"
    query: dict[str, list[str]]  # decoded values, in order, per name
    raw_query: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    fault: FaultKind | None = None

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Fault:
    """A misbehaviour, see `FhirTestServer.set_fault`."""

    kind: FaultKind
    delay_s: float = 0.0
    status: int | None = None
    retry_after_s: int = 1
    after_processing: bool = False
    when: Callable[[RecordedRequest], bool] | None = None


@dataclass
class _Queued:
    fault: Fault
    remaining: int


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class _Rejected(Exception):
    """Raised deep in request handling to answer at once with `response` (a 4xx and its OperationOutcome)."""

    def __init__(self, response: _Response) -> None:
        super().__init__(response.status)
        self.response = response


def _fhir(status: int, resource: Resource, headers: dict[str, str] | None = None) -> _Response:
    body = json.dumps(resource, ensure_ascii=False).encode("utf-8")
    return _Response(status, body, {"Content-Type": f"{FHIR_JSON}; charset=utf-8", **(headers or {})})


def _outcome(status: int, code: str, diagnostics: str, severity: str = "error") -> _Response:
    issue = {"severity": severity, "code": code, "diagnostics": diagnostics}
    return _fhir(status, {"resourceType": "OperationOutcome", "issue": [issue]})


def _reject(status: int, code: str, diagnostics: str) -> _Rejected:
    return _Rejected(_outcome(status, code, diagnostics))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ----- search parameters -----


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _references(value: Any) -> list[str]:
    """The `reference` strings of a Reference or a list of them (other shapes give none)."""
    return [
        item["reference"]
        for item in _as_list(value)
        if isinstance(item, dict) and isinstance(item.get("reference"), str)
    ]


def _participants(resource: Resource, resource_type: str | None) -> list[str]:
    references = [
        ref for p in _as_list(resource.get("participant")) if isinstance(p, dict) for ref in _references(p.get("actor"))
    ]
    return [ref for ref in references if resource_type is None or ref.split("/")[-2:-1] == [resource_type]]


def _telecom_values(resource: Resource, system: str | None) -> list[str]:
    """The `value` of each ContactPoint in `telecom`, of `system` (phone, email…) when given."""
    return [
        point["value"]
        for point in _as_list(resource.get("telecom"))
        if isinstance(point, dict) and isinstance(point.get("value"), str) and system in (None, point.get("system"))
    ]


def _field(name: str) -> Callable[[Resource], list[Any]]:
    return lambda resource: _as_list(resource.get(name))


@dataclass(frozen=True)
class SearchParameter:
    """How a search parameter reads a resource: its type, its values, and the type a bare id refers to."""

    kind: Literal["token", "reference", "date"]
    values: Callable[[Resource], list[Any]]
    target: str | None = None


SEARCH_PARAMETERS: dict[str, dict[str, SearchParameter]] = {
    "Slot": {
        "schedule": SearchParameter("reference", lambda r: _references(r.get("schedule")), "Schedule"),
        "status": SearchParameter("token", _field("status")),
        "start": SearchParameter("date", _field("start")),
    },
    "Schedule": {
        "actor": SearchParameter("reference", lambda r: _references(r.get("actor"))),
    },
    "Patient": {
        "telecom": SearchParameter("token", lambda r: _telecom_values(r, None)),
        "phone": SearchParameter("token", lambda r: _telecom_values(r, "phone")),
    },
    "Appointment": {
        "patient": SearchParameter("reference", lambda r: _participants(r, "Patient"), "Patient"),
        "practitioner": SearchParameter("reference", lambda r: _participants(r, "Practitioner"), "Practitioner"),
        "location": SearchParameter("reference", lambda r: _participants(r, "Location"), "Location"),
        "actor": SearchParameter("reference", lambda r: _participants(r, None)),
        "date": SearchParameter("date", _field("start")),
        "status": SearchParameter("token", _field("status")),
        "slot": SearchParameter("reference", lambda r: _references(r.get("slot")), "Slot"),
    },
}
_ID_PARAMETER = SearchParameter("token", _field("id"))
# _sort keys, by type: the date each one sorts on.
SORT_KEYS: dict[str, dict[str, str]] = {"Slot": {"start": "start"}, "Appointment": {"date": "start"}}
# Types listed in the CapabilityStatement even while the store holds none of them.
_DECLARED_TYPES = ("Appointment", "Location", "Patient", "Practitioner", "Schedule", "Slot")


def _parse_instant(value: Any) -> datetime | None:
    """A resource's instant, or None if it is not one (no time zone, or not a date-time at all)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _date_range(text: str) -> tuple[str, datetime, datetime]:
    """A date search value as (prefix, low, high): the value's implicit range [low, high) at its precision.

    Date-only values are days in UTC, this server's time zone. A time needs an offset (FHIR requires one).
    """
    match = _DATE.fullmatch(text)
    if match is None:
        hint = " (a '+' in a query must be sent as %2B)" if " " in text else ""
        raise _reject(400, "invalid", f"unsupported date search value {text!r}{hint}")
    prefix, value = match["prefix"] or "eq", match["value"]
    try:
        if match["time"] is None:
            year, month, day = (int(part) for part in (value.split("-") + ["0", "0"])[:3])
            low = datetime(year, month or 1, day or 1, tzinfo=UTC)
            if day:
                high = low + timedelta(days=1)
            elif month:
                high = low.replace(year=year + month // 12, month=month % 12 + 1)
            else:
                high = low.replace(year=year + 1)
        else:
            low = datetime.fromisoformat(value)
            if match["fraction"] is not None:
                high = low + timedelta(microseconds=10 ** (6 - len(match["fraction"])))
            else:
                high = low + (timedelta(seconds=1) if match["seconds"] else timedelta(minutes=1))
    except ValueError as error:
        raise _reject(400, "invalid", f"bad date search value {text!r}: {error}") from None
    return prefix, low, high


def _date_matches(prefix: str, low: datetime, high: datetime, instant: datetime) -> bool:
    """FHIR's prefix rules for a target that is a point in time and a search value covering [low, high)."""
    inside = low <= instant < high
    return {
        "eq": inside,
        "ne": not inside,
        "gt": instant >= high,
        "sa": instant >= high,
        "lt": instant < low,
        "eb": instant < low,
        "ge": instant >= low,
        "le": instant < high,
    }[prefix]


# ----- the server -----


class FhirTestServer:
    """A FHIR R4 server on 127.0.0.1 (a free port) serving an in-memory store, for tests over real HTTP.

    Every request is recorded in `requests`. Faults (`fail_next`, `set_fault`) can be switched at any time from the
    test thread. Searches keep the store's insertion order unless `_sort` is given; ties keep that order too.
    `default_page_size` pages searches without `_count` the way many real servers do (None: no paging).
    """

    def __init__(self, *, book_operation: bool = False, default_page_size: int | None = None) -> None:
        self.book_operation = book_operation
        self.default_page_size = default_page_size
        self.port = 0
        self._lock = threading.RLock()  # the store, the version history and the recorded requests
        self._store: dict[str, dict[str, Resource]] = {}
        self._history: dict[tuple[str, str], dict[str, Resource]] = {}
        self._requests: list[RecordedRequest] = []
        self._errors: list[str] = []
        self._created = 0
        # One condition for faults and stopping: hung and slow requests wait on it; clear_fault() and stop() wake them.
        self._faults = threading.Condition()
        self._queued: list[_Queued] = []  # fail_next() faults, consumed in order
        self._fault: Fault | None = None
        self._release_generation = 0  # bumped by clear_fault(): hung requests from an older generation go on
        self._stopping = False
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---

    @property
    def base_url(self) -> str:
        """The FHIR base, `http://127.0.0.1:PORT/r4`; only while started."""
        if self._httpd is None:
            raise RuntimeError("FhirTestServer is not running")
        return f"http://127.0.0.1:{self.port}/r4"

    def start(self) -> FhirTestServer:
        """Listen on a free port of 127.0.0.1 and serve from a daemon thread. The store is kept across restarts."""
        if self._thread is not None:
            raise RuntimeError("FhirTestServer already started")
        with self._faults:
            self._stopping = False
        httpd = _HTTPServer(self)
        self._wake_r, self._wake_w = socket.socketpair()  # lets stop() interrupt the accept loop's select()
        self._httpd, self.port = httpd, httpd.server_port
        self._thread = threading.Thread(
            target=self._serve, args=(httpd,), name=f"FhirTestServer:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, release hung and slow requests unanswered, close every connection and join every thread.

        Returns within a fraction of a second; raises RuntimeError if a thread is still alive after 5 seconds.
        Safe to call twice.
        """
        thread, httpd = self._thread, self._httpd
        if thread is None or httpd is None:
            return
        with self._faults:
            self._stopping = True
            self._faults.notify_all()
        with suppress(OSError):  # the loop may have closed its end already
            self._wake_w.send(b"\0")
        thread.join(5)
        request_threads = httpd.close_connections()
        httpd.server_close()
        deadline = time.monotonic() + 5
        for request_thread in request_threads:
            request_thread.join(max(0.0, deadline - time.monotonic()))
        self._wake_r.close()
        self._wake_w.close()
        self._thread = self._httpd = None
        alive = [t.name for t in (thread, *request_threads) if t.is_alive()]
        if alive:
            raise RuntimeError(f"FhirTestServer threads still alive after stop(): {alive}")

    def __enter__(self) -> FhirTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _serve(self, httpd: _HTTPServer) -> None:
        # A selector on the listener and a wake-up socket: it sleeps until a connection or stop(), never polls.
        with selectors.DefaultSelector() as selector:
            selector.register(httpd.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping:
                for key, _ in selector.select():
                    if key.fileobj is httpd.socket and not self._stopping:
                        httpd.handle_request()  # accepts the ready connection and starts its thread

    # --- the store ---

    def add(self, resource: Resource) -> str:
        """Store a copy of `resource` as is (replacing one with the same type and id); returns `Type/id`."""
        resource_type, resource_id = resource.get("resourceType"), resource.get("id")
        if not isinstance(resource_type, str) or not _TYPE.fullmatch(resource_type):
            raise ValueError(f"bad resourceType {resource_type!r}")
        if not isinstance(resource_id, str) or not _ID.fullmatch(resource_id):
            raise ValueError(f"bad id {resource_id!r} for {resource_type}")
        with self._lock:
            self._put(copy.deepcopy(resource))
        return f"{resource_type}/{resource_id}"

    def add_all(self, resources: Iterable[Resource]) -> list[str]:
        """`add` each resource; returns their `Type/id` references in order."""
        return [self.add(resource) for resource in resources]

    def load_ndjson(self, relative: str | Path) -> list[str]:
        """Add every resource of an NDJSON fixture (e.g. `smart-scheduling-links/slots-2021-W09.ndjson`)."""
        return self.add_all(read_ndjson(relative))

    def load_json(self, relative: str | Path) -> str:
        """Add the one resource of a JSON fixture (e.g. `hl7-fhir/slot-example.json`), unchanged."""
        return self.add(read_resource(relative))

    def load_bundle(self, relative: str | Path) -> list[str]:
        """Add each `entry[].resource` of a Bundle fixture, unchanged."""
        return self.add_all(read_bundle_resources(relative))

    def get(self, resource_type: str, resource_id: str) -> Resource | None:
        """A copy of a stored resource, or None."""
        with self._lock:
            resource = self._store.get(resource_type, {}).get(resource_id)
            return copy.deepcopy(resource) if resource is not None else None

    def resources(self, resource_type: str) -> list[Resource]:
        """Copies of the stored resources of a type, in insertion order."""
        with self._lock:
            return copy.deepcopy(list(self._store.get(resource_type, {}).values()))

    def _put(self, resource: Resource) -> None:
        self._store.setdefault(resource["resourceType"], {})[resource["id"]] = resource
        version = resource.get("meta", {}).get("versionId") if isinstance(resource.get("meta"), dict) else None
        if isinstance(version, str):
            self._history.setdefault((resource["resourceType"], resource["id"]), {})[version] = copy.deepcopy(resource)

    # --- recorded requests and internal errors ---

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, faulted ones included, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    @property
    def errors(self) -> list[str]:
        """Tracebacks of exceptions inside the server (answered with 500): a test should expect none."""
        with self._lock:
            return list(self._errors)

    def _note_error(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)

    # --- faults ---

    def fail_next(
        self,
        n: int,
        kind: FaultKind,
        *,
        delay_s: float = 0.0,
        status: int | None = None,
        retry_after_s: int = 1,
        after_processing: bool = False,
        when: Callable[[RecordedRequest], bool] | None = None,
    ) -> None:
        """Give the fault to the next `n` requests (those for which `when(request)` is true, if given).

        Queued faults go before the persistent one of `set_fault`; see there for the kinds and options.
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, not {n}")
        fault = self._fault_of(kind, delay_s, status, retry_after_s, after_processing, when)
        with self._faults:
            self._queued.append(_Queued(fault, n))

    def set_fault(
        self,
        kind: FaultKind,
        *,
        delay_s: float = 0.0,
        status: int | None = None,
        retry_after_s: int = 1,
        after_processing: bool = False,
        when: Callable[[RecordedRequest], bool] | None = None,
    ) -> None:
        """Give the fault to every request (for which `when(request)` is true) until `clear_fault()`.

        Kinds: "500" plain-text 500; "503" with `Retry-After: retry_after_s`; "outcome" an OperationOutcome with
        `status` (default 500); "409" an OperationOutcome with 409; "malformed" 200 with truncated JSON; "slow" the
        normal answer after `delay_s`; "hang" no answer until `clear_fault()` (then the normal answer) or `stop()`
        (then the connection closes); "reset" the connection is closed with a TCP RST instead of an answer.
        A faulted request is not processed, so the store is untouched, unless `after_processing` is true: then it
        is processed first and its answer lost or spoilt (e.g. an Appointment is created but the client gets a
        reset, a 503 or the created resource truncated). "slow" always processes.
        """
        fault = self._fault_of(kind, delay_s, status, retry_after_s, after_processing, when)
        with self._faults:
            self._fault = fault

    def clear_fault(self) -> None:
        """Drop the persistent and the queued faults, and let hung requests go on to their normal answer."""
        with self._faults:
            self._fault = None
            self._queued.clear()
            self._release_generation += 1
            self._faults.notify_all()

    @staticmethod
    def _fault_of(
        kind: FaultKind,
        delay_s: float,
        status: int | None,
        retry_after_s: int,
        after_processing: bool,
        when: Callable[[RecordedRequest], bool] | None,
    ) -> Fault:
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}")
        if delay_s < 0 or retry_after_s < 0 or (status is not None and not 400 <= status <= 599):
            raise ValueError(f"bad fault options: delay_s={delay_s!r}, status={status!r}")
        return Fault(kind, delay_s, status, retry_after_s, after_processing, when)

    def _take_fault(self, request: RecordedRequest) -> tuple[Fault | None, int]:
        """The fault this request gets, and the release generation a "hang" must outlive (read atomically)."""
        with self._faults:
            for entry in self._queued:
                if entry.fault.when is None or entry.fault.when(request):
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        self._queued.remove(entry)
                    return entry.fault, self._release_generation
            persistent = self._fault
            if persistent is not None and (persistent.when is None or persistent.when(request)):
                return persistent, self._release_generation
            return None, self._release_generation

    def _hang(self, generation: int) -> bool:
        """Wait, without polling, for clear_fault() (True: answer now) or stop() (False: drop the connection)."""
        with self._faults:
            self._faults.wait_for(lambda: self._stopping or self._release_generation != generation)
            return not self._stopping

    def _pause(self, delay_s: float) -> bool:
        """Wait `delay_s`, cut short by stop(); True unless stopping."""
        with self._faults:
            return not self._faults.wait_for(lambda: self._stopping, timeout=delay_s)

    # --- request handling ---

    def _exchange(self, handler: _Handler) -> None:
        """Read, record and answer one request on `handler`'s connection, applying the fault it gets."""
        body = handler.read_body()
        if body is None:
            return
        split = urlsplit(handler.path)
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(split.query, keep_blank_values=True):
            query.setdefault(name, []).append(value)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        request = RecordedRequest(handler.command, unquote(split.path), query, split.query, headers, body)
        fault, generation = self._take_fault(request)
        with self._lock:
            self._requests.append(replace(request, fault=fault.kind if fault else None))
        if fault is None:
            handler.send(self._dispatch(request))
            return
        if fault.kind == "slow":
            if self._pause(fault.delay_s):
                handler.send(self._dispatch(request))
            else:
                handler.close_connection = True
            return
        processed = self._dispatch(request) if fault.after_processing else None
        if fault.kind == "hang":
            if self._hang(generation):
                handler.send(processed if processed is not None else self._dispatch(request))
            else:
                handler.close_connection = True  # stopping: close without a word, as a dead server would
        elif fault.kind == "reset":
            handler.abort()
        else:
            handler.send(_fault_response(fault, processed))

    def _dispatch(self, request: RecordedRequest) -> _Response:
        """The normal answer to a request; a bug in here becomes a 500 and an entry in `errors`."""
        try:
            return self._route(request)
        except _Rejected as rejected:
            return rejected.response
        except Exception:
            self._note_error(traceback.format_exc())
            return _outcome(500, "exception", "FhirTestServer bug: see server.errors")

    def _route(self, request: RecordedRequest) -> _Response:
        if request.path != "/r4" and not request.path.startswith("/r4/"):
            raise _reject(404, "not-found", f"no FHIR endpoint at {request.path} (the base is /r4)")
        parts = [part for part in request.path[len("/r4") :].split("/") if part]
        method = request.method
        if parts == ["metadata"]:
            if method != "GET":
                raise _reject(405, "not-supported", f"{method} metadata")
            return _fhir(200, self._capability())
        if not parts or not _TYPE.fullmatch(parts[0]):
            raise _reject(404, "not-found", f"unknown resource type in {request.path}")
        resource_type = parts[0]
        if len(parts) == 1 and method == "GET":
            return self._search(resource_type, request)
        if len(parts) == 1 and method == "POST" and resource_type in ("Appointment", "Patient"):
            return self._create(self._body_resource(request, resource_type))
        if parts[1:] == ["$book"] and method == "POST" and resource_type == "Appointment":
            if not self.book_operation:
                raise _reject(404, "not-supported", "this server does not support Appointment/$book")
            return self._book(self._body_resource(request, "Parameters"))
        if len(parts) == 2 and method == "GET":
            return self._read(resource_type, parts[1])
        if len(parts) == 2 and method == "PUT" and resource_type == "Appointment":
            return self._update(parts[1], request)
        if len(parts) == 4 and parts[2] == "_history" and method == "GET":
            return self._vread(resource_type, parts[1], parts[3])
        raise _reject(405, "not-supported", f"{method} {request.path} is not supported by this server")

    def _capability(self) -> Resource:
        with self._lock:
            types = sorted(set(_DECLARED_TYPES) | set(self._store))
        resources: list[Resource] = []
        for resource_type in types:
            writes = {"Appointment": ["create", "update"], "Patient": ["create"]}.get(resource_type, [])
            interactions = ["read", "vread", "search-type", *writes]
            entry: Resource = {
                "type": resource_type,
                "interaction": [{"code": code} for code in interactions],
                "searchParam": [
                    {"name": name, "type": parameter.kind}
                    for name, parameter in SEARCH_PARAMETERS.get(resource_type, {}).items()
                ],
            }
            if resource_type == "Appointment":
                entry |= {"versioning": "versioned-update", "updateCreate": False, "conditionalUpdate": False}
                if self.book_operation:
                    entry["operation"] = [{"name": "book", "definition": BOOK_OPERATION}]
            resources.append(entry)
        return {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": _now(),
            "kind": "instance",
            "software": {"name": "FhirTestServer"},
            "implementation": {"description": "Local FHIR R4 test server", "url": self.base_url},
            "fhirVersion": FHIR_VERSION,
            "format": ["json", FHIR_JSON],
            "rest": [{"mode": "server", "resource": resources}],
        }

    def _read(self, resource_type: str, resource_id: str) -> _Response:
        resource = self.get(resource_type, resource_id)
        if resource is None:
            raise _reject(404, "not-found", f"{resource_type}/{resource_id} is not known")
        return _fhir(200, resource, _version_headers(resource))

    def _vread(self, resource_type: str, resource_id: str, version: str) -> _Response:
        with self._lock:
            resource = copy.deepcopy(self._history.get((resource_type, resource_id), {}).get(version))
        if resource is None:
            raise _reject(404, "not-found", f"{resource_type}/{resource_id} has no version {version!r}")
        return _fhir(200, resource, _version_headers(resource))

    def _search(self, resource_type: str, request: RecordedRequest) -> _Response:
        parameters = SEARCH_PARAMETERS.get(resource_type, {}) | {"_id": _ID_PARAMETER}
        count, offset, sort = self.default_page_size, 0, None
        tests: list[Callable[[Resource], bool]] = []
        pairs = parse_qsl(request.raw_query, keep_blank_values=True)
        for name, value in pairs:
            if value == "":
                continue  # FHIR: a parameter without a value is ignored
            if name == "_count":
                count = _non_negative(name, value)
            elif name == "_offset":
                offset = _non_negative(name, value)
            elif name == "_sort":
                sort = _sort_of(resource_type, value)
            elif name == "_format":
                if value not in _JSON_FORMATS:
                    raise _reject(406, "not-supported", f"_format={value}: this server speaks JSON only")
            elif name in parameters:
                tests.append(self._matcher(parameters[name], value))
            else:
                raise _reject(400, "not-supported", f"search parameter {name!r} is not supported on {resource_type}")
        with self._lock:
            matches = [
                copy.deepcopy(resource)
                for resource in self._store.get(resource_type, {}).values()
                if all(test(resource) for test in tests)
            ]
        if sort is not None:
            key, descending = sort
            dated = [(instant, resource) for resource in matches if (instant := _parse_instant(resource.get(key)))]
            undated = [resource for resource in matches if _parse_instant(resource.get(key)) is None]
            dated.sort(key=lambda pair: pair[0], reverse=descending)  # stable: ties keep insertion order
            matches = [resource for _, resource in dated] + undated
        page = matches[offset:] if count is None else matches[offset : offset + count]
        links = [{"relation": "self", "url": f"{self.base_url}/{resource_type}?{request.raw_query}"}]
        if count is not None and offset + count < len(matches):
            kept = [(name, value) for name, value in pairs if name not in ("_count", "_offset")]
            next_query = urlencode(
                [*kept, ("_count", str(count)), ("_offset", str(offset + count))], quote_via=quote, safe="/:,"
            )
            links.append({"relation": "next", "url": f"{self.base_url}/{resource_type}?{next_query}"})
        return _fhir(200, self._bundle(page, len(matches), links))

    def _bundle(self, resources: list[Resource], total: int, links: list[dict[str, str]] | None = None) -> Resource:
        bundle: Resource = {
            "resourceType": "Bundle",
            "id": str(uuid.uuid4()),
            "meta": {"lastUpdated": _now()},
            "type": "searchset",
            "total": total,
        }
        if links:
            bundle["link"] = links
        bundle["entry"] = [
            {
                "fullUrl": f"{self.base_url}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ]
        return bundle

    def _matcher(self, parameter: SearchParameter, value: str) -> Callable[[Resource], bool]:
        """A test for one occurrence of a parameter; its comma-separated values are alternatives (OR)."""
        alternatives = value.split(",")
        if parameter.kind == "date":
            ranges = [_date_range(alternative) for alternative in alternatives]

            def date_test(resource: Resource) -> bool:
                instants = [instant for v in parameter.values(resource) if (instant := _parse_instant(v))]
                return any(_date_matches(*r, instant) for r in ranges for instant in instants)

            return date_test
        if parameter.kind == "token":
            codes = {alternative.rpartition("|")[2] for alternative in alternatives}
            if "" in codes:
                raise _reject(400, "invalid", f"empty token in {value!r}")
            return lambda resource: any(v in codes for v in parameter.values(resource) if isinstance(v, str))
        wanted = [self._reference_key(alternative, parameter.target) for alternative in alternatives]

        def reference_test(resource: Resource) -> bool:
            keys = [self._reference_key(v, None) for v in parameter.values(resource)]
            # A bare id searched on a parameter that can refer to several types (actor) matches any type.
            return any(
                i == wanted_id and wanted_type in (t, None) for t, i in keys for wanted_type, wanted_id in wanted
            )

        return reference_test

    def _reference_key(self, reference: str, bare_type: str | None) -> tuple[str | None, str]:
        """(type, id) of `Type/id`, `<base>/Type/id` or `Type/id/_history/n`; a bare id is of `bare_type`."""
        if reference.startswith(self.base_url + "/"):
            reference = reference[len(self.base_url) + 1 :]
        parts = reference.split("/")
        if len(parts) >= 4 and parts[-2] == "_history":
            parts = parts[:-2]
        return (bare_type, parts[0]) if len(parts) == 1 else (parts[-2], parts[-1])

    # --- booking ---

    def _body_resource(self, request: RecordedRequest, resource_type: str) -> Resource:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/json", FHIR_JSON):
            raise _reject(415, "not-supported", f"Content-Type {content_type!r}: send {FHIR_JSON}")
        try:
            resource = json.loads(request.body)
        except ValueError as error:
            raise _reject(400, "structure", f"the body is not JSON: {error}") from None
        if not isinstance(resource, dict) or resource.get("resourceType") != resource_type:
            raise _reject(400, "structure", f"the body must be a {resource_type} resource")
        return resource

    def _slot_keys(self, appointment: Resource) -> list[str]:
        """The `Slot/id` keys an Appointment refers to, each once."""
        keys: list[str] = []
        for reference in _references(appointment.get("slot")):
            resource_type, slot_id = self._reference_key(reference, "Slot")
            if resource_type != "Slot":
                raise _reject(400, "invalid", f"Appointment.slot must refer to Slots, not {reference!r}")
            if (key := f"Slot/{slot_id}") not in keys:
                keys.append(key)
        return keys

    def _hold(self, keys: Iterable[str]) -> None:
        """Mark these Slots busy, all or none: 422 if one is unknown, 409 if one is not free. Caller holds the lock."""
        slots = []
        for key in keys:
            slot = self._store.get("Slot", {}).get(key.partition("/")[2])
            if slot is None:
                raise _reject(422, "processing", f"{key} is not known")
            if slot.get("status") != "free":
                raise _reject(409, "conflict", f"{key} is {slot.get('status')}, not free")
            slots.append(slot)
        for slot in slots:
            slot["status"] = "busy"

    def _release(self, keys: Iterable[str]) -> None:
        for key in keys:
            slot = self._store.get("Slot", {}).get(key.partition("/")[2])
            if slot is not None and slot.get("status") == "busy":
                slot["status"] = "free"

    def _stamp(self, resource: Resource, version: int) -> None:
        meta = resource["meta"] = dict(resource.get("meta") or {})
        meta["versionId"], meta["lastUpdated"] = str(version), _now()

    def _create(self, resource: Resource, status: int = 201) -> _Response:
        """Create an Appointment (holding its Slots when its status does) or a Patient; the server picks the id."""
        resource = copy.deepcopy(resource)
        resource_type = resource["resourceType"]
        keys: list[str] = []
        if resource_type == "Appointment":
            if not isinstance(resource.get("status"), str):
                raise _reject(400, "required", "Appointment.status is required")
            keys = self._slot_keys(resource)
        with self._lock:
            if resource_type == "Appointment" and resource["status"] in HOLDING_STATUSES:
                self._hold(keys)
            self._created += 1
            while str(self._created) in self._store.get(resource_type, {}):
                self._created += 1
            resource["id"] = str(self._created)  # a create ignores any client id, as FHIR says
            self._stamp(resource, 1)
            self._put(resource)
            stored = copy.deepcopy(resource)
        return _fhir(status, stored, _version_headers(stored) | {"Location": self._location(stored)})

    def _book(self, parameters: Resource) -> _Response:
        """Argonaut `$book` with `appt-resource`: create the Appointment as booked; the answer is a Bundle of it."""
        appointments = []
        for parameter in _as_list(parameters.get("parameter")):
            name = parameter.get("name") if isinstance(parameter, dict) else None
            if name == "appt-resource" and isinstance(parameter.get("resource"), dict):
                appointments.append(parameter["resource"])
            elif name != "comment":
                raise _reject(400, "not-supported", f"$book parameter {name!r} is not supported (only appt-resource)")
        if len(appointments) != 1 or appointments[0].get("resourceType") != "Appointment":
            raise _reject(400, "required", "$book needs one appt-resource parameter holding an Appointment")
        created = self._create({**appointments[0], "status": "booked"})
        return _fhir(200, self._bundle([json.loads(created.body)], 1))

    def _update(self, appointment_id: str, request: RecordedRequest) -> _Response:
        appointment = self._body_resource(request, "Appointment")
        if appointment.get("id") != appointment_id:
            raise _reject(400, "invalid", f"the body's id {appointment.get('id')!r} is not {appointment_id!r}")
        if not isinstance(appointment.get("status"), str):
            raise _reject(400, "required", "Appointment.status is required")
        with self._lock:
            current = self._store.get("Appointment", {}).get(appointment_id)
            if current is None:
                raise _reject(404, "not-found", f"Appointment/{appointment_id} is not known (no update-as-create)")
            version = _version_of(current)
            if_match = request.headers.get("if-match")
            if if_match is not None and if_match.strip() != "*" and _etag_version(if_match) != version:
                raise _reject(412, "conflict", f'If-Match {if_match} but the current version is W/"{version}"')
            held = set(self._slot_keys(current)) if current.get("status") in HOLDING_STATUSES else set()
            wanted = self._slot_keys(appointment) if appointment["status"] in HOLDING_STATUSES else []
            self._hold([key for key in wanted if key not in held])  # may refuse: nothing has changed yet
            self._release(held - set(wanted))
            self._stamp(appointment, int(version) + 1 if version and version.isdigit() else 1)
            self._put(copy.deepcopy(appointment))
        return _fhir(200, appointment, _version_headers(appointment))

    def _location(self, resource: Resource) -> str:
        return f"{self.base_url}/{resource['resourceType']}/{resource['id']}/_history/{resource['meta']['versionId']}"


def _version_of(resource: Resource) -> str | None:
    meta = resource.get("meta")
    version = meta.get("versionId") if isinstance(meta, dict) else None
    return version if isinstance(version, str) else None


def _version_headers(resource: Resource) -> dict[str, str]:
    version = _version_of(resource)
    return {"ETag": f'W/"{version}"'} if version is not None else {}


def _etag_version(etag: str) -> str:
    """`W/"3"` and `"3"` are version 3."""
    etag = etag.strip()
    return (etag[2:] if etag.startswith("W/") else etag).strip('"')


def _non_negative(name: str, value: str) -> int:
    if not value.isdigit():
        raise _reject(400, "invalid", f"{name}={value!r} is not a non-negative integer")
    return int(value)


def _sort_of(resource_type: str, value: str) -> tuple[str, bool]:
    """(the field to sort on, descending) for a `_sort` value such as `start` or `-start`."""
    name = value.removeprefix("-")
    key = SORT_KEYS.get(resource_type, {}).get(name)
    if key is None:
        raise _reject(400, "not-supported", f"_sort={value!r} is not supported on {resource_type}")
    return key, value.startswith("-")


def _fault_response(fault: Fault, processed: _Response | None) -> _Response:
    """The answer a fault gives instead of the normal one (`processed`, when it was computed)."""
    if fault.kind == "500":
        return _Response(500, b"Internal Server Error\n", {"Content-Type": "text/plain; charset=utf-8"})
    if fault.kind == "503":
        headers = {"Content-Type": "text/plain; charset=utf-8", "Retry-After": str(fault.retry_after_s)}
        return _Response(503, b"Service Unavailable\n", headers)
    if fault.kind == "409":
        return _outcome(409, "conflict", "injected fault: conflict")
    if fault.kind == "outcome":
        status = fault.status or 500
        return _outcome(status, "exception" if status >= 500 else "processing", f"injected fault: {status}")
    if fault.kind == "malformed":
        # Any proper prefix of a JSON object is invalid JSON: its closing brace is missing.
        body = (
            processed.body[: len(processed.body) // 2] if processed is not None and processed.body else _TRUNCATED_JSON
        )
        return _Response(200, body, {"Content-Type": f"{FHIR_JSON}; charset=utf-8"})
    raise AssertionError(f"fault {fault.kind!r} has no response")


# ----- HTTP plumbing -----


class _Handler(BaseHTTPRequestHandler):
    """One connection; each request on it is handed to the FhirTestServer."""

    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do; stop() closes idle connections itself
    server_version = "FhirTestServer/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: a line per request on stderr would drown the test output."""

    def version_string(self) -> str:
        """The Server header, without the Python version."""
        return self.server_version

    def do_GET(self) -> None:
        """Serve a request of any method (the others are aliases): the FhirTestServer routes it."""
        cast(_HTTPServer, self.server).app._exchange(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def read_body(self) -> bytes | None:
        """The request body, or None after answering a body this server cannot read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True  # the unread chunks would be taken for the next request
            self.send(_outcome(411, "not-supported", "send a Content-Length: chunked bodies are not supported"))
            return None
        length = self.headers.get("Content-Length", "0").strip()
        if not length.isdigit():
            self.close_connection = True
            self.send(_outcome(400, "invalid", f"bad Content-Length {length!r}"))
            return None
        return self.rfile.read(int(length)) if int(length) else b""

    def send(self, response: _Response) -> None:
        """Write a whole response, always with a Content-Length so that the connection can be kept alive."""
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def abort(self) -> None:
        """Close the connection with a TCP RST, without answering."""
        self.close_connection = True
        cast(_HTTPServer, self.server).abort(self.connection, self.rfile)


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that tracks its connections and threads, so that stop() can close and join them all."""

    block_on_close = False  # stop() joins the connection threads itself, with a deadline, instead of forever
    daemon_threads = True

    def __init__(self, app: FhirTestServer) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connection_threads: set[threading.Thread] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)
        self.socket.setblocking(False)  # the accept loop only accepts when select() says so; never block in accept
        self.timeout = 0

    def server_bind(self) -> None:
        """Bind without HTTPServer's getfqdn(), a reverse DNS lookup that can take seconds in a sandbox."""
        TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.socket.getsockname()[1]

    def process_request(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        """Serve the connection in its own named thread, tracked for stop()."""
        connection = cast(socket.socket, request)
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(connection, client_address),
            name=f"FhirTestServer:{self.server_port}:connection",
            daemon=True,
        )
        with self._connections_lock:
            self._connections.add(connection)
            self._connection_threads = {t for t in self._connection_threads if t.is_alive()} | {thread}
        thread.start()

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        """Forget the connection before closing it, so that stop() never touches a closed socket."""
        with self._connections_lock:
            self._connections.discard(cast(socket.socket, request))
        super().shutdown_request(request)

    def abort(self, connection: socket.socket, reader: Any) -> None:
        """Close `connection` with a RST: SO_LINGER on with a zero timeout makes close() discard and reset."""
        with self._connections_lock:
            self._connections.discard(connection)
            with suppress(OSError):
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            reader.close()  # the makefile() reader holds a reference that would defer the real close
            connection.close()

    def close_connections(self) -> list[threading.Thread]:
        """Shut every open connection down (waking threads blocked reading them); returns the threads to join."""
        with self._connections_lock:
            for connection in self._connections:
                with suppress(OSError):  # the client has already gone
                    connection.shutdown(socket.SHUT_RDWR)
            return list(self._connection_threads)

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        """Keep stderr quiet: a client hanging up is normal here; anything else is kept in `app.errors`."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError) and not self.app._stopping:
            self.app._note_error(traceback.format_exc())


# ----- a clinic booked on such a server -----


def fhir_clinic_data(
    base_url: str, schedules: dict[str, str], *more_backends: dict[str, object], **options: object
) -> dict[str, object]:
    """A clinics file, as data, with clinic "night" (open around the clock) whose practitioners "owl" and "lark" are
    booked on a FHIR server at `base_url`.

    `schedules` maps practitioners to the server's Schedule ids; `options` are more fields of that back-end
    (fail_max, reset_s…); `more_backends` follow it in the chain. Texting hours are around the clock too.
    """
    every_day = {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    fhir = {"kind": "fhir", "base_url": base_url, "timeout_s": 2.0, "schedules": schedules, **options}
    return {"clinics": [{
        "id": "night", "name": {"fr": "Nuit", "en": "Night"}, "sms_number": "+15145550101", "phone": "+15145550102",
        "address": "1, rue Test", "hours": every_day, "statutory_holidays": False,
        "practitioners": [
            {"id": "owl", "name": {"fr": "Dre Hibou", "en": "Dr. Owl"}},
            {"id": "lark", "name": {"fr": "Dr Alouette", "en": "Dr. Lark"}},
        ],
        "backends": [fhir, *more_backends],
        "reminders": {"quiet_hours": {"weekdays": "00:00-24:00", "weekends": "00:00-24:00"}},
    }]}  # fmt: skip
