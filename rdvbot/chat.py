"""`rdvbot chat`: text the bot from a terminal through the real, signed SMS webhook.

The webhook is reached through a transport: a running server over HTTP (`rdvbot serve`), or the app built in this
process through Flask's test client (`--local`, and the tests). Signing and posting are the same for both, and
`rdvbot call` shares them.
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple, Protocol
from xml.etree import ElementTree

import requests
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from bot.bootstrap import Services
from bot.settings import Settings
from bot.sms.segments import segment_info

WEBHOOK_PATH = "/twilio/sms"
#: How long a webhook may take over HTTP: a turn answers within seconds, even when a back-end hangs.
HTTP_TIMEOUT_S = 30.0


class Answer(NamedTuple):
    """What a webhook answered: its HTTP status and body (`data`, as werkzeug calls it)."""

    status: int
    data: bytes


class Transport(Protocol):
    """How the app is reached: in this process, or over HTTP."""

    def post(self, path: str, form: Mapping[str, str], headers: Mapping[str, str]) -> Answer:
        """Post `form` to `path` of the app (a path that may carry a query string) with these headers."""
        ...


class ServerUnreachable(Exception):
    """Nothing answers at the server's URL."""


class WebhookFailed(RuntimeError):
    """The webhook answered something other than 200, or did not answer in time."""


class FlaskTransport:
    """The app of this process, through Flask's test client, as if it were served at `base_url`."""

    def __init__(self, client: FlaskClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")

    def post(self, path: str, form: Mapping[str, str], headers: Mapping[str, str]) -> Answer:
        """Post through the test client; the app sees the URL `base_url` + `path`."""
        response = self.client.post(path, data=dict(form), headers=dict(headers), base_url=self.base_url)
        return Answer(response.status_code, response.data)


class HttpTransport:
    """A running server (`rdvbot serve`) at `base_url`, over HTTP with one kept-alive connection."""

    def __init__(self, base_url: str, timeout_s: float = HTTP_TIMEOUT_S) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.session = requests.Session()

    def check(self) -> None:
        """Raise `ServerUnreachable` unless something answers at `base_url` (its liveness probe)."""
        self._request("GET", "/healthz")

    def post(self, path: str, form: Mapping[str, str], headers: Mapping[str, str]) -> Answer:
        """Post the form; raises `ServerUnreachable` when no server answers, `WebhookFailed` when it hangs."""
        response = self._request("POST", path, form, headers)
        return Answer(response.status_code, response.content)

    def _request(
        self, method: str, path: str, form: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
    ) -> requests.Response:
        try:
            return self.session.request(
                method,
                self.base_url + path,
                data=dict(form or {}),
                headers=dict(headers or {}),
                timeout=self.timeout_s,
                allow_redirects=False,
            )
        except requests.ConnectionError as error:  # refused, unknown host, or no connection within the timeout
            raise ServerUnreachable(self.base_url) from error
        except requests.Timeout as error:
            raise WebhookFailed(f"{method} {path} got no answer within {self.timeout_s:.0f} s") from error


class SignedWebhooks:
    """Signs each form as Twilio does, for the URL the app checks (`base_url` + path), and posts it.

    A Flask test client stands for the app of this process served at `base_url` (as the tests use it).
    """

    def __init__(self, transport: Transport | FlaskClient, token: str, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.transport = FlaskTransport(transport, base_url) if isinstance(transport, FlaskClient) else transport
        self.validator = RequestValidator(token)

    def post(self, path: str, form: Mapping[str, str]) -> Answer:
        """Post `form` to `path`, signed; the answer whatever its status."""
        signature = self.validator.compute_signature(self.base_url + path, dict(form))
        return self.transport.post(path, form, {"X-Twilio-Signature": signature})

    def twiml(self, path: str, form: Mapping[str, str]) -> bytes:
        """Post `form` to `path`, signed; the TwiML answered, or `WebhookFailed` for any status but 200."""
        answer = self.post(path, form)
        if answer.status == 403:
            raise WebhookFailed(
                f"POST {path} answered 403: the server refused the signature; give this command the server's "
                "TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL"
            )
        if answer.status != 200:
            raise WebhookFailed(f"POST {path} answered {answer.status}")
        return answer.data


class SignedSmsClient:
    """Posts Twilio-shaped, correctly signed SMS webhooks to the app and reads the TwiML answer."""

    def __init__(
        self, transport: Transport | FlaskClient, token: str, base_url: str, clinic_number: str, patient_number: str
    ) -> None:
        self.webhooks = SignedWebhooks(transport, token, base_url)
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
        root = ElementTree.fromstring(self.webhooks.twiml(WEBHOOK_PATH, form))
        return [message.text or "" for message in root.iter("Message")]


def signing_token(settings: Settings) -> str:
    """The token to sign with: the configured one, or a throw-away one (a server without a token checks none)."""
    return settings.twilio_auth_token or secrets.token_hex(16)


def signing_services(services: Services) -> tuple[Services, str]:
    """The services with an auth token to sign with: the configured one, or a throw-away one for this session
    so that the signature check runs exactly as it does for Twilio."""
    token = signing_token(services.settings)
    settings = dataclasses.replace(services.settings, twilio_auth_token=token)
    return dataclasses.replace(services, settings=settings), token


def run_chat(client: SignedSmsClient, lines: Iterable[str], show: Callable[[str], None]) -> None:
    """Send each line and show every reply with its segment count and encoding."""
    for line in lines:
        for body in client.send(line.rstrip("\n")):
            info = segment_info(body)
            show(f"{body}\n   [{info.segments} SMS, {info.encoding}, {len(body)} characters]")
