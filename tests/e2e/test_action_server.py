"""rdvbot's actions, unchanged, in rasa-sdk's own action server: a Rasa-format call over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.bootstrap import bootstrap, prepare_database
from bot.channels.identity import IDENTITY_METADATA_KEY, prove_identity
from bot.core.booking import BookingRequest, SlotSearch
from bot.core.clock import utcnow
from bot.core.vocabulary import Channel
from bot.settings import Settings
from tests.e2e.test_cli import free_port, rdvbot, rdvbot_env
from tests.helpers import quiet_monday

PATIENT = "+15145550145"  # not one of the demo patients, who have appointments of their own
SECRET = "s3cret-of-the-action-server"


def post(url: str, payload: object, token: str | None = SECRET) -> tuple[int, dict[str, Any]]:
    """POST `payload` as JSON (with `token` as the bearer token); the status and the JSON answered."""
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


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
        env=rdvbot_env(tmp_path, RDVBOT_ACTIONS_TOKEN=SECRET),
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


def call_action(
    webhook: str,
    action: str,
    sender: str,
    slots: dict[str, Any],
    text: str = "",
    proof: str | None = None,
    token: str | None = SECRET,
    call_sender: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """A Rasa-format action call, as Rasa's server would post it, its user message carrying the channel's proof
    of `sender` (a fresh one unless given); the status and the answer."""
    metadata = {IDENTITY_METADATA_KEY: proof if proof is not None else prove_identity(SECRET, sender, utcnow())}
    tracker = {
        "sender_id": sender,
        "slots": {"clinic_id": "demo-plateau", "language": "fr", "channel": "sms", **slots},
        "latest_message": {"text": text, "intent": {}, "entities": [], "metadata": metadata},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    }
    call = {
        "next_action": action,
        "sender_id": call_sender or sender,
        "tracker": tracker,
        "domain": {},
        "version": "3.11.0",
    }
    return post(webhook, call, token)


def listing(webhook: str) -> dict[str, Any]:
    status, answer = call_action(webhook, "action_list_appointments", PATIENT, {}, "c'est quand mon rdv?")
    assert status == 200
    return {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}


def test_a_rasa_action_call_returns_events_and_responses(action_server: tuple[str, str]) -> None:
    webhook, appointment_id = action_server
    slots = listing(webhook)
    assert slots["appointments_found"] == "one"
    assert slots["chosen_appointment"] == appointment_id
    assert [a["id"] for a in slots["appointments"]] == [appointment_id]

    status, cancelled = call_action(webhook, "action_cancel_appointment", PATIENT, slots, "oui")
    assert status == 200
    assert [r["response"] for r in cancelled["responses"]] == ["utter_cancelled"]


def test_someone_else_cannot_cancel_the_appointment(action_server: tuple[str, str]) -> None:
    webhook, appointment_id = action_server
    other = "+15145550177"
    status, answer = call_action(webhook, "action_cancel_appointment", other, {"chosen_appointment": appointment_id})
    assert status == 200
    assert [r["response"] for r in answer["responses"]] == ["utter_cancel_failed"]


@pytest.mark.parametrize("token", [None, "", "wrong-secret", SECRET + "x"], ids=repr)
def test_a_call_without_the_shared_secret_is_refused(action_server: tuple[str, str], token: str | None) -> None:
    webhook, appointment_id = action_server
    status, answer = call_action(
        webhook, "action_cancel_appointment", PATIENT, {"chosen_appointment": appointment_id}, token=token
    )
    assert status == 401 and "RDVBOT_ACTIONS_TOKEN" in answer["error"]
    assert post(webhook.replace("/webhook", "/actions"), {}, token)[0] == 401
    assert listing(webhook)["chosen_appointment"] == appointment_id  # nothing was cancelled


def test_rasas_token_query_parameter_is_accepted(action_server: tuple[str, str]) -> None:
    webhook, _ = action_server
    proof = prove_identity(SECRET, PATIENT, utcnow())
    call = {
        "next_action": "action_list_appointments",
        "sender_id": PATIENT,
        "tracker": {
            "sender_id": PATIENT,
            "slots": {"clinic_id": "demo-plateau"},
            "events": [],
            "latest_message": {"text": "rdv?", "metadata": {IDENTITY_METADATA_KEY: proof}},
        },
        "domain": {},
    }
    status, answer = post(f"{webhook}?{urlencode({'token': SECRET})}", call, token=None)
    assert status == 200 and answer["events"]


def unproven_calls() -> dict[str, dict[str, Any]]:
    """Ways of claiming PATIENT without the channel's word for it."""
    now = utcnow()
    return {
        "no proof": {"proof": ""},
        "another patient's proof": {"proof": prove_identity(SECRET, "+15145550177", now)},
        "signed with another secret": {"proof": prove_identity("not-the-secret", PATIENT, now)},
        "expired proof": {"proof": prove_identity(SECRET, PATIENT, now - timedelta(minutes=11))},
        "altered proof": {"proof": prove_identity(SECRET, "+15145550177", now).replace("+15145550177", PATIENT)},
        "call and tracker disagree": {"call_sender": "+15145550177"},
    }


@pytest.mark.parametrize("forgery", list(unproven_calls()))
def test_an_action_call_acts_only_for_the_number_its_channel_signed(
    action_server: tuple[str, str], forgery: str
) -> None:
    webhook, appointment_id = action_server
    status, answer = call_action(
        webhook,
        "action_cancel_appointment",
        PATIENT,
        {"chosen_appointment": appointment_id},
        "oui",
        **unproven_calls()[forgery],
    )
    assert status == 403 and "not proven" in answer["error"]
    assert listing(webhook)["chosen_appointment"] == appointment_id  # nothing was cancelled


def test_the_action_server_listens_on_loopback_and_answers_health_openly(action_server: tuple[str, str]) -> None:
    webhook, _ = action_server
    port = int(webhook.rsplit(":", 1)[1].split("/")[0])
    assert listening_addresses(port) == {"127.0.0.1"}
    with urllib.request.urlopen(webhook.replace("/webhook", "/health"), timeout=5) as response:
        assert response.status == 200


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on TCP `port` (Linux's /proc/net/tcp, IPv4)."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, local_port = local.split(":")
        if int(local_port, 16) == port and state == "0A":  # 0A: LISTEN
            addresses.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return addresses


def test_the_action_server_does_not_start_without_its_secret(tmp_path: Path) -> None:
    done = rdvbot(tmp_path, "actions", "--port", str(free_port()))
    assert done.returncode == 2 and "RDVBOT_ACTIONS_TOKEN is not set" in done.stderr
