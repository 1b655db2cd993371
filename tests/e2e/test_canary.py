"""The privacy canary (issue 12, point 8): a name, phone numbers, a RAMQ health-card number and a symptom planted
in texts and calls, through a staff outage and a PostgreSQL that hangs, are found nowhere they should not be: not
in logs or error output, not in Redis keys or values, not in the spool once it is replayed."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pytest
import redis
from sqlalchemy import make_url

from bot.booking.outage import end_outage, start_outage
from bot.bootstrap import Services, bootstrap
from bot.db.clinics import sync_clinics
from bot.settings import Settings
from bot.state.keys import NumberKeys
from bot.state.limits import RateLimits, storage_for
from bot.state.redis_store import RedisStore
from rdvbot.call import SignedCallClient
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from tests.faults import FaultProxy
from webhooks import create_app

NAME, RAMQ, SYMPTOM = "Zéphirine Canarimou", "CANZ 9876 5432", "canarite aiguë"
SENDER, MENTIONED = "+15145550188", "514-555-0187"
CANARY_TEXT = f"Bonjour c'est {NAME}, carte {RAMQ}, j'ai une {SYMPTOM}, rdv demain matin svp, rappelez au {MENTIONED}"
#: What must not be found: the name, each number in any usual writing, the card, the symptom.
TRACES = ("Canarimou", "Zéphirine", "5550188", "555-0188", "5550187", "555-0187", "CANZ", "9876", "canarite")


@pytest.fixture
def canary_services(
    postgres_url: str, client: redis.Redis, prefix: str, tmp_path: Path
) -> Iterator[tuple[Services, FaultProxy]]:
    """The demo clinic on PostgreSQL behind a proxy that can hang, state and limits on Redis, a spool on disk."""
    url = make_url(postgres_url)
    with FaultProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        settings = Settings(
            database_url=proxied, twilio_auth_token=TOKEN, public_base_url=BASE_URL, spool_dir=tmp_path / "spool"
        )
        wired = bootstrap(settings)
        sync_clinics(wired.database, wired.clinics)
        keys = NumberKeys(TOKEN)
        wired = dataclasses.replace(
            wired,
            redis=client,
            store=RedisStore(client, prefix, keys),
            limits=RateLimits(storage_for(client, prefix), keys),
        )
        yield wired, proxy
        proxy.set_mode("pass")
        wired.database.dispose()


def traces_in(text: str) -> list[str]:
    return [trace for trace in TRACES if trace.lower() in text.lower()]


@pytest.mark.postgres
@pytest.mark.redis
def test_a_canary_leaves_no_trace_in_logs_redis_or_the_spool(
    canary_services: tuple[Services, FaultProxy],
    client: redis.Redis,
    prefix: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    services, proxy = canary_services
    caplog.set_level(logging.DEBUG)
    clinic = services.clinics.clinics[0]
    now = datetime.combine(date(2026, 12, 3), time(10), clinic.zone)
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: now})
    texting = SignedSmsClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, SENDER)

    assert texting.send(CANARY_TEXT)
    texting.send("1")
    texting.send(f"oui merci, {NAME}")
    call = SignedCallClient(app.test_client(), TOKEN, BASE_URL, CLINIC_NUMBER, SENDER)
    call.dial()
    call.say(CANARY_TEXT)
    call.status("completed", 42)

    start_outage(services.database, clinic.id, "Système en panne.", "System down.")
    texting.send(f"annuler mon rdv svp, {NAME}, {RAMQ}")
    end_outage(services.database, clinic.id)

    proxy.set_mode("hang")
    hung = texting.send(CANARY_TEXT)
    assert "811" in " ".join(hung), "the guidance, while the database hangs"
    spooled = [path for path in (tmp_path / "spool").rglob("*") if path.is_file()]
    assert spooled and all(path.stat().st_mode & 0o777 == 0o600 for path in spooled)
    assert (tmp_path / "spool").stat().st_mode & 0o777 == 0o700
    proxy.set_mode("pass")
    assistant = app.extensions["rdvbot.assistant"]
    assert assistant.spool is not None
    assistant.spool.run()

    leftovers = [path for path in (tmp_path / "spool").rglob("*") if path.is_file()]
    assert [traces_in(path.read_text(encoding="utf-8", errors="replace")) for path in leftovers] == [
        [] for _ in leftovers
    ]
    assert traces_in(caplog.text) == [], caplog.text
    printed = capfd.readouterr()
    assert traces_in(printed.out + printed.err) == []
    stored = []
    for key in client.scan_iter(match=f"{prefix}*"):
        stored.append(key.decode())
        kind = client.type(key).decode()
        if kind == "string":
            stored.append(client.get(key).decode("utf-8", errors="replace"))  # type: ignore[union-attr]
        elif kind == "hash":
            stored.extend(f"{k!r}{v!r}" for k, v in client.hgetall(key).items())
        elif kind == "list":
            stored.extend(repr(v) for v in client.lrange(key, 0, -1))
        elif kind == "zset":
            stored.extend(repr(v) for v in client.zrange(key, 0, -1))
    assert stored and traces_in("\n".join(stored)) == []
