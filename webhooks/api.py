"""The clinic API (`/api/v1`, JSON, bearer tokens): the staff outage switch, and the requests kept while online
booking could not take them. The operator's RDVBOT_API_TOKEN opens every clinic; a clinic's own token
(`rdvbot api-token create`) opens that clinic only."""

from __future__ import annotations

import hmac
import logging
from datetime import date
from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from bot.booking.appointment_import import import_appointments
from bot.booking.outage import end_outage, outage_of, start_outage
from bot.core.clock import utcnow
from bot.db.api_tokens import clinic_of_token
from bot.db.reminders import appointments_on
from bot.db.session import DatabaseUnavailable
from bot.outbox.store import waiting
from webhooks.services import services

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")
#: Appointments one POST may load (a large clinic's week; bigger imports go through `rdvbot remind import`).
MAX_ROWS = 5000
#: Stands for "every clinic": what the operator's token opens.
EVERY_CLINIC = "*"
Refusal = tuple[Response, int] | tuple[Response, int, dict[str, str]]


def _clinics_opened_by(token: str) -> str | None:
    """EVERY_CLINIC for the operator's token, a clinic's id for its own token, None for anything else."""
    operator = services().settings.api_token
    if operator and hmac.compare_digest(token.encode(), operator.encode()):
        return EVERY_CLINIC
    return clinic_of_token(services().database, token)


@bp.before_request
def require_token() -> Refusal | None:
    """Every call carries `Authorization: Bearer <token>`: 401 without a token that opens something, 403 for
    another clinic's; an address that keeps failing is refused 429 for a while, whatever it presents."""
    limits, address = services().limits, request.remote_addr or "unknown"
    if not limits.api_attempt_allowed(address):
        return jsonify(error="too many failed attempts: try again later"), 429, {"Retry-After": "60"}
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    opened = _clinics_opened_by(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if opened is None:
        limits.api_attempt_failed(address)
        log.warning("clinic API: refused a call without a valid bearer token")
        return jsonify(error="missing or unknown bearer token (Authorization: Bearer <token>)"), 401
    asked = (request.view_args or {}).get("clinic_id")
    if opened != EVERY_CLINIC and asked != opened:
        return jsonify(error="this token is for another clinic"), 403
    return None


def _json_list() -> list[Any] | None:
    """The body as a JSON list of at most MAX_ROWS items; None for anything else."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return None
    return body if isinstance(body, list) and len(body) <= MAX_ROWS else None


def _json_object() -> dict[str, Any] | None:
    """The body as a JSON object; None for anything else (not JSON, another type, nested deeper than Python parses)."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return None
    return body if isinstance(body, dict) else None


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
    body = _json_object()
    if body is None:
        return jsonify(error='the body must be a JSON object: {"message_fr": "…", "message_en": "…"}'), 400
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


@bp.post("/clinics/<clinic_id>/appointments")
def post_appointments(clinic_id: str) -> Response | tuple[Response, int]:
    """Load the clinic's appointments for their reminders: a JSON list of rows with `rdvbot remind import`'s fields."""
    _known_clinic(clinic_id)
    rows = _json_list()
    if rows is None:
        return jsonify(error=f"the body must be a JSON list of at most {MAX_ROWS} appointments (objects)"), 400
    fields = [{**row, "clinic": row.get("clinic", clinic_id)} if isinstance(row, dict) else {} for row in rows]
    wrong_clinic = [n for n, row in enumerate(fields) if row.get("clinic") != clinic_id]
    report = import_appointments(
        services().database,
        services().clinics,
        ((n, row) for n, row in enumerate(fields) if n not in wrong_clinic),
        utcnow(),
    )
    errors = sorted(report.errors + [(n, f"clinic must be {clinic_id}, as in the path") for n in wrong_clinic])
    return jsonify(
        added=report.added,
        changed=report.changed,
        cancelled=report.cancelled,
        unchanged=report.unchanged,
        errors=[{"index": n, "error": reason} for n, reason in errors],
    )


@bp.get("/clinics/<clinic_id>/appointments")
def get_appointments(clinic_id: str) -> Response | tuple[Response, int]:
    """The clinic's appointments of `?date=YYYY-MM-DD`, each with its status and its reminders."""
    _known_clinic(clinic_id)
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return jsonify(error="date=YYYY-MM-DD is required"), 400
    clinic = services().clinics.by_id(clinic_id)
    assert clinic is not None
    return jsonify(
        clinic=clinic_id,
        date=day.isoformat(),
        appointments=[
            {
                "external_id": a.external_id,
                "status": a.status,
                "start": a.start_at.astimezone(clinic.zone).isoformat(),
                "minutes": a.minutes,
                "practitioner": a.practitioner,
                "patient_phone": a.patient_phone,
                "reminders": [
                    {
                        "hours_before": r.hours_before,
                        "due": r.due_at.astimezone(clinic.zone).isoformat(),
                        "status": str(r.status),
                        "error_code": r.error_code,
                    }
                    for r in a.reminders
                ],
            }
            for a in appointments_on(services().database, clinic, day)
        ],
    )


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


def http_error(error: HTTPException) -> Response | HTTPException:
    """Under /api/, any HTTP error (404, 405, 400…) as JSON rather than Flask's HTML page."""
    if not request.path.startswith(bp.url_prefix or ""):
        return error
    answer = jsonify(error=error.description or error.name)
    answer.status_code = error.code or 500
    return answer


@bp.errorhandler(SQLAlchemyError)
@bp.errorhandler(DatabaseUnavailable)
def database_down(_: Exception) -> tuple[Response, int]:
    """The database does not answer: the call can be made again later."""
    log.exception("clinic API: the database failed")
    return jsonify(error="the database is unavailable; try again shortly"), 503


def init_app(app: Flask) -> None:
    """Register the clinic API."""
    app.register_blueprint(bp)
    # App-wide: a path under /api/ that matches no view never reaches the blueprint's own handlers.
    app.register_error_handler(HTTPException, http_error)
