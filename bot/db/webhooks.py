"""Twilio retries and duplicates: each MessageSid/CallSid is handled once, and a retry gets the same answer.

Plain Core statements built once, on a connection: this runs on every webhook, and an ORM session or a
statement rebuilt per call would cost more than the rest of a simple turn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.clock import utcnow
from bot.db.models import ProcessedWebhook
from bot.db.session import Database, retry_on_stale_connection

#: A first attempt that recorded no answer after this long died (a killed worker): its retry is handled anew.
ABANDONED_AFTER = timedelta(seconds=30)

_ATTEMPT = select(ProcessedWebhook.response, ProcessedWebhook.received_at).where(
    ProcessedWebhook.sid == bindparam("sid")
)
_TAKE_OVER_ABANDONED = (
    update(ProcessedWebhook)
    .where(
        ProcessedWebhook.sid == bindparam("attempt"),  # "sid" is reserved for the SET clause's own parameter
        ProcessedWebhook.response.is_(None),
        ProcessedWebhook.received_at < bindparam("abandoned_before"),
    )
    .values(received_at=bindparam("now"))
)


@dataclass(frozen=True)
class _Inserts:
    claim: Insert
    answer: Insert


@cache
def _inserts(dialect: str) -> _Inserts:
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(ProcessedWebhook)
    return _Inserts(
        claim=insert.on_conflict_do_nothing().returning(ProcessedWebhook.sid),
        # The row exists when the request was claimed first (see `claim`); otherwise the answer creates it.
        answer=insert.on_conflict_do_update(
            index_elements=[ProcessedWebhook.sid], set_={"response": insert.excluded.response}
        ),
    )


@retry_on_stale_connection  # the first statement of a turn: it meets a connection the database dropped
def claim(database: Database, sid: str, kind: str, *, serialised: bool) -> tuple[bool, dict[str, Any] | None]:
    """(True, None) when this request must be handled: the first with `sid`, or a retry of one that died
    without answering. Otherwise (False, the answer recorded by the first, or None while it is still running).

    `serialised` means the caller holds the conversation's lock, so no other attempt of this sid is running:
    a read is then enough, and the row is written once, with the answer. Without the lock the sid is claimed
    by a write first, so that two attempts at once cannot both act.
    """
    if serialised:
        with database.autocommit.connect() as connection:
            if connection.execute(_ATTEMPT, {"sid": sid}).first() is None:
                return True, None
    now = utcnow()
    with database.engine.begin() as connection:
        claimed = connection.execute(
            _inserts(database.dialect).claim, {"sid": sid, "kind": kind, "received_at": now}
        ).first()
        if claimed is not None:
            return True, None
        row = connection.execute(_ATTEMPT, {"sid": sid}).one()
        if row.response:
            return False, json.loads(row.response)
        # Only one retry can take over: the update matches no row once another retry has reset received_at.
        taken_over = connection.execute(
            _TAKE_OVER_ABANDONED, {"attempt": sid, "abandoned_before": now - ABANDONED_AFTER, "now": now}
        )
        if taken_over.rowcount == 1:
            return True, None
    return False, None


def record_answer(database: Database, sid: str, kind: str, answer: dict[str, Any]) -> None:
    """Keep the answer given to `sid`, for its retries."""
    with database.autocommit.begin() as connection:
        connection.execute(
            _inserts(database.dialect).answer,
            {"sid": sid, "kind": kind, "received_at": utcnow(), "response": json.dumps(answer)},
        )
