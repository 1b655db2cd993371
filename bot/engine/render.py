"""Turn response names and data into text in the patient's language, with Québec date and time style."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from babel.dates import format_date

from bot.clinics.calendar import ClinicCalendar
from bot.clinics.config import WEEKDAYS, ClinicConfig
from bot.core.vocabulary import PartOfDay
from bot.core.wish import Wish
from bot.engine.flows import FlowBook, ResponseVariant
from bot.engine.replies import Reply

LOCALES = {"fr": "fr_CA", "en": "en_CA"}
_PARTS = {
    "fr": {PartOfDay.MORNING: "matin", PartOfDay.AFTERNOON: "après-midi", PartOfDay.EVENING: "soir"},
    "en": {PartOfDay.MORNING: "morning", PartOfDay.AFTERNOON: "afternoon", PartOfDay.EVENING: "evening"},
}

_ANY_DAY_PART = {PartOfDay.MORNING: "en matinée", PartOfDay.AFTERNOON: "en après-midi", PartOfDay.EVENING: "en soirée"}
_THIS_PART = {
    "fr": {PartOfDay.MORNING: "ce matin", PartOfDay.AFTERNOON: "cet après-midi", PartOfDay.EVENING: "ce soir"},
    "en": {PartOfDay.MORNING: "this morning", PartOfDay.AFTERNOON: "this afternoon", PartOfDay.EVENING: "this evening"},
}


def clock(moment: time, language: str) -> str:
    """'9 h 20', '14 h' in French (OQLF style); '9:20 a.m.' in English."""
    if language == "fr":
        return f"{moment.hour} h {moment.minute:02d}" if moment.minute else f"{moment.hour} h"
    suffix = "a.m." if moment.hour < 12 else "p.m."
    return f"{(moment.hour - 1) % 12 + 1}:{moment.minute:02d} {suffix}"


@lru_cache(maxsize=4096)  # the same few weeks of days are said over and over; Babel takes tens of µs a call
def day_label(day: date, language: str, *, short: bool = False) -> str:
    """'mardi 8 décembre', 'mardi 1er décembre' / 'Tuesday, December 8' (or 'mardi 8 déc.' / 'Tuesday, Dec 8': the
    weekday stays whole even when short, since it is what patients answer with)."""
    locale = LOCALES[language]
    if language == "fr":
        number = "1er" if day.day == 1 else str(day.day)  # French writes the first of the month as an ordinal
        month = "MMM" if short else "MMMM"
        return f"{format_date(day, 'EEEE', locale=locale)} {number} {format_date(day, month, locale=locale)}"
    return format_date(day, "EEEE, MMM d" if short else "EEEE, MMMM d", locale=locale)


def moment_label(moment: datetime, language: str, *, short: bool = False) -> str:
    """'mardi 8 décembre à 9 h 20' / 'Tuesday, December 8 at 9:20 a.m.' in the moment's own zone."""
    joiner = " à " if language == "fr" else " at "
    if short:
        joiner = " " if language == "fr" else ", "
    return day_label(moment.date(), language, short=short) + joiner + clock(moment.time(), language)


def when_label(wish: Wish | None, today: date, language: str) -> str:
    """How to say back what the patient asked for: 'demain matin', 'le mardi 8 décembre vers 14 h', 'après 16 h'."""
    if wish is None:
        return ""
    first, last = wish.first_day, wish.last_day or wish.first_day
    words: list[str] = []
    if first and last and first != last:
        same_month = first.month == last.month
        first_day = "1er" if first.day == 1 else str(first.day)
        start_fr = first_day if same_month else f"{first_day} {format_date(first, 'MMMM', locale='fr_CA')}"
        words.append(
            f"du {start_fr} au {last.day} {format_date(last, 'MMMM', locale='fr_CA')}"
            if language == "fr"
            else f"from {format_date(first, 'MMM d', locale='en_CA')} to {format_date(last, 'MMM d', locale='en_CA')}"
        )
    elif first:
        relative = {0: ("aujourd'hui", "today"), 1: ("demain", "tomorrow")}.get((first - today).days)
        words.append(
            relative[language == "en"]
            if relative
            else ("le " if language == "fr" else "on ") + day_label(first, language)
        )
    part = wish.part_of_day
    if part and first == today and (not last or last == today):
        words = [_THIS_PART[language][part]]  # "cet après-midi", not "aujourd'hui après-midi"
    elif part:
        label = _PARTS[language][part]
        if first and (language == "fr" or (first - today).days == 1):
            words.append(label)  # "demain matin", "mardi 8 décembre matin", "tomorrow morning"
        else:
            words.append(_ANY_DAY_PART[part] if language == "fr" else f"in the {label}")
    if wish.earliest and not words:
        words.append("dès que possible" if language == "fr" else "as soon as possible")
    if wish.latest:
        words.append("en fin de journée" if language == "fr" else "late in the day")
    if wish.at:
        words.append(("vers " if language == "fr" else "around ") + clock(wish.at, language))
    words += _window_words(wish, language)
    return " ".join(words)


