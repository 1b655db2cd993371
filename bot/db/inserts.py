"""INSERT … ON CONFLICT for both databases we run on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

from bot.db.models import Base


def upsert_into(connection: Connection, model: type[Base]) -> PostgresqlInsert | SqliteInsert:
    """An INSERT into `model` that can take ON CONFLICT clauses, in this connection's SQL dialect."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def insert_ignoring_conflicts(connection: Connection, model: type[Base], rows: Sequence[dict[str, Any]]) -> int:
    """Insert `rows` of `model`, skipping any that a unique (or, on PostgreSQL, exclusion) constraint refuses.

    Returns how many rows were inserted.
    """
    if not rows:
        return 0
    primary_key = inspect(model).primary_key[0]
    statement = upsert_into(connection, model).on_conflict_do_nothing().returning(primary_key)
    return len(connection.execute(statement, list(rows)).all())
