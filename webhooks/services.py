"""Access to the process's wired services from inside a request."""

from __future__ import annotations

from flask import current_app

from bot.assistant import Assistant
from bot.bootstrap import Services


def services() -> Services:
    """The services `create_app` wired for this app."""
    wired: Services = current_app.extensions["rdvbot"]
    return wired


def assistant() -> Assistant:
    """The assistant wired for this app."""
    wired: Assistant = current_app.extensions["rdvbot.assistant"]
    return wired
