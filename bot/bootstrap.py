"""The one place where real adapters are wired together from settings; tests pass their own pieces."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from pybreaker import CircuitBreaker
from redis import Redis
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.actions import NAMES_USED as ACTIONS_NAMES_USED
from bot.actions import registry
from bot.actions.base import ActionDependencies
from bot.assistant import NAMES_USED as ASSISTANT_NAMES_USED
from bot.assistant import Assistant
from bot.booking.fhir import FhirClient, FhirScheduler
from bot.booking.mirror import AppointmentMirror
from bot.booking.outage import OutageSwitches
from bot.booking.resilience import BackendChain, GuardedBackend, breaker_for
from bot.booking.slot_supply import generate_slots
from bot.booking.smart import NearbySource, SmartDirectory
from bot.booking.sql import SqlScheduler
from bot.channels.sms_sender import CappedSender, SendFailed, TwilioSender
from bot.clinics import calendar
from bot.clinics.config import ClinicsFile, load_clinics
from bot.core.clock import Clock, Monotonic, utcnow
from bot.db.clinics import sync_clinics
from bot.db.migrate import upgrade
from bot.db.patients import ever_booked
from bot.db.retention import DEFAULT_RETENTION, purge_conversations
from bot.db.session import Database
from bot.demo import book_demo_appointments, clinics_in_database
from bot.engine import render
from bot.engine.engine import NAMES_USED as ENGINE_NAMES_USED
from bot.engine.engine import Engine
from bot.engine.flows import CodeNames, load_flow_book
from bot.nlu import Intent, warm_up
from bot.outbox import store as outbox
from bot.outbox.pace import LocalTokenBucket, Pace, RedisTokenBucket
from bot.outbox.reminders import NAMES_USED as REMINDERS_NAMES_USED
from bot.outbox.reminders import ReminderSender
from bot.outbox.replay import NAMES_USED as REPLAYER_NAMES_USED
from bot.outbox.replay import Replayer
from bot.settings import Settings
from bot.spool import InboundSpool, SpoolReplay
from bot.state.in_process import InProcessStore
from bot.state.keys import UNCONFIGURED_SECRET, NumberKeys
from bot.state.limits import RateLimits, storage_for
from bot.state.redis_store import RedisStore, redis_client
from bot.state.store import StateStore

#: How far ahead `rdvbot serve` and `seed-demo` keep slots generated.
SLOT_HORIZON_DAYS = 21

log = logging.getLogger(__name__)


#: The flow names Python code refers to, checked when the flows load.
FLOW_NAMES_USED: tuple[CodeNames, ...] = (
    ENGINE_NAMES_USED,
    *ACTIONS_NAMES_USED,
    ASSISTANT_NAMES_USED,
    REPLAYER_NAMES_USED,
    REMINDERS_NAMES_USED,
)

#: What the built-in scheduler raises when its database fails (rather than refusing the request).
SQL_FAULTS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


@dataclass
class Services:
    """Everything a process needs, built once."""

    settings: Settings
    clinics: ClinicsFile
    database: Database
    scheduler: SqlScheduler
    outages: OutageSwitches
    #: Each clinic's back-ends, by clinic id, each behind its shared circuit breaker.
    booking: dict[str, BackendChain]
    #: Each clinic's SMART Scheduling Links publishers of nearby clinics, with what counts as near.
    nearby: dict[str, list[NearbySource]] = field(default_factory=dict)
    redis: Redis | None = None
    store: StateStore = field(default_factory=InProcessStore)
    limits: RateLimits = field(default_factory=RateLimits.in_process)


def bootstrap(settings: Settings | None = None) -> Services:
    """Build the services from settings (the environment by default); raises `ClinicsFileError` on a bad file."""
    settings = settings or Settings.from_env()
    clinics = load_clinics(settings.clinics_path)
    database = Database(settings.database_url)
    redis = redis_client(settings.redis_url) if settings.redis_url else None
    keys = NumberKeys(settings.secret_key or settings.twilio_auth_token or UNCONFIGURED_SECRET)
    store: StateStore = RedisStore(redis, keys=keys) if redis is not None else InProcessStore()
    scheduler = SqlScheduler(database, clinics)
    booking = booking_chains(clinics, scheduler, redis)
    nearby = nearby_sources(clinics)
    limits = RateLimits(storage_for(redis), keys)
    return Services(
        settings, clinics, database, scheduler, OutageSwitches(database), booking, nearby, redis, store, limits
    )


def nearby_sources(clinics: ClinicsFile) -> dict[str, list[NearbySource]]:
    """Each clinic's `smart` back-ends: publishers of other clinics' open slots (one directory per manifest)."""
    directories: dict[str, SmartDirectory] = {}
    sources: dict[str, list[NearbySource]] = {}
    for clinic in clinics.clinics:
        for config in clinic.backends:
            if config.kind == "smart" and config.base_url:
                directory = directories.setdefault(
                    config.base_url, SmartDirectory(config.base_url, timeout_s=config.timeout_s)
                )
                sources.setdefault(clinic.id, []).append(NearbySource(directory, tuple(config.near)))
    return sources


def booking_chains(
    clinics: ClinicsFile,
    scheduler: SqlScheduler,
    redis: Redis | None,
    prefix: str = "rdvbot:",
    *,
    monotonic: Monotonic = time.monotonic,
) -> dict[str, BackendChain]:
    """Each clinic's chain of back-ends from its `backends` list; clinics sharing a back-end share its breaker
    and its connections. SMART entries are discovery of other clinics, not back-ends of this one. `monotonic`
    ages each breaker's copy of its shared state."""
    breakers: dict[str, CircuitBreaker] = {}
    clients: dict[str, FhirClient] = {}
    chains: dict[str, BackendChain] = {}
    for clinic in clinics.clinics:
        guarded = []
        for config in clinic.backends:
            breaker = breakers.setdefault(config.key, breaker_for(config, redis, prefix, monotonic=monotonic))
            if config.kind == "sql":
                guarded.append(GuardedBackend(scheduler, breaker, SQL_FAULTS))
            elif config.kind == "fhir" and config.base_url:
                client = clients.setdefault(config.base_url, FhirClient(config.base_url, config.timeout_s))
                guarded.append(GuardedBackend(FhirScheduler(clinic, config, client), breaker))
        remote_record = clinic.backends[0].kind != "sql"
        chains[clinic.id] = BackendChain(guarded, AppointmentMirror(scheduler.database) if remote_record else None)
    return chains


