"""Conversation data is kept for a while, then deleted (SPEC §5): what Twilio's retries needed (processed webhooks
and the answers given), how calls ended, requests kept and long done, appointments last seen in a remote system.
Appointments themselves, and each number's opt-out and language, are the clinic's records and stay."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Delete, delete

from bot.db.models import CallOutcome, MirroredAppointment, OutboxRequest, OutboxStatus, ProcessedWebhook
from bot.db.session import Database

#: What `rdvbot purge` keeps by default, and what the worker's daily purge keeps.
DEFAULT_RETENTION = timedelta(days=90)


def purge_conversations(database: Database, now: datetime, older_than: timedelta) -> dict[str, int]:
    """Delete conversation data older than `older_than`; how many rows went, by table."""
    cutoff = now - older_than
    statements: dict[str, Delete] = {
        "processed_webhooks": delete(ProcessedWebhook).where(ProcessedWebhook.received_at < cutoff),
        "call_outcomes": delete(CallOutcome).where(CallOutcome.updated_at < cutoff),
        "outbox_requests": delete(OutboxRequest).where(
            OutboxRequest.status == OutboxStatus.DONE, OutboxRequest.created_at < cutoff
        ),
        "mirrored_appointments": delete(MirroredAppointment).where(MirroredAppointment.seen_at < cutoff),
    }
    with database.engine.begin() as connection:
        return {table: connection.execute(statement).rowcount for table, statement in statements.items()}
