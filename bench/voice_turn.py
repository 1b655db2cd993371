"""Benchmark of the voice line: concurrent calls through the real app under gunicorn, with SMS turns beside them.

Not a test (pytest never collects it). Run `python -m bench.voice_turn --help`; the report goes to
bench/reports/voice_turn.md and .json.

The app runs as `rdvbot serve` would run it with Redis (gunicorn's asgi worker, the SMS bench's settings), on a fresh
SQLite database seeded with the demo clinic. `--calls` callers are on the line at once: each is greeted, asks for an
appointment by speech, picks a slot with the keypad and declines to book it (so that slots last the whole run), then
hangs up and calls again, with a pause before each answer as a caller speaking would take. The same number of
patients texting the same requests run beside them in a second phase, on the same server, for the SMS figure.
Every request is signed as Twilio signs it. Target: a gather turn's p99 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from bench.sms_turn import (
    ACCOUNT_SID,
    APP_SPEC,
    CLINIC_NUMBER,
    PUBLIC_BASE_URL,
    REPORTS,
    HttpConnection,
    clean_env,
    gunicorn,
    machine_facts,
    patient_numbers,
    percentile,
    redis_state,
    scratch_database,
)

TARGET_P99_MS = 300.0
TOKEN = "voice-bench-token"


class VoiceSigner:
    """Twilio-shaped voice (or SMS) webhook bodies with their X-Twilio-Signature."""

    def __init__(self) -> None:
        self.validator = RequestValidator(TOKEN)

    def sign(self, path: str, form: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(PUBLIC_BASE_URL + path, form),
        }
        return urlencode(form).encode(), headers


@dataclass
class Timings:
    """Reply times in seconds, and what went wrong."""

    greetings: list[float] = field(default_factory=list)
    turns: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def post(connection: HttpConnection, signer: VoiceSigner, path: str, form: dict[str, str]) -> tuple[float, bytes]:
    body, headers = signer.sign(path, form)
    began = time.perf_counter()
    status, data = await connection.request("POST", path, body, headers)
    if status != 200:
        raise RuntimeError(f"HTTP {status} for {path}")
    return time.perf_counter() - began, data


async def caller(port: int, number: str, until: float, pause: tuple[float, float], timings: Timings) -> None:
    """Call again and again until `until`: greeting, an appointment asked by speech, a key, a no."""
    signer, rng, connection = VoiceSigner(), random.Random(number), HttpConnection(port)
    try:
        while time.monotonic() < until:
            call = {"CallSid": f"CA{uuid.uuid4().hex}", "AccountSid": ACCOUNT_SID, "From": number, "To": CLINIC_NUMBER}
            seconds, twiml = await post(connection, signer, "/twilio/voice", call)
            timings.greetings.append(seconds)
            for answer in ({"SpeechResult": "un rendez-vous demain matin"}, {"Digits": "1"}, {"Digits": "2"}):
                gather = ElementTree.fromstring(twiml).find("Gather")
                if gather is None:
                    timings.errors.append("no Gather")
                    break
                await asyncio.sleep(rng.uniform(*pause))
                seconds, twiml = await post(connection, signer, gather.attrib["action"], call | answer)
                timings.turns.append(seconds)
    except (OSError, RuntimeError, asyncio.IncompleteReadError) as failure:
        timings.errors.append(f"{type(failure).__name__}: {failure}")
    finally:
        await connection.close()


async def texter(port: int, number: str, until: float, pause: tuple[float, float], timings: Timings) -> None:
    """The same requests by text: an appointment, a pick, a no."""
    signer, rng, connection = VoiceSigner(), random.Random(number), HttpConnection(port)
    try:
        while time.monotonic() < until:
            for text in ("un rendez-vous demain matin", "1", "non"):
                await asyncio.sleep(rng.uniform(*pause))
                form = {"MessageSid": f"SM{uuid.uuid4().hex}", "AccountSid": ACCOUNT_SID, "From": number}
                seconds, _ = await post(connection, signer, "/twilio/sms", form | {"To": CLINIC_NUMBER, "Body": text})
                timings.turns.append(seconds)
    except (OSError, RuntimeError, asyncio.IncompleteReadError) as failure:
        timings.errors.append(f"{type(failure).__name__}: {failure}")
    finally:
        await connection.close()


def summary(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"count": len(ms), "p50_ms": round(percentile(ms, 50), 1), "p99_ms": round(percentile(ms, 99), 1)}


async def measure(port: int, args: argparse.Namespace) -> dict[str, Any]:
    pause = (args.pause_min, args.pause_max)
    callers = patient_numbers()[: args.calls]
    voice = Timings()
    until = time.monotonic() + args.seconds
    await asyncio.gather(*(caller(port, n, until, pause, voice) for n in callers))
    sms = Timings()
    until = time.monotonic() + args.seconds
    await asyncio.gather(*(texter(port, n, until, pause, sms) for n in callers))
    return {
        "greeting": summary(voice.greetings),
        "gather_turn": summary(voice.turns),
        "sms_turn": summary(sms.turns),
        "errors": {"voice": voice.errors[:5], "sms": sms.errors[:5]},
        "turns_per_s": round(len(voice.turns) / args.seconds, 1),
    }


def render(report: dict[str, Any]) -> str:
    gather, sms, greeting = report["gather_turn"], report["sms_turn"], report["greeting"]
    ratio = report["ratio_to_target"]
    return f"""# Voice turn benchmark

