"""Outbound SMS: a text handed to Twilio's Messages resource through the official SDK's REST client.

Only `twilio.rest` and the SDK's HTTP client are imported here; TwiML (the answer to an inbound webhook) and Flask
belong to `webhooks/`, so the bot stays importable and testable without a web framework.

Privacy (SPEC §5): a failure names the recipient only masked and never quotes the text, because these messages end up
in logs and error trackers. Twilio's own error messages are not passed on either: some of them echo the number
(error 21211: "The 'To' number +1514… is not a valid phone number").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.clinics.config import ClinicsFile
from bot.state.limits import RateLimits
from bot.state.masking import mask_number


class SendFailed(Exception):
    """The text was not handed to the provider, or it is unknown whether it was.

    The second case is a timeout: the request may have reached Twilio, which then queues the text anyway, so a caller
    that retries on SendFailed can send it twice. `status` is the provider's HTTP status and `code` its error code
    (https://www.twilio.com/docs/errors/<code>) when it answered; both are None when it could not be reached.
    """

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class SmsSender(Protocol):
    """Something that sends one SMS: Twilio in production, a fake in unit tests."""

    def send(self, from_number: str, to_number: str, body: str, status_callback: str | None = None) -> str:
        """Hand `body` to the provider for delivery from `from_number` to `to_number` (both E.164); the provider
        reports how delivery went to `status_callback` when given.

        Returns the provider's message id (Twilio's "SM…" SID). Raises SendFailed when the text could not be handed
        over; a returned id only means the provider queued the text, not that the phone received it.
        """
        ...


class TwilioSender:
    """SmsSender over Twilio's REST API (`POST /2010-04-01/Accounts/{sid}/Messages.json`), with a bounded wait.

    `api_base_url` replaces `https://api.twilio.com` (a local recorder in tests, a stub in staging). `timeout_s`
    bounds the connection and each wait for data from Twilio (requests' semantics: not the total time of the call).
    The SDK does not retry on its own, and neither does this class: retrying is the caller's decision, because a
    timed-out text may have been sent.
    """

    def __init__(
        self, account_sid: str, auth_token: str, api_base_url: str | None = None, timeout_s: float = 5.0
    ) -> None:
        # The SDK silently falls back to TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN from the environment when given an
        # empty value: a missing setting must fail here, not send with credentials nobody configured.
        if not account_sid or not auth_token:
            raise ValueError("TwilioSender needs an account SID and an auth token")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
        # Without a timeout the SDK's HTTP client waits forever on a silent Twilio, holding the turn's thread.
        http_client = TwilioHttpClient(timeout=timeout_s)
        self._client = Client(account_sid, auth_token, http_client=http_client)
        if api_base_url is not None:
            # Messages go through the `api` domain (client.messages is client.api.account.messages), whose requests
            # are built from `base_url` when sent, so overriding it on the cached domain redirects them all.
            self._client.api.base_url = api_base_url.rstrip("/")
            # TWILIO_EDGE / TWILIO_REGION from the environment would rewrite the host into api.<edge>.<region>
            # .twilio.com form, mangling a URL like http://127.0.0.1:PORT; they make no sense for a custom base.
            self._client.edge = None
            self._client.region = None

    def send(self, from_number: str, to_number: str, body: str, status_callback: str | None = None) -> str:
        """Create the Message on Twilio and return its SID; raise SendFailed if Twilio refused it or was unreachable."""
        recipient = mask_number(to_number)
        callback = {"status_callback": status_callback} if status_callback else {}
        try:
            message = self._client.messages.create(from_=from_number, to=to_number, body=body, **callback)
        except TwilioException as exc:
            # TwilioRestException (Twilio's classic error JSON) and TwilioServiceException (an RFC 9457 problem
            # details body, in recent 9.x releases only) are siblings under TwilioException, not one another's
            # subclass; catching the base keeps this working on every 9.x. Both carry status and code.
            # Their text is dropped (`from None`) because Twilio's message may quote the full number.
            status, code = _int_or_none(getattr(exc, "status", None)), _int_or_none(getattr(exc, "code", None))
            raise SendFailed(
                f"Twilio refused the SMS to {recipient}: HTTP {status}, error {code}", status=status, code=code
            ) from None
        except requests.RequestException as exc:
            # Connection refused, DNS, TLS, timeout: the exception names only the URL (the account SID), not the
            # text or the number, so it stays chained for debugging.
            raise SendFailed(f"No answer from Twilio for the SMS to {recipient}: {type(exc).__name__}") from exc
        except json.JSONDecodeError:
            # A 2xx whose body is not JSON (a proxy's HTML page): the text may or may not have been queued.
            raise SendFailed(f"Twilio answered the SMS to {recipient} with a body that is not JSON") from None
        sid = message.sid
        if not isinstance(sid, str) or not sid:
            raise SendFailed(f"Twilio accepted the SMS to {recipient} but returned no message SID")
        return sid


def _int_or_none(value: object) -> int | None:
    """`value` as an int when it is one (the SDK types status and code loosely), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class SendCapped(SendFailed):
    """Not sent: the clinic already texted this number, which never booked there, as often as a day allows."""


class CappedSender:
    """An SmsSender that texts a number that never booked at the clinic at most its daily cap (SMS-pumping defence:
    a caller who presents a stranger's number must not make the clinic's line text it again and again)."""

    def __init__(
        self,
        sender: SmsSender,
        clinics: ClinicsFile,
        limits: RateLimits,
        ever_booked: Callable[[str, str], bool],
    ) -> None:
        """`ever_booked(clinic_id, number)`: whether the number held an appointment there."""
        self.sender = sender
        self.clinics = clinics
        self.limits = limits
        self.ever_booked = ever_booked

    def send(self, from_number: str, to_number: str, body: str, status_callback: str | None = None) -> str:
        """Send through the wrapped sender unless the cap stops it (`SendCapped`)."""
        clinic = self.clinics.by_number(from_number)
        if (
            clinic is not None
            and not self.ever_booked(clinic.id, to_number)
            and not self.limits.for_text_to_unbooked(clinic, to_number)
        ):
            raise SendCapped(f"daily cap on texts to {mask_number(to_number)}, who never booked at {clinic.id}")
        return self.sender.send(from_number, to_number, body, status_callback)
