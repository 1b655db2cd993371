"""Runs the outsiders' conversations (README.md) black-box: through the signed SMS or voice webhooks, each on a fresh
copy of the demo clinic's database at 9:00 on a Monday, then judges the replies' facts and what the number holds."""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from bot.booking.slot_supply import generate_slots
from bot.bootstrap import Services, bootstrap
from bot.clinics.calendar import ClinicCalendar
from bot.clinics.config import ClinicConfig, load_clinics
from bot.core.booking import BookingRequest, SlotSearch
from bot.core.clock import utcnow
from bot.core.vocabulary import Channel
from bot.db.clinics import sync_clinics
from bot.db.migrate import upgrade
from bot.db.models import Patient
from bot.db.patients import remember_language, set_opted_out
from bot.db.session import Database
from bot.settings import Settings, demo_clinics_file
from rdvbot.call import SignedCallClient
from rdvbot.chat import SignedSmsClient
from webhooks import create_app

HERE = Path(__file__).parent
TOKEN, BASE_URL = "dialogue-token", "https://rdv.example.org"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
_FRENCH = frozenset(
    [
        "le",
        "la",
        "les",
        "de",
        "des",
        "du",
        "un",
        "une",
        "et",
        "est",
        "vous",
        "votre",
        "vos",
        "pour",
        "avec",
        "au",
        "aux",
        "je",
        "ne",
        "pas",
        "sur",
        "merci",
        "bonjour",
        "clinique",
        "rendez-vous",
        "rendez",
        "quel",
        "quelle",
        "disponible",
        "demain",
        "aujourd'hui",
        "appelez",
        "faites",
        "annule",
        "annuler",
        "oui",
        "non",
    ]
)
_ENGLISH = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "is",
        "are",
        "you",
        "your",
        "for",
        "with",
        "to",
        "at",
        "appointment",
        "i",
        "not",
        "on",
        "thanks",
        "hello",
        "clinic",
        "which",
        "available",
        "tomorrow",
        "today",
        "call",
        "press",
        "cancel",
        "yes",
        "no",
        "booked",
        "what",
        "when",
    ]
)
_OPTIONS = re.compile(r"(^|\n)\s*1\)|\b(faites le|appuyez sur le|press|dial) 1\b", re.IGNORECASE)


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The cases of one file."""
    cases: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    return cases


def folded(text: str) -> str:
    """Case, accents and spaces left out, as the README says replies are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and not c.isspace())


def language_of(reply: str) -> str | None:
    """fr or en by the common words a reply uses; None when it cannot tell."""
    words = re.findall(r"[\w'-]+", reply.casefold())
    french, english = sum(w in _FRENCH for w in words), sum(w in _ENGLISH for w in words)
    if french == english:
        return None
    return "fr" if french > english else "en"


def two_open_weeks(clinic: ClinicConfig) -> date:
    """The first Monday at least two days ahead whose week and the next are open on all ten weekdays."""
    calendar = ClinicCalendar(clinic)
    day = utcnow().astimezone(clinic.zone).date() + timedelta(days=2)
    day += timedelta(days=(7 - day.weekday()) % 7)
    while not all(calendar.opening_windows(day + timedelta(days=offset)) for offset in (*range(5), *range(7, 12))):
        day += timedelta(days=7)
    return day


@dataclass(frozen=True)
class Moment:
    """The Monday the conversations happen on, and the clinic as it is that week."""

    monday: date
    clinics_file: Path
    template: Path

    def day(self, name: str) -> date:
        """mon … fri of this week, next-mon … next-fri of the next."""
        week, _, weekday = name.rpartition("-")
        return self.monday + timedelta(days=WEEKDAYS.index(weekday) + (7 if week == "next" else 0))


