"""Clinic API tokens: each belongs to one clinic and is kept only as its SHA-256 (a token is 256 random bits, so
a fast hash is as safe as a slow one); the token itself is shown once, when it is created."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from bot.db.models import ApiToken
from bot.db.session import Database

#: What every clinic token starts with, so that one pasted where it should not be is recognised (secret scanners).
TOKEN_PREFIX = "rdvbot_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(database: Database, clinic_id: str) -> str:
    """A new token for the clinic, stored hashed; the only time it is seen whole."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with database.transaction() as session:
        session.add(ApiToken(clinic_id=clinic_id, token_sha256=_digest(token)))
    return token


def clinic_of_token(database: Database, token: str) -> str | None:
    """The clinic a token was created for; None for a token nobody created."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with database.autocommit.connect() as connection:
        found: str | None = connection.scalar(select(ApiToken.clinic_id).where(ApiToken.token_sha256 == _digest(token)))
    return found
