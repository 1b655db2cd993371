"""Twilio request signatures, checked with the twilio SDK's own RequestValidator before a view runs."""

from __future__ import annotations

import logging
import re

from flask import Request, abort, request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from webhooks.services import services

log = logging.getLogger(__name__)

#: What an X-Twilio-Signature looks like: the base64 of an HMAC-SHA1 (28 characters) or HMAC-SHA256 (44).
_WELL_FORMED = re.compile(r"[A-Za-z0-9+/]{27}=|[A-Za-z0-9+/]{43}=")


def public_url(request: Request) -> str:
    """The URL Twilio called: PUBLIC_BASE_URL + path behind a proxy, else the URL as received."""
    base = services().settings.public_base_url
    if base:
        query = f"?{request.query_string.decode()}" if request.query_string else ""
        return base.rstrip("/") + request.path + query
    return request.url


def is_from_twilio(request: Request) -> bool:
    """True when the X-Twilio-Signature matches; always True when no auth token is configured (loopback dev).

    A missing or malformed signature is refused before the form is parsed: a forger's body is never read.
    """
    token = services().settings.twilio_auth_token
    if not token:
        return True
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not _WELL_FORMED.fullmatch(signature):
        log.warning("refused a request to %s with a missing or malformed Twilio signature", request.path)
        return False
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    if not RequestValidator(token).validate(public_url(request), request.form, signature, algorithm):
        log.warning("refused a request to %s with a bad Twilio signature", request.path)
        return False
    return True


def refuse_unsigned() -> None:
    """Before a Twilio webhook's view: 403 unless Twilio signed the request."""
    if not is_from_twilio(request):
        abort(403)