def action_dependencies(services: Services, clock: Clock = utcnow) -> ActionDependencies:
    """What the actions work with, from these services: in the app, and in `rdvbot actions`."""
    return ActionDependencies(
        clinics=services.clinics,
        booking=services.booking,
        booking_switched_off=services.outages.messages,
        keep_request=partial(outbox.keep, services.database),
        reminders=services.scheduler,
        nearby=services.nearby,
        clock=clock,
        send_text=text_sender(services),
    )


def text_sender(services: Services) -> Callable[[str, str, str], bool] | None:
    """Texts one message through Twilio (within the clinics' caps); False when it could not be handed over."""
    sender = twilio_sender(services)
    if sender is None:
        return None

    def send(from_number: str, to_number: str, body: str) -> bool:
        try:
            sender.send(from_number, to_number, body)
        except SendFailed as failed:
            log.warning("a text out of the conversation was not sent: %s", failed)
            return False
        return True

    return send


def build_engine(services: Services, clock: Clock = utcnow) -> Engine:
    """The flow engine with every action built over these services; the flows are checked as they load."""
    actions = registry(action_dependencies(services, clock))
    book = load_flow_book(actions, [intent.value for intent in Intent], used_by_code=FLOW_NAMES_USED)
    return Engine(book, actions)


def build_assistant(services: Services, clock: Clock = utcnow) -> Assistant:
    """The assistant over these services: flows checked, actions built, dateparser, the intent model, Babel and the
    holidays warmed up."""
    warm_up()
    render.warm_up()
    calendar.warm_up(clock().date())
    engine = build_engine(services, clock)
    assistant = Assistant(
        services.clinics,
        services.database,
        engine,
        services.store,
        clock,
        limits=services.limits,
        reminded=services.scheduler,
    )
    if services.settings.spool_dir is not None:
        spool = InboundSpool(services.settings.spool_dir)
        assistant.spool = SpoolReplay(spool, assistant.replay, twilio_sender(services))
    return assistant


