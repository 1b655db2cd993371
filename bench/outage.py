"""Benchmark of an outage: a clinic's FHIR system hangs, then comes back with requests kept in the outbox.

Not a test (pytest never collects it). Run `python -m bench.outage --help`; the report goes to
bench/reports/outage.md and .json.

The real app answers signed SMS webhooks (Flask's test client, the assistant's own turn threads and deadline) for
a clinic whose system of record is the local FHIR test server. Measured:

1. the reply time while the back-end hangs and the breaker is still closed (a wave of patients writing at once:
   each turn waits what its deadline allows), target p99 <= 3 s;
2. the reply time once the breaker is open (the answer no longer waits for the back-end), target p99 <= 100 ms;
3. the outbox drain once the back-end is back: requests replayed per second against the configured pace.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bench.sms_turn import percentile
from bot.bootstrap import Services, bootstrap, build_assistant, build_replayer, prepare_database
from bot.channels.sms_sender import TwilioSender
from bot.outbox import store
from bot.settings import Settings
from fakes.fhir_server import FhirTestServer, fhir_clinic_data, make_schedule, make_slot
from fakes.twilio_recorder import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, TwilioRecorder
from rdvbot.chat import SignedSmsClient
from webhooks import create_app

REPORTS = Path(__file__).parent / "reports"
CLINIC_NUMBER = "+15145550101"
TOKEN = "bench-auth-token"
BASE_URL = "https://rdv.example.org"
SCHEDULES = {"owl": "owl-sched", "lark": "lark-sched"}
TARGET_BEFORE_OPEN_MS, TARGET_AFTER_OPEN_MS = 3000.0, 100.0
#: Failures that open the bench clinic's breaker: the first wave is at least this many patients, so that the phase
#: timed as "breaker open" really is.
FAIL_MAX = 5


@dataclass(frozen=True)
class Latencies:
    """Reply times of one phase, in milliseconds."""

    turns: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latencies:
        ms = [s * 1000 for s in seconds]
        return cls(len(ms), round(percentile(ms, 50), 1), round(percentile(ms, 99), 1), round(max(ms), 1))


def stock(server: FhirTestServer, days: int) -> None:
    """owl's and lark's Schedules with a slot every 20 minutes, 8:00 to 17:00, for `days` days from tomorrow."""
    zone = ZoneInfo("America/Toronto")
    server.add(make_schedule("owl-sched", "Practitioner/owl"))
    server.add(make_schedule("lark-sched", "Practitioner/lark"))
    first = datetime.now(zone).date() + timedelta(days=1)
    for day in (first + timedelta(days=n) for n in range(days)):
        for practitioner in ("owl", "lark"):
            for minutes in range(8 * 60, 17 * 60, 20):
                start = datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=zone)
                slot_id = f"{practitioner}-{day:%m%d}-{minutes}"
                server.add(make_slot(slot_id, f"{practitioner}-sched", start, start + timedelta(minutes=20)))


def wire(folder: Path, server: FhirTestServer, redis_url: str | None, pace_per_minute: float) -> Services:
    clinics = fhir_clinic_data(
        server.base_url, SCHEDULES, fail_max=FAIL_MAX, reset_s=600, replay_per_minute=pace_per_minute
    )
    path = folder / "clinics.yaml"
    path.write_text(yaml.safe_dump(clinics), encoding="utf-8")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'outage.db'}",
        redis_url=redis_url,
        twilio_auth_token=TOKEN,
        public_base_url=BASE_URL,
        clinics_file=path,
    )
    services = bootstrap(settings)
    prepare_database(services)
    return services


def turns(services: Services, patients: int, texts: int, workers: int) -> list[float]:
    """`patients` patients each texting `texts` times, `workers` at once; each reply's time."""
    app = create_app({"TESTING": True, "SERVICES": services})

    def one_patient(n: int) -> list[float]:
        client = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, f"+1514555{n:04d}")
        times = []
        for _ in range(texts):
            began = time.perf_counter()
            client.send("rdv demain matin")
            times.append(time.perf_counter() - began)
        return times

    with ThreadPoolExecutor(workers) as pool:
        return [t for times in pool.map(one_patient, range(patients)) for t in times]


