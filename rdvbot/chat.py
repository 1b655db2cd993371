"""`rdvbot chat`: text the bot from a terminal through the real, signed SMS webhook (Flask test client)."""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from collections.abc import Callable, Iterable
from xml.etree import ElementTree

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from bot.bootstrap import Services
from bot.sms.segments import segment_info

WEBHOOK_PATH = "/twilio/sms"


class SignedSmsClient:
    """Posts Twilio-shaped, correctly signed SMS webhooks to the app and reads the TwiML answer."""

    def __init__(self, client: FlaskClient, token: str, base_url: str, clinic_number: str, patient_number: str) -> None:
        self.client = client
        self.validator = RequestValidator(token)
        self.url = base_url.rstrip("/") + WEBHOOK_PATH
        self.clinic_number = clinic_number
        self.patient_number = patient_number

    def send(self, body: str, sid: str | None = None) -> list[str]:
        """Text `body` to the clinic; returns the message bodies of the TwiML answer."""
        form = {
            "MessageSid": sid or f"SM{uuid.uuid4().hex}",
            "AccountSid": "AC" + "0" * 32,
            "From": self.patient_number,
            "To": self.clinic_number,
            "Body": body,
            "NumMedia": "0",
        }
        signature = self.validator.compute_signature(self.url, form)
        response = self.client.post(
            WEBHOOK_PATH,
            data=form,
            headers={"X-Twilio-Signature": signature},
            base_url=self.url.removesuffix(WEBHOOK_PATH),
        )
        if response.status_code != 200:
            raise RuntimeError(f"webhook answered {response.status_code}")
        root = ElementTree.fromstring(response.data)
        return [message.text or "" for message in root.iter("Message")]


def signing_services(services: Services) -> tuple[Services, str]:
    """The services with an auth token to sign with: the configured one, or a throw-away one for this session
    so that the signature check runs exactly as it does for Twilio."""
    token = services.settings.twilio_auth_token or secrets.token_hex(16)
    settings = dataclasses.replace(services.settings, twilio_auth_token=token)
    return dataclasses.replace(services, settings=settings), token


def run_chat(client: SignedSmsClient, lines: Iterable[str], show: Callable[[str], None]) -> None:
    """Send each line and show every reply with its segment count and encoding."""
    for line in lines:
        for body in client.send(line.rstrip("\n")):
            info = segment_info(body)
            show(f"{body}\n   [{info.segments} SMS, {info.encoding}, {len(body)} characters]")
