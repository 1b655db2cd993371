"""MessageSid bookkeeping on both databases: once, same answer, and a dead first attempt does not block retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from bot.core.clock import utcnow
from bot.db.models import ProcessedWebhook
from bot.db.session import Database
from bot.db.webhooks import ABANDONED_AFTER, claim, record_answer

SID = "SM" + "4" * 32
ANSWER = {"replies": [{"text": "ok", "options": []}]}


def rows(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessedWebhook)) or 0


def test_unserialised_first_claim_then_replays_the_recorded_answer(database: Database) -> None:
    assert claim(database, SID, "sms", serialised=False) == (True, None)
    assert claim(database, SID, "sms", serialised=False) == (False, None), "still being worked on: say nothing twice"
    record_answer(database, SID, "sms", ANSWER)
    assert claim(database, SID, "sms", serialised=False) == (False, ANSWER)
    assert rows(database) == 1


def test_serialised_first_attempt_writes_only_its_answer(database: Database) -> None:
    assert claim(database, SID, "sms", serialised=True) == (True, None)
    assert rows(database) == 0, "under the conversation lock a first attempt costs no write before its answer"
    record_answer(database, SID, "sms", ANSWER)
    assert claim(database, SID, "sms", serialised=True) == (False, ANSWER)
    assert claim(database, SID, "sms", serialised=False) == (False, ANSWER)
    assert rows(database) == 1


def test_serialised_retry_of_an_unserialised_attempt_still_running_says_nothing(database: Database) -> None:
    assert claim(database, SID, "sms", serialised=False) == (True, None)
    assert claim(database, SID, "sms", serialised=True) == (False, None)


@pytest.mark.parametrize("serialised", [False, True])
def test_a_retry_of_an_attempt_that_died_is_handled_once(database: Database, serialised: bool) -> None:
    assert claim(database, SID, "sms", serialised=False)[0]
    with database.transaction() as session:
        long_ago = utcnow() - ABANDONED_AFTER - timedelta(seconds=1)
        session.execute(update(ProcessedWebhook).where(ProcessedWebhook.sid == SID).values(received_at=long_ago))
    assert claim(database, SID, "sms", serialised=serialised) == (True, None), "the first attempt died"
    assert claim(database, SID, "sms", serialised=serialised) == (False, None), "and only one retry takes over"


def test_a_serialised_turn_costs_two_lone_statements(database: Database) -> None:
    sent: list[str] = []
    listen = event.listens_for(database.engine, "before_cursor_execute")

    @listen
    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement.split()[0].upper())

    claim(database, SID, "sms", serialised=True)
    record_answer(database, SID, "sms", ANSWER)
    event.remove(database.engine, "before_cursor_execute", record)
    # No BEGIN or COMMIT around them: each is atomic alone, and on PostgreSQL each would be a round trip.
    assert sent == ["SELECT", "INSERT"]
