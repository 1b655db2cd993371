"""The clinics file (SPEC §3): typed, validated at start, with errors that name the file, clinic and field."""

from __future__ import annotations

import re
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml
from limits import parse as parse_rate
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")
BackendKind = Literal["sql", "fhir", "smart"]
DEFAULT_TIMEZONE = "America/Toronto"

_RANGE = re.compile(r"^\s*(\d{1,2})[:h](\d{2})\s*-\s*(\d{1,2})[:h](\d{2})\s*$")


class ClinicsFileError(Exception):
    """The clinics file cannot be used; the message names the file, the clinic and the field."""


class TimeRange(BaseModel):
    """An opening or availability window within one day, local wall-clock time."""

    model_config = ConfigDict(frozen=True)

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        """Parse "08:00-17:00" (or "8h00-17h00"); the end must come after the start."""
        match = _RANGE.match(text)
        if not match:
            raise ValueError(f'"{text}" is not a time range like "08:00-17:00"')
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h2 == 24 and m2 == 0:
            h2, m2 = 23, 59
        try:
            start, end = time(h1, m1), time(h2, m2)
        except ValueError:
            raise ValueError(f'"{text}" has an impossible time') from None
        if end <= start:
            raise ValueError(f'"{text}" ends before it starts')
        return cls(start=start, end=end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _time_range(value: Any) -> Any:
    return TimeRange.parse(value) if isinstance(value, str) else value


def _time_ranges(value: Any) -> Any:
    """One range, a comma-separated string or a list; "closed" (or an empty value) means no window."""
    if value is None or (isinstance(value, str) and value.strip().lower() in {"closed", "fermé", "ferme", ""}):
        return []
    if isinstance(value, str):
        return [TimeRange.parse(part) for part in value.split(",")]
    if isinstance(value, list):
        return [_time_range(part) for part in value]
    raise ValueError('expected a time range such as "08:00-17:00", a list of them, or "closed"')


TimeRangeField = Annotated[TimeRange, BeforeValidator(_time_range)]
DayWindows = Annotated[list[TimeRange], BeforeValidator(_time_ranges)]


@lru_cache(maxsize=4096)
def to_e164(value: Any) -> str:
    """Normalise any number phonenumbers parses (North American by default) to E.164.

    Cached: every webhook parses its two numbers, and phonenumbers is comparatively slow.
    """
    text = str(value).strip()
    try:
        number = phonenumbers.parse(text, "CA")
    except phonenumbers.NumberParseException:
        raise ValueError(f'"{text}" is not a phone number') from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f'"{text}" is not a valid phone number')
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


PhoneNumber = Annotated[str, BeforeValidator(to_e164)]


def _check_windows(windows: dict[str, list[TimeRange]]) -> dict[str, list[TimeRange]]:
    for day, ranges in windows.items():
        ordered = sorted(ranges, key=lambda r: r.start)
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            if later.start < earlier.end:
                raise ValueError(f"{day}: {earlier} overlaps {later}")
    return windows


#: Longest names and address accepted: every text the bot sends must fit in 2 SMS segments with them.
MAX_NAME, MAX_ADDRESS = 40, 80


