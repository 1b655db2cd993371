"""The FHIR R4 adapter: a clinic's EHR as a booking back-end, over its REST API.

Free `Slot`s of the clinic's `Schedule`s are offered; booking creates an `Appointment` (or calls `$book` when the
server's CapabilityStatement declares it); cancelling sets `status=cancelled` under If-Match; a patient is found by
telephone. Every resource read is validated with `fhir.resources` (R4B, whose Slot, Schedule, Appointment and
Patient are R4's), falling back to STU3 because real servers still send STU3 shapes; what fits neither is skipped.

Faults of the server (refused, timed out, 5xx, malformed JSON) raise `BackendFailure` for the resilience wrapper;
answers about the request (409, 404) raise the port's booking errors.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from fhir.resources.R4B.appointment import Appointment as R4Appointment
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.patient import Patient as R4Patient
from fhir.resources.R4B.slot import Slot as R4Slot
from fhir.resources.STU3.appointment import Appointment as Stu3Appointment
from fhir.resources.STU3.slot import Slot as Stu3Slot
from pydantic import BaseModel, ValidationError

from bot.booking.port import local_windows
from bot.clinics.config import BackendConfig, ClinicConfig
from bot.core.booking import (
    AppointmentNotFound,
    BackendFailure,
    BookedAppointment,
    BookingError,
    BookingRequest,
    OfferedSlot,
    SlotNotFound,
    SlotSearch,
    SlotTaken,
)
from bot.core.deadline import remaining_s
from bot.core.vocabulary import AppointmentStatus, Channel

Json = dict[str, Any]

FHIR_JSON = "application/fhir+json"
#: FHIR statuses of an appointment that still holds its time, as rdvbot's own.
_LIVE = {"pending": AppointmentStatus.BOOKED, "booked": AppointmentStatus.BOOKED, "arrived": AppointmentStatus.BOOKED}
_LIVE |= {"checked-in": AppointmentStatus.BOOKED, "noshow": AppointmentStatus.NO_SHOW}
#: Pages of search results followed at most: a search that needs more is too wide for a text message anyway.
MAX_PAGES = 5
#: How long the server's CapabilityStatement (does it offer $book?) is trusted.
CAPABILITIES_TTL_S = 3600.0
#: Connections kept per server: one per turn worker, so that concurrent turns do not queue for a socket.
POOL_SIZE = 32


@dataclass(frozen=True)
class _Slot:
    """What rdvbot needs of a FHIR Slot, whichever FHIR version it came in."""

    id: str
    schedule_id: str
    status: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class _Appointment:
    """What rdvbot needs of a FHIR Appointment."""

    id: str
    version: str | None
    status: str
    start: datetime
    end: datetime
    actors: tuple[str, ...]
    slot_ids: tuple[str, ...]
    raw: Json


def _validated(resource: Json, *models: type[BaseModel]) -> Any:
    """`resource` as the first of `models` (R4B, then STU3) that accepts it, or None when none does.

    Typed `Any`: fhir.resources' models declare their elements dynamically, so mypy cannot see them anyway.
    """
    for model in models:
        try:
            return model.model_validate(resource)
        except ValidationError:
            continue
    return None


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _instant(moment: datetime) -> str:
    """A FHIR instant in UTC with `Z`: a `+hh:mm` offset would need escaping in a query string."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id_of(reference: str | None, resource_type: str) -> str | None:
    """The id in `Type/id`, `<base>/Type/id` or `Type/id/_history/n` when it is of `resource_type`."""
    parts = (reference or "").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    return parts[-1] if len(parts) >= 2 and parts[-2] == resource_type else None


def _slot(resource: Json) -> _Slot | None:
    """A usable Slot: valid, with a schedule and a positive duration (some examples have none)."""
    slot = _validated(resource, R4Slot, Stu3Slot)
    if slot is None or slot.id is None or slot.start is None or slot.end is None:
        return None
    schedule_id = _id_of(slot.schedule.reference if slot.schedule else None, "Schedule")
    start, end = _utc(slot.start), _utc(slot.end)
    if schedule_id is None or end <= start:
        return None
    return _Slot(slot.id, schedule_id, str(slot.status), start, end)


