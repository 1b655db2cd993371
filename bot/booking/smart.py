"""SMART Scheduling Links: read-only discovery of open slots that other providers publish.

A publisher serves a `$bulk-publish` manifest (JSON: `transactionTime`, `output[]` of `{type, url}`) that lists NDJSON
files of Location, Schedule and Slot resources. `SmartDirectory` loads them all into an immutable snapshot and answers
"the earliest free slot of each nearby location" from it, with the publisher's booking link or phone: the patient
books there, never through this adapter, which writes nothing.

Publishers are remote and imperfect, so a bad line or a missing file costs only that line or that file, and a
publisher that cannot be reached leaves the previous snapshot in service. Every request takes its timeout from the
current turn's deadline (`bot.core.deadline.remaining_s`): a patient never waits for a publisher longer than the turn
has.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, cast
from urllib.parse import urljoin

import requests
import urllib3.exceptions
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot
from pydantic import ValidationError

from bot.core.deadline import remaining_s

log = logging.getLogger(__name__)

_REGISTRY = "http://fhir-registry.smarthealthit.org/StructureDefinition/"
BOOKING_DEEP_LINK = _REGISTRY + "booking-deep-link"
# The specification's own examples spell it `booking-hhone` on every slot, so publishers that copied them may too.
BOOKING_PHONE_URLS = frozenset({_REGISTRY + "booking-phone", _REGISTRY + "booking-hhone"})

_MANIFEST_ACCEPT = "application/json"
_NDJSON_ACCEPT = "application/fhir+ndjson, application/x-ndjson;q=0.9, */*;q=0.1"
_CHUNK_BYTES = 64 * 1024


class DiscoveryUnavailable(Exception):
    """The publisher's manifest could not be fetched or read (or the turn had no time left to ask for it)."""


@dataclass(frozen=True)
class NearbyOffer:
    """The earliest free slot of one published location, and how the patient can book it."""

    location_id: str
    location_name: str
    address: str  # one line, e.g. "123 Summer St, Boston, MA 02114"
    phone: str | None  # the location's own phone
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    booking_link: str | None
    booking_phone: str | None  # the slot's (or schedule's, or location's) booking phone, else the location's phone
    source: str  # the manifest URL it was published under


@dataclass(frozen=True)
class DirectorySnapshot:
    """One load of a publisher. Never changed once built, so that turns read it from any thread without a lock."""

    transaction_time: datetime | None  # the manifest's `transactionTime`: when the publisher's data was current
    locations: Mapping[str, Location]
    schedule_locations: Mapping[str, tuple[str, ...]]  # schedule id -> the ids of its Location actors
    openings: tuple[NearbyOffer, ...]  # one per free slot and location of its schedule, by (start, location id)
    skipped_lines: int  # NDJSON lines that were not JSON or not a valid resource of the file's type
    failed_outputs: Mapping[str, str]  # output file URL -> why it was left out ("HTTP 404", a timeout, ...)
    unresolved_slots: int  # free slots whose schedule, or whose schedule's locations, were not published
    etag: str | None  # the manifest's ETag, for a conditional request next time


@dataclass(frozen=True)
class _Fetched:
    status: int
    body: bytes
    etag: str | None


_RESOURCE_TYPES: dict[str, type[Location] | type[Schedule] | type[Slot]] = {
    "Location": Location,
    "Schedule": Schedule,
    "Slot": Slot,
}


