"""Reading a Twilio webhook's form fields as values the rest of rdvbot can store."""

from __future__ import annotations

from flask import request


def field(name: str) -> str:
    """A form field as text a database can store: NULs dropped (PostgreSQL refuses them in text)."""
    return request.form.get(name, "").replace("\x00", "")
