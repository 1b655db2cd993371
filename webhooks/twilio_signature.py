"""Twilio request signatures, checked with the twilio SDK's own RequestValidator."""

from __future__ import annotations

import logging

from flask import Request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from webhooks.services import services

log = logging.getLogger(__name__)


def public_url(request: Request) -> str:
    """The URL Twilio called: PUBLIC_BASE_URL + path behind a proxy, else the URL as received."""
    base = services().settings.public_base_url
    if base:
        query = f"?{request.query_string.decode()}" if request.query_string else ""
        return base.rstrip("/") + request.path + query
    return request.url


def is_from_twilio(request: Request) -> bool:
    """True when the X-Twilio-Signature matches; always True when no auth token is configured (loopback dev)."""
    token = services().settings.twilio_auth_token
    if not token:
        return True
    signature = request.headers.get(SIGNATURE_HEADER, "")
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    valid = bool(signature) and RequestValidator(token).validate(
        public_url(request), request.form, signature, algorithm
    )
    if not valid:
        log.warning("refused a request to %s with a bad or missing Twilio signature", request.path)
    return valid
