"""Scratch PostgreSQL databases for benchmarks: created fresh, dropped afterwards even on error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy
from sqlalchemy import make_url

from bot.db.session import normalise_url


@contextmanager
def scratch_postgres(admin_url: str, name: str) -> Iterator[str]:
    """The URL of a new empty database `name` on the server of `admin_url`, dropped when the block ends."""
    admin = sqlalchemy.create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:  # WITH (FORCE): a killed worker may still hold a connection
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.dispose()