def _window_words(wish: Wish, language: str) -> list[str]:
    """'entre 13 h et 15 h', 'après 16 h', 'avant 10 h' (and in English)."""
    after, before = wish.after, wish.before
    if after and before:
        joined = ("entre {} et {}", "between {} and {}")[language == "en"]
        return [joined.format(clock(after, language), clock(before, language))]
    if after:
        return [("à partir de " if language == "fr" else "from ") + clock(after, language)]
    if before:
        return [("avant " if language == "fr" else "before ") + clock(before, language)]
    return []


_SHORT_WEEKDAYS = {
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_WALK_IN = {
    "fr": {True: "Sans rendez-vous aussi.", False: "Pas de sans-rendez-vous."},
    "en": {True: "Walk-ins welcome.", False: "No walk-ins."},
}


def week_hours(clinic: ClinicConfig, language: str) -> str:
    """The clinic's weekly hours, days with the same hours together: 'lun., mer., ven. 8 h à 17 h; mar., jeu. 8 h à
    20 h; fermée sam., dim.' (and in English)."""
    by_hours: dict[str, list[str]] = {}
    for index, weekday in enumerate(WEEKDAYS):
        windows = clinic.hours.get(weekday, [])
        to = " à " if language == "fr" else " to "
        hours = ", ".join(clock(w.start, language) + to + clock(w.end, language) for w in windows)
        by_hours.setdefault(hours, []).append(_SHORT_WEEKDAYS[language][index])
    parts = [f"{', '.join(days)} {hours}" for hours, days in by_hours.items() if hours]
    closed = by_hours.get("")
    if closed:
        parts.append(("fermée " if language == "fr" else "closed ") + ", ".join(closed))
    return "; ".join(parts)


#: A sentence's period after an abbreviation's ("p.m..", "dim..").
_DOUBLED_PERIOD = re.compile(r"(?<=[a-z]\.)\.(?!\.)")


class _OnDemand(Mapping[str, str]):
    """Placeholder values worked out the first time a response asks for one: most responses use two or three."""

    def __init__(self, makers: dict[str, Callable[[], str]]) -> None:
        self._makers = makers
        self._made: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._made:
            self._made[name] = self._makers[name]()
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


#: After a slot offered while the clinic's own system was down: only that system can confirm it.
TO_CONFIRM = {"fr": " (à confirmer)", "en": " (to be confirmed)"}


class Renderer:
    """Renders responses of one clinic's conversation."""

    def __init__(self, book: FlowBook, clinic: ClinicConfig, today: date, *, spoken: bool = False) -> None:
        """`spoken`: for the phone (spoken wording where a response has one, dates said in full)."""
        self.book = book
        self.clinic = clinic
        self.today = today
        self.spoken = spoken

    def option_label(self, option: Mapping[str, Any], language: str) -> str:
        """'mardi 8 déc. 9 h 20, Dre Isabelle Tremblay' for an offered slot, appointment or date."""
        if "start" not in option:
            return day_label(date.fromisoformat(option["first_day"]), language)
        start = datetime.fromisoformat(option["start"]).astimezone(self.clinic.zone)
        label = moment_label(start, language, short=not self.spoken)
        if "place" in option:  # another clinic's open slot: where, when, and how to book it there
            return f"{option['place']}, {label}: {option['contact']}"
        practitioner = self.practitioner_name(option.get("practitioner"), language)
        joiner = (" avec " if language == "fr" else " with ") if self.spoken else ", "
        label = f"{label}{joiner}{practitioner}" if practitioner else label
        return label + TO_CONFIRM[language] if option.get("to_confirm") else label

    def practitioner_name(self, practitioner_id: str | None, language: str) -> str:
        """The practitioner's display name in `language`."""
        found = self.clinic.practitioner(practitioner_id) if practitioner_id else None
        return found.name.in_language(language) if found else ""

    def variables(self, slots: Mapping[str, Any], extra: Mapping[str, Any], language: str) -> Mapping[str, str]:
        """Every placeholder's value for this turn, each worked out only when a response uses it."""
        chosen = self._chosen(slots, "chosen_slot", "offered")
        appointment = self._chosen(slots, "chosen_appointment", "appointments")
        detail: Mapping[str, Any] = slots.get("unfree_detail") or {}
        values: dict[str, Callable[[], str]] = {
            "clinic_name": lambda: self.clinic.name.in_language(language),
            "clinic_phone": lambda: format_phone(self.clinic.phone),
            "clinic_address": lambda: self.clinic.address,
            "when_label": lambda: when_label(slots.get("when"), self.today, language),
            "slot_label": lambda: self._long_label(chosen, language),
            "practitioner": lambda: self.practitioner_name((chosen or appointment or {}).get("practitioner"), language),
            "appointment_label": lambda: self._long_label(appointment, language),
            "outage_message": lambda: str(slots.get("outage_message") or ""),
            "practitioners": lambda: self._practitioners(language),
            "week_hours": lambda: week_hours(self.clinic, language),
            "walk_in": lambda: _WALK_IN[language][self.clinic.walk_in],
            # said once, beside the flow (Engine.say), never kept in the conversation
            "unknown_practitioner": lambda: str(extra.get("unknown_practitioner") or "").title(),
            "unfree_day": lambda: self._day(detail.get("day"), language),
            "holiday": lambda: self._holiday(detail.get("day"), language),
            "opens_on": lambda: self._day(detail.get("opens_on"), language),
            "seeing_hours": lambda: self._hours(detail.get("hours"), language),
        }
        if "closes_at" in extra:
            closes = datetime.fromisoformat(extra["closes_at"]).astimezone(self.clinic.zone).time()
            values["closes_at"] = lambda: clock(closes, language)
        if "opens_at" in extra:
            values["opens_at"] = lambda: self._opening_label(datetime.fromisoformat(extra["opens_at"]), language)
        return _OnDemand(values)

    def _practitioners(self, language: str) -> str:
        """The clinic's practitioners by name: 'Dre Isabelle Tremblay, Dr Marc Gagnon et Julie Roy'."""
        names = [p.name.in_language(language).split(",")[0] for p in self.clinic.practitioners]
        joiner = " et " if language == "fr" else " and "
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + joiner + names[-1]

    @staticmethod
    def _day(iso: str | None, language: str) -> str:
        return day_label(date.fromisoformat(iso), language) if iso else ""

    def _holiday(self, iso: str | None, language: str) -> str:
        """The statutory holiday a day is, in `language` ('Jour de Noël'), or ''."""
        return (ClinicCalendar(self.clinic).holiday_name(date.fromisoformat(iso), language) or "") if iso else ""

    @staticmethod
    def _hours(hours: list[str] | None, language: str) -> str:
        """'de 8 h à 17 h' / 'from 8:00 a.m. to 5:00 p.m.' for the hours patients are seen."""
        if not hours:
            return ""
        start, end = (clock(time.fromisoformat(moment), language) for moment in hours)
        return f"de {start} à {end}" if language == "fr" else f"from {start} to {end}"

    def render(
        self, response: str, slots: Mapping[str, Any], language: str, extra: Mapping[str, Any] | None = None
    ) -> Reply:
        """The reply for `response`: the first variant whose condition holds, filled in, with its options."""
        variant = self._variant(response, slots)
        text = variant.text(language, spoken=self.spoken).format_map(self.variables(slots, extra or {}, language))
        text = _DOUBLED_PERIOD.sub("", text)  # "until 5:00 p.m." or "fermée sam., dim." ending a sentence
        options = (
            tuple(self.option_label(o, language) for o in slots.get(variant.options) or []) if variant.options else ()
        )
        return Reply(text=text, options=options, response=response)

    def _variant(self, response: str, slots: Mapping[str, Any]) -> ResponseVariant:
        variants = self.book.responses[response]
        return next((v for v in variants if v.condition is None or v.condition.holds(slots)), variants[-1])

    @staticmethod
    def _chosen(slots: Mapping[str, Any], slot: str, options: str) -> dict[str, Any] | None:
        return next((o for o in slots.get(options) or [] if o.get("id") == slots.get(slot)), None)

    def _long_label(self, option: Mapping[str, Any] | None, language: str) -> str:
        if not option or "start" not in option:
            return ""
        return moment_label(datetime.fromisoformat(option["start"]).astimezone(self.clinic.zone), language)

    def _opening_label(self, moment: datetime, language: str) -> str:
        """'à 8 h', 'demain à 8 h' or 'lundi 30 novembre à 8 h' (and the English equivalents)."""
        local = moment.astimezone(self.clinic.zone)
        days = (local.date() - self.today).days
        prefix = {0: ("à ", "at "), 1: ("demain à ", "tomorrow at ")}.get(days)
        if prefix:
            return prefix[language == "en"] + clock(local.time(), language)
        return moment_label(local, language)


def warm_up() -> None:
    """Load Babel's fr_CA and en_CA date data now rather than during a patient's first turn."""
    for language in LOCALES:
        moment_label(datetime(2026, 1, 5, 9, 20), language)
        moment_label(datetime(2026, 1, 5, 9, 20), language, short=True)


def format_phone(e164: str) -> str:
    """'+15145550199' -> '514-555-0199' (North American numbers), as Québec patients write them."""
    digits = e164.removeprefix("+1")
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}" if len(digits) == 10 and e164.startswith("+1") else e164
