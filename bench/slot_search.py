"""Benchmark of `SqlScheduler.search`: "the earliest 3 free slots of clinic X tomorrow morning".

Not a test (pytest never collects it). Run `python -m bench.slot_search --help`; the report goes to
bench/reports/slot_search.md and .json. Each (database, size) pair gets a fresh schema built by the
Alembic migrations, because they add what the models alone do not (triggers, exclusion constraints).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import psycopg
import sqlalchemy
from sqlalchemy import Connection, Integer, Table, insert, make_url, text

from bench.scratch import scratch_postgres
from bot.booking.sql import SqlScheduler
from bot.clinics.config import ClinicsFile
from bot.core.booking import SlotSearch
from bot.core.vocabulary import PartOfDay
from bot.db.migrate import upgrade
from bot.db.models import Base
from bot.db.session import Database

CLINICS = 1_000
PRACTITIONERS_PER_CLINIC = 3
PATIENTS = 2_000
SLOT_MINUTES = 20
DAY_HOURS = (8, 17)  # local opening hours of every practitioner, Monday to Friday
ZONE = "America/Toronto"
BOOKED, CANCELLED = 0.20, 0.03  # cancelled appointments leave their slot free: the status filter matters
CHUNK = 10_000
WARMUP = 200
SEED = 20261123  # fixed, so two runs query the same clinics over the same data
TARGET_P99_MS, TARGET_GROWTH, TARGET_SIZE = 5.0, 1.5, 1_000_000
#: Canadian area codes; with 555-0100..0199 (fictional, house rule) they give 3,900 valid unique numbers.
# fmt: off
AREA_CODES = (
    204, 226, 236, 249, 250, 289, 306, 343, 365, 403, 416, 418, 431, 437, 438, 450, 506, 514, 519, 548,
    579, 581, 587, 604, 613, 639, 647, 705, 709, 778, 780, 782, 807, 819, 825, 867, 873, 902, 905,
)
# fmt: on
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
REPORTS = Path(__file__).resolve().parent / "reports"


@dataclass
class Result:
    """One (database, size) measurement."""

    database: str
    slots: int
    seed_s: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    queries: int
    mean_found: float  # slots returned per query: proves the query finds what the bot would offer


def fictional_numbers() -> Iterator[str]:
    """E.164 numbers +1 AAA 555 01XX, each checked valid by phonenumbers (as ClinicConfig will)."""
    for area in AREA_CODES:
        for line in range(100, 200):
            number = phonenumbers.parse(f"+1{area}5550{line}")
            if phonenumbers.is_valid_number(number):
                yield phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def build_clinics(numbers: Sequence[str]) -> ClinicsFile:
    """1,000 minimal clinics `bench-0000`... with 3 practitioners each; `numbers` must hold one per clinic."""
    return ClinicsFile.model_validate(
        {
            "clinics": [
                {
                    "id": f"bench-{i:04d}",
                    "name": {"fr": f"Clinique {i}", "en": f"Clinic {i}"},
                    "sms_number": numbers[i],
                    "phone": numbers[i],
                    "address": f"{i} rue Principale, Montréal",
                    "timezone": ZONE,
                    "practitioners": [
                        {"id": f"p{k}", "name": {"fr": f"Dr {k}", "en": f"Dr {k}"}}
                        for k in range(PRACTITIONERS_PER_CLINIC)
                    ],
                }
                for i in range(CLINICS)
            ]
        }
    )


def next_weekday(today: date) -> date:
    """Tomorrow, or the Monday after when tomorrow is a weekend (slots exist on weekdays only)."""
    day = today + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def slot_rows(size: int, first_day: date, now: datetime) -> Iterator[dict[str, Any]]:
    """`size` slots, day by day, time by time, across all practitioners: each clinic gets an equal share."""
    zone, practitioners, next_id, day = ZoneInfo(ZONE), CLINICS * PRACTITIONERS_PER_CLINIC, 1, first_day
    per_day = (DAY_HOURS[1] - DAY_HOURS[0]) * 60 // SLOT_MINUTES
    while next_id <= size:
        if day.weekday() < 5:
            for n in range(per_day):
                # Wall-clock arithmetic in the clinic's zone, then UTC: what the slot generator stores.
                local = datetime.combine(day, clock(DAY_HOURS[0]), zone) + timedelta(minutes=n * SLOT_MINUTES)
                start = local.astimezone(UTC)
                end = (local + timedelta(minutes=SLOT_MINUTES)).astimezone(UTC)
                for p in range(practitioners):
                    if next_id > size:
                        return
                    yield {
                        "id": next_id,
                        "clinic_id": f"bench-{p // PRACTITIONERS_PER_CLINIC:04d}",
                        "practitioner_id": p + 1,
                        "start_at": start,
                        "end_at": end,
                        "minutes": SLOT_MINUTES,
                        "source": "generated",
                        "created_at": now,
                    }
                    next_id += 1
        day += timedelta(days=1)


def appointment_rows(slots: Iterable[dict[str, Any]], rng: random.Random, now: datetime) -> Iterator[dict[str, Any]]:
    """About 20 % of slots held by a live appointment, 3 % more by a cancelled one."""
    next_id = 1
    for slot in slots:
        draw = rng.random()
        if draw >= BOOKED + CANCELLED:
            continue
        status = "cancelled" if draw >= BOOKED else ("confirmed" if draw < BOOKED / 4 else "booked")
        yield {
            "id": next_id,
            "clinic_id": slot["clinic_id"],
            "practitioner_id": slot["practitioner_id"],
            "slot_id": slot["id"],
            "appointment_type_id": None,
            "patient_id": rng.randint(1, PATIENTS),
            "start_at": slot["start_at"],
            "end_at": slot["end_at"],
            "status": status,
            "channel": "sms",
            "backend": "sql",
            "external_id": None,
            "created_at": now,
            "updated_at": now,
        }
        next_id += 1


def _load(connection: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Bulk-load rows: COPY on PostgreSQL (several times faster), Core executemany in chunks elsewhere."""
    rows = iter(rows)
    if connection.dialect.name == "postgresql":
        columns = [column.name for column in table.columns]
        raw: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
        if isinstance(table.c.id.type, Integer):  # explicit ids bypass the serial: realign it for later
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
                )
            )
        return
    while chunk := list(islice(rows, CHUNK)):
        connection.execute(insert(table), chunk)