{report["when"]}; {report["calls"]} calls at once for {report["seconds"]} s (then as many texters), a pause of
{report["pause_s"]} s before each answer; gunicorn {report["workers"]} workers × {report["threads"]} threads, SQLite,
Redis state. Machine: {report["machine"]["cores"]} cores, {report["machine"]["cpu"]}.

| turn | count | p50 | p99 | target | p99 / target |
|---|---:|---:|---:|---:|---:|
| voice gather | {gather["count"]} | {gather["p50_ms"]} ms | {gather["p99_ms"]} ms | ≤ 300 ms | {ratio} |
| voice greeting | {greeting["count"]} | {greeting["p50_ms"]} ms | {greeting["p99_ms"]} ms | | |
| SMS (beside) | {sms["count"]} | {sms["p50_ms"]} ms | {sms["p99_ms"]} ms | | |

Voice gather p99 / SMS p99: **{report["ratio_to_sms"]}**; {report["turns_per_s"]} gather turns/s; errors:
{report["errors"]}.
"""


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100, help="callers on the line at once")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--pause-min", type=float, default=1.0, help="shortest pause before an answer (s)")
    parser.add_argument("--pause-max", type=float, default=3.0, help="longest pause before an answer (s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        with scratch_database("sqlite", "", folder) as (url, _), redis_state(12) as (redis_url, _):
            env = clean_env(
                DATABASE_URL=url, REDIS_URL=redis_url, TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC_BASE_URL
            )
            with gunicorn("app", APP_SPEC, env, args.workers, args.threads, folder / "app.log") as server:
                asyncio.run(server.wait_healthy())
                measured = asyncio.run(measure(server.port, args))
    gather_p99, sms_p99 = measured["gather_turn"]["p99_ms"], measured["sms_turn"]["p99_ms"]
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "calls": args.calls,
        "seconds": args.seconds,
        "pause_s": f"{args.pause_min}–{args.pause_max}",
        "workers": args.workers,
        "threads": args.threads,
        "machine": machine_facts(),
        **measured,
        "ratio_to_target": round(gather_p99 / TARGET_P99_MS, 3),
        "ratio_to_sms": round(gather_p99 / sms_p99, 3) if sms_p99 else None,
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "voice_turn.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (REPORTS / "voice_turn.md").write_text(render(report), encoding="utf-8")
    print(render(report))


if __name__ == "__main__":
    main()
