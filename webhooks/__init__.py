"""The web entrypoint: Flask app factory. Thin by rule: parse the request, call the core, render the reply."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from bot.bootstrap import Services, bootstrap
from webhooks import health


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; `config["SERVICES"]` lets tests pass their own wiring, otherwise the environment is used."""
    app = Flask(__name__)
    app.config.from_mapping(config or {})
    services: Services = app.config.get("SERVICES") or bootstrap()
    app.extensions["rdvbot"] = services
    health.init_app(app)
    return app
