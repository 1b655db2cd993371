"""`rdvbot …` commands. Operator mistakes end with one clear line on stderr and exit status 2."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import NoReturn, TypeVar
from urllib.parse import urlsplit

import click
from rq import Queue

from bot.booking.appointment_import import import_csv
from bot.booking.outage import end_outage, start_outage
from bot.booking.slot_supply import generate_slots, import_slots
from bot.bootstrap import (
    SLOT_HORIZON_DAYS,
    Services,
    action_dependencies,
    bootstrap,
    build_assistant,
    build_reminder_sender,
    build_replayer,
    migrate_and_sync,
    prepare_database,
    purge_old_data,
)
from bot.clinics.config import ClinicsFileError, to_e164
from bot.core.clock import utcnow
from bot.db.api_tokens import create_token
from bot.db.migrate import upgrade
from bot.db.models import OUTAGE_MESSAGE_MAX
from bot.db.session import DatabaseUnavailable
from bot.outbox.store import waiting
from bot.outbox.worker import QUEUE_NAME, DependenciesWorker, JobDependencies, schedule_drain, schedule_purge
from bot.settings import SettingsError
from bot.state.masking import mask_number, redact_logs
from rdvbot.action_server import action_executor, serve_actions
from rdvbot.call import SILENCE, SignedCallClient, run_call
from rdvbot.chat import (
    FlaskTransport,
    HttpTransport,
    ServerUnreachable,
    SignedSmsClient,
    Transport,
    WebhookFailed,
    run_chat,
    signing_services,
    signing_token,
)
from rdvbot.server import is_loopback
from rdvbot.server import serve as run_server
from webhooks import create_app

#: Where `rdvbot serve` listens by default, and so where chat and call look for it.
SERVE_HOST = "127.0.0.1"
SERVE_PORT = 5000
DEFAULT_SERVER_URL = f"http://{SERVE_HOST}:{SERVE_PORT}"


def fail(message: str) -> NoReturn:
    """Print `rdvbot: message` on stderr and exit with status 2."""
    click.echo(f"rdvbot: {message}", err=True)
    sys.exit(2)


@contextmanager
def wired() -> Iterator[Services]:
    """Services from the environment; a bad clinics file or an unreachable database ends the command cleanly."""
    try:
        services = bootstrap()
        yield services
    except ClinicsFileError as error:
        fail(f"bad clinics file: {error}")
    except SettingsError as error:
        fail(str(error))
    except DatabaseUnavailable as error:
        fail(str(error))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """rdvbot: SMS and voice booking assistant for clinics.

    Configured through environment variables: DATABASE_URL, REDIS_URL, TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL, RDVBOT_CLINICS, RDVBOT_API_TOKEN, RDVBOT_ACTIONS_TOKEN, RDVBOT_SPOOL_DIR,
    RDVBOT_SECRET_KEY, RDVBOT_PROXY_HOPS, TWILIO_API_URL (see README).
    """
    redact_logs()


@main.command()
@click.option("--host", default=SERVE_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", default=SERVE_PORT, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--workers", type=click.IntRange(1, 64), help="Processes (only with REDIS_URL; default 2).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Threads per process.")
def serve(host: str, port: int, workers: int | None, threads: int) -> None:
    """Run the web app under gunicorn (a database that is new gets the demo data)."""
    with wired() as services:
        settings = services.settings
        if not settings.twilio_auth_token:
            if not is_loopback(host):
                fail(
                    f"refusing to listen on {host} without TWILIO_AUTH_TOKEN: Twilio signatures could not be "
                    "checked. Set TWILIO_AUTH_TOKEN, or listen on 127.0.0.1."
                )
            click.secho(
                "WARNING: TWILIO_AUTH_TOKEN is not set, so Twilio signatures are NOT checked. "
                "Listening on loopback only; never expose this server.",
                fg="yellow",
                err=True,
            )
        elif not settings.public_base_url and not is_loopback(host):
            fail(
                f"refusing to listen on {host} without PUBLIC_BASE_URL: Twilio signs the URL it calls, which this "
                "server cannot know behind a proxy or TLS. Set PUBLIC_BASE_URL (e.g. https://rdv.example.org)."
            )
        if settings.redis_url is None and workers not in (None, 1):
            fail("--workers above 1 needs REDIS_URL: without Redis, conversation state lives in one process")
        processes = workers or (2 if settings.redis_url else 1)
        prepare_database(services)
        state = "Redis" if settings.redis_url else "in-process state"
        click.echo(
            f"rdvbot: serving on http://{host}:{port} ({services.database.safe_url}, {state}, "
            f"{processes} process(es) x {threads} threads)",
            err=True,
        )
        services.database.dispose()
    run_server(host, port, processes, threads)


def _numbers(services: Services, patient: str, clinic_number: str | None, default: str) -> tuple[str, str]:
    """(patient, clinic number) in E.164; a number that does not parse, or that no clinic answers, ends the
    command."""
    try:
        patient_e164 = to_e164(patient)
        clinic_e164 = to_e164(clinic_number) if clinic_number else default
    except ValueError as error:
        fail(str(error))
    if services.clinics.by_number(clinic_e164) is None:
        fail(f"no clinic answers at {clinic_e164}")
    return patient_e164, clinic_e164


F = TypeVar("F", bound=Callable[..., None])


def _reaching_the_app(command: F) -> F:
    """The `--url` and `--local` options of chat and call."""
    local = click.option(
        "--local",
        is_flag=True,
        help="Build the app in this process (on a database prepared here) instead of talking to a server.",
    )
    url = click.option(
        "--url",
        default=DEFAULT_SERVER_URL,
        show_default=True,
        help="The running server (`rdvbot serve`); requests are signed with TWILIO_AUTH_TOKEN, for PUBLIC_BASE_URL "
        "when it is set.",
    )
    return url(local(command))


@dataclass(frozen=True)
class _Reached:
    """How chat and call reach the app: through which transport, signing with what token for which base URL."""

    transport: Transport
    token: str
    base_url: str
    where: str  # for the first line printed


@contextmanager
def _reached(services: Services, url: str, local: bool) -> Iterator[_Reached]:
    """The app, over HTTP at `url` or built here (`local`); no server there, or a webhook that fails, ends the
    command with one line.

    A server checks signatures against its PUBLIC_BASE_URL when set, else against the URL it is called at, with its
    TWILIO_AUTH_TOKEN (none at all without one): this environment's are taken to be the server's. Over HTTP the
    database is the server's business; built here, the app gets a database prepared as `rdvbot serve` would.
    """
    settings = services.settings
    try:
        if local:
            prepare_database(services)
            services, token = signing_services(services)
            base = settings.public_base_url or "http://localhost"
            app = create_app({"SERVICES": services})
            yield _Reached(FlaskTransport(app.test_client(), base), token, base, "in this process")
            return
        if urlsplit(url).scheme not in ("http", "https"):
            fail(f"--url {url}: not an http:// or https:// URL")
        http = HttpTransport(url)
        http.check()
        yield _Reached(http, signing_token(settings), settings.public_base_url or http.base_url, f"at {http.base_url}")
    except ServerUnreachable as unreachable:
        fail(f"nothing answers at {unreachable} — start `rdvbot serve` in another terminal, or use --local")
    except WebhookFailed as error:
        fail(str(error))


def _typed_lines(prompt: str) -> Iterator[str]:
    """Lines typed at `prompt` until an empty line or the end of input (Ctrl-D), which both end cleanly."""
    while True:
        try:
            line = input(f"{prompt}: ")
        except EOFError:
            click.echo()  # the shell's prompt starts on a line of its own
            return
        if not line.strip():
            return
        yield line


@main.command()
@click.option("--from", "patient", default="+15145550123", show_default=True, help="The patient's number.")
@click.option("--to", "clinic_number", help="The clinic's SMS number (default: the first clinic's).")
@_reaching_the_app
def chat(patient: str, clinic_number: str | None, url: str, local: bool) -> None:
    """Text the bot from this terminal through the signed SMS webhook of the server at --url (or of the app built
    here with --local); an empty line or Ctrl-D quits."""
    with wired() as services:
        patient_e164, clinic_e164 = _numbers(services, patient, clinic_number, services.clinics.clinics[0].sms_number)
        with _reached(services, url, local) as app:
            client = SignedSmsClient(app.transport, app.token, app.base_url, clinic_e164, patient_e164)
            click.echo(f"Texting {clinic_e164} as {patient_e164} {app.where}. Empty line or Ctrl-D to quit.", err=True)
            run_chat(client, _typed_lines("vous"), click.echo)


@main.command()
@click.option("--from", "caller", default="+15145550123", show_default=True, help="The caller's number.")
@click.option("--to", "clinic_number", help="The clinic's voice number (default: the first clinic's).")
@_reaching_the_app
def call(caller: str, clinic_number: str | None, url: str, local: bool) -> None:
    """Call the bot from this terminal through the signed voice webhooks of the server at --url (or of the app built
    here with --local): shows what would be said; answer with digits (keys), words (speech) or a lone "." (silence);
    an empty line or Ctrl-D hangs up."""
    with wired() as services:
        first = services.clinics.clinics[0]
        caller_e164, clinic_e164 = _numbers(services, caller, clinic_number, first.voice_number or first.sms_number)
        with _reached(services, url, local) as app:
            phone = SignedCallClient(app.transport, app.token, app.base_url, clinic_e164, caller_e164)
            click.echo(
                f"Calling {clinic_e164} as {caller_e164} {app.where}. Keys: digits; speech: words; silence: "
                f'"{SILENCE}"; hang up: empty line or Ctrl-D.',
                err=True,
            )
            run_call(phone, _typed_lines("vous"), click.echo)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5055, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
def actions(host: str, port: int) -> None:
    """Run rdvbot's actions in rasa-sdk's own action server (POST /webhook, GET /health, GET /actions).

    Needs RDVBOT_ACTIONS_TOKEN: every call presents it, and an action acts only for a patient whose number the
    channel signed with it (see README)."""
    with wired() as services:
        secret = services.settings.actions_token
        if not secret:
            fail("RDVBOT_ACTIONS_TOKEN is not set: the action server would act for anyone who reaches it")
        services.database.check()
        executor = action_executor(action_dependencies(services))
    serve_actions(executor, secret, host, port)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the schema, or upgrade it to the latest migration."""
    with wired() as services:
        services.database.check()
        upgrade(services.database)
        click.echo(f"database at {services.database.safe_url} is up to date")


