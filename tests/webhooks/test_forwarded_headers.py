"""PUBLIC_BASE_URL and proxies (issue 12, point 9): X-Forwarded-* headers are believed only from the number of
proxies configured (RDVBOT_PROXY_HOPS), for the signed URL and for the address the API limits."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from bot.bootstrap import Services
from tests.conftest import CLINIC_NUMBER, TOKEN
from tests.e2e.test_cli import free_port, rdvbot
from webhooks import create_app

FORM = {"MessageSid": "SM" + "7" * 32, "From": "+15145550165", "To": CLINIC_NUMBER, "Body": "aide"}
PROXIED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "rdv.example.org", "X-Forwarded-For": "198.51.100.9"}


def client(services: Services, hops: int, public_base_url: str | None = None) -> FlaskClient:
    settings = dataclasses.replace(
        services.settings, proxy_hops=hops, public_base_url=public_base_url, api_token="operator"
    )
    app = create_app({"TESTING": True, "SERVICES": dataclasses.replace(services, settings=settings)})
    return app.test_client()


def signed_for(url: str) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, FORM)}


def test_without_configured_proxies_forwarded_headers_do_not_change_the_signed_url(services: Services) -> None:
    app = client(services, hops=0)
    forged = app.post("/twilio/sms", data=FORM, headers=PROXIED | signed_for("https://rdv.example.org/twilio/sms"))
    assert forged.status_code == 403
    direct = app.post("/twilio/sms", data=FORM, headers=PROXIED | signed_for("http://localhost/twilio/sms"))
    assert direct.status_code == 200


def test_behind_one_configured_proxy_the_forwarded_url_is_the_signed_one(services: Services) -> None:
    app = client(services, hops=1)
    answer = app.post("/twilio/sms", data=FORM, headers=PROXIED | signed_for("https://rdv.example.org/twilio/sms"))
    assert answer.status_code == 200


def failing_from(app: FlaskClient, forwarded_for: str) -> int:
    headers = {"Authorization": "Bearer rdvbot_guess", "X-Forwarded-For": forwarded_for}
    return app.get("/api/v1/clinics/demo-plateau/outage", headers=headers).status_code


def test_without_configured_proxies_a_client_cannot_escape_the_failed_attempt_limit(services: Services) -> None:
    app = client(services, hops=0)
    statuses = [failing_from(app, f"203.0.113.{n}") for n in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]


def test_behind_a_configured_proxy_each_forwarded_address_is_counted_on_its_own(services: Services) -> None:
    app = client(services, hops=1)
    assert [failing_from(app, "203.0.113.1") for _ in range(11)][-1] == 429
    assert failing_from(app, "203.0.113.2") == 401


def test_serve_refuses_a_public_host_with_a_token_but_no_public_url(tmp_path: Path) -> None:
    done = rdvbot(tmp_path, "serve", "--host", "0.0.0.0", "--port", str(free_port()), TWILIO_AUTH_TOKEN=TOKEN)
    assert done.returncode == 2 and "without PUBLIC_BASE_URL" in done.stderr


@pytest.mark.parametrize("hops", ["many", "-1", "99"])
def test_a_proxy_count_that_means_nothing_is_refused_at_start(tmp_path: Path, hops: str) -> None:
    done = rdvbot(tmp_path, "serve", "--port", str(free_port()), RDVBOT_PROXY_HOPS=hops)
    assert done.returncode == 2 and "RDVBOT_PROXY_HOPS must be a number of proxies" in done.stderr
