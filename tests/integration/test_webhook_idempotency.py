"""MessageSid bookkeeping on both databases: once, same answer, and a dead first attempt does not block retries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.db.models import ProcessedWebhook, utcnow
from bot.db.session import Database
from bot.db.webhooks import ABANDONED_AFTER, claim, record_answer

SID = "SM" + "4" * 32


def test_first_claim_then_replays_the_recorded_answer(database: Database) -> None:
    assert claim(database, SID, "sms") == (True, None)
    assert claim(database, SID, "sms") == (False, None), "still being worked on: say nothing twice"
    record_answer(database, SID, {"replies": [{"text": "ok", "options": []}]})
    assert claim(database, SID, "sms") == (False, {"replies": [{"text": "ok", "options": []}]})


def test_a_retry_of_an_attempt_that_died_is_handled_once(database: Database) -> None:
    assert claim(database, SID, "sms")[0]
    with database.transaction() as session:
        long_ago = utcnow() - ABANDONED_AFTER - timedelta(seconds=1)
        session.execute(update(ProcessedWebhook).where(ProcessedWebhook.sid == SID).values(received_at=long_ago))
    assert claim(database, SID, "sms") == (True, None), "the first attempt died without answering"
    assert claim(database, SID, "sms") == (False, None), "and only one retry takes over"
