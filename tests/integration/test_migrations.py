"""Alembic builds the schema from empty on both databases, and it matches the models exactly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.db.migrate import alembic_config, upgrade
from bot.db.models import Base
from bot.db.session import Database
from tests.conftest import POSTGRES_ADMIN_URL, service_missing

TABLES = {
    "outage_switches",
    "clinics",
    "practitioners",
    "appointment_types",
    "slots",
    "patients",
    "appointments",
    "appointment_events",
    "processed_webhooks",
    "alembic_version",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with nothing in it at all."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
        yield database
        database.dispose()
        return
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        service_missing("PostgreSQL", str(error))
    name = f"rdvbot_empty_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    database = Database(POSTGRES_ADMIN_URL.rpartition("/")[0] + f"/{name}")
    try:
        yield database
    finally:
        database.dispose()
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def test_upgrade_from_empty_creates_every_table_and_is_repeatable(empty_database: Database) -> None:
    upgrade(empty_database)
    upgrade(empty_database)
    assert set(inspect(empty_database.engine).get_table_names()) >= TABLES
    with empty_database.engine.connect() as connection:
        at = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert at == ScriptDirectory.from_config(alembic_config(empty_database)).get_current_head()


def test_migrated_schema_matches_the_models(empty_database: Database) -> None:
    upgrade(empty_database)
    with empty_database.engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert differences == []
