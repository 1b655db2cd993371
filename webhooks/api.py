"""The clinic API (`/api/v1`, JSON, bearer token RDVBOT_API_TOKEN): the staff outage switch, and the requests
kept while online booking could not take them."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, request

from bot.booking.outage import end_outage, outage_of, start_outage
from bot.outbox.store import waiting
from webhooks.services import services

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def require_token() -> tuple[Response, int] | None:
    """Every call carries `Authorization: Bearer <RDVBOT_API_TOKEN>`; without a configured token the API is off."""
    token = services().settings.api_token
    if not token:
        return jsonify(error="the API is off: RDVBOT_API_TOKEN is not set"), 503
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return jsonify(error="missing or wrong bearer token"), 401
    return None


def _known_clinic(clinic_id: str) -> None:
    if services().clinics.by_id(clinic_id) is None:
        abort(404, description=f'no clinic "{clinic_id}"')


def _outage_json(clinic_id: str) -> dict[str, Any]:
    outage = outage_of(services().database, clinic_id)
    if outage is None:
        return {"clinic": clinic_id, "online_booking": "on"}
    return {
        "clinic": clinic_id,
        "online_booking": "off",
        "message_fr": outage.message_fr,
        "message_en": outage.message_en,
        "since": outage.since.isoformat(),
    }


@bp.get("/clinics/<clinic_id>/outage")
def get_outage(clinic_id: str) -> Response:
    """Whether the clinic's online booking is switched off, and with which message."""
    _known_clinic(clinic_id)
    return jsonify(_outage_json(clinic_id))


@bp.put("/clinics/<clinic_id>/outage")
def put_outage(clinic_id: str) -> Response | tuple[Response, int]:
    """Switch online booking off with the clinic's message: {"message_fr": "…", "message_en": "…"}."""
    _known_clinic(clinic_id)
    body = request.get_json(silent=True) or {}
    message_fr, message_en = body.get("message_fr"), body.get("message_en")
    if not isinstance(message_fr, str) or not isinstance(message_en, str):
        return jsonify(error="message_fr and message_en are both required, as text"), 400
    try:
        start_outage(services().database, clinic_id, message_fr, message_en)
    except ValueError as error:
        return jsonify(error=str(error)), 400
    return jsonify(_outage_json(clinic_id))


@bp.delete("/clinics/<clinic_id>/outage")
def delete_outage(clinic_id: str) -> Response:
    """Switch online booking back on (nothing to do when it is on)."""
    _known_clinic(clinic_id)
    end_outage(services().database, clinic_id)
    return jsonify(_outage_json(clinic_id))


@bp.get("/clinics/<clinic_id>/outbox")
def get_outbox(clinic_id: str) -> Response:
    """The clinic's kept requests not done yet, oldest first: who, what was asked, where each stands."""
    _known_clinic(clinic_id)
    kept = waiting(services().database, clinic_id)
    return jsonify(
        clinic=clinic_id,
        waiting=[
            {
                "id": request.id,
                "patient_phone": request.patient_phone,
                "language": request.language,
                "kind": request.kind,
                "request": request.request,
                "status": str(request.status),
                "attempts": request.attempts,
                "kept_at": request.created_at.isoformat(),
                "outcome": request.outcome,
            }
            for request in kept
        ],
    )


@bp.errorhandler(404)
def not_found(error: Any) -> tuple[Response, int]:
    """JSON, not Flask's HTML page."""
    return jsonify(error=str(getattr(error, "description", "not found"))), 404


def init_app(app: Flask) -> None:
    """Register the clinic API."""
    app.register_blueprint(bp)