def _appointment(resource: Json) -> _Appointment | None:
    """A usable Appointment: valid, with an id, a start and an end."""
    appointment = _validated(resource, R4Appointment, Stu3Appointment)
    if appointment is None or appointment.id is None or appointment.start is None or appointment.end is None:
        return None
    actors = tuple(
        p.actor.reference for p in appointment.participant or [] if p.actor is not None and p.actor.reference
    )
    slot_ids = tuple(i for s in appointment.slot or [] if (i := _id_of(s.reference, "Slot")))
    version = appointment.meta.versionId if appointment.meta else None
    return _Appointment(
        appointment.id,
        version,
        str(appointment.status),
        _utc(appointment.start),
        _utc(appointment.end),
        actors,
        slot_ids,
        resource,
    )


def _entries(bundle: Json) -> list[Json]:
    """The resources of a searchset Bundle's matches (OperationOutcome entries are not matches)."""
    if bundle.get("resourceType") != "Bundle":
        raise BackendFailure(f"expected a Bundle, got {bundle.get('resourceType')!r}")
    return [
        entry["resource"]
        for entry in bundle.get("entry") or []
        if isinstance(entry, dict)
        and isinstance(entry.get("resource"), dict)
        and (entry.get("search") or {}).get("mode", "match") == "match"
        and entry["resource"].get("resourceType") != "OperationOutcome"
    ]


def _diagnostics(response: requests.Response) -> str:
    """What an error answer says, from its OperationOutcome when it has one."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    issues = body.get("issue") if isinstance(body, dict) else None
    if isinstance(issues, list) and issues and isinstance(issues[0], dict):
        return str(issues[0].get("diagnostics") or issues[0].get("code") or "")
    return ""


class FhirClient:
    """JSON over HTTP to one FHIR server: timeouts from the turn's deadline, faults as `BackendFailure`."""

    def __init__(self, base_url: str, timeout_s: float, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.session = session or requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE)
        self.session.mount(self.base_url, adapter)
        self.session.headers.update({"Accept": FHIR_JSON})

    def request(
        self, method: str, path: str, *, body: Json | None = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        """Send one request; a 5xx, a timeout or a refused connection raises `BackendFailure`."""
        timeout = remaining_s(self.timeout_s)
        if timeout <= 0:
            raise BackendFailure("no time left in this turn to call the back-end")
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path}"
        sent = dict(headers or {})
        if body is not None:
            sent["Content-Type"] = FHIR_JSON
        try:
            response = self.session.request(method, url, json=body, headers=sent, timeout=timeout)
        except requests.RequestException as error:
            raise BackendFailure(f"{method} {path}: {type(error).__name__}") from error
        if response.status_code >= 500:
            raise BackendFailure(f"{method} {path}: {response.status_code} {_diagnostics(response)}")
        return response

    def json(
        self, method: str, path: str, *, body: Json | None = None, headers: dict[str, str] | None = None
    ) -> tuple[requests.Response, Json]:
        """Send one request and parse its JSON body; malformed JSON raises `BackendFailure`."""
        response = self.request(method, path, body=body, headers=headers)
        try:
            parsed = response.json()
        except ValueError as error:
            raise BackendFailure(f"{method} {path}: malformed JSON") from error
        if not isinstance(parsed, dict):
            raise BackendFailure(f"{method} {path}: expected a JSON object")
        return response, parsed

    def search(self, resource_type: str, query: str) -> list[Json]:
        """Every match of a search, following `next` links up to MAX_PAGES pages."""
        response, bundle = self.json("GET", f"{resource_type}?{query}")
        if response.status_code != 200:
            raise BookingError(f"search {resource_type}: {response.status_code} {_diagnostics(response)}")
        found = _entries(bundle)
        for _ in range(MAX_PAGES - 1):
            following = next(
                (link.get("url") for link in bundle.get("link") or [] if link.get("relation") == "next"), None
            )
            if not following:
                break
            response, bundle = self.json("GET", following)
            if response.status_code != 200:
                raise BackendFailure(f"next page: {response.status_code}")
            found += _entries(bundle)
        return found


