"""Kept requests in SQL: kept once, claimed by one drain worker at a time, handled once, then the patient told.

A claim is a lease (`claimed_by`, `claimed_until`): a worker that dies leaves its request to another after the
lease. Marking a request handled only succeeds for the worker holding it, so two workers never both report it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update

from bot.core.clock import utcnow
from bot.db.models import OutboxRequest, OutboxStatus
from bot.db.session import Database


@dataclass(frozen=True)
class KeptRequest:
    """A kept request as a drain worker or the staff sees it."""

    id: int
    clinic_id: str
    patient_phone: str
    language: str
    kind: str
    request: dict[str, Any]
    status: OutboxStatus
    attempts: int
    created_at: datetime
    outcome: str | None = None
    notice: str | None = None


_COLUMNS = (
    OutboxRequest.id,
    OutboxRequest.clinic_id,
    OutboxRequest.patient_phone,
    OutboxRequest.language,
    OutboxRequest.kind,
    OutboxRequest.request,
    OutboxRequest.status,
    OutboxRequest.attempts,
    OutboxRequest.created_at,
    OutboxRequest.outcome,
    OutboxRequest.notice,
)


def _kept(row: Any) -> KeptRequest:
    return KeptRequest(
        row.id,
        row.clinic_id,
        row.patient_phone,
        row.language,
        row.kind,
        json.loads(row.request),
        OutboxStatus(row.status),
        row.attempts,
        row.created_at,
        row.outcome,
        row.notice,
    )


def keep(
    database: Database, clinic_id: str, patient_phone: str, language: str, kind: str, request: dict[str, Any]
) -> int:
    """Keep a request durably; its id."""
    statement = insert(OutboxRequest).returning(OutboxRequest.id)
    with database.engine.begin() as connection:
        return int(
            connection.execute(
                statement,
                {
                    "clinic_id": clinic_id,
                    "patient_phone": patient_phone,
                    "language": language,
                    "kind": kind,
                    "request": json.dumps(request, sort_keys=True),
                    "status": OutboxStatus.PENDING,
                    "created_at": utcnow(),
                },
            ).scalar_one()
        )


def claim(
    database: Database, worker: str, clinic_ids: Collection[str], lease: timedelta, now: datetime | None = None
) -> KeptRequest | None:
    """Take the oldest request of these clinics that is waiting (to be handled or to be told) and not held by a
    live lease nor put off until later than `now`; None when there is none. Exactly one worker gets each request."""
    now = now or utcnow()
    claimable = and_(
        OutboxRequest.clinic_id.in_(list(clinic_ids)),
        OutboxRequest.status.in_([OutboxStatus.PENDING, OutboxStatus.NOTIFYING]),
        or_(OutboxRequest.claimed_until.is_(None), OutboxRequest.claimed_until <= now),
    )
    oldest = select(OutboxRequest.id).where(claimable).order_by(OutboxRequest.id).limit(1)
    if database.engine.dialect.name == "postgresql":
        # Concurrent workers each skip the row another is claiming instead of queueing behind its lock.
        oldest = oldest.with_for_update(skip_locked=True)
    statement = (
        update(OutboxRequest)
        .where(OutboxRequest.id == oldest.scalar_subquery(), claimable)
        .values(claimed_by=worker, claimed_until=now + lease, attempts=OutboxRequest.attempts + 1)
        .returning(*_COLUMNS)
    )
    with database.engine.begin() as connection:
        row = connection.execute(statement).first()
    return _kept(row) if row is not None else None


def _held(request_id: int, worker: str) -> Any:
    return and_(OutboxRequest.id == request_id, OutboxRequest.claimed_by == worker)


def handled(database: Database, request_id: int, worker: str, outcome: str, notice: str) -> bool:
    """Record what replaying the request did and the text for the patient; False when this worker no longer
    holds it (its lease ran out and another took it over)."""
    statement = (
        update(OutboxRequest)
        .where(_held(request_id, worker), OutboxRequest.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.NOTIFYING, outcome=outcome, notice=notice, handled_at=utcnow())
    )
    with database.engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def notified(database: Database, request_id: int, worker: str) -> bool:
    """The patient was told (or is not to be): the request is done."""
    statement = (
        update(OutboxRequest)
        .where(_held(request_id, worker))
        .values(status=OutboxStatus.DONE, notified_at=utcnow(), claimed_by=None, claimed_until=None)
    )
    with database.engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def release(database: Database, request_id: int, worker: str, until: datetime | None = None) -> None:
    """Give the request back as it is (the back-end failed again, the text could not go): a later drain takes it,
    not before `until` when given (a text waiting for the clinic's texting hours)."""
    statement = update(OutboxRequest).where(_held(request_id, worker)).values(claimed_by=None, claimed_until=until)
    with database.engine.begin() as connection:
        connection.execute(statement)


def waiting(database: Database, clinic_id: str | None = None) -> list[KeptRequest]:
    """Requests not done yet, oldest first (for the staff)."""
    statement = select(*_COLUMNS).where(OutboxRequest.status != OutboxStatus.DONE).order_by(OutboxRequest.id)
    if clinic_id is not None:
        statement = statement.where(OutboxRequest.clinic_id == clinic_id)
    with database.engine.connect() as connection:
        return [_kept(row) for row in connection.execute(statement)]