@main.command("seed-demo")
def seed_demo() -> None:
    """Load the clinics (the demo clinic by default), their slots and a few booked appointments."""
    with wired() as services:
        prepare_database(services, seed_demo=True)
        names = ", ".join(clinic.name.fr for clinic in services.clinics.clinics)
        click.echo(f"seeded {names} with {SLOT_HORIZON_DAYS} days of slots")


@main.group()
def slots() -> None:
    """Slots of the built-in scheduler."""


@slots.command("generate")
@click.option(
    "--days",
    default=SLOT_HORIZON_DAYS,
    show_default=True,
    type=click.IntRange(1, 366),
    help="How many days ahead, from today.",
)
@click.option("--clinic", "clinic_id", help="Only this clinic (its id).")
def slots_generate(days: int, clinic_id: str | None) -> None:
    """Create slots from practitioners' weekly availability (idempotent; skips closures and holidays)."""
    with wired() as services:
        chosen = [c for c in services.clinics.clinics if clinic_id in (None, c.id)]
        if not chosen:
            fail(f'no clinic "{clinic_id}" in {services.settings.clinics_path}')
        migrate_and_sync(services)
        for clinic in chosen:
            report = generate_slots(services.database, clinic, days)
            click.echo(f"{clinic.id}: {report.added} slots added, {report.unchanged} already there")


