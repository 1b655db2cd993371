"""rdvbot's actions, unchanged, in rasa-sdk's own action server: a Rasa-format call over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.bootstrap import bootstrap, prepare_database
from bot.core.booking import BookingRequest, SlotSearch
from bot.core.vocabulary import Channel
from bot.settings import Settings
from tests.e2e.test_cli import free_port, rdvbot_env
from tests.helpers import quiet_monday

PATIENT = "+15145550145"  # not one of the demo patients, who have appointments of their own


def post(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


@pytest.fixture
def action_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`rdvbot actions` on a free port over a seeded database; yields (webhook URL, booked appointment id)."""
    database_url = f"sqlite:///{tmp_path / 'rdvbot.db'}"
    services = bootstrap(Settings(database_url=database_url))
    prepare_database(services)
    clinic = services.clinics.clinics[0]
    monday = quiet_monday(clinic)
    slot = services.scheduler.search(SlotSearch(clinic.id, monday, monday, limit=1))[0]
    booked = services.scheduler.book(BookingRequest(slot.slot_id, PATIENT, Channel.SMS))
    services.database.dispose()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rdvbot", "actions", "--port", str(port)],
        env=rdvbot_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"action server did not start: {process.stdout.read() if process.stdout else ''}")
                time.sleep(0.3)  # a server in another process: nothing to wait on but its answer, polled until it comes
        yield f"{base}/webhook", booked.appointment_id
    finally:
        # Sanic runs worker processes: stop the whole group, and insist if it lingers.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def call_action(webhook: str, action: str, sender: str, slots: dict[str, Any], text: str = "") -> dict[str, Any]:
    """A Rasa-format action call, as Rasa's server would post it."""
    tracker = {
        "sender_id": sender,
        "slots": {"clinic_id": "demo-plateau", "language": "fr", "channel": "sms", **slots},
        "latest_message": {"text": text, "intent": {}, "entities": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    }
    call = {"next_action": action, "sender_id": sender, "tracker": tracker, "domain": {}, "version": "3.11.0"}
    return post(webhook, call)


def test_a_rasa_action_call_returns_events_and_responses(action_server: tuple[str, str]) -> None:
    webhook, appointment_id = action_server
    answer = call_action(webhook, "action_list_appointments", PATIENT, {}, "c'est quand mon rdv?")
    slots = {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}
    assert slots["appointments_found"] == "one"
    assert slots["chosen_appointment"] == appointment_id
    assert [a["id"] for a in slots["appointments"]] == [appointment_id]

    cancelled = call_action(webhook, "action_cancel_appointment", PATIENT, slots, "oui")
    assert [r["response"] for r in cancelled["responses"]] == ["utter_cancelled"]


def test_someone_else_cannot_cancel_the_appointment(action_server: tuple[str, str]) -> None:
    webhook, appointment_id = action_server
    answer = call_action(webhook, "action_cancel_appointment", "+15145550177", {"chosen_appointment": appointment_id})
    assert [r["response"] for r in answer["responses"]] == ["utter_cancel_failed"]
