"""Call outcomes from Twilio's status callbacks: one row per call, the latest status winning."""

from __future__ import annotations

from bot.core.clock import utcnow
from bot.db.inserts import upsert_into
from bot.db.models import CallOutcome
from bot.db.session import Database


def record_call_status(
    database: Database, call_sid: str, clinic_number: str, caller: str, status: str, duration_s: int | None
) -> None:
    """Keep the call's latest status (callbacks may come more than once, and out of order of importance)."""
    row = {
        "call_sid": call_sid,
        "clinic_number": clinic_number,
        "caller": caller,
        "status": status[:16],
        "duration_s": duration_s,
        "updated_at": utcnow(),
    }
    with database.autocommit.begin() as connection:
        statement = upsert_into(connection, CallOutcome).values(**row)
        changes = {key: value for key, value in row.items() if key != "call_sid"}
        connection.execute(statement.on_conflict_do_update(index_elements=["call_sid"], set_=changes))