@contextmanager
def the_week() -> Iterator[Moment]:
    """A folder holding the demo clinic closed next Wednesday, and a migrated database with three weeks of slots."""
    with tempfile.TemporaryDirectory(prefix="rdvbot-dialogue-") as folder:
        data = yaml.safe_load(demo_clinics_file().read_text(encoding="utf-8"))
        clinic = load_clinics(demo_clinics_file()).clinics[0]
        monday = two_open_weeks(clinic)
        data["clinics"][0]["closures"] = [*data["clinics"][0].get("closures", []), monday + timedelta(days=9)]
        clinics_file = Path(folder) / "clinics.yaml"
        clinics_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        template = Path(folder) / "template.db"
        database = Database(f"sqlite:///{template}")
        upgrade(database)
        clinics = load_clinics(clinics_file)
        sync_clinics(database, clinics)
        generate_slots(database, clinics.clinics[0], 21, first_day=monday)
        database.dispose()
        yield Moment(monday, clinics_file, template)


@dataclass
class Verdict:
    """How one case went: passed, or the first thing that did not hold, with the whole exchange."""

    case_id: str
    failure: str | None = None
    exchange: list[tuple[str, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.failure is None


def run_case(case: Mapping[str, Any], moment: Moment, folder: Path, patient: str = "+15145550170") -> Verdict:
    """Play one case on a fresh copy of the week's database; its verdict."""
    verdict = Verdict(str(case["id"]))
    path = folder / f"{verdict.case_id}.db"
    shutil.copyfile(moment.template, path)
    services = bootstrap(
        Settings(
            database_url=f"sqlite:///{path}",
            twilio_auth_token=TOKEN,
            public_base_url=BASE_URL,
            clinics_file=moment.clinics_file,
        )
    )
    try:
        clinic = services.clinics.clinics[0]
        nine = datetime.combine(moment.monday, time(9), clinic.zone)
        ticks = iter(range(10_000))  # each message a second after the last: one clock, moving forward
        app = create_app(
            {"TESTING": True, "SERVICES": services, "CLOCK": lambda: nine + timedelta(seconds=next(ticks))}
        )
        set_up(services, case.get("setup") or {}, moment, patient)
        verdict.failure = play(case, app.test_client(), clinic, patient, verdict.exchange)
        if verdict.failure is None:
            verdict.failure = judge_outcome(services, case.get("outcome") or {}, moment, patient, nine)
    except Exception as error:  # a crash is a failed case, reported as such, not a stopped run
        verdict.failure = f"crashed: {type(error).__name__}: {error}"
    finally:
        services.database.dispose()
    return verdict


def set_up(services: Services, setup: Mapping[str, Any], moment: Moment, patient: str) -> None:
    """Book the case's earlier appointments and record its earlier choices for the patient's number."""
    clinic = services.clinics.clinics[0]
    for wanted in setup.get("appointments") or []:
        day = moment.day(wanted["day"])
        found = services.scheduler.search(
            SlotSearch(clinic.id, day, day, practitioner_id=wanted.get("practitioner"), limit=400)
        )
        at = time.fromisoformat(wanted.get("time", "10:00"))
        slot = next(s for s in found if s.start.astimezone(clinic.zone).time() == at)
        services.scheduler.book(BookingRequest(slot.slot_id, patient, Channel.SMS))
    with services.database.autocommit.begin() as connection:
        if setup.get("language"):
            remember_language(connection, patient, setup["language"])
        if setup.get("opted_out"):
            set_opted_out(connection, patient, True)


def play(
    case: Mapping[str, Any], client: Any, clinic: ClinicConfig, patient: str, exchange: list[tuple[str, str]]
) -> str | None:
    """Send each turn and check its reply; the first failure, or None."""
    voice = case.get("channel") == "voice"
    number = clinic.voice_number or clinic.sms_number
    if voice:
        call = SignedCallClient(client, TOKEN, BASE_URL, number, patient)
        exchange.append(("(call)", " ".join(call.dial().said)))
    else:
        sms = SignedSmsClient(client, TOKEN, BASE_URL, clinic.sms_number, patient)
    for index, turn in enumerate(case["turns"], start=1):
        said = str(turn["user"])
        if voice:
            if call.last is None or call.last.ended:
                return None  # the bot ended the call (an emergency, a transfer): what was left is never said
            step = call.press(said) if said.isdigit() else call.say(said)
            reply = " ".join(step.said) + (f" [transfer to {step.dialled}]" if step.dialled else "")
        else:
            reply = "\n".join(sms.send(said))
        exchange.append((said, reply))
        failure = judge_reply(turn.get("reply") or {}, reply)
        if failure:
            return f"turn {index} ({said!r}): {failure}"
    return None


def judge_reply(expected: Mapping[str, Any], reply: str) -> str | None:
    """What the reply lacks of the facts it must carry, or None."""
    text = folded(reply)
    if "language" in expected and language_of(reply) != expected["language"]:
        return f"not in {expected['language']}"
    for fact in expected.get("includes") or []:
        if folded(str(fact)) not in text:
            return f"no {fact!r}"
    choices = expected.get("includes_any") or []
    if choices and not any(folded(str(fact)) in text for fact in choices):
        return f"none of {choices}"
    for fact in expected.get("excludes") or []:
        if folded(str(fact)) in text:
            return f"{fact!r} should not be there"
    if "options" in expected and bool(_OPTIONS.search(reply)) != expected["options"]:
        return "numbered choices expected" if expected["options"] else "no numbered choices expected"
    return None


def judge_outcome(
    services: Services, outcome: Mapping[str, Any], moment: Moment, patient: str, now: datetime
) -> str | None:
    """What the number's appointments and opt-out status lack of the expected outcome, or None."""
    clinic = services.clinics.clinics[0]
    if "appointments" in outcome:
        held = services.scheduler.appointments_for(clinic.id, patient, after=now)
        starts = [(a.start.astimezone(clinic.zone), a.practitioner_id) for a in held]
        if not matches(list(outcome["appointments"] or []), starts, moment):
            shown = ", ".join(f"{start:%a %H:%M} {who}" for start, who in starts) or "none"
            return f"holds {shown}; expected {outcome['appointments']}"
    if "opted_out" in outcome:
        with services.database.reading() as session:
            stamp = session.scalar(select(Patient.opted_out_at).where(Patient.phone == patient))
        opted_out = stamp is not None
        if opted_out != outcome["opted_out"]:
            return f"opted out: {opted_out}, expected {outcome['opted_out']}"
    return None


def matches(expected: Sequence[Mapping[str, Any]], held: Sequence[tuple[datetime, str]], moment: Moment) -> bool:
    """Whether the appointments held are exactly the expected ones, each matched to one."""
    if len(expected) != len(held):
        return False
    remaining = list(held)
    for wanted in expected:
        found = next((h for h in remaining if fits(wanted, h, moment)), None)
        if found is None:
            return False
        remaining.remove(found)
    return True


def fits(wanted: Mapping[str, Any], held: tuple[datetime, str], moment: Moment) -> bool:
    """Whether one held appointment fits one expected description."""
    start, practitioner = held
    at = start.time()
    checks = [
        "day" not in wanted or start.date() == moment.day(wanted["day"]),
        "time" not in wanted or at == time.fromisoformat(wanted["time"]),
        "after" not in wanted or at >= time.fromisoformat(wanted["after"]),
        "before" not in wanted or at < time.fromisoformat(wanted["before"]),
        "practitioner" not in wanted or practitioner == wanted["practitioner"],
        "part_of_day" not in wanted or part_of_day(at) == wanted["part_of_day"],
    ]
    return all(checks)


def part_of_day(at: time) -> str:
    """morning before noon, afternoon until 17:00, evening after."""
    return "morning" if at < time(12) else "afternoon" if at < time(17) else "evening"


def run_all(cases: Sequence[Mapping[str, Any]]) -> list[Verdict]:
    """Every case's verdict, in order."""
    with the_week() as moment, tempfile.TemporaryDirectory(prefix="rdvbot-cases-") as folder:
        return [run_case(case, moment, Path(folder)) for case in cases]
