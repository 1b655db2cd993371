"""Retention (issue 12, point 8): `rdvbot purge --older-than 90d` and the worker's daily purge delete conversation
data past its age; the spool is private to its user and its set-aside messages are purged too."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis as redis_py
from rq import Queue
from sqlalchemy import func, insert, select

from bot.bootstrap import Services, purge_old_data
from bot.core.vocabulary import Channel
from bot.db.models import CallOutcome, ProcessedWebhook
from bot.db.retention import purge_conversations
from bot.outbox.worker import PURGE_JOB_ID, QUEUE_NAME, DependenciesWorker, JobDependencies
from bot.outbox.worker import purge_old_data as purge_job
from bot.spool import FAILED_DIR, InboundSpool, SpooledMessage
from tests.e2e.test_cli import rdvbot

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def count(services: Services, model: type) -> int:  # type: ignore[type-arg]
    with services.database.reading() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_conversation_data_past_its_age_is_deleted_and_the_rest_kept(services: Services) -> None:
    with services.database.engine.begin() as connection:
        for n, age in enumerate((100, 91, 89, 1)):
            at = NOW - timedelta(days=age)
            connection.execute(insert(ProcessedWebhook).values(sid=f"SM{n:032d}", kind="sms", received_at=at))
            connection.execute(
                insert(CallOutcome).values(
                    call_sid=f"CA{n:032d}",
                    clinic_number="+15145550100",
                    caller="+15145550178",
                    status="completed",
                    updated_at=at,
                )
            )
    purged = purge_conversations(services.database, NOW, timedelta(days=90))
    assert purged["processed_webhooks"] == 2 and purged["call_outcomes"] == 2
    assert count(services, ProcessedWebhook) == 2 and count(services, CallOutcome) == 2


def test_the_spool_is_private_and_its_set_aside_messages_are_purged(tmp_path: Path) -> None:
    spool = InboundSpool(tmp_path / "spool")
    message = SpooledMessage("+15145550100", "+15145550179", "j'ai mal", Channel.SMS, "SM" + "3" * 32, NOW)
    kept = spool.keep(message)
    assert kept.stat().st_mode & 0o777 == 0o600 and (tmp_path / "spool").stat().st_mode & 0o777 == 0o700
    for claimed, _ in spool.claim_each():
        spool.set_aside(claimed)
    aside = tmp_path / "spool" / FAILED_DIR
    assert aside.stat().st_mode & 0o777 == 0o700
    [old] = list(aside.iterdir())
    assert spool.purge_set_aside(timedelta(days=30)) == 0, "not old enough yet"
    long_ago = old.stat().st_mtime - 31 * 86400
    os.utime(old, (long_ago, long_ago))
    assert spool.purge_set_aside(timedelta(days=30)) == 1 and not any(aside.iterdir())


def test_purge_old_data_covers_the_database_and_the_spool(services: Services) -> None:
    assert set(purge_old_data(services)) == {
        "processed_webhooks",
        "call_outcomes",
        "outbox_requests",
        "mirrored_appointments",
    }


def test_rdvbot_purge_reports_what_went_and_refuses_an_age_it_cannot_read(tmp_path: Path) -> None:
    done = rdvbot(tmp_path, "purge", "--older-than", "90d", RDVBOT_SPOOL_DIR=str(tmp_path / "spool"))
    assert done.returncode == 0, done.stderr
    assert "processed_webhooks: 0" in done.stdout and "spool_set_aside: 0" in done.stdout
    refused = rdvbot(tmp_path, "purge", "--older-than", "three months")
    assert refused.returncode == 2 and "is not an age such as 90d" in refused.stderr


@pytest.mark.redis
def test_the_worker_purges_once_a_day(redis_url: str) -> None:

    connection = redis_py.Redis.from_url(redis_url)
    queue = Queue(QUEUE_NAME, connection=connection)
    purged: list[bool] = []
    try:
        queue.enqueue(purge_job, job_id=PURGE_JOB_ID)
        dependencies = JobDependencies(
            None,
            connection,
            None,
            lambda: purged.append(True) or {},  # type: ignore[arg-type]
        )
        assert DependenciesWorker([queue], dependencies).work(burst=True)
        assert purged == [True]
        scheduled = queue.scheduled_job_registry
        assert PURGE_JOB_ID in scheduled.get_job_ids()
        at = scheduled.get_scheduled_time(PURGE_JOB_ID)
        assert timedelta(hours=23) < at - datetime.now(UTC) <= timedelta(days=1)
    finally:
        for key in connection.scan_iter("rq:*"):
            connection.delete(key)
