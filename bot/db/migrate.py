"""Create or upgrade the schema with Alembic (`rdvbot db upgrade`)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from bot.db.session import Database

SCRIPT_LOCATION = "bot.db:migrations"


def alembic_config(database: Database) -> Config:
    """An Alembic configuration for this database, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", database.safe_url)
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to run on every start."""
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