@slots.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def slots_import(csv_file: Path) -> None:
    """Add slots from a CSV file with columns clinic,practitioner,start,minutes.

    START is ISO 8601 (2026-12-01T09:00), in the clinic's time zone unless it carries an offset. Bad rows
    are reported by line number and skipped; good rows are kept. Exit status 1 when any row was refused.
    """
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(f"{csv_file}: not UTF-8 text")
    with wired() as services:
        migrate_and_sync(services)
        report = import_slots(services.database, services.clinics, text)
    for line, message in report.errors:
        click.echo(f"{csv_file}:{line}: {message}", err=True)
    click.echo(f"{report.added} slots added, {report.unchanged} already there, {len(report.errors)} rows refused")
    if report.errors:
        sys.exit(1)


@main.group()
def remind() -> None:
    """Reminder texts of appointments: the clinic's own appointments loaded for them."""


@remind.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def remind_import(csv_file: Path) -> None:
    """Load appointments from a CSV file with columns clinic,external_id,patient_phone,practitioner,start,minutes
    (and optional language, status) and plan their reminders.

    Loading the same (clinic, external_id) again updates it: a new time re-plans its reminders; minutes 0 or status
    cancelled cancels it and withdraws them. START is as for `slots import`. Bad rows are reported as FILE:LINE: reason
    and skipped; good rows are kept. Exit status 1 when any row was refused.
    """
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(f"{csv_file}: not UTF-8 text")
    with wired() as services:
        migrate_and_sync(services)
        rows = max(text.count("\n") - 1, 0)
        with click.progressbar(
            length=rows, label="appointments", file=sys.stderr, hidden=not sys.stderr.isatty()
        ) as bar:
            report = import_csv(services.database, services.clinics, text, utcnow(), lambda: bar.update(1))
    for line, message in report.errors:
        click.echo(f"{csv_file}:{line}: {message}", err=True)
    click.echo(
        f"{report.added} appointments added, {report.changed} changed, {report.cancelled} cancelled, "
        f"{report.unchanged} unchanged, {len(report.errors)} rows refused"
    )
    if report.errors:
        sys.exit(1)


