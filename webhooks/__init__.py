"""The web entrypoint: Flask app factory. Thin by rule: parse the request, call the core, render the reply."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.bootstrap import Services, bootstrap, build_assistant
from bot.core.clock import utcnow
from bot.state.masking import redact_logs
from webhooks import api, health, sms, voice

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment; tests may pass `SERVICES` (their own wiring) and `CLOCK`.

    Without TWILIO_AUTH_TOKEN the app logs that signatures are not checked (under plain gunicorn, once per worker),
    unless `WARN_WITHOUT_TOKEN` is False: `rdvbot serve` has warned once already for all of its workers.
    """
    redact_logs("gunicorn.error", "gunicorn.access")
    app = Flask(__name__)
    app.config.from_mapping(config or {})
    services: Services = app.config.get("SERVICES") or bootstrap()
    app.extensions["rdvbot"] = services
    app.extensions["rdvbot.assistant"] = build_assistant(services, app.config.get("CLOCK") or utcnow)
    if not services.settings.twilio_auth_token and app.config.get("WARN_WITHOUT_TOKEN", True):
        log.warning("TWILIO_AUTH_TOKEN is not set: Twilio signatures are NOT checked")
    hops = services.settings.proxy_hops
    if hops:
        # Only the configured proxies' X-Forwarded-* are believed; with none, a client cannot pose as another
        # address (the API's failed-attempt limit) or another URL (the signed one).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    health.init_app(app)
    api.init_app(app)
    sms.init_app(app)
    voice.init_app(app)
    return app