def drain(services: Services, server: FhirTestServer, kept: int) -> dict[str, Any]:
    """Keep `kept` bookings of distinct slots, then drain them through the twilio SDK to a local recorder."""
    slots = [r for r in server.resources("Slot") if r["status"] == "free"][:kept]
    for n, slot in enumerate(slots):
        wanted = {"id": slot["id"], "start": slot["start"], "practitioner": slot["id"].split("-")[0]}
        store.keep(services.database, "night", f"+1514555{9000 + n:04d}", "fr", "book", {"slot": wanted})
    services.booking["night"].record.probe()  # the health probe sees the back-end answer again: breaker closed
    with TwilioRecorder() as recorder:
        replayer = build_replayer(services, build_assistant(services))
        replayer.sender = TwilioSender(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, api_base_url=recorder.base_url)
        began = time.perf_counter()
        handled = replayer.drain()
        elapsed = time.perf_counter() - began
        texted = len(recorder.messages)
    booked = sum(1 for a in server.resources("Appointment") if a["status"] == "booked")
    return {"kept": kept, "handled": handled, "texted": texted, "booked": booked, "seconds": round(elapsed, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=24, help="patients writing at once as the back-end hangs")
    parser.add_argument("--after-turns", type=int, default=400, help="turns timed once the breaker is open")
    parser.add_argument("--kept", type=int, default=40, help="requests kept in the outbox before it comes back")
    parser.add_argument("--pace", type=float, default=120.0, help="configured replay pace, requests per minute")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"), help="share breaker and pace (optional)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, FhirTestServer() as server:
        stock(server, days=7)
        services = wire(Path(folder), server, args.redis_url, args.pace)
        healthy = Latencies.of(turns(services, 8, 5, 8))
        server.set_fault("hang")
        wave = max(args.patients, FAIL_MAX)
        before = Latencies.of(turns(services, wave, 1, wave))
        breaker = services.booking["night"].record.breaker.current_state
        after = Latencies.of(turns(services, args.after_turns // 10, 10, 16))
        server.clear_fault()
        replay = drain(services, server, args.kept)

    # The first request goes at once (the bucket holds one token): the pace shows between the first and the last.
    rate = (replay["handled"] - 1) / replay["seconds"] if replay["seconds"] else 0.0
    configured = args.pace / 60
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "redis": bool(args.redis_url),
        "healthy": asdict(healthy),
        "hanging_breaker_closed": asdict(before),
        "breaker_after_wave": breaker,
        "hanging_breaker_open": asdict(after),
        "ratio_p99_before_open_to_target": round(before.p99_ms / TARGET_BEFORE_OPEN_MS, 3),
        "ratio_p99_after_open_to_target": round(after.p99_ms / TARGET_AFTER_OPEN_MS, 3),
        "drain": replay,
        "drain_rate_per_s": round(rate, 2),
        "configured_pace_per_s": round(configured, 2),
        "ratio_drain_to_pace": round(rate / configured, 3),
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "outage.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (REPORTS / "outage.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))


def _row(phase: str, latencies: dict[str, Any], target: str = "", ratio: object = "") -> str:
    timing = f"{latencies['p50_ms']} ms | {latencies['p99_ms']} ms | {latencies['max_ms']} ms"
    return f"| {phase} | {latencies['turns']} | {timing} | {target} | {ratio} |"


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown."""
    drained = report["drain"]
    rows = "\n".join(
        [
            _row("back-end healthy", report["healthy"]),
            _row(
                "back-end hangs, breaker closed",
                report["hanging_breaker_closed"],
                "≤ 3000 ms",
                report["ratio_p99_before_open_to_target"],
            ),
            _row(
                "back-end hangs, breaker open",
                report["hanging_breaker_open"],
                "≤ 100 ms",
                report["ratio_p99_after_open_to_target"],
            ),
        ]
    )
    return f"""# Outage benchmark

{report["when"]} on {report["machine"]}; breaker and pace shared through Redis: {report["redis"]}.

| phase | turns | p50 | p99 | max | target | p99 / target |
|---|---:|---:|---:|---:|---:|---:|
{rows}

Breaker after the first wave: **{report["breaker_after_wave"]}**.

Outbox drain once the back-end is back: {drained["kept"]} kept, {drained["handled"]} handled, {drained["booked"]} booked
on the FHIR server, {drained["texted"]} texted, in {drained["seconds"]} s: **{report["drain_rate_per_s"]} requests/s
against a configured pace of {report["configured_pace_per_s"]}/s** (ratio {report["ratio_drain_to_pace"]}; the pace
is a ceiling, so at most 1 is right, and near 1 when the back-end is faster than the pace).
"""


if __name__ == "__main__":
    main()
