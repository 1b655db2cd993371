"""Twilio retries and duplicates: each MessageSid/CallSid is handled once, and a retry gets the same answer.

Plain Core statements on a connection: this runs twice on every webhook, and an ORM session would double its
cost for nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.db.models import ProcessedWebhook, utcnow
from bot.db.session import Database

#: A first attempt that recorded no answer after this long died (a killed worker): its retry is handled anew.
ABANDONED_AFTER = timedelta(seconds=30)


def claim(database: Database, sid: str, kind: str) -> tuple[bool, dict[str, Any] | None]:
    """(True, None) when this request must be handled: the first with `sid`, or a retry of one that died
    without answering. Otherwise (False, the answer recorded by the first, or None while it is still running)."""
    now = utcnow()
    dialect = postgresql if database.dialect == "postgresql" else sqlite
    insert = dialect.insert(ProcessedWebhook).values(sid=sid, kind=kind, received_at=now).on_conflict_do_nothing()
    with database.engine.begin() as connection:
        if connection.execute(insert.returning(ProcessedWebhook.sid)).first() is not None:
            return True, None
        row = connection.execute(
            select(ProcessedWebhook.response, ProcessedWebhook.received_at).where(ProcessedWebhook.sid == sid)
        ).one()
        if row.response:
            return False, json.loads(row.response)
        abandoned = update(ProcessedWebhook).where(
            ProcessedWebhook.sid == sid,
            ProcessedWebhook.response.is_(None),
            ProcessedWebhook.received_at < now - ABANDONED_AFTER,
        )
        # Only one retry can take over: the update matches no row once another retry has reset received_at.
        if connection.execute(abandoned.values(received_at=now)).rowcount == 1:
            return True, None
    return False, None


def record_answer(database: Database, sid: str, answer: dict[str, Any]) -> None:
    """Keep the answer given to `sid`, for its retries."""
    with database.engine.begin() as connection:
        connection.execute(
            update(ProcessedWebhook).where(ProcessedWebhook.sid == sid).values(response=json.dumps(answer))
        )