class Localized(BaseModel):
    """A name in French and English; French is required (Charter of the French language)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: str = Field(min_length=1, max_length=MAX_NAME)
    en: str = Field(min_length=1, max_length=MAX_NAME)

    def in_language(self, language: str) -> str:
        """The text in `language`, French when it is not English."""
        return self.en if language == "en" else self.fr


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PractitionerConfig(Strict):
    """A practitioner and their weekly availability, from which slots are generated.

    `role` and `gender` answer patients who ask for "une médecin", "the nurse" or "a male doctor"; left out, they
    are read from the French name ("infirmière" is a nurse, else a doctor; "Dre" a woman, "Dr" a man).
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: Localized
    slot_minutes: int = Field(default=20, ge=5, le=240)
    availability: dict[Weekday, DayWindows] = Field(default_factory=dict)
    role: Literal["doctor", "nurse"] | None = None
    gender: Literal["f", "m"] | None = None

    _windows_do_not_overlap = field_validator("availability")(_check_windows)

    @model_validator(mode="after")
    def _role_and_gender_from_the_name(self) -> PractitionerConfig:
        french = self.name.fr.casefold()
        if self.role is None:
            nurse = "infirmi" in french or "nurse" in self.name.en.casefold()
            object.__setattr__(self, "role", "nurse" if nurse else "doctor")
        if self.gender is None:
            title = french.split(maxsplit=1)[0] if french.strip() else ""
            object.__setattr__(self, "gender", {"dre": "f", "dr": "m"}.get(title.rstrip(".")))
        return self


class AppointmentTypeConfig(Strict):
    """A kind of visit and how long it takes."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: Localized
    minutes: int = Field(ge=5, le=240)


class BackendConfig(Strict):
    """One booking back-end; the first of a clinic's list is its system of record."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str
    base_url: str | None = None
    timeout_s: float = Field(default=2.0, gt=0, le=30)
    #: FHIR: the Schedule id of each practitioner (practitioner id → Schedule id) whose Slots rdvbot offers.
    schedules: dict[str, str] = Field(default_factory=dict)
    #: SMART discovery: postal-code prefixes or city names that count as near this clinic (empty: all).
    near: list[str] = Field(default_factory=list)
    #: Circuit breaker: consecutive failures that open it, and seconds it stays open before a trial call.
    fail_max: int = Field(default=3, ge=1, le=100)
    reset_s: float = Field(default=30.0, gt=0, le=3600)
    #: Requests kept while this back-end was down are replayed at most this fast, so it is not flooded as it
    #: comes back.
    replay_per_minute: float = Field(default=30.0, gt=0, le=6000)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in BackendKind.__args__:  # type: ignore[attr-defined]
            raise ValueError(f'unknown back-end "{kind}" (known: sql, fhir, smart)')
        return kind

    @model_validator(mode="after")
    def _remote_needs_url(self) -> BackendConfig:
        if self.kind != "sql" and not self.base_url:
            raise ValueError(f'a "{self.kind}" back-end needs a base_url')
        if self.kind == "fhir" and not self.schedules:
            raise ValueError('a "fhir" back-end needs schedules: the Schedule id of each practitioner')
        return self

    @property
    def key(self) -> str:
        """What names this back-end across clinics and processes: clinics sharing a server share its breaker."""
        return f"{self.kind}:{self.base_url}" if self.base_url else self.kind


class QuietHours(Strict):
    """When reminder texts may be sent, local time."""

    weekdays: TimeRangeField = TimeRange(start=time(9), end=time(21))
    weekends: TimeRangeField = TimeRange(start=time(10), end=time(18))


class ReminderPolicy(Strict):
    """How long before an appointment reminders go out, and when texting is allowed."""

    before_hours: list[int] = Field(default_factory=lambda: [72, 24])
    quiet_hours: QuietHours = QuietHours()
    #: SMS segments per second the clinic's number may send (1 for a long code; more for a toll-free or short code).
    sender_mps: float = Field(default=1.0, gt=0, le=100)

    @field_validator("before_hours")
    @classmethod
    def _positive(cls, hours: list[int]) -> list[int]:
        if any(h <= 0 or h > 24 * 14 for h in hours):
            raise ValueError("each reminder must be between 1 and 336 hours before the appointment")
        return sorted(set(hours), reverse=True)


