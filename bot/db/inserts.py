"""INSERT … ON CONFLICT DO NOTHING for both databases we run on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.db.models import Base


def insert_ignoring_conflicts(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> int:
    """Insert `rows` of `model`, skipping any that a unique (or, on PostgreSQL, exclusion) constraint refuses.

    Returns how many rows were inserted.
    """
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    primary_key = inspect(model).primary_key[0]
    statement = dialect.insert(model).on_conflict_do_nothing().returning(primary_key)
    return len(session.execute(statement, list(rows)).all())