class SmartDirectory:
    """The locations and free slots of one SMART Scheduling Links publisher, reloaded when older than `max_age_s`.

    `timeout_s` caps every HTTP request (connect, each read and the whole body); the turn's deadline can only lower it.
    `clock` measures the snapshot's age; tests pass a fake one.
    """

    def __init__(
        self,
        manifest_url: str,
        *,
        session: requests.Session | None = None,
        timeout_s: float = 2.0,
        max_age_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.manifest_url = manifest_url
        self.timeout_s = timeout_s
        self.max_age_s = max_age_s
        self._session = session or requests.Session()
        self._clock = clock
        self._snapshot: DirectorySnapshot | None = None
        # When the next automatic refresh is due. Failed attempts count too: a publisher that is down then costs one
        # turn a timeout per `max_age_s`, not every turn.
        self._refresh_due = 0.0
        self._refresh_lock = threading.Lock()  # one refresh at a time

    @property
    def snapshot(self) -> DirectorySnapshot | None:
        """The snapshot in service (None before the first successful load)."""
        return self._snapshot

    def refresh(self) -> None:
        """Load the manifest and its Location, Schedule and Slot files, and put the result in service.

        Bad lines and failed output files are left out and recorded in the new snapshot. Raises `DiscoveryUnavailable`
        when the manifest cannot be fetched or read, or the turn's time runs out; the previous snapshot stays.
        """
        with self._refresh_lock:
            self._refresh_locked()

    def earliest(self, after: datetime, *, limit: int = 3, near: Sequence[str] = ()) -> list[NearbyOffer]:
        """The earliest free slot starting at or after `after` (aware) of up to `limit` locations, earliest first.

        `near` keeps the locations whose postal code starts with an entry (spaces and case ignored: "H2J", "h2j 1a1")
        or whose city is an entry (case and accents ignored: "Montreal" is "Montréal"); empty keeps them all.
        Refreshes a snapshot older than `max_age_s` first. When that refresh fails, the older snapshot still answers
        (published slots are leads the patient confirms with the publisher anyway); with none, the
        `DiscoveryUnavailable` propagates.
        """
        if after.tzinfo is None:
            raise ValueError("after must be an aware datetime")
        snapshot = self._current_snapshot()
        places = _matching_locations(snapshot.locations, near)
        offers: list[NearbyOffer] = []
        seen: set[str] = set()
        first = bisect_left(snapshot.openings, after, key=lambda opening: opening.start)
        for opening in snapshot.openings[first:]:
            if len(offers) >= limit:
                break
            if opening.location_id in places and opening.location_id not in seen:
                seen.add(opening.location_id)
                offers.append(opening)
        return offers

    # --- loading ---

    def _current_snapshot(self) -> DirectorySnapshot:
        snapshot = self._snapshot
        if snapshot is not None and self._clock() < self._refresh_due:
            return snapshot
        if snapshot is not None:
            # Another turn is already refreshing: answer from what is loaded rather than queue behind it.
            if not self._refresh_lock.acquire(blocking=False):
                return snapshot
        elif not self._refresh_lock.acquire(timeout=remaining_s(self.timeout_s)):
            raise DiscoveryUnavailable(f"{self.manifest_url}: the first load is still under way")
        try:
            if self._snapshot is None or self._clock() >= self._refresh_due:  # not done meanwhile by another turn
                self._refresh_locked()
        except DiscoveryUnavailable as error:
            if self._snapshot is None:
                raise
            log.warning(
                "SMART directory %s: refresh failed, answering from the older snapshot: %s", self.manifest_url, error
            )
        finally:
            self._refresh_lock.release()
        assert self._snapshot is not None  # set by the refresh, or there before it
        return self._snapshot

    def _refresh_locked(self) -> None:
        previous = self._snapshot
        try:
            self._snapshot = self._load(previous)  # one reference assignment: readers see the old or the new, whole
        finally:
            self._refresh_due = self._clock() + self.max_age_s

    def _load(self, previous: DirectorySnapshot | None) -> DirectorySnapshot:
        headers = {"Accept": _MANIFEST_ACCEPT}
        # A conditional request only when the previous load was complete: after a partial one, fetch everything again
        # so that the files that failed get another chance even though the manifest has not changed.
        if previous is not None and previous.etag and not previous.failed_outputs:
            headers["If-None-Match"] = previous.etag
        fetched = self._get(self.manifest_url, headers)
        if fetched.status == 304 and previous is not None:
            return previous
        transaction_time, outputs = _read_manifest(self.manifest_url, fetched.body)

        resources: dict[str, dict[str, Any]] = {name: {} for name in _RESOURCE_TYPES}
        skipped = 0
        failed: dict[str, str] = {}
        for resource_type, url in outputs:
            try:
                body = self._get(url, {"Accept": _NDJSON_ACCEPT}).body
            except DiscoveryUnavailable as error:
                if remaining_s(self.timeout_s) <= 0:
                    raise  # the turn's time is spent: a snapshot missing every remaining file would be worse than none
                log.warning("SMART directory %s: output left out: %s", self.manifest_url, error)
                failed[url] = str(error)
                continue
            loaded, bad = _parse_ndjson(body, _RESOURCE_TYPES[resource_type])
            resources[resource_type].update(loaded)
            skipped += bad
        if skipped:
            log.warning("SMART directory %s: %d invalid NDJSON lines skipped", self.manifest_url, skipped)
        return self._build(transaction_time, resources, skipped, failed, fetched.etag)

    def _build(
        self,
        transaction_time: datetime | None,
        resources: Mapping[str, Mapping[str, Any]],
        skipped: int,
        failed: Mapping[str, str],
        etag: str | None,
    ) -> DirectorySnapshot:
        locations: dict[str, Location] = dict(resources["Location"])
        schedules: dict[str, Schedule] = dict(resources["Schedule"])
        schedule_locations = {
            schedule_id: tuple(
                location_id
                for actor in schedule.actor
                if (location_id := _reference_id(actor.reference, "Location")) in locations
            )
            for schedule_id, schedule in schedules.items()
        }
        openings: list[NearbyOffer] = []
        unresolved = 0
        slot: Slot
        for slot in resources["Slot"].values():
            if slot.status != "free":
                continue
            schedule_id = _reference_id(slot.schedule.reference, "Schedule")
            location_ids = schedule_locations.get(schedule_id or "", ())
            if not location_ids:
                unresolved += 1
                continue
            schedule = schedules[schedule_id or ""]
            for location_id in location_ids:
                openings.append(self._offer(slot, schedule, location_id, locations[location_id]))
        openings.sort(key=lambda offer: (offer.start, offer.location_id))
        return DirectorySnapshot(
            transaction_time=transaction_time,
            locations=MappingProxyType(locations),
            schedule_locations=MappingProxyType(schedule_locations),
            openings=tuple(openings),
            skipped_lines=skipped,
            failed_outputs=MappingProxyType(dict(failed)),
            unresolved_slots=unresolved,
            etag=etag,
        )

    def _offer(self, slot: Slot, schedule: Schedule, location_id: str, location: Location) -> NearbyOffer:
        # The most specific level that says how to book wins: the slot, then its schedule, then the location.
        levels = (slot.extension, schedule.extension, location.extension)
        phone = _location_phone(location)
        return NearbyOffer(
            location_id=location_id,
            location_name=location.name or location_id,
            address=_one_line(location),
            phone=phone,
            # Typed optional, but the model's validator requires both, with a time zone (FHIR instants).
            start=cast(datetime, slot.start).astimezone(UTC),
            end=cast(datetime, slot.end).astimezone(UTC),
            booking_link=_first_extension(levels, frozenset({BOOKING_DEEP_LINK}), "valueUrl"),
            booking_phone=_phone(_first_extension(levels, BOOKING_PHONE_URLS, "valueString")) or phone,
            source=self.manifest_url,
        )

    def _get(self, url: str, headers: Mapping[str, str]) -> _Fetched:
        """GET `url` within the turn's time; any failure, or an answer other than 2xx or 304, raises."""
        timeout = remaining_s(self.timeout_s)
        if timeout <= 0:
            raise DiscoveryUnavailable(f"{url}: no time left in this turn")
        give_up = time.monotonic() + timeout
        try:
            with self._session.get(url, headers=headers, timeout=timeout, stream=True) as response:
                if response.status_code == 304:
                    return _Fetched(304, b"", response.headers.get("ETag"))
                if not 200 <= response.status_code < 300:
                    raise DiscoveryUnavailable(f"{url}: HTTP {response.status_code}")
                # requests' timeout bounds the connect and each socket read, not the whole body, and iter_content()
                # waits for whole chunks: a publisher dripping bytes would hold the turn indefinitely. read1() returns
                # whatever has arrived, so the body's own deadline is checked as the bytes come in.
                chunks: list[bytes] = []
                while chunk := response.raw.read1(_CHUNK_BYTES, decode_content=True):
                    if time.monotonic() > give_up:
                        raise DiscoveryUnavailable(f"{url}: body not received within {timeout:.2f} s")
                    chunks.append(chunk)
                return _Fetched(response.status_code, b"".join(chunks), response.headers.get("ETag"))
        except (requests.RequestException, urllib3.exceptions.HTTPError) as error:  # read1() raises urllib3's own
            raise DiscoveryUnavailable(f"{url}: {type(error).__name__}: {error}") from error


def _read_manifest(manifest_url: str, body: bytes) -> tuple[datetime | None, list[tuple[str, str]]]:
    """The manifest's transaction time and its (type, absolute URL) outputs of the types this adapter reads."""
    try:
        manifest = json.loads(body)
        entries = manifest["output"]
        outputs = [(str(entry["type"]), str(entry["url"])) for entry in entries]
    except (ValueError, TypeError, KeyError) as error:
        raise DiscoveryUnavailable(f"{manifest_url}: not a bulk-publish manifest ({error!r})") from error
    transaction_time: datetime | None = None
    stamp = manifest.get("transactionTime")
    if isinstance(stamp, str):
        try:
            transaction_time = datetime.fromisoformat(stamp).astimezone(UTC)
        except ValueError:
            log.warning("SMART directory %s: unreadable transactionTime %r", manifest_url, stamp)
    # Relative output URLs are resolved against the manifest's; other types (PractitionerRole, ...) are not read.
    return transaction_time, [(kind, urljoin(manifest_url, url)) for kind, url in outputs if kind in _RESOURCE_TYPES]


def _parse_ndjson(body: bytes, model: type[Location] | type[Schedule] | type[Slot]) -> tuple[dict[str, Any], int]:
    """The resources of an NDJSON body by id, and how many non-empty lines were not valid resources of `model`."""
    resources: dict[str, Any] = {}
    bad = 0
    # Split on "\n" only: str.splitlines() would also split on U+2028, which JSON strings may hold unescaped.
    for line in body.split(b"\n"):
        if not line.strip():
            continue
        try:
            resource = model.model_validate_json(line)
        except ValidationError:  # also raised for text that is not JSON at all
            bad += 1
            continue
        if resource.id is None:  # nothing could refer to it
            bad += 1
            continue
        resources[resource.id] = resource
    return resources, bad


def _reference_id(reference: str | None, resource_type: str) -> str | None:
    """The id in a "Type/id" reference (relative or absolute URL) to `resource_type`, else None."""
    parts = (reference or "").rstrip("/").split("/")
    return parts[-1] if len(parts) >= 2 and parts[-2] == resource_type and parts[-1] else None


def _first_extension(levels: Sequence[Sequence[Extension] | None], urls: frozenset[str], field: str) -> str | None:
    """The first non-blank value of an extension with one of `urls`, searching `levels` in order."""
    for extensions in levels:
        for extension in extensions or ():
            value = getattr(extension, field, None)
            if extension.url in urls and isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _phone(value: str | None) -> str | None:
    """`value`, unless it is blank or a placeholder such as "000-000-0000" (no digit other than 0)."""
    if value is None or not any(character in "123456789" for character in value):
        return None
    return value.strip()


def _location_phone(location: Location) -> str | None:
    """The location's first real phone number."""
    for contact in location.telecom or ():
        if contact.system == "phone" and (phone := _phone(contact.value)):
            return phone
    return None


def _one_line(location: Location) -> str:
    """The location's address on one line: its `text`, else "line, line, city, state postal code"."""
    address = location.address
    if address is None:
        return ""
    if address.text:
        return str(address.text)
    region = " ".join(part for part in (address.state, address.postalCode) if part)
    return ", ".join(part for part in (*(address.line or ()), address.city, region) if part)


def _fold(text: str) -> str:
    """Case-, accent- and hyphen-insensitive form of a place name: "Saint-Jérôme" and "saint jerome" are equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(character for character in decomposed if not unicodedata.combining(character))
    return " ".join(bare.casefold().replace("-", " ").split())


def _matching_locations(locations: Mapping[str, Location], near: Sequence[str]) -> set[str]:
    """The ids of the locations that `near` keeps (all of them when it is empty)."""
    if not near:
        return set(locations)
    postal_prefixes = {"".join(entry.split()).upper() for entry in near} - {""}
    cities = {_fold(entry) for entry in near} - {""}
    kept: set[str] = set()
    for location_id, location in locations.items():
        address = location.address
        if address is None:
            continue
        postal = "".join((address.postalCode or "").split()).upper()
        if (postal and any(postal.startswith(prefix) for prefix in postal_prefixes)) or (
            address.city and _fold(address.city) in cities
        ):
            kept.add(location_id)
    return kept


@dataclass(frozen=True)
class NearbySource:
    """A publisher of other clinics' open slots, and what counts as near the clinic that offers them."""

    directory: SmartDirectory
    near: tuple[str, ...] = ()


def earliest_nearby(sources: Sequence[NearbySource], after: datetime, limit: int) -> list[NearbyOffer]:
    """The earliest open slots of nearby clinics from every source, one per place, earliest first; a publisher that
    cannot be read (and was never read) gives nothing rather than failing the patient's turn."""
    offers: list[NearbyOffer] = []
    for source in sources:
        try:
            offers += source.directory.earliest(after, limit=limit, near=source.near)
        except DiscoveryUnavailable as unavailable:
            log.warning("nearby slots unavailable from %s: %s", source.directory.manifest_url, unavailable)
    return sorted(offers, key=lambda offer: offer.start)[:limit]
