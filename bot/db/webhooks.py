"""Twilio retries and duplicates: each MessageSid/CallSid is handled once, and a retry gets the same answer.

Plain Core statements on a connection: this runs twice on every webhook, and an ORM session would double its
cost for nothing.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.db.models import ProcessedWebhook, utcnow
from bot.db.session import Database


def claim(database: Database, sid: str, kind: str) -> tuple[bool, dict[str, Any] | None]:
    """(True, None) when this request is the first with `sid`; otherwise (False, the answer recorded by the
    first, or None while it is still being worked on)."""
    dialect = postgresql if database.dialect == "postgresql" else sqlite
    insert = dialect.insert(ProcessedWebhook).values(sid=sid, kind=kind, received_at=utcnow()).on_conflict_do_nothing()
    with database.engine.begin() as connection:
        if connection.execute(insert.returning(ProcessedWebhook.sid)).first() is not None:
            return True, None
        recorded = connection.execute(select(ProcessedWebhook.response).where(ProcessedWebhook.sid == sid)).scalar()
    return False, json.loads(recorded) if recorded else None


def record_answer(database: Database, sid: str, answer: dict[str, Any]) -> None:
    """Keep the answer given to `sid`, for its retries."""
    with database.engine.begin() as connection:
        connection.execute(
            update(ProcessedWebhook).where(ProcessedWebhook.sid == sid).values(response=json.dumps(answer))
        )
