"""POST /twilio/sms through the Flask test client with real Twilio signatures and TwiML parsed back."""

from __future__ import annotations

from collections.abc import Callable
from xml.etree import ElementTree

import pytest
from flask import Response, request
from flask.testing import FlaskClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot.bootstrap import Services, bootstrap
from bot.db.models import Appointment, Patient, ProcessedWebhook
from bot.settings import Settings
from rdvbot.chat import SignedSmsClient
from tests.conftest import BASE_URL, CLINIC_NUMBER, TOKEN
from webhooks import create_app

PATIENT = "+15145550134"


def count(services: Services, model: type) -> int:  # type: ignore[type-arg]
    with services.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def form(body: str, sid: str = "SM" + "1" * 32, to: str = CLINIC_NUMBER) -> dict[str, str]:
    return {"MessageSid": sid, "From": PATIENT, "To": to, "Body": body, "AccountSid": "AC" + "0" * 32}


def client_of(services: Services) -> FlaskClient:
    return create_app({"TESTING": True, "SERVICES": services}).test_client()


def test_forged_or_missing_signature_is_refused_and_writes_nothing(services: Services) -> None:
    client = client_of(services)
    data = form("rdv demain")
    forged = RequestValidator("not-the-token").compute_signature(f"{BASE_URL}/twilio/sms", data)
    assert client.post("/twilio/sms", data=data, headers={"X-Twilio-Signature": forged}).status_code == 403
    assert client.post("/twilio/sms", data=data).status_code == 403
    tampered = dict(data, Body="annuler")
    good_for_original = RequestValidator(TOKEN).compute_signature(f"{BASE_URL}/twilio/sms", data)
    assert (
        client.post("/twilio/sms", data=tampered, headers={"X-Twilio-Signature": good_for_original}).status_code == 403
    )
    assert count(services, ProcessedWebhook) == 0 and count(services, Patient) == 0


@pytest.mark.parametrize("signature", [None, "", "not a signature", "A" * 28, "=" * 44, "x" * 5000], ids=repr)
@pytest.mark.parametrize(
    "path", ["/twilio/sms", "/twilio/sms/status", "/twilio/voice", "/twilio/voice/gather", "/twilio/voice/status"]
)
def test_a_missing_or_malformed_signature_is_refused_before_the_form_is_parsed(
    services: Services, path: str, signature: str | None
) -> None:
    app = create_app({"TESTING": True, "SERVICES": services})
    parsed: list[bool] = []

    @app.after_request
    def note_whether_the_form_was_parsed(response: Response) -> Response:
        parsed.append("form" in request.__dict__)  # werkzeug caches the parsed form on the request
        return response

    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    response = app.test_client().post(path, data=form("rdv demain"), headers=headers)
    assert response.status_code == 403
    assert parsed == [False]


def test_signature_is_checked_against_public_base_url_behind_a_proxy(services: Services) -> None:
    client = client_of(services)  # the app sees http://localhost/twilio/sms, Twilio signed the public URL
    data = form("aide")
    signature = RequestValidator(TOKEN).compute_signature(f"{BASE_URL}/twilio/sms", data)
    response = client.post("/twilio/sms", data=data, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    messages = [m.text for m in ElementTree.fromstring(response.data).iter("Message")]
    assert len(messages) == 1 and "RDV" in (messages[0] or "")


def test_a_retried_webhook_gets_the_same_answer_and_books_once(
    texting: Callable[[str], SignedSmsClient], services: Services
) -> None:
    client = texting(PATIENT)
    client.send("rdv demain matin")
    client.send("1")
    first = client.send("oui", sid="SM" + "9" * 32)
    again = client.send("oui", sid="SM" + "9" * 32)
    assert first == again and "réservé" in first[0]
    assert count(services, Appointment) == 1


def test_unknown_clinic_number_gets_a_bilingual_answer(services: Services) -> None:
    client = client_of(services)
    data = form("rdv", to="+15145550177")
    signature = RequestValidator(TOKEN).compute_signature(f"{BASE_URL}/twilio/sms", data)
    body = client.post("/twilio/sms", data=data, headers={"X-Twilio-Signature": signature}).data.decode()
    assert "aucune clinique" in body and "not linked" in body and "911" in body


def test_an_internal_failure_still_answers_twiml_with_a_way_out(sqlite_url: str) -> None:
    broken = bootstrap(
        Settings(
            database_url="postgresql://postgres@127.0.0.1:1/none", twilio_auth_token=TOKEN, public_base_url=BASE_URL
        )
    )
    client = client_of(broken)
    data = form("rdv demain")
    signature = RequestValidator(TOKEN).compute_signature(f"{BASE_URL}/twilio/sms", data)
    response = client.post("/twilio/sms", data=data, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    assert "911" in response.data.decode() and "811" in response.data.decode()