def seed(database: Database, clinics: ClinicsFile, size: int, first_day: date, rng: random.Random) -> None:
    """Fill a fresh schema: clinics, practitioners, patients, `size` slots and their appointments; ANALYZE."""
    now, tables = datetime.now(UTC), Base.metadata.tables
    pool = list(fictional_numbers())[CLINICS:]  # the clinics took the first 1,000 numbers
    with database.engine.begin() as connection:
        _load(
            connection,
            tables["clinics"],
            (
                {
                    "id": c.id,
                    "name_fr": c.name.fr,
                    "name_en": c.name.en,
                    "timezone": c.timezone,
                    "sms_number": c.sms_number,
                    "voice_number": c.voice_number,
                    "phone": c.phone,
                    "address": c.address,
                    "created_at": now,
                }
                for c in clinics.clinics
            ),
        )
        _load(
            connection,
            tables["practitioners"],
            (
                {
                    "id": i * PRACTITIONERS_PER_CLINIC + k + 1,
                    "clinic_id": c.id,
                    "key": p.id,
                    "name_fr": p.name.fr,
                    "name_en": p.name.en,
                    "slot_minutes": SLOT_MINUTES,
                    "active": True,
                }
                for i, c in enumerate(clinics.clinics)
                for k, p in enumerate(c.practitioners)
            ),
        )
        _load(
            connection,
            tables["patients"],
            (
                {"id": i + 1, "phone": pool[i], "language": "fr", "opted_out_at": None, "created_at": now}
                for i in range(PATIENTS)
            ),
        )
        _load(connection, tables["slots"], slot_rows(size, first_day, now))
        _load(connection, tables["appointments"], appointment_rows(slot_rows(size, first_day, now), rng, now))
    # Planner statistics as a running system has them (autovacuum on PostgreSQL, PRAGMA optimize on SQLite).
    # On the raw connection: the engine's "begin" hook would wrap these in BEGIN IMMEDIATE, and SQLite
    # cannot checkpoint inside a transaction.
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("ANALYZE")
        if database.dialect == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # queries read the main file, not a huge WAL
        raw.commit()
    finally:
        raw.close()