class FhirScheduler:
    """One clinic's booking on a FHIR R4 server: its practitioners are the Schedules named in `config`."""

    def __init__(self, clinic: ClinicConfig, config: BackendConfig, client: FhirClient | None = None) -> None:
        assert config.base_url is not None  # the config requires it of a fhir back-end
        self.name = config.key
        self.clinic = clinic
        self.client = client or FhirClient(config.base_url, config.timeout_s)
        self._practitioner_of_schedule = {schedule: practitioner for practitioner, schedule in config.schedules.items()}
        self._book_operation: tuple[float, bool] | None = None
        self._schedule_of_slot: dict[str, str | None] = {}
        self._lock = threading.Lock()

    # --- the port ---

    def search(self, query: SlotSearch) -> list[OfferedSlot]:
        """Free slots of the clinic's Schedules in the asked local days and part of the day, earliest first."""
        schedules = self._schedules(query.practitioner_id)
        windows = local_windows(query, self.clinic.zone)
        if not schedules or not windows:
            return []
        earliest = max(windows[0][0], query.not_before) if query.not_before else windows[0][0]
        parameters = [
            ("schedule", ",".join(f"Schedule/{s}" for s in schedules)),
            ("status", "free"),
            ("start", f"ge{_instant(earliest)}"),
            ("start", f"lt{_instant(windows[-1][1])}"),
            ("_sort", "start"),
            ("_count", str(max(query.limit, 20))),
        ]
        offered: list[OfferedSlot] = []
        for resource in self.client.search("Slot", _query(parameters)):
            slot = _slot(resource)
            if slot is None or slot.status != "free" or slot.schedule_id not in schedules:
                continue
            if slot.start < earliest or not any(start <= slot.start < end for start, end in windows):
                continue
            practitioner = self._practitioner_of_schedule[slot.schedule_id]
            offered.append(OfferedSlot(slot.id, self.clinic.id, practitioner, slot.start, slot.end))
        offered.sort(key=lambda s: s.start)
        return offered[: query.limit]

    def book(self, request: BookingRequest) -> BookedAppointment:
        """Create a booked Appointment on the free slot (`$book` when offered); `SlotTaken` on a 409."""
        slot = self._free_slot(request.slot_id)
        appointment: Json = {
            "resourceType": "Appointment",
            "status": "booked",
            "start": _instant(slot.start),
            "end": _instant(slot.end),
            "slot": [{"reference": f"Slot/{slot.id}"}],
            "created": datetime.now(UTC).date().isoformat(),
            "comment": f"Booked by rdvbot ({request.channel.value})",
            "participant": [
                {
                    "actor": {"reference": f"Patient/{self._patient_id(request.patient_phone, create=True)}"},
                    "status": "accepted",
                }
            ],
        }
        if self._offers_book_operation():
            parameters = {
                "resourceType": "Parameters",
                "parameter": [{"name": "appt-resource", "resource": appointment}],
            }
            response, answer = self.client.json("POST", "Appointment/$book", body=parameters)
            created = _entries(answer)[0] if response.status_code == 200 and _entries(answer) else answer
        else:
            response, created = self.client.json("POST", "Appointment", body=appointment)
        if response.status_code == 409:
            raise SlotTaken(f"slot {slot.id} is no longer free")
        if response.status_code not in (200, 201):
            raise BookingError(f"booking refused: {response.status_code} {_diagnostics(response)}")
        booked = _appointment(created)
        if booked is None:
            raise BackendFailure("the server answered a booking with an Appointment rdvbot cannot read")
        return self._booked(booked, request.patient_phone, request.channel, slot)

    def cancel(self, appointment_id: str, *, channel: Channel, patient_phone: str | None = None) -> BookedAppointment:
        """Set the appointment's status to cancelled under If-Match; a cancelled one is returned unchanged."""
        for _ in range(2):  # a 412 means it changed since we read it: read it again once
            current = self._owned(appointment_id, patient_phone)
            if current.status == "cancelled":
                return self._booked(current, patient_phone or "", channel)
            body = current.raw | {
                "status": "cancelled",
                "cancelationReason": {"text": f"Cancelled by the patient ({channel.value})"},
            }
            headers = {"If-Match": f'W/"{current.version}"'} if current.version else {}
            response, answer = self.client.json(
                "PUT", f"Appointment/{quote(appointment_id)}", body=body, headers=headers
            )
            if response.status_code == 412:
                continue
            if response.status_code != 200:
                raise BookingError(f"cancelling refused: {response.status_code} {_diagnostics(response)}")
            cancelled = _appointment(answer)
            if cancelled is None:
                raise BackendFailure("the server answered a cancellation with an Appointment rdvbot cannot read")
            return self._booked(cancelled, patient_phone or "", channel)
        raise BookingError(f"Appointment/{appointment_id} keeps changing on the server")

    def reschedule(
        self, appointment_id: str, new_slot_id: str, *, channel: Channel, patient_phone: str | None = None
    ) -> BookedAppointment:
        """Book the new slot, then cancel the old appointment; if that fails, the new booking is cancelled."""
        old = self._owned(appointment_id, patient_phone)
        if old.status not in _LIVE or _LIVE[old.status] is not AppointmentStatus.BOOKED:
            raise AppointmentNotFound(f"Appointment/{appointment_id} is not live")
        phone = patient_phone or ""
        moved = self.book(BookingRequest(new_slot_id, phone, channel))
        try:
            self.cancel(appointment_id, channel=channel, patient_phone=patient_phone)
        except Exception:
            self.cancel(moved.appointment_id, channel=channel, patient_phone=patient_phone)
            raise
        return moved

    def appointments_for(self, clinic_id: str, patient_phone: str, *, after: datetime) -> list[BookedAppointment]:
        """The patient's live appointments with this clinic's practitioners ending after `after`, earliest first."""
        patient = self._patient_id(patient_phone, create=False)
        if patient is None:
            return []
        parameters = [
            ("patient", f"Patient/{patient}"),
            ("date", f"ge{_instant(after)}"),
            ("status", ",".join(_LIVE)),
            ("_sort", "date"),
        ]
        found: list[BookedAppointment] = []
        for resource in self.client.search("Appointment", _query(parameters)):
            appointment = _appointment(resource)
            if appointment is None or appointment.end <= after or appointment.status not in _LIVE:
                continue
            if self._practitioner_of(appointment) is None:
                continue  # the same EHR may serve other clinics: only this clinic's appointments are its patient's
            booked = self._booked(appointment, patient_phone, Channel.SYSTEM)
            if booked.is_live:
                found.append(booked)
        return sorted(found, key=lambda a: a.start)

    def probe(self) -> None:
        """Ask the server for its CapabilityStatement: it answers, or this raises `BackendFailure`."""
        self._capabilities(force=True)

    # --- helpers ---

    def _schedules(self, practitioner_id: str | None) -> list[str]:
        return [s for s, p in self._practitioner_of_schedule.items() if practitioner_id in (None, p)]

    def _free_slot(self, slot_id: str) -> _Slot:
        response, resource = self.client.json("GET", f"Slot/{quote(slot_id)}")
        slot = _slot(resource) if response.status_code == 200 else None
        if slot is None or slot.schedule_id not in self._practitioner_of_schedule:
            raise SlotNotFound(f"Slot/{slot_id} is not one of this clinic's")
        if slot.status != "free":
            raise SlotTaken(f"Slot/{slot_id} is {slot.status}")
        return slot

    def _patient_id(self, phone: str, *, create: bool) -> str | None:
        """The Patient with this mobile number (the first found), created when asked and none exists."""
        matches = self.client.search("Patient", _query([("telecom", f"phone|{phone}")]))
        for resource in matches:
            patient = _validated(resource, R4Patient)
            if patient is not None and patient.id:
                return str(patient.id)
        if not create:
            return None
        new_patient = {
            "resourceType": "Patient",
            "active": True,
            "telecom": [{"system": "phone", "value": phone, "use": "mobile"}],
        }
        response, created = self.client.json("POST", "Patient", body=new_patient)
        patient_id = created.get("id") if response.status_code in (200, 201) else None
        if not isinstance(patient_id, str):
            raise BookingError(f"the server would not register the patient: {response.status_code}")
        return patient_id

    def _owned(self, appointment_id: str, patient_phone: str | None) -> _Appointment:
        """The appointment, only when it is this patient's (when a phone is given) with this clinic."""
        response, resource = self.client.json("GET", f"Appointment/{quote(appointment_id)}")
        appointment = _appointment(resource) if response.status_code == 200 else None
        if appointment is None or self._practitioner_of(appointment) is None:
            raise AppointmentNotFound(f"no Appointment/{appointment_id} at this clinic")
        if response.headers.get("ETag") and appointment.version is None:
            appointment = replace(appointment, version=response.headers["ETag"].split('"')[1])
        if patient_phone is not None:
            patient = self._patient_id(patient_phone, create=False)
            if patient is None or f"Patient/{patient}" not in appointment.actors:
                raise AppointmentNotFound(f"Appointment/{appointment_id} is not this patient's")
        return appointment

    def _practitioner_of(self, appointment: _Appointment) -> str | None:
        """The clinic's practitioner of an appointment, through its slots' schedules.

        Appointments made at the front desk name no Schedule, only Slots; a slot never changes schedule, so what
        a slot read taught is kept.
        """
        for slot_id in appointment.slot_ids:
            if slot_id not in self._schedule_of_slot:
                response, resource = self.client.json("GET", f"Slot/{quote(slot_id)}")
                slot = _slot(resource) if response.status_code == 200 else None
                self._schedule_of_slot[slot_id] = slot.schedule_id if slot is not None else None
            practitioner = self._practitioner_of_schedule.get(self._schedule_of_slot[slot_id] or "")
            if practitioner is not None:
                return practitioner
        return None

    def _booked(
        self, appointment: _Appointment, phone: str, channel: Channel, slot: _Slot | None = None
    ) -> BookedAppointment:
        status = _LIVE.get(appointment.status, AppointmentStatus.CANCELLED)
        practitioner = (
            self._practitioner_of_schedule[slot.schedule_id] if slot is not None else self._practitioner_of(appointment)
        )
        return BookedAppointment(
            appointment.id,
            self.clinic.id,
            practitioner or "",
            phone,
            appointment.start,
            appointment.end,
            status,
            channel,
            backend=self.name,
            slot_id=appointment.slot_ids[0] if appointment.slot_ids else None,
            external_id=appointment.id,
        )

    def _offers_book_operation(self) -> bool:
        return self._capabilities(force=False)

    def _capabilities(self, *, force: bool) -> bool:
        """Whether the server declares `Appointment/$book`, from its CapabilityStatement (cached for an hour)."""
        with self._lock:
            cached = self._book_operation
        if cached is not None and not force and time.monotonic() - cached[0] < CAPABILITIES_TTL_S:
            return cached[1]
        response, resource = self.client.json("GET", "metadata")
        statement = _validated(resource, CapabilityStatement) if response.status_code == 200 else None
        if statement is None:
            raise BackendFailure("the server's CapabilityStatement cannot be read")
        offers = any(
            operation.name == "book"
            for rest in statement.rest or []
            for kind in rest.resource or []
            if kind.type == "Appointment"
            for operation in kind.operation or []
        )
        with self._lock:
            self._book_operation = (time.monotonic(), offers)
        return offers


def _query(parameters: list[tuple[str, str]]) -> str:
    """A query string; `/`, `:`, `|` and `,` stay readable, and `+` is escaped as FHIR servers need."""
    return "&".join(f"{name}={quote(value, safe='/:|,')}" for name, value in parameters)
