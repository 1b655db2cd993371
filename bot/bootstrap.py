"""The one place where real adapters are wired together from settings; tests pass their own pieces."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from bot.booking.slot_supply import generate_slots
from bot.booking.sql import SqlScheduler
from bot.clinics.config import ClinicsFile, load_clinics
from bot.clinics.sync import sync_clinics
from bot.db.migrate import upgrade
from bot.db.session import Database
from bot.demo import book_demo_appointments, clinics_in_database
from bot.settings import Settings

#: How far ahead `rdvbot serve` and `seed-demo` keep slots generated.
SLOT_HORIZON_DAYS = 21


@dataclass
class Services:
    """Everything a process needs, built once."""

    settings: Settings
    clinics: ClinicsFile
    database: Database
    scheduler: SqlScheduler
    redis: Redis | None = None


def bootstrap(settings: Settings | None = None) -> Services:
    """Build the services from settings (the environment by default); raises `ClinicsFileError` on a bad file."""
    settings = settings or Settings.from_env()
    clinics = load_clinics(settings.clinics_path)
    database = Database(settings.database_url)
    redis = (
        Redis.from_url(settings.redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        if settings.redis_url
        else None
    )
    return Services(settings, clinics, database, SqlScheduler(database, clinics), redis)


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
