"""`rdvbot worker` and `rdvbot outbox …` as an operator runs them: a real RQ worker process drains a kept request
and texts the patient through the twilio SDK (pointed at a local recorder)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from bot.bootstrap import bootstrap, prepare_database
from bot.core.vocabulary import Channel
from bot.outbox import store
from bot.settings import Settings
from bot.spool import InboundSpool, SpooledMessage
from fakes.twilio_recorder import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, TwilioRecorder
from tests.e2e.test_cli import rdvbot, rdvbot_env

pytestmark = pytest.mark.redis

# Open and texting around the clock, so that the test means the same at any hour CI runs it.
CLINICS = """
clinics:
  - id: night
    name: {fr: "Clinique de nuit", en: "Night Clinic"}
    sms_number: "+15145550101"
    phone: "+15145550102"
    address: "1, rue Test, Montréal"
    statutory_holidays: false
    hours: {mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00",
            sat: "00:00-24:00", sun: "00:00-24:00"}
    practitioners:
      - id: owl
        name: {fr: "Dre Hibou", en: "Dr. Owl"}
        availability: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"],
                       fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
    reminders: {quiet_hours: {weekdays: "00:00-24:00", weekends: "00:00-24:00"}}
"""
PATIENT = "+15145550177"


@pytest.fixture
def configured(tmp_path: Path, redis_url: str) -> Iterator[tuple[Settings, dict[str, str]]]:
    """The night clinic's database with slots, and the environment of a worker texting through a recorder."""
    clinics = tmp_path / "clinics.yaml"
    clinics.write_text(CLINICS, encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'rdvbot.db'}", clinics_file=clinics)
    prepare_database(bootstrap(settings))
    env = {"RDVBOT_CLINICS": str(clinics), "REDIS_URL": redis_url}
    yield settings, env
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("rq:*"):  # the worker's queue, scheduled drain and registrations
        client.delete(key)


def keep_a_booking(settings: Settings) -> int:
    services = bootstrap(settings)
    when = {"first_day": (datetime.now(UTC) + timedelta(days=1)).date().isoformat()}
    request = {"when": when, "practitioner": None, "slot": None}
    return store.keep(services.database, "night", PATIENT, "fr", "book", request)


def test_the_worker_replays_a_kept_request_and_texts_the_patient(
    tmp_path: Path, configured: tuple[Settings, dict[str, str]]
) -> None:
    settings, env = configured
    keep_a_booking(settings)
    with TwilioRecorder() as recorder:
        twilio = {"TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": FAKE_AUTH_TOKEN}
        worker = subprocess.Popen(
            [sys.executable, "-m", "rdvbot", "worker"],
            env=rdvbot_env(tmp_path, **env, **twilio, TWILIO_API_URL=recorder.base_url),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            [text] = recorder.wait_for(1, timeout_s=60)
        finally:
            worker.send_signal(signal.SIGTERM)  # RQ's warm shutdown
            output = worker.communicate(timeout=30)[0]
    assert (text.to, text.from_) == (PATIENT, "+15145550101"), output
    assert text.body.startswith("Votre demande de rendez-vous: voici ce qui est libre.")
    assert "\n1) " in text.body
    assert store.waiting(bootstrap(settings).database) == []


def test_outbox_list_and_drain_from_the_command_line(
    tmp_path: Path, configured: tuple[Settings, dict[str, str]]
) -> None:
    settings, env = configured
    kept = keep_a_booking(settings)
    listed = rdvbot(tmp_path, "outbox", "list", **env)
    assert listed.returncode == 0, listed.stderr
    assert f"#{kept} " in listed.stdout and "night +1514555**** book pending" in listed.stdout
    assert PATIENT not in listed.stdout, "numbers are masked"
    # Without Twilio credentials the request is handled but the text waits for a process that can send it.
    drained = rdvbot(tmp_path, "outbox", "drain", **env)
    assert drained.returncode == 0 and "1 request(s) handled" in drained.stdout, drained.stderr
    [waiting] = store.waiting(bootstrap(settings).database)
    assert waiting.status == "notifying"
    refused = rdvbot(tmp_path, "worker")
    assert refused.returncode == 2 and "needs REDIS_URL" in refused.stderr


def test_spool_replay_from_the_command_line(tmp_path: Path) -> None:
    spool = InboundSpool(tmp_path / "spool")
    spool.keep(SpooledMessage("+15145550100", PATIENT, "STOP", Channel.SMS, "SM" + "1" * 32, datetime.now(UTC)))
    replayed = rdvbot(tmp_path, "spool", "replay", RDVBOT_SPOOL_DIR=str(tmp_path / "spool"))
    assert replayed.returncode == 0, replayed.stderr
    assert "1 spooled message(s) handled" in replayed.stdout
    assert "no Twilio credentials" in replayed.stderr
    assert not spool.has_pending()