@remind.command("send-due")
def remind_send_due() -> None:
    """Send the reminders that are due now, once (the worker does it every few seconds)."""
    with wired() as services:
        migrate_and_sync(services)
        handled = build_reminder_sender(services, build_assistant(services)).send_due()
    click.echo(f"{handled} reminders handled (sent, put off to texting hours, or skipped)")


@main.group("api-token")
def api_token() -> None:
    """Clinic API tokens: each opens the API for one clinic only."""


@api_token.command("create")
@click.option("--clinic", "clinic_id", required=True, help="The clinic (its id).")
def api_token_create(clinic_id: str) -> None:
    """Create a token for the clinic and print it, once: only its hash is kept."""
    with wired() as services:
        if services.clinics.by_id(clinic_id) is None:
            fail(f'no clinic "{clinic_id}" in {services.settings.clinics_path}')
        migrate_and_sync(services)
        token = create_token(services.database, clinic_id)
    click.echo(token)
    click.echo(
        f"rdvbot: the token above opens /api/v1/clinics/{clinic_id}/… as 'Authorization: Bearer <token>'. "
        "It is shown only now: keep it in a secret store.",
        err=True,
    )


@main.group()
def outage() -> None:
    """The staff switch that turns a clinic's online booking off, with its own message, in every process."""


@outage.command("on")
@click.option("--clinic", "clinic_id", required=True, help="The clinic (its id).")
@click.option("--message-fr", required=True, help=f"What patients read in French (at most {OUTAGE_MESSAGE_MAX}).")
@click.option("--message-en", required=True, help=f"What patients read in English (at most {OUTAGE_MESSAGE_MAX}).")
def outage_on(clinic_id: str, message_fr: str, message_en: str) -> None:
    """Turn online booking off: patients get this message, the clinic's phone and hours, 811 and 911."""
    with wired() as services:
        if services.clinics.by_id(clinic_id) is None:
            fail(f'no clinic "{clinic_id}" in {services.settings.clinics_path}')
        migrate_and_sync(services)
        try:
            start_outage(services.database, clinic_id, message_fr, message_en)
        except ValueError as error:
            fail(str(error))
    click.echo(f"{clinic_id}: online booking is OFF (within a second in every process)")


