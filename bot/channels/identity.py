"""Proof of who a conversation is with, from the channel that authenticated the number to rdvbot's action server.

A Rasa-format action call carries the tracker's `sender_id`, which whoever talks to Rasa may choose (its REST
channel takes any "sender"). The channel that did authenticate the number (a Twilio-signed webhook) signs it; the
action server acts only for a number whose proof it can check. The proof travels in the user message's metadata
(`latest_message.metadata`, where Rasa keeps what a channel connector attaches), under `IDENTITY_METADATA_KEY`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

IDENTITY_METADATA_KEY = "rdvbot_identity"
#: A proof outlives its message by this much: enough for the turn's actions, too little to be worth stealing.
PROOF_LIFETIME = timedelta(minutes=10)


def _mac(secret: str, number: str, expires: int) -> str:
    # A label of its own: a proof is never the shared secret's other uses (the call token) in disguise.
    message = f"rdvbot-identity\0{number}\0{expires}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def prove_identity(secret: str, number: str, now: datetime) -> str:
    """The proof that the channel authenticated `number` (E.164) at `now`, for an action server sharing `secret`."""
    expires = int((now + PROOF_LIFETIME).timestamp())
    return f"{number}.{expires}.{_mac(secret, number, expires)}"


def proven_identity(secret: str, proof: object, now: datetime) -> str | None:
    """The number `proof` vouches for, or None when it is missing, altered, signed with another secret or expired."""
    if not isinstance(proof, str) or proof.count(".") != 2:
        return None
    number, expires_text, mac = proof.split(".")
    if not expires_text.isdigit() or int(expires_text) < now.timestamp():
        return None
    return number if hmac.compare_digest(mac, _mac(secret, number, int(expires_text))) else None