def measure(
    database: Database, clinics: ClinicsFile, day: date, queries: int, rng: random.Random
) -> tuple[list[float], float]:
    """Time `queries` searches (after a warm-up) for random clinics: ms per call, and mean slots found."""
    scheduler, ids, found = SqlScheduler(database, clinics), [c.id for c in clinics.clinics], 0
    samples: list[float] = []
    for n in range(WARMUP + queries):
        search = SlotSearch(rng.choice(ids), day, day, PartOfDay.MORNING, limit=3)
        started = time.perf_counter()
        offered = scheduler.search(search)
        elapsed = (time.perf_counter() - started) * 1000
        if n >= WARMUP:  # the warm-up fills the connection pool, statement caches and the page cache
            samples.append(elapsed)
            found += len(offered)
    return samples, found / queries


@contextmanager
def scratch_database(kind: str, size: int, admin_url: str) -> Iterator[Database]:
    """A brand-new empty database (temp SQLite file or PostgreSQL database), removed even on error."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="rdvbot-bench-") as folder:
            database = Database(f"sqlite:///{folder}/bench.sqlite3")
            try:
                yield database
            finally:
                database.dispose()
        return
    with scratch_postgres(admin_url, f"rdvbot_bench_{os.getpid()}_{size}") as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()


def run_one(kind: str, size: int, queries: int, admin_url: str, clinics: ClinicsFile) -> tuple[Result, str]:
    """Seed then measure one (database, size); returns the result and the server version."""
    day, rng = next_weekday(datetime.now(ZoneInfo(ZONE)).date()), random.Random(SEED)
    with scratch_database(kind, size, admin_url) as database:
        upgrade(database)
        started = time.perf_counter()
        seed(database, clinics, size, day, rng)
        seed_s = time.perf_counter() - started
        samples, found = measure(database, clinics, day, queries, rng)
        with database.engine.connect() as connection:
            asked = "SELECT sqlite_version()" if kind == "sqlite" else "SHOW server_version"
            version = str(connection.scalar(text(asked)))
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    result = Result(
        kind,
        size,
        round(seed_s, 1),
        round(cuts[49], 3),
        round(cuts[98], 3),
        round(statistics.fmean(samples), 3),
        round(max(samples), 3),
        queries,
        round(found, 2),
    )
    return result, version


def verdicts(results: list[Result]) -> list[dict[str, Any]]:
    """Per database: p99 at 1 M slots against 5 ms, and p99 growth from the smallest to the largest size."""
    out = []
    for kind in dict.fromkeys(r.database for r in results):
        mine = sorted((r for r in results if r.database == kind), key=lambda r: r.slots)
        at_target = next((r for r in mine if r.slots == TARGET_SIZE), None)
        growth = round(mine[-1].p99_ms / mine[0].p99_ms, 2) if len(mine) > 1 else None
        out.append(
            {
                "database": kind,
                "p99_at_1M_ms": at_target.p99_ms if at_target else None,
                "p99_met": None if at_target is None else at_target.p99_ms <= TARGET_P99_MS,
                "growth": growth,
                "growth_sizes": f"{mine[-1].slots:,} / {mine[0].slots:,}",
                "growth_met": None if growth is None else growth <= TARGET_GROWTH,
            }
        )
    return out


def render(report: dict[str, Any]) -> str:
    """The Markdown report."""
    mark = {True: "met", False: "**not met**", None: "n/a"}
    lines = [
        f"# Slot search benchmark — {report['date']}",
        "",
        "`SqlScheduler.search`: earliest 3 free slots of a random clinic, tomorrow morning "
        f"({CLINICS:,} clinics × {PRACTITIONERS_PER_CLINIC} practitioners, {SLOT_MINUTES}-min weekday "
        f"slots, ~{BOOKED:.0%} booked, {CANCELLED:.0%} cancelled; ANALYZEd; {WARMUP} warm-up queries "
        "then the timed ones).",
        "",
        "| database | slots | seed s | p50 ms | p99 ms | mean ms | max ms | queries | slots found |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['database']} | {r['slots']:,} | {r['seed_s']} | {r['p50_ms']} | {r['p99_ms']} "
        f"| {r['mean_ms']} | {r['max_ms']} | {r['queries']:,} | {r['mean_found']} |"
        for r in report["results"]
    ]
    lines += [
        "",
        f"Targets: p99 ≤ {TARGET_P99_MS} ms at {TARGET_SIZE:,} slots; p99 growth "
        f"(largest/smallest size) ≤ {TARGET_GROWTH}×.",
        "",
        "| database | p99 at 1 M | target | growth | target |",
        "|---|---:|---|---:|---|",
    ]
    for v in report["verdicts"]:
        p99 = "n/a" if v["p99_at_1M_ms"] is None else f"{v['p99_at_1M_ms']} ms"
        growth = "n/a" if v["growth"] is None else f"{v['growth']}× ({v['growth_sizes']})"
        lines.append(f"| {v['database']} | {p99} | {mark[v['p99_met']]} | {growth} | {mark[v['growth_met']]} |")
    lines += [
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items()),
        "",
        f"Command: `{report['command']}`",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line, run every (database, size), print and write the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.slot_search", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="slot counts, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument("--queries", type=int, default=2_000, help="timed queries per run, after the warm-up")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_PG_URL,
        help="any database on the server; a scratch database is created beside it",
    )
    parser.add_argument("--report-dir", type=Path, default=REPORTS, help="where slot_search.md/.json go")
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",")]
    kinds = [kind.strip() for kind in args.databases.split(",")]
    if unknown := set(kinds) - {"sqlite", "postgresql"}:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    if args.queries < 100:  # fewer samples make p99 meaningless
        parser.error("--queries must be at least 100")
    clinics = build_clinics(list(islice(fictional_numbers(), CLINICS)))
    machine: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg": psycopg.__version__,
        "sqlite": sqlite3.sqlite_version,
    }
    results: list[Result] = []
    started = time.perf_counter()
    for kind in kinds:
        for size in sizes:
            result, version = run_one(kind, size, args.queries, args.postgres_url, clinics)
            machine[kind] = version
            results.append(result)
            print(
                f"{kind:>10} {size:>9,} slots: seed {result.seed_s:6.1f} s  p50 {result.p50_ms:7.3f} ms  "
                f"p99 {result.p99_ms:7.3f} ms  found {result.mean_found}",
                flush=True,
            )
    shown = make_url(args.postgres_url).render_as_string(hide_password=True)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "total_s": round(time.perf_counter() - started, 1),
        "command": f"python -m bench.slot_search --sizes {','.join(map(str, sizes))} --databases "
        f"{','.join(kinds)} --queries {args.queries} --postgres-url {shown}",
        "machine": machine,
        "results": [asdict(r) for r in results],
        "verdicts": verdicts(results),
    }
    args.report_dir.mkdir(parents=True, exist_ok=True)
    markdown = render(report)
    (args.report_dir / "slot_search.md").write_text(markdown, encoding="utf-8")
    (args.report_dir / "slot_search.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("\n" + markdown + f"\nTotal {report['total_s']} s; report in {args.report_dir}/slot_search.md")


if __name__ == "__main__":
    main()
