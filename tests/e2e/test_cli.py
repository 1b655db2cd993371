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
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.models import Appointment, Slot
from bot.db.session import Database
from tests.helpers import quiet_monday


def rdvbot_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: nothing configured but a database file in the test's folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("RDVBOT_", "TWILIO_", "REDIS_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'rdvbot.db'}"
    env.update(extra)
    return env


def rdvbot(tmp_path: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rdvbot", *args],
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


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """`rdvbot serve` in its own process on a free port; yields its base URL once /healthz answers."""
    extra: dict[str, str] = getattr(request, "param", {})
    port = free_port()
    args = [sys.executable, "-m", "rdvbot", "serve", "--port", str(port), *extra.pop("args", "").split()]
    process = subprocess.Popen(
        args,
        env=rdvbot_env(tmp_path, **extra),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"rdvbot serve exited with {process.returncode}: {process.stdout.read()}")  # type: ignore[union-attr]
            try:
                if get_json(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("rdvbot serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


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
    ):
        result = rdvbot(tmp_path, *command, "--help")
        assert result.returncode == 0 and "Usage: " in result.stdout, command


def test_chat_texts_the_bot_through_the_signed_webhook(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rdvbot", "chat", "--from", "514-555-0135"],
        input="rdv demain matin\n\n",
        env=rdvbot_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Texting +15145550100 as +15145550135" in result.stderr
    assert "1) " in result.stdout and "GSM-7" in result.stdout and " SMS, " in result.stdout


def test_call_speaks_with_the_bot_through_the_signed_voice_webhooks(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rdvbot", "call", "--from", "514-555-0136"],
        input="9\nan appointment tomorrow morning\n1\n0\n",
        env=rdvbot_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Calling +15145550100 as +15145550136" in result.stderr
    spoken = result.stdout
    assert "For English, press 9." in spoken and "OK, I will answer in English." in spoken
    assert ", press 1." in spoken and "Shall I book " in spoken
    # The demo clinic may be open or closed when this runs: 0 either puts the call through or gives its hours.
    assert "transfer to +15145550199" in spoken or "call the clinic at 514-555-0199" in spoken, spoken


def test_chat_refuses_a_number_no_clinic_answers(tmp_path: Path) -> None:
    result = rdvbot(tmp_path, "chat", "--to", "+15145550177")
    assert result.returncode == 2 and "no clinic answers at +15145550177" in result.stderr