@outage.command("off")
@click.option("--clinic", "clinic_id", required=True, help="The clinic (its id).")
def outage_off(clinic_id: str) -> None:
    """Turn online booking back on."""
    with wired() as services:
        migrate_and_sync(services)
        ended = end_outage(services.database, clinic_id)
    click.echo(f"{clinic_id}: online booking is ON" + ("" if ended else " (it was not off)"))


@main.group()
def outbox() -> None:
    """Requests kept while a clinic's booking system was down, replayed once it answers again."""


@outbox.command("list")
@click.option("--clinic", "clinic_id", help="Only this clinic (its id).")
def outbox_list(clinic_id: str | None) -> None:
    """Show the requests not done yet, oldest first (numbers masked)."""
    with wired() as services:
        migrate_and_sync(services)
        kept = waiting(services.database, clinic_id)
    for request in kept:
        kept_at = f"{request.created_at:%Y-%m-%d %H:%M}"
        who = f"{request.clinic_id} {mask_number(request.patient_phone)}"
        click.echo(f"#{request.id} {kept_at} {who} {request.kind} {request.status} (tries: {request.attempts})")
    click.echo(f"{len(kept)} waiting", err=True)


@outbox.command("drain")
def outbox_drain() -> None:
    """Replay what can be replayed now, once, and text the patients (a worker does this every few seconds)."""
    with wired() as services:
        migrate_and_sync(services)
        handled = build_replayer(services, build_assistant(services)).drain()
    click.echo(f"{handled} request(s) handled")


@main.command()
def worker() -> None:
    """Run an RQ worker with its scheduler (needs REDIS_URL): drains the outbox and sends due reminders every few
    seconds, purges conversation data past 90 days once a day."""
    with wired() as services:
        if services.redis is None:
            fail("the worker needs REDIS_URL (without Redis, `rdvbot serve` drains the outbox itself)")
        migrate_and_sync(services)
        assistant = build_assistant(services)
        dependencies = JobDependencies(
            build_replayer(services, assistant),
            services.redis,
            build_reminder_sender(services, assistant),
            partial(purge_old_data, services),
        )
        schedule_drain(services.redis, delay_s=0)
        schedule_purge(services.redis, delay=timedelta(0))
        click.echo(f"rdvbot worker: queue {QUEUE_NAME}, draining the outbox, purging old data daily", err=True)
        # Jobs run in this process, with the replayer (flows, clinics, connections) built once above.
        DependenciesWorker([Queue(QUEUE_NAME, connection=services.redis)], dependencies).work(with_scheduler=True)


def _age(text: str) -> timedelta:
    """ "90d" or "36h" as a duration."""
    found = re.fullmatch(r"(\d{1,5})([dh])", text.strip())
    if found is None:
        raise click.BadParameter(f'"{text}" is not an age such as 90d or 36h')
    amount = int(found.group(1))
    return timedelta(days=amount) if found.group(2) == "d" else timedelta(hours=amount)


@main.command()
@click.option(
    "--older-than", "older_than", default="90d", show_default=True, help="Age past which data goes (90d, 36h)."
)
def purge(older_than: str) -> None:
    """Delete conversation data older than that: processed webhooks and their answers, call outcomes, requests
    long done, mirrored appointments, spooled messages set aside (the worker does it daily with 90d)."""
    age = _age(older_than)
    with wired() as services:
        migrate_and_sync(services)
        purged = purge_old_data(services, age)
    click.echo(", ".join(f"{place}: {count}" for place, count in purged.items()))


@main.group()
def spool() -> None:
    """Messages that arrived while the database could not take them (RDVBOT_SPOOL_DIR)."""


@spool.command("replay")
def spool_replay() -> None:
    """Handle the spooled messages now and text their answers (the app also does it once the database is back)."""
    with wired() as services:
        migrate_and_sync(services)
        assistant = build_assistant(services)
        if assistant.spool is None:
            fail("no spool directory is configured")
        handled = assistant.spool.run()
    click.echo(f"{handled} spooled message(s) handled")