class UsageLimits(Strict):
    """How much one number, or everyone together, may ask of the clinic's line; rates as `limits` writes them."""

    #: Texts from one number that get full answers; past it one short notice, then silence, until the window moves.
    per_sender: str = "20/10 minutes"
    #: Texts to the clinic's number from everyone together; past it each gets the clinic's phone, 811 and 911.
    per_clinic_number: str = "300/minute"
    #: Upcoming appointments one number may hold here; a further booking is sent to the clinic's phone.
    live_bookings_per_number: int = Field(default=3, ge=1, le=50)
    #: Texts sent on our own initiative (not replies) to a number that never booked here, per day: a stranger's
    #: number typed in by a caller must not turn the clinic's line into a way to text it (SMS pumping).
    texts_to_unbooked_per_day: int = Field(default=3, ge=0, le=100)

    @field_validator("per_sender", "per_clinic_number")
    @classmethod
    def _rate(cls, text: str) -> str:
        try:
            parse_rate(text)
        except ValueError:
            raise ValueError(f'"{text}" is not a rate such as "20/10 minutes"') from None
        return text


class ClinicConfig(Strict):
    """One clinic: its numbers, hours, practitioners, back-ends and reminder policy."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: Localized
    sms_number: PhoneNumber
    voice_number: PhoneNumber | None = None
    phone: PhoneNumber
    address: str = Field(min_length=1, max_length=MAX_ADDRESS)
    timezone: str = DEFAULT_TIMEZONE
    languages: list[Language] = Field(default_factory=lambda: list(LANGUAGES))
    hours: dict[Weekday, DayWindows] = Field(default_factory=dict)
    closures: list[date] = Field(default_factory=list)
    statutory_holidays: bool = True
    practitioners: list[PractitionerConfig] = Field(min_length=1)
    appointment_types: list[AppointmentTypeConfig] = Field(default_factory=list)
    backends: list[BackendConfig] = Field(default_factory=lambda: [BackendConfig(kind="sql")])
    reminders: ReminderPolicy = ReminderPolicy()
    #: How many days ahead patients may book (slots further away are not offered yet).
    booking_horizon_days: int = Field(default=21, ge=1, le=366)
    #: Whether the clinic takes patients without an appointment (said when patients ask).
    walk_in: bool = False
    #: The countries (ISO 3166 codes) whose numbers may book, look up, cancel and move by text or phone; any other
    #: sender still gets safety answers, STOP and START, and is sent to the clinic's phone.
    allowed_countries: list[str] = Field(default_factory=lambda: ["CA", "US"], min_length=1)
    limits: UsageLimits = UsageLimits()
    #: The voice the phone line speaks with, per language (Twilio <Say voice>, e.g. an Amazon Polly voice).
    voices: dict[str, str] = Field(default_factory=lambda: {"fr": "Polly.Chantal", "en": "Polly.Joanna"})

    _hours_do_not_overlap = field_validator("hours")(_check_windows)

    @field_validator("allowed_countries")
    @classmethod
    def _country_codes(cls, countries: list[str]) -> list[str]:
        codes = [country.strip().upper() for country in countries]
        wrong = [code for code in codes if not re.fullmatch(r"[A-Z]{2}", code)]
        if wrong:
            raise ValueError(f"allowed_countries: {wrong} are not two-letter country codes (e.g. CA, US)")
        return codes

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f'unknown time zone "{zone}"') from None
        return zone

    @field_validator("voices")
    @classmethod
    def _voices_of_known_languages(cls, voices: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(voices) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"voices: unknown language {unknown[0]} (fr, en)")
        return voices

    @field_validator("languages")
    @classmethod
    def _french_first(cls, languages: list[Language]) -> list[Language]:
        if "fr" not in languages:
            raise ValueError("French must be offered (Charter of the French language)")
        return [lang for lang in LANGUAGES if lang in languages]

    @field_validator("backends")
    @classmethod
    def _writable_system_of_record(cls, backends: list[BackendConfig]) -> list[BackendConfig]:
        if not backends:
            raise ValueError("at least one back-end is needed")
        if backends[0].kind == "smart":
            raise ValueError("the first back-end is the system of record; a read-only smart back-end cannot be it")
        return backends

    @model_validator(mode="after")
    def _defaults_and_uniqueness(self) -> ClinicConfig:
        ids = [p.id for p in self.practitioners]
        if len(ids) != len(set(ids)):
            raise ValueError("practitioners: two practitioners share an id")
        for backend in self.backends:
            unknown = sorted(set(backend.schedules) - set(ids))
            if unknown:
                raise ValueError(f"backends: schedules name unknown practitioners: {', '.join(unknown)}")
        if self.voice_number is None:
            object.__setattr__(self, "voice_number", self.sms_number)
        if not self.appointment_types:
            default = AppointmentTypeConfig(
                id="consultation",
                name=Localized(fr="Consultation", en="Consultation"),
                minutes=min(p.slot_minutes for p in self.practitioners),
            )
            object.__setattr__(self, "appointment_types", [default])
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's time zone."""
        return ZoneInfo(self.timezone)

    def practitioner(self, practitioner_id: str) -> PractitionerConfig | None:
        """The practitioner with this id, if the clinic has one."""
        return next((p for p in self.practitioners if p.id == practitioner_id), None)


