"""Twilio retries and duplicates: each MessageSid/CallSid is handled once, and a retry gets the same answer."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update

from bot.db.inserts import insert_ignoring_conflicts
from bot.db.models import ProcessedWebhook
from bot.db.session import Database


def claim(database: Database, sid: str, kind: str) -> tuple[bool, dict[str, Any] | None]:
    """(True, None) when this request is the first with `sid`; otherwise (False, the answer recorded by the
    first, or None while it is still being worked on)."""
    with database.transaction() as session:
        if insert_ignoring_conflicts(session, ProcessedWebhook, [{"sid": sid, "kind": kind}]):
            return True, None
        recorded = session.scalar(select(ProcessedWebhook.response).where(ProcessedWebhook.sid == sid))
    return False, json.loads(recorded) if recorded else None


def record_answer(database: Database, sid: str, answer: dict[str, Any]) -> None:
    """Keep the answer given to `sid`, for its retries."""
    with database.transaction() as session:
        session.execute(update(ProcessedWebhook).where(ProcessedWebhook.sid == sid).values(response=json.dumps(answer)))
