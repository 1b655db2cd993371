"""The `rdvbot` command as an operator runs it: real processes, real files, exit statuses and messages."""

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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clinics.config import ClinicsFile
from bot.core.vocabulary import AppointmentStatus, Channel
from bot.db.models import Appointment, Patient, Slot
from bot.db.session import Database
from bot.engine.render import day_label
from tests.helpers import quiet_monday


def rdvbot_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: nothing configured but a database file in the test's folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("RDVBOT_", "TWILIO_", "REDIS_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'rdvbot.db'}"
    env.update(extra)
    return env


def rdvbot(tmp_path: Path, *args: str, stdin: str = "", **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run `rdvbot ARGS` to its end, with `stdin` typed in (then the end of input, as Ctrl-D)."""
    return subprocess.run(
        [sys.executable, "-m", "rdvbot", *args],
        input=stdin,
        env=rdvbot_env(tmp_path, **extra_env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@dataclass
class Served:
    """A running `rdvbot serve`: its base URL, and all it printed once it has stopped."""

    base: str
    output: str = ""


@contextmanager
def serving(tmp_path: Path, *args: str, **env: str) -> Iterator[Served]:
    """`rdvbot serve` in its own process on a free port, until the block ends; entered once /healthz answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rdvbot", "serve", "--port", str(port), *args],
        env=rdvbot_env(tmp_path, **env),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"rdvbot serve exited with {process.returncode}: {process.stdout.read()}")  # type: ignore[union-attr]
            try:
                if get_json(f"{served.base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("rdvbot serve did not answer /healthz within 60 s")
            time.sleep(0.2)  # a server in another process: nothing to wait on but its answer, polled until it comes
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        served.output = process.communicate(timeout=30)[0]


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """`rdvbot serve` on a free port (options and environment from the test's parameter); yields its base URL."""
    extra: dict[str, str] = dict(getattr(request, "param", {}))
    with serving(tmp_path, *extra.pop("args", "").split(), **extra) as served:
        yield served.base


def counts(tmp_path: Path) -> tuple[int, int]:
    database = Database(f"sqlite:///{tmp_path / 'rdvbot.db'}")
    with database.transaction() as session:
        result = (
            session.scalar(select(func.count()).select_from(Slot)) or 0,
            session.scalar(select(func.count()).select_from(Appointment)) or 0,
        )
    database.dispose()
    return result


def test_serve_with_nothing_configured_seeds_the_demo_and_is_ready(server: str, tmp_path: Path) -> None:
    assert get_json(f"{server}/healthz") == (200, {"status": "ok"})
    status, body = get_json(f"{server}/readyz")
    assert status == 200 and body["checks"] == {"database": "ok", "redis": "not configured"}
    slots, appointments = counts(tmp_path)
    assert slots > 3 * 27 * 10, "about three weeks of weekday slots for three practitioners"
    assert appointments == 3


@pytest.mark.parametrize("server", [{"args": "--workers 2", "REDIS_URL": "redis://127.0.0.1:6379/9"}], indirect=True)
def test_serve_with_redis_runs_several_workers_and_checks_redis(redis_url: str, server: str) -> None:
    status, body = get_json(f"{server}/readyz")
    assert status == 200 and body["checks"] == {"database": "ok", "redis": "ok"}


def test_seed_demo_is_repeatable(tmp_path: Path) -> None:
    first = rdvbot(tmp_path, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert "Clinique Démo Plateau" in first.stdout
    after_first = counts(tmp_path)
    assert rdvbot(tmp_path, "seed-demo").returncode == 0
    assert counts(tmp_path) == after_first
    assert after_first[1] == 3


def test_slots_generate_and_import_report_what_they_did(tmp_path: Path, demo_clinics) -> None:  # type: ignore[no-untyped-def]
    generated = rdvbot(tmp_path, "slots", "generate", "--days", "7")
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout.startswith("demo-plateau: ") and "slots added" in generated.stdout
    monday = quiet_monday(demo_clinics.clinics[0], at_least_days_ahead=10).isoformat()
    csv_file = tmp_path / "slots.csv"
    csv_file.write_text(
        f"clinic,practitioner,start,minutes\ndemo-plateau,roy,{monday}T18:00,20\n"
        f"demo-plateau,nobody,{monday}T18:00,20\n",
        encoding="utf-8",
    )
    imported = rdvbot(tmp_path, "slots", "import", str(csv_file))
    assert imported.returncode == 1
    assert f"{csv_file}:3: unknown practitioner" in imported.stderr
    assert "1 slots added, 0 already there, 1 rows refused" in imported.stdout
    unknown = rdvbot(tmp_path, "slots", "generate", "--clinic", "nowhere")
    assert unknown.returncode == 2 and 'no clinic "nowhere"' in unknown.stderr


def test_unreachable_database_is_one_line_and_status_2(tmp_path: Path) -> None:
    for url in ("postgresql://postgres@127.0.0.1:1/nothing", f"sqlite:///{tmp_path}/missing/dir/x.db"):
        result = rdvbot(tmp_path, "db", "upgrade", DATABASE_URL=url)
        assert result.returncode == 2
        assert result.stderr.startswith("rdvbot: cannot reach the database at ")
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_password_never_printed(tmp_path: Path) -> None:
    result = rdvbot(tmp_path, "db", "upgrade", DATABASE_URL="postgresql://rdv:s3cret@127.0.0.1:1/x")
    assert result.returncode == 2 and "s3cret" not in result.stderr and "***" in result.stderr


def test_serve_refuses_a_public_host_without_twilio_token(tmp_path: Path) -> None:
    result = rdvbot(tmp_path, "serve", "--host", "0.0.0.0")
    assert result.returncode == 2
    assert "TWILIO_AUTH_TOKEN" in result.stderr


def test_serve_refuses_several_workers_without_redis(tmp_path: Path) -> None:
    result = rdvbot(tmp_path, "serve", "--workers", "3")
    assert result.returncode == 2 and "REDIS_URL" in result.stderr


def test_every_command_has_help(tmp_path: Path) -> None:
    for command in (
        [],
        ["serve"],
        ["db"],
        ["db", "upgrade"],
        ["seed-demo"],
        ["slots"],
        ["slots", "generate"],
        ["slots", "import"],
        ["chat"],
        ["call"],
    ):
        result = rdvbot(tmp_path, *command, "--help")
        assert result.returncode == 0 and "Usage: " in result.stdout, command


def test_chat_local_texts_the_app_built_in_its_own_process(tmp_path: Path) -> None:
    result = rdvbot(tmp_path, "chat", "--local", "--from", "514-555-0135", stdin="rdv demain matin\n\n")
    assert result.returncode == 0, result.stderr
    assert "Texting +15145550100 as +15145550135 in this process" in result.stderr
    assert "1) " in result.stdout and "GSM-7" in result.stdout and " SMS, " in result.stdout


def test_call_local_speaks_with_the_app_built_in_its_own_process(tmp_path: Path) -> None:
    result = rdvbot(
        tmp_path, "call", "--local", "--from", "514-555-0136", stdin="9\nan appointment tomorrow morning\n1\n0\n"
    )
    assert "Calling +15145550100 as +15145550136 in this process" in result.stderr
    spoken = result.stdout
    assert "For English, press 9." in spoken and "OK, I will answer in English." in spoken
    assert ", press 1." in spoken and "Shall I book " in spoken
    # The demo clinic may be open or closed when this runs: 0 either puts the call through or gives its hours.
    assert "transfer to +15145550199" in spoken or "call the clinic at 514-555-0199" in spoken, spoken


def test_chat_refuses_a_number_no_clinic_answers(tmp_path: Path) -> None:
    result = rdvbot(tmp_path, "chat", "--to", "+15145550177")
    assert result.returncode == 2 and "no clinic answers at +15145550177" in result.stderr


def prompts(output: str) -> int:
    """How many times chat or call asked for a line."""
    return sum(line.startswith("vous: ") for line in output.splitlines())


def booked_by(tmp_path: Path, phone: str) -> list[Appointment]:
    """The appointments of the patient with this number in the database the test's server uses."""
    database = Database(f"sqlite:///{tmp_path / 'rdvbot.db'}")
    with database.transaction() as session:
        found = list(session.scalars(select(Appointment).join(Patient).where(Patient.phone == phone)))
    database.dispose()
    return found


def test_chat_books_through_the_running_server_and_another_chat_finds_it(
    server: str, tmp_path: Path, demo_clinics: ClinicsFile
) -> None:
    # A Monday of an open week, well within the three weeks of slots the server generated: never a closed day.
    day = day_label(quiet_monday(demo_clinics.clinics[0]), "fr")
    booking = rdvbot(tmp_path, "chat", "--url", server, "--from", "514-555-0137", stdin=f"rdv {day} matin\n1\noui\n")
    assert booking.returncode == 0, booking.stderr
    assert f"Texting +15145550100 as +15145550137 at {server}. Empty line or Ctrl-D to quit." in booking.stderr
    assert f"Disponible le {day} matin:" in booking.stdout and "Confirmer le " in booking.stdout
    assert f"C'est réservé: {day} à " in booking.stdout, booking.stdout
    assert "Aborted!" not in booking.stdout + booking.stderr, "the end of input (Ctrl-D) ends the chat cleanly"
    [appointment] = booked_by(tmp_path, "+15145550137")
    assert appointment.status == AppointmentStatus.BOOKED and appointment.channel == Channel.SMS
    # Another process, the same server: the conversation above is the server's, not the first process's.
    asking = rdvbot(tmp_path, "chat", "--url", server, "--from", "514-555-0137", stdin="c'est quand mon rdv?\n\nrdv\n")
    assert asking.returncode == 0, asking.stderr
    assert f"Votre rendez-vous: {day} à " in asking.stdout, asking.stdout
    assert prompts(asking.stdout) == 2, "the empty line ended the chat: what follows it is not sent"
    assert "Aborted!" not in asking.stdout + asking.stderr


TOKEN = "e2e-auth-token"
PUBLIC_BASE_URL = "https://rdv.example.org"


@pytest.mark.parametrize("server", [{"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL}], indirect=True)
def test_call_is_signed_for_the_url_the_server_checks(server: str, tmp_path: Path) -> None:
    # Behind PUBLIC_BASE_URL the server checks signatures against it, query string included, not the URL it is
    # called at: a call that gets past the greeting was signed for it.
    signed = {"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL}
    call = rdvbot(tmp_path, "call", "--url", server, "--from", "514-555-0138", stdin="9\n.\n\n1\n", **signed)
    assert call.returncode == 0, call.stderr
    assert 'silence: "."; hang up: empty line or Ctrl-D.' in call.stderr
    assert "OK, I will answer in English." in call.stdout and "I did not hear you." in call.stdout, call.stdout
    assert prompts(call.stdout) == 3, "the empty line hung up: the 1 after it is not pressed"
    assert "Aborted!" not in call.stdout + call.stderr
    hung_up = rdvbot(tmp_path, "call", "--url", server, "--from", "514-555-0139", stdin="9\n", **signed)
    assert hung_up.returncode == 0 and "OK, I will answer in English." in hung_up.stdout, hung_up.stderr
    assert "Aborted!" not in hung_up.stdout + hung_up.stderr, "the end of input (Ctrl-D) hangs up cleanly"
    wrong = rdvbot(tmp_path, "chat", "--url", server, stdin="rdv\n", TWILIO_AUTH_TOKEN="not-the-servers")
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines()[-1] == (
        "rdvbot: POST /twilio/sms answered 403: the server refused the signature; give this command the server's "
        "TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL"
    )


@pytest.mark.parametrize("command", ["chat", "call"])
def test_chat_and_call_say_so_in_one_line_when_no_server_answers(tmp_path: Path, command: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = rdvbot(tmp_path, command, "--url", url, stdin="rdv\n")
    assert result.returncode == 2
    assert result.stderr == (
        f"rdvbot: nothing answers at {url} — start `rdvbot serve` in another terminal, or use --local\n"
    )
    assert not (tmp_path / "rdvbot.db").exists(), "over HTTP the database is the server's: nothing is created here"


def test_serve_without_a_token_warns_once(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        assert get_json(f"{served.base}/readyz")[0] == 200  # the worker has built its app
    assert served.output.count("TWILIO_AUTH_TOKEN is not set") == 1, served.output
    assert "WARNING: TWILIO_AUTH_TOKEN is not set, so Twilio signatures are NOT checked." in served.output