def twilio_sender(services: Services) -> CappedSender | None:
    """Texts through Twilio's REST API when credentials are set, within the clinics' caps on texts to numbers that
    never booked."""
    settings = services.settings
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return None
    twilio = TwilioSender(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url)

    def ever_booked_at(clinic_id: str, number: str) -> bool:
        with services.database.autocommit.connect() as connection:
            return ever_booked(connection, clinic_id, number)

    return CappedSender(twilio, services.clinics, services.limits, ever_booked_at)


def paces(services: Services) -> Callable[[float], Pace]:
    """Token buckets for a rate per second: through Redis when there is one (every worker shares each key's rate),
    else in this process."""
    redis = services.redis

    def pace_at(rate_per_s: float) -> Pace:
        return RedisTokenBucket(redis, rate_per_s) if redis is not None else LocalTokenBucket(rate_per_s)

    return pace_at


def build_replayer(services: Services, assistant: Assistant) -> Replayer:
    """The outbox's replayer: texts through Twilio when credentials are set, paced by `paces`."""
    return Replayer(
        services.clinics,
        services.database,
        services.booking,
        services.outages.messages,
        assistant.engine,
        services.store,
        twilio_sender(services),
        paces(services),
        clock=assistant.clock,
    )


def build_reminder_sender(services: Services, assistant: Assistant) -> ReminderSender:
    """The reminders' sender: texts through Twilio when credentials are set, each clinic number paced by `paces`."""
    base = services.settings.public_base_url
    return ReminderSender(
        services.clinics,
        services.database,
        assistant.engine,
        twilio_sender(services),
        paces(services),
        clock=assistant.clock,
        status_callback=f"{base.rstrip('/')}/twilio/sms/status" if base else None,
    )


def migrate_and_sync(services: Services) -> bool:
    """Check the database, migrate it and mirror the clinics file into it; True when it had no clinic before."""
    services.database.check()
    upgrade(services.database)
    fresh = clinics_in_database(services.database) == 0
    sync_clinics(services.database, services.clinics)
    return fresh


def prepare_database(services: Services, *, seed_demo: bool = False) -> None:
    """Check the database, migrate it, mirror the clinics and generate slots.

    Demo appointments are booked when asked (`seed_demo`), or on a fresh database when no clinics file is
    configured, so that `rdvbot serve` on a new laptop has something to show. Raises `DatabaseUnavailable`
    when the database cannot be reached.
    """
    fresh = migrate_and_sync(services)
    for clinic in services.clinics.clinics:
        if clinic.backends[0].kind == "sql":
            generate_slots(services.database, clinic, SLOT_HORIZON_DAYS)
    if seed_demo or (fresh and services.settings.clinics_file is None):
        book_demo_appointments(services.scheduler)
    services.database.analyze()


def purge_old_data(services: Services, older_than: timedelta = DEFAULT_RETENTION) -> dict[str, int]:
    """Delete conversation data older than `older_than` from the database and messages set aside in the spool;
    how many went, by place (`rdvbot purge`, and the worker once a day)."""
    purged = purge_conversations(services.database, utcnow(), older_than)
    if services.settings.spool_dir is not None:
        purged["spool_set_aside"] = InboundSpool(services.settings.spool_dir).purge_set_aside(older_than)
    return purged
