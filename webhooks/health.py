"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify
from redis.exceptions import RedisError

from bot.db.session import DatabaseUnavailable
from webhooks.services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and serving requests."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready when the database answers and, if configured, Redis too; 503 names what is not."""
    wired = services()
    checks: dict[str, str] = {}
    try:
        wired.database.check()
        checks["database"] = "ok"
    except DatabaseUnavailable:
        checks["database"] = "unavailable"
    if wired.redis is None:
        checks["redis"] = "not configured"
    else:
        try:
            wired.redis.ping()
            checks["redis"] = "ok"
        except RedisError:
            checks["redis"] = "unavailable"
    ready = all(value in ("ok", "not configured") for value in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def init_app(app: Flask) -> None:
    """Register the health endpoints."""
    app.register_blueprint(bp)