class ClinicsFile(Strict):
    """The whole clinics file."""

    clinics: list[ClinicConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids_and_numbers(self) -> ClinicsFile:
        seen_ids: set[str] = set()
        seen_numbers: dict[str, str] = {}
        for clinic in self.clinics:
            if clinic.id in seen_ids:
                raise ValueError(f'two clinics share the id "{clinic.id}"')
            seen_ids.add(clinic.id)
            for number in {clinic.sms_number, clinic.voice_number}:
                assert number is not None  # filled in by ClinicConfig
                if number in seen_numbers:
                    raise ValueError(f"clinics {seen_numbers[number]} and {clinic.id} share the number {number}")
                seen_numbers[number] = clinic.id
        return self

    def by_id(self, clinic_id: str) -> ClinicConfig | None:
        """The clinic with this id."""
        return next((c for c in self.clinics if c.id == clinic_id), None)

    def by_number(self, e164: str) -> ClinicConfig | None:
        """The clinic reached at this SMS or voice number (E.164)."""
        return next((c for c in self.clinics if e164 in (c.sms_number, c.voice_number)), None)


def load_clinics(path: Path) -> ClinicsFile:
    """Read and validate the clinics file; raise `ClinicsFileError` with one clear message otherwise."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClinicsFileError(f"{path}: file not found") from None
    except OSError as error:
        raise ClinicsFileError(f"{path}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ClinicsFileError(f"{path}: not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise ClinicsFileError(f'{path}: expected a mapping with a "clinics" list')
    try:
        return ClinicsFile.model_validate(raw)
    except ValidationError as error:
        raise ClinicsFileError(_describe(path, raw, error)) from None


def _describe(path: Path, raw: dict[str, Any], error: ValidationError) -> str:
    """One line: file, clinic (by its id when it has one), field and what is wrong, plus a count of others."""
    problems = error.errors(include_url=False)
    first = problems[0]
    location = list(first["loc"])
    where = ""
    if len(location) >= 2 and location[0] == "clinics" and isinstance(location[1], int):
        index = location[1]
        clinics = raw.get("clinics") or []
        entry = clinics[index] if index < len(clinics) and isinstance(clinics[index], dict) else {}
        where = f'clinic "{entry.get("id", f"#{index + 1}")}", '
        location = location[2:]
        if len(location) >= 2 and location[0] == "practitioners" and isinstance(location[1], int):
            practitioners = entry.get("practitioners") or []
            person = practitioners[location[1]] if location[1] < len(practitioners) else {}
            label = person.get("id") if isinstance(person, dict) else None
            location = [f"practitioners[{label or location[1] + 1}]", *location[2:]]
    field = ".".join(str(part) for part in location if not str(part).startswith("function-")) or "(clinic)"
    message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{path}: {where}field {field}: {message}{more}"
