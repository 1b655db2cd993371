"""A generated corpus of altered Twilio requests (issue 12): each is refused 403, and together they write nothing -
no database row, no Redis key, no spool file (counted before and after; one genuine request shows the counts move)."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot.bootstrap import Services
from bot.db.models import Base
from bot.state.keys import NumberKeys
from bot.state.limits import RateLimits, storage_for
from bot.state.redis_store import RedisStore
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from webhooks import create_app

PATIENT = "+15145550183"
CALL_SID = "CA" + "8" * 32
#: Each Twilio endpoint with a genuine form of its own.
ENDPOINTS: dict[str, dict[str, str]] = {
    "/twilio/sms": {"MessageSid": "SM" + "8" * 32, "From": PATIENT, "To": CLINIC_NUMBER, "Body": "annuler mon rdv"},
    "/twilio/sms/status": {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered", "To": PATIENT},
    "/twilio/voice": {
        "CallSid": CALL_SID,
        "From": PATIENT,
        "To": CLINIC_NUMBER,
        "StirVerstat": "TN-Validation-Passed-A",
    },
    "/twilio/voice/gather?turn=2&expects=yes_no&language=fr": {
        "CallSid": CALL_SID,
        "From": PATIENT,
        "To": CLINIC_NUMBER,
        "Digits": "1",
    },
    "/twilio/voice/status": {"CallSid": CALL_SID, "From": PATIENT, "To": CLINIC_NUMBER, "CallStatus": "completed"},
}
Request = tuple[str, dict[str, str], dict[str, str]]


def sign(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


def alterations(path: str, form: dict[str, str], rng: random.Random) -> Iterator[tuple[str, Request]]:
    """Ways of presenting `form` at `path` that Twilio did not sign: (name, (path, form, headers))."""
    url = BASE_URL + path
    good = sign(url, form)
    field = rng.choice(sorted(form))
    yield "no signature", (path, form, {})
    yield "empty signature", (path, form, {"X-Twilio-Signature": ""})
    yield "another account's token", (path, form, {"X-Twilio-Signature": sign(url, form, "another-token")})
    yield "a field changed", (path, form | {field: form[field] + "0"}, {"X-Twilio-Signature": good})
    yield "a field added", (path, form | {"Body": "rdv demain", "Extra": "1"}, {"X-Twilio-Signature": good})
    yield "a field removed", (path, {k: v for k, v in form.items() if k != field}, {"X-Twilio-Signature": good})
    yield "another number", (path, form | {"From": "+15145550184"}, {"X-Twilio-Signature": good})
    yield "signed for http", (path, form, {"X-Twilio-Signature": sign(url.replace("https", "http"), form)})
    yield "signed for another host", (path, form, {"X-Twilio-Signature": sign(url.replace("rdv.", "evil."), form)})
    flipped = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    yield "one character flipped", (path, form, {"X-Twilio-Signature": flipped})
    yield "truncated", (path, form, {"X-Twilio-Signature": good[:-4]})
    yield "garbage", (path, form, {"X-Twilio-Signature": "".join(rng.choices("abc/+=xyz0123", k=rng.randint(1, 5000)))})
    yield "hex instead of base64", (path, form, {"X-Twilio-Signature": "ab" * 20})
    other = next(p for p in ENDPOINTS if p != path)
    yield "another endpoint's signature", (path, form, {"X-Twilio-Signature": sign(BASE_URL + other, form)})
    if "?" in path:
        yield "query changed", (path.replace("turn=2", "turn=3"), form, {"X-Twilio-Signature": good})
        yield "query dropped", (path.split("?")[0], form, {"X-Twilio-Signature": good})
    yield "NUL added", (path, form | {field: form[field] + "\x00"}, {"X-Twilio-Signature": good})
    cased = form[field].swapcase()
    yield (
        "case changed",
        (path, form | {field: cased if cased != form[field] else cased + "x"}, {"X-Twilio-Signature": good}),
    )


def corpus() -> list[tuple[str, Request]]:
    """At least 200 altered requests across every endpoint, from a fixed seed."""
    rng = random.Random(20261202)
    requests: list[tuple[str, Request]] = []
    while len(requests) < 200:
        for path, form in ENDPOINTS.items():
            variant = form | {"AccountSid": f"AC{rng.getrandbits(128):032x}"}  # each round a new genuine base
            requests += [(f"{path} {name}", request) for name, request in alterations(path, variant, rng)]
    return requests


@pytest.fixture
def guarded(services: Services, client: redis.Redis, prefix: str, tmp_path: Path) -> Services:
    """The services with state and limits on Redis and a spool: every place a request could leave a trace."""
    keys = NumberKeys(TOKEN)
    settings = dataclasses.replace(services.settings, spool_dir=tmp_path / "spool")
    return dataclasses.replace(
        services,
        settings=settings,
        redis=client,
        store=RedisStore(client, prefix, keys),
        limits=RateLimits(storage_for(client, prefix), keys),
    )


def traces(services: Services, client: redis.Redis, prefix: str, spool: Path) -> dict[str, int]:
    """Rows in every table, Redis keys under the prefix, files in the spool."""
    counted: dict[str, int] = {}
    with services.database.reading() as session:
        for table in Base.metadata.sorted_tables:
            counted[table.name] = session.scalar(select(func.count()).select_from(table)) or 0
    counted["redis keys"] = sum(1 for _ in client.scan_iter(match=f"{prefix}*"))
    counted["spool files"] = sum(1 for path in spool.rglob("*") if path.is_file()) if spool.exists() else 0
    return counted


@pytest.mark.redis
def test_every_altered_request_is_refused_and_nothing_is_written(
    guarded: Services, client: redis.Redis, prefix: str, tmp_path: Path
) -> None:
    app: FlaskClient = create_app({"TESTING": True, "SERVICES": guarded}).test_client()
    before = traces(guarded, client, prefix, tmp_path / "spool")
    requests = corpus()
    assert len(requests) >= 200
    answered = [
        (name, app.post(path, data=form, headers=headers).status_code) for name, (path, form, headers) in requests
    ]
    assert [(name, status) for name, status in answered if status != 403] == []
    assert traces(guarded, client, prefix, tmp_path / "spool") == before

    # The counts do move when Twilio really signs: the same text, genuine, leaves its traces.
    genuine = ENDPOINTS["/twilio/sms"]
    signature = {"X-Twilio-Signature": sign(BASE_URL + "/twilio/sms", genuine)}
    assert app.post("/twilio/sms", data=genuine, headers=signature).status_code == 200
    after = traces(guarded, client, prefix, tmp_path / "spool")
    assert (
        after["processed_webhooks"] == before["processed_webhooks"] + 1 and after["redis keys"] > before["redis keys"]
    )
